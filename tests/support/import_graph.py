"""The import graph of a package, read from its source with :mod:`ast`, and the layering rules
auditkit keeps (used by tests/test_layering.py, and tested there on small synthetic packages).

Every ``import`` and ``from … import`` counts, wherever it stands: at the top, inside a function,
or under ``if TYPE_CHECKING:`` (an import that only type checkers run still ties two modules).
An import of ``a.b.c`` from outside package ``a.b`` also ties the importer to ``a.b`` (Python runs
the package's ``__init__`` first).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # an internal module, or the top-level name of an external package
    line: int
    names: tuple[str, ...] = ()
    external: bool = False


@dataclass
class Graph:
    package: str
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def edges(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {m: set() for m in self.modules}
        for imp in self.imports:
            if not imp.external and imp.target != imp.importer:
                out[imp.importer].add(imp.target)
        return out


def _module_name(root: Path, path: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def read_graph(root: Path) -> Graph:
    """The import graph of the package whose folder is ``root`` (its name is the folder's)."""
    package = root.name
    graph = Graph(package)
    for path in sorted(root.rglob("*.py")):
        graph.modules[_module_name(root, path, package)] = path
    for name, path in graph.modules.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    _add(graph, name, alias.name, node.lineno, ())
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_pkg, node.module, node.level)
                names = tuple(a.name for a in node.names)
                subs = [n for n in names if f"{base}.{n}" in graph.modules]  # `from pkg import module`
                if len(subs) < len(names):
                    _add(graph, name, base, node.lineno, tuple(n for n in names if n not in subs))
                for n in subs:
                    _add(graph, name, f"{base}.{n}", node.lineno, ())
    return graph


def _resolve(importer: str, is_pkg: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = importer.split(".")
    if not is_pkg:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def _add(graph: Graph, importer: str, target: str, line: int, names: tuple[str, ...]) -> None:
    top = target.split(".")[0]
    if top != graph.package:
        graph.imports.append(Import(importer, top, line, names, external=True))
        return
    # the longest internal module named by the target, and every package on the way that the
    # importer is not itself inside
    parts = target.split(".")
    found = None
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in graph.modules:
            found = i
            break
    if found is None:
        return
    if found == 1:
        # the package root itself (unless only its submodules were named); a dotted name not in
        # the tree is a package mapped in at install time (auditkit.report_templates): data
        if len(parts) == 1 and (not names or any(f"{target}.{n}" not in graph.modules for n in names)):
            graph.imports.append(Import(importer, target, line, names))
        return
    own = importer.split(".")
    for i in range(2, found + 1):
        mod = ".".join(parts[:i])
        if own[:i] != parts[:i] or i == found:
            graph.imports.append(Import(importer, mod, line, names if i == found else ()))


def cycles(graph: Graph) -> list[list[str]]:
    """Import circles: strongly connected groups of two or more modules (Tarjan), sorted."""
    edges = graph.edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


def layer_of(module: str, layers: list[list[str]]) -> int | None:
    """The index of the layer holding ``module`` (by its longest listed prefix), else None."""
    best, where = -1, None
    for i, names in enumerate(layers):
        for n in names:
            if (module == n or module.startswith(n + ".")) and len(n) > best:
                best, where = len(n), i
    return where


def layering_problems(graph: Graph, layers: list[list[str]], *, exempt: tuple[str, ...] = (),
                      forbidden: tuple[tuple[str, str], ...] = (),
                      confined: dict[str, str] | None = None) -> list[str]:
    """One sentence per rule broken:

    - a module in no layer (every module must have its place);
    - an import of a module in a later layer (data flows one way);
    - an import in ``forbidden`` (``(importer prefix, target prefix)``), even if the order allows it;
    - an external package in ``confined`` (``{"click": "auditkit.cli"}``) imported outside its part;
    - an import of the package root from inside (the root is the public face, above every part);
    - an import of another module's private name (``from x import _name``).
    """
    problems = []
    confined = confined or {}
    for m in graph.modules:
        if m not in exempt and layer_of(m, layers) is None:
            problems.append(f"{m} belongs to no layer")
    for imp in graph.imports:
        if imp.importer in exempt:
            continue
        where = f"{imp.importer} (line {imp.line})"
        if imp.external:
            part = confined.get(imp.target)
            if part is not None and not (imp.importer == part or imp.importer.startswith(part + ".")):
                problems.append(f"{where} imports {imp.target}, which only {part} may import")
            continue
        if imp.target == graph.package:
            problems.append(f"{where} imports the package root {imp.target}; import from the part itself")
            continue
        a, b = layer_of(imp.importer, layers), layer_of(imp.target, layers)
        if a is not None and b is not None and b > a:
            problems.append(f"{where} imports {imp.target}, a later layer")
        for src, dst in forbidden:
            if imp.importer.startswith(src) and (imp.target == dst or imp.target.startswith(dst + ".")):
                problems.append(f"{where} imports {imp.target}: {src} never imports {dst}")
        private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
        if private:
            problems.append(f"{where} imports the private name(s) {', '.join(private)} of {imp.target}")
    return sorted(set(problems))

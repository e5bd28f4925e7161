"""The one YAML loader of auditkit (policy files, ``--fields`` files): safe and bounded.

PyYAML's ``SafeLoader`` builds only plain data, but still follows every alias and recurses into
every nesting level: a few lines of nested anchors ("billion laughs") expand to billions of
values, and ten thousand ``[`` end in a ``RecursionError``. :class:`BoundedLoader` refuses,
while composing and before anything is built:

- more than :data:`MAX_ALIASES` aliases (``*name``), or aliases that would expand the document
  beyond :data:`MAX_NODES` values in all;
- nesting deeper than :data:`MAX_DEPTH` levels;
- any tag PyYAML's safe loader cannot build, such as ``!!python/object`` (one line naming it,
  not PyYAML's long constructor message).

Every refusal is a :class:`yaml.MarkedYAMLError` (a :class:`LimitError`) carrying the line, so a
caller reports it like any other YAML syntax error.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["BoundedLoader", "LimitError", "MAX_ALIASES", "MAX_DEPTH", "MAX_NODES", "compose", "load", "problem_of"]

#: Aliases (``*name``) allowed in one document.
MAX_ALIASES = 100
#: Values (scalars, lists, mappings) one document may hold once every alias is expanded.
MAX_NODES = 100_000
#: Nesting levels of lists and mappings allowed.
MAX_DEPTH = 64


class LimitError(yaml.composer.ComposerError):
    """A document beyond a limit of :class:`BoundedLoader`, or with a tag it refuses."""


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with the limits of this module checked while composing."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._nodes = 0
        self._sizes: dict[int, int] = {}  # id(node) -> values under it, aliases expanded

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise LimitError(None, None, f"more than {MAX_ALIASES} aliases (*name); expected plain values",
                                 event.start_mark)
            node = super().compose_node(parent, index)
            self._count(self._sizes.get(id(node), 1), event.start_mark)
            return node
        event = self.peek_event()
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise LimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        before = self._nodes
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._count(1, event.start_mark)
        self._sizes[id(node)] = self._nodes - before
        self._check_tag(node)
        return node

    def _count(self, n: int, mark: Any) -> None:
        self._nodes += n
        if self._nodes > MAX_NODES:
            raise LimitError(None, None, f"more than {MAX_NODES} values once aliases are expanded", mark)

    def _check_tag(self, node: Any) -> None:
        tag = node.tag
        if tag in self.yaml_constructors:
            return
        if any(tag.startswith(prefix) for prefix in self.yaml_multi_constructors if prefix):
            return
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        raise LimitError(None, None, f"tag {shown} is not allowed; expected plain YAML values", node.start_mark)


def compose(text: str) -> tuple[BoundedLoader, Any]:
    """The loader (to build values from nodes; dispose of it when done) and the root node of
    ``text`` (``None`` for an empty document). Raises :class:`yaml.YAMLError`."""
    loader = BoundedLoader(text)
    try:
        return loader, loader.get_single_node()
    except BaseException:
        loader.dispose()
        raise


def load(text: str) -> Any:
    """The plain data of YAML ``text`` within the limits. Raises :class:`yaml.YAMLError`
    (syntax, limits, refused tags)."""
    loader, root = compose(text)
    try:
        return None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()


def problem_of(exc: yaml.YAMLError) -> tuple[int, str]:
    """``(line, problem)`` of a YAML error, for one-line messages (line 1 when unknown)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return (mark.line + 1 if mark else 1), str(exc.problem or exc.context)
    return 1, " ".join(str(exc).split())

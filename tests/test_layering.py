"""The parts of auditkit import one way, with no circles (docs/contributing.md), and the checker
that says so catches what it should on small synthetic packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from import_graph import cycles, layering_problems, read_graph

#: The parts in order: a module may import from its own layer and the ones before it.
LAYERS = [
    ["auditkit.errors", "auditkit.version"],
    ["auditkit.times", "auditkit.csvout", "auditkit.safeyaml"],
    ["auditkit.records"],
    ["auditkit.accountability"],
    ["auditkit.connectors"],
    ["auditkit.logs"],
    ["auditkit.ledger"],
    ["auditkit.provenance"],
    # reperform (explain) re-performs a resolved decision (needs provenance); policy and reports use its results
    ["auditkit.reperform"],
    ["auditkit.fairness"],
    ["auditkit.policy"],
    ["auditkit.impact"],
    ["auditkit.reports"],
    ["auditkit.signing"],
    ["auditkit.web"],
    ["auditkit.cli"],
]
EXEMPT = ("auditkit", "auditkit.__main__")  # the public face and `python -m auditkit`
FORBIDDEN = (("auditkit.fairness", "auditkit.connectors"),)
CONFINED = {"click": "auditkit.cli"}


def check(root: Path) -> tuple[list[list[str]], list[str]]:
    graph = read_graph(root)
    return cycles(graph), layering_problems(graph, LAYERS, exempt=EXEMPT, forbidden=FORBIDDEN,
                                            confined=CONFINED)


def test_auditkit_has_no_import_circle_and_imports_one_way():
    circles, problems = check(ROOT / "auditkit")
    assert circles == []
    assert problems == []


def test_every_part_of_the_layout_exists():
    graph = read_graph(ROOT / "auditkit")
    present = {m for m in graph.modules}
    for names in LAYERS:
        for name in names:
            if name not in ("auditkit.signing", "auditkit.web"):  # parts still to come
                assert name in present, name


def write_package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "auditkit"
    for rel, text in files.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return pkg


BASE = {
    "__init__.py": "from .connectors import open_store\n",
    "errors.py": "class AuditkitError(Exception): ...\n",
    "times.py": "from . import errors\n",
    "records.py": "from .times import x\n",
    "connectors/__init__.py": "from .base import open_store\n",
    "connectors/base.py": "from ..records import Run\n",
    "provenance/__init__.py": "from .document import lineage\n",
    "provenance/document.py": "from ..connectors import open_store\n",
    "fairness/__init__.py": "import numpy\n",
    "cli/__init__.py": "import click\nfrom ..provenance import lineage\n",
}


def test_checker_passes_a_clean_synthetic_package(tmp_path):
    assert check(write_package(tmp_path, BASE)) == ([], [])


def test_checker_catches_a_circle(tmp_path):
    files = {**BASE, "provenance/facts.py": "from .document import lineage\n",
             "provenance/document.py": "from ..connectors import open_store\n\n\ndef f():\n"
                                       "    from .facts import x  # hidden in a function\n"}
    circles, _ = check(write_package(tmp_path, files))
    assert circles == [["auditkit.provenance.document", "auditkit.provenance.facts"]]


def test_checker_catches_a_circle_held_by_type_checking(tmp_path):
    files = {**BASE, "provenance/facts.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                            "    from .document import lineage\n",
             "provenance/document.py": "from .facts import x\n"}
    circles, _ = check(write_package(tmp_path, files))
    assert circles == [["auditkit.provenance.document", "auditkit.provenance.facts"]]


@pytest.mark.parametrize(("rel", "text", "problem"), [
    ("connectors/base.py", "from ..provenance import lineage\n",
     "auditkit.connectors.base (line 1) imports auditkit.provenance, a later layer"),
    ("records.py", "def f():\n    from .cli import main\n",
     "auditkit.records (line 2) imports auditkit.cli, a later layer"),
    ("fairness/__init__.py", "from ..connectors import open_store\n",
     "auditkit.fairness (line 1) imports auditkit.connectors: auditkit.fairness never imports auditkit.connectors"),
    ("provenance/document.py", "import click\n",
     "auditkit.provenance.document (line 1) imports click, which only auditkit.cli may import"),
    ("provenance/document.py", "from ..connectors.base import _helper\n",
     "auditkit.provenance.document (line 1) imports the private name(s) _helper of auditkit.connectors.base"),
    ("provenance/document.py", "from .. import open_store\n",
     "auditkit.provenance.document (line 1) imports the package root auditkit; import from the part itself"),
    ("stray.py", "x = 1\n", "auditkit.stray belongs to no layer"),
])
def test_checker_catches_a_wrong_way_import(tmp_path, rel, text, problem):
    _, problems = check(write_package(tmp_path, {**BASE, rel: text}))
    assert problem in problems

"""``diff``: two model versions or runs side by side, differences first.

Compared: params, latest metrics, datasets and digests, code (commit, branch, repository,
source), environment (Python and each package's requirement), signature, tags and approvals.
A field is a difference only when the two sides record different values (``None`` where one side
records nothing); run ids, times and the tracker's own bookkeeping tags are shown, not compared.
"""

from __future__ import annotations

import os
from typing import Any

from ..connectors import Connector
from ..logs import PredictionLog
from .decisions import count_decisions
from .index import ForwardIndex
from .sheet import sheet
from .sides import Subject, resolve_subject

SCHEMA_VERSION = "1"


def _dataset_keys(side: dict[str, Any]) -> list[str]:
    return sorted(f"{d['name']}@{d['digest']}" + (f" ({d['context']})" if d.get("context") else "")
                  for d in side["datasets"])


def _approval_keys(side: dict[str, Any]) -> list[str]:
    return sorted(f"{a['by']} at {a['at']}" for a in side["approvals"] if a["status"] == "approved")


def _mapping(prefix: str, a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"field": f"{prefix}.{k}", "a": a.get(k), "b": b.get(k)}
            for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields whose values differ between two sides (:func:`auditkit.impact.sheet.sheet`), in
    the order of the module docstring."""
    out: list[dict[str, Any]] = []
    out += _mapping("params", a["params"], b["params"])
    out += _mapping("metrics", a["metrics"], b["metrics"])
    da, db = _dataset_keys(a), _dataset_keys(b)
    if da != db:
        out.append({"field": "datasets", "a": da, "b": db})
    code_a = {k: v for k, v in a["code"].items() if k != "evidence"}
    code_b = {k: v for k, v in b["code"].items() if k != "evidence"}
    out += _mapping("code", code_a, code_b)
    ea, eb = a["environment"], b["environment"]
    if ea["python"] != eb["python"]:
        out.append({"field": "environment.python", "a": ea["python"], "b": eb["python"]})
    out += _mapping("environment", ea["packages"], eb["packages"])
    sa, sb = a["signature"] or {}, b["signature"] or {}
    out += _mapping("signature", sa, sb)
    out += _mapping("tags", a["tags"], b["tags"])
    pa, pb = _approval_keys(a), _approval_keys(b)
    if pa != pb:
        out.append({"field": "approvals", "a": pa, "b": pb})
    return out


def _versions_of(index: ForwardIndex, subject: Subject) -> set[tuple[str, str]]:
    """The versions whose decisions are a side's own: the version named, or every version
    registered from the run named."""
    if subject.version is not None:
        return {(subject.version.name, subject.version.version)}
    run_id = subject.run.run_id if subject.run else None
    return {(mv.name, mv.version) for mv in index.versions if run_id and index.run_of(mv)[0] == run_id}


def outcomes(store: Connector, log: PredictionLog, subject: Subject, *, index: ForwardIndex,
             ledger: str | os.PathLike | None = None) -> dict[str, Any]:
    """The decisions a side's versions made: count, count and rate by outcome."""
    versions = _versions_of(index, subject)
    if not versions:
        return {"versions": [], "count": 0, "by_outcome": {}, "rates": {}}
    counts = count_decisions(store, log, affected=versions, names={n for n, _ in versions}, ledger=ledger)
    total = counts.count
    by_outcome = counts.to_dict()["by_outcome"]
    return {"versions": sorted(f"{n}/{v}" for n, v in versions), "count": total, "by_outcome": by_outcome,
            "rates": {k: (v / total if total else None) for k, v in by_outcome.items()},
            "unresolved": counts.unresolved}


def diff(store: Connector, reference_a: str, reference_b: str, *, log: PredictionLog | None = None,
         ledger: str | os.PathLike | None = None) -> dict[str, Any]:
    """Two model versions or runs side by side: ``{"schema_version", "a", "b", "differences",
    "gaps"}`` (CONTRACT.md). References: ``models:/NAME/VERSION``, ``models:/NAME@ALIAS``,
    ``models:/NAME/STAGE``, ``runs:/RUN_ID`` or a run id. With ``log`` each side also carries
    ``decisions``: its own decisions (through ``ledger`` for aliases) counted by outcome, with
    rates, and differing outcome rates are listed as ``decisions.rate.<outcome>``.

    Raises :class:`~auditkit.errors.UsageError` (not a reference) and
    :class:`~auditkit.errors.RecordNotFoundError` (no such model, version, alias or run).
    """
    subject_a, subject_b = resolve_subject(store, reference_a), resolve_subject(store, reference_b)
    a, b = sheet(subject_a), sheet(subject_b)
    found = differences(a, b)
    if log is not None:
        index = ForwardIndex(store)
        a["decisions"] = outcomes(store, log, subject_a, index=index, ledger=ledger)
        b["decisions"] = outcomes(store, log, subject_b, index=index, ledger=ledger)
        found += _mapping("decisions.rate", a["decisions"]["rates"], b["decisions"]["rates"])
    gaps = [f"a: {g}" for g in a["gaps"]] + [f"b: {g}" for g in b["gaps"]]
    return {"schema_version": SCHEMA_VERSION, "a": a, "b": b, "differences": found, "gaps": gaps}

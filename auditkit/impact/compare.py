"""``diff``: two model versions or runs side by side, differences first.

Compared: params, latest metrics, datasets and digests, code (commit, branch, repository,
source), environment (Python and each package's requirement), signature, tags and approvals.
A field is a difference only when the two sides record different values (``None`` where one side
records nothing); run ids, times and the tracker's own bookkeeping tags are shown, not compared.
"""

from __future__ import annotations

from typing import Any

from ..connectors import Connector
from .sheet import sheet
from .sides import resolve_subject

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


def diff(store: Connector, reference_a: str, reference_b: str) -> dict[str, Any]:
    """Two model versions or runs side by side: ``{"schema_version", "a", "b", "differences",
    "gaps"}`` (CONTRACT.md). References: ``models:/NAME/VERSION``, ``models:/NAME@ALIAS``,
    ``models:/NAME/STAGE``, ``runs:/RUN_ID`` or a run id.

    Raises :class:`~auditkit.errors.UsageError` (not a reference) and
    :class:`~auditkit.errors.RecordNotFoundError` (no such model, version, alias or run).
    """
    a = sheet(resolve_subject(store, reference_a))
    b = sheet(resolve_subject(store, reference_b))
    gaps = [f"a: {g}" for g in a["gaps"]] + [f"b: {g}" for g in b["gaps"]]
    return {"schema_version": SCHEMA_VERSION, "a": a, "b": b, "differences": differences(a, b), "gaps": gaps}

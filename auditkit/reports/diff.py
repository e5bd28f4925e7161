"""Build the diff report: two model versions or runs side by side, differences first.

The facts come from :func:`auditkit.impact.diff` (params, metrics, datasets, code, environment
read from the model artifacts with their SHA-256, signature, tags, approvals, and with a log each
side's own decisions).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..connectors import Connector
from ..impact import diff
from ..logs import PredictionLog
from .common import generated_at, make_cover, with_store_warnings
from .context import DiffReport
from .fields import user_fields

#: What each side shows in the report (the evidence keeps the whole side).
SIDE_KEYS = ("reference", "resolved", "model_version", "run", "code", "environment", "datasets", "approvals",
             "decisions")


def _same(a: Mapping[str, Any], b: Mapping[str, Any], differing: set[str]) -> tuple[str, ...]:
    out = []
    for group in ("params", "metrics"):
        out += [f"{group}.{k}" for k in sorted(set(a[group]) & set(b[group])) if f"{group}.{k}" not in differing]
    for name in ("datasets", "code.git_commit", "environment.python", "approvals"):
        if name not in differing:
            out.append(name)
    return tuple(out)


@with_store_warnings
def build_diff_report(store: Connector, reference_a: str, reference_b: str, *, log: PredictionLog | None = None,
                      ledger: str | os.PathLike | None = None, as_of: datetime | str | None = None,
                      fields: Mapping[str, Any] | None = None) -> DiffReport:
    """The diff report of two references (the arguments of :func:`auditkit.impact.diff`).

    Raises what :func:`auditkit.impact.diff` raises, and :class:`~auditkit.errors.UsageError`
    for a malformed ``as_of``.
    """
    when = generated_at(as_of)
    doc = diff(store, reference_a, reference_b, log=log, ledger=ledger)
    differing = {d["field"] for d in doc["differences"]}
    return DiffReport(
        cover=make_cover(store, kind="diff", title="Model comparison report",
                         subject=f"{doc['a']['reference']} against {doc['b']['reference']}", when=when),
        a={k: doc["a"].get(k) for k in (*SIDE_KEYS, "params", "metrics", "signature", "tags")},
        b={k: doc["b"].get(k) for k in (*SIDE_KEYS, "params", "metrics", "signature", "tags")},
        differences=tuple(dict(d) for d in doc["differences"]),
        same=_same(doc["a"], doc["b"], differing),
        user_fields=user_fields("diff", fields),
        gaps=tuple(dict.fromkeys(doc["gaps"])),
    )

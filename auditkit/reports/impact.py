"""Build the impact report: an incident file for a bad commit, dataset, run or model version.

The facts come from :func:`auditkit.impact.impact` (runs, versions, serving windows with their
snapshots, decision counts, rollback targets, gaps); the report shows counts, never the
individual decisions (``auditkit impact -o FILE`` lists them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..connectors import Connector
from ..impact import impact
from ..logs import PredictionLog
from .common import generated_at, make_cover, with_store_warnings
from .context import ImpactReport
from .fields import user_fields


@with_store_warnings
def build_impact_report(store: Connector, *, commit: str | None = None, dataset: str | None = None,
                        run: str | None = None, version: str | None = None, log: PredictionLog | None = None,
                        ledger: str | os.PathLike | None = None, since: datetime | str | None = None,
                        until: datetime | str | None = None, as_of: datetime | str | None = None,
                        fields: Mapping[str, Any] | None = None) -> ImpactReport:
    """The impact report of one target (the arguments of :func:`auditkit.impact.impact`).

    Raises what :func:`auditkit.impact.impact` raises, and
    :class:`~auditkit.errors.UsageError` for a malformed ``as_of``.
    """
    when = generated_at(as_of)
    doc = impact(store, commit=commit, dataset=dataset, run=run, version=version, log=log, ledger=ledger,
                 since=since, until=until)
    return ImpactReport(
        cover=make_cover(store, kind="impact", title="Impact and rollback report",
                         subject=f"Everything downstream of {doc['target_text']}", when=when),
        target={**doc["target"], "text": doc["target_text"]},
        ledger=doc["ledger"],
        window=dict(doc["window"]),
        runs=tuple(dict(r) for r in doc["runs"]),
        versions=tuple({**v, "served": tuple(dict(s) for s in v["served"])} for v in doc["versions"]),
        decisions=dict(doc["decisions"]),
        rollback=tuple(dict(r) for r in doc["rollback"]),
        user_fields=user_fields("impact", fields),
        gaps=tuple(dict.fromkeys(doc["gaps"])),
    )

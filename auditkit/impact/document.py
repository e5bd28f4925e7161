"""``impact``: everything downstream of a commit, a dataset, a run or a model version.

The runs trained from the target and the versions registered from them (:mod:`.index`), when
each served under which alias or stage (:mod:`.serving`, the ledger's snapshots as evidence), the
decisions they made (:mod:`.decisions`) and, for each alias an affected version held, the
rollback target (:mod:`.rollback`). The document has the contract's ``impact`` shape.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Sequence

from .. import errors
from ..accountability import DEFAULT_APPROVAL_KEYS, approvals_of
from ..connectors import Connector
from ..ledger import load_ledger
from ..logs import PredictionLog
from ..records import iso, version_key
from ..times import parse_time
from .decisions import count_decisions
from .index import ForwardIndex
from .messages import IMPACT_BAD_WINDOW
from .rollback import rollback_target
from .serving import serving
from .targets import parse_target

SCHEMA_VERSION = "1"
GAP_NO_VERSIONS = "no model version was registered from the runs of {target}: nothing of it served"
GAP_NO_LOG = "no prediction log given: the decisions the affected versions made are not counted"


def impact(store: Connector, *, commit: str | None = None, dataset: str | None = None, run: str | None = None,
           version: str | None = None, log: PredictionLog | None = None,
           ledger: str | os.PathLike | None = None, since: datetime | str | None = None,
           until: datetime | str | None = None, keep_decisions: bool = False,
           approval_keys: Sequence[tuple[str, str]] = DEFAULT_APPROVAL_KEYS) -> dict[str, Any]:
    """Everything downstream of one target (give exactly one of ``commit``, ``dataset``
    (``NAME`` or ``NAME@DIGEST``), ``run``, ``version`` (``NAME/V``)), in the contract's
    ``impact`` shape. With ``log`` the affected versions' decisions between ``since`` and
    ``until`` are counted (and listed under ``decisions.rows`` with ``keep_decisions``); with
    ``ledger`` serving windows are dated and rollback targets named.

    Raises :class:`~auditkit.errors.UsageError` (no or several targets, a malformed one, a bad
    time), :class:`~auditkit.errors.RecordNotFoundError` (the target matches nothing),
    :class:`~auditkit.errors.LedgerError` / :class:`~auditkit.errors.LedgerTamperedError` and
    what :func:`auditkit.lineage_frame` raises for the log.
    """
    target = parse_target(commit=commit, dataset=dataset, run=run, version=version)
    lo = parse_time(since, what="--since") if since is not None else None
    hi = parse_time(until, what="--until") if until is not None else None
    if lo is not None and hi is not None and lo > hi:
        raise errors.UsageError(IMPACT_BAD_WINDOW.format(since=iso(lo), until=iso(hi)))
    loaded = load_ledger(ledger) if ledger is not None else None
    index = ForwardIndex(store)
    found = index.affected(target)
    gaps: list[str] = []
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "target": target.to_dict(),
                           "target_text": target.describe(), "ledger": loaded.path if loaded else None,
                           "window": {"since": iso(lo), "until": iso(hi)}}
    doc["runs"] = [{"id": r.run_id, "name": r.run_name, "experiment": r.experiment,
                    "git_commit": r.tags.get("mlflow.source.git.commit"), "start_time": iso(r.start_time),
                    "evidence": found.run_evidence.get(r.run_id)} for r in found.runs]
    versions = []
    aliases: dict[tuple[str, str], None] = {}
    for mv in found.versions:
        intervals, version_gaps = serving(mv, loaded)
        gaps.extend(version_gaps)
        for iv in intervals:
            if iv.kind == "alias":
                aliases[(mv.name, iv.label)] = None
        approved = [a for a in approvals_of(mv, approval_keys) if a.status == "approved"]
        versions.append({"name": mv.name, "version": mv.version, "run_id": index.run_of(mv)[0],
                         "deleted": mv.deleted, "stage": mv.stage, "aliases": list(mv.aliases),
                         "created": iso(mv.creation_time),
                         "approved_by": approved[0].by if approved else None,
                         "evidence": found.version_evidence.get((mv.name, mv.version)),
                         "served": [iv.to_dict() for iv in intervals]})
    doc["versions"] = versions
    if not versions:
        gaps.append(GAP_NO_VERSIONS.format(target=target.describe()))
    affected_pairs = {(mv.name, mv.version) for mv in found.versions}
    names = sorted({mv.name for mv in found.versions})
    if log is not None and versions:
        counts = count_decisions(store, log, affected=affected_pairs, names=set(names), ledger=ledger,
                                 since=lo, until=hi, keep_rows=keep_decisions)
        doc["decisions"] = counts.to_dict()
        if keep_decisions:
            doc["decisions"]["rows"] = counts.rows
        gaps.extend(counts.gaps(names, ledger))
    else:
        doc["decisions"] = {"count": None if log is None else 0, "by_outcome": {}, "by_month": {},
                            "by_version": {}, "first": None, "last": None, "examined": None, "unresolved": None}
        if log is None:
            gaps.append(GAP_NO_LOG)
    rollback = []
    by_name: dict[str, dict[str, Any]] = {}
    for name, alias in sorted(aliases):
        if name not in by_name:
            by_name[name] = {v.version: v for v in index.versions if v.name == name}
        entry, entry_gaps = rollback_target(ledger=loaded, name=name, alias=alias,
                                            affected={v for n, v in affected_pairs if n == name},
                                            versions=by_name[name], pairs=approval_keys)
        rollback.append(entry)
        gaps.extend(entry_gaps)
    doc["rollback"] = rollback
    doc["gaps"] = gaps
    return doc


def affected_versions(document: dict[str, Any]) -> list[str]:
    """``NAME/V`` of every affected version of an impact document, in version order."""
    pairs = [(v["name"], v["version"]) for v in document["versions"]]
    return [f"{n}/{v}" for n, v in sorted(pairs, key=lambda p: (p[0], version_key(p[1])))]




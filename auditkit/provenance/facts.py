"""The facts of one resolved model reference, each with the record it comes from.

Run, code, datasets, owner, approvals and timing checks, in the shapes of the lineage JSON
(CONTRACT.md), and the gap sentences (:mod:`.gaps`) for whatever is missing. Who owns and who
approved a version is decided by :mod:`auditkit.accountability`; this module words it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Sequence

from .. import errors
from ..accountability import Owner, approval_time
from ..accountability import approvals_of as version_approvals
from ..accountability import owner_of as version_owner
from ..records import iso
from .gaps import (
    GAP_APPROVED_AFTER,
    GAP_BEFORE_VERSION,
    GAP_NO_APPROVAL,
    GAP_NO_APPROVAL_TIME,
    GAP_NO_APPROVAL_VERSION,
    GAP_NO_CODE,
    GAP_NO_DATASETS,
    GAP_NO_DIGEST,
    GAP_NO_OWNER,
    GAP_NO_RUN_RESOLVED,
    GAP_NO_TRAINING,
    GAP_OWNER_FROM_RUN,
    GAP_OWNER_FROM_RUN_NO_VERSION,
    GAP_OWNER_FROM_TAG,
    GAP_OWNER_TAG_DIFFERS,
)
from .messages import LINEAGE_BAD_APPROVAL_KEYS
from .resolution import Resolution

#: MLflow's run tags for the code behind a run, by lineage field.
CODE_TAGS = {"git_commit": "mlflow.source.git.commit", "git_branch": "mlflow.source.git.branch",
             "repo_url": "mlflow.source.git.repoURL", "source": "mlflow.source.name"}
CODE_WORDS = {"git_commit": "git commit", "git_branch": "git branch", "repo_url": "repository URL",
              "source": "source file"}
#: How lineage words each owner source: ``{record}`` is the record that named the owner.
_OWNER_EVIDENCE = {
    "version_creator": "{record} (creator)",
    "run_user": "{record} (user)",
    "run_user_tag": "{record} tag mlflow.user",
    "version_owner_tag": "{record} tag owner",
    "model_owner_tag": "{record} tag owner",
}


def owner_evidence(owner: Owner) -> str | None:
    """The lineage wording of where an owner came from (``None`` when there is no owner)."""
    return None if owner.source is None else _OWNER_EVIDENCE[owner.source].format(record=owner.record)


def owner_of(res: Resolution) -> tuple[dict[str, Any], list[str]]:
    """``({"user", "evidence"}, gaps)`` for a resolution, by :func:`auditkit.accountability.owner_of`.
    An ``owner`` tag naming someone else is reported as a gap."""
    owner = version_owner(version=res.version, run=res.run, registered=res.registered)
    doc = {"user": owner.user, "evidence": owner_evidence(owner)}
    if owner.source is None:
        return doc, [GAP_NO_OWNER]
    gaps = []
    if owner.source in ("run_user", "run_user_tag"):
        gaps.append(GAP_OWNER_FROM_RUN if res.version is not None else GAP_OWNER_FROM_RUN_NO_VERSION)
    elif owner.source in ("version_owner_tag", "model_owner_tag"):
        gaps.append(GAP_OWNER_FROM_TAG.format(evidence=doc["evidence"]))
    for source, record, name in owner.conflicts:
        gaps.append(GAP_OWNER_TAG_DIFFERS.format(evidence=_OWNER_EVIDENCE[source].format(record=record),
                                                 tagged=name, user=owner.user))
    return doc, gaps


def approvals_of(res: Resolution, pairs: Sequence[tuple[str, str]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Approvals from the version's tags, and gaps (none recorded, or no time recorded)."""
    mv = res.version
    if mv is None:
        return [], [GAP_NO_APPROVAL_VERSION]
    ref = f"{mv.name}/{mv.version}"
    out, gaps = [], []
    for approval in version_approvals(mv, pairs):
        if not approval.by:
            continue
        keys = approval.by_tag + (f", {approval.at_tag}" if approval.at else "")
        out.append({"by": approval.by, "at": approval.at, "evidence": f"model version {ref} tags {keys}"})
        if not approval.at:
            gaps.append(GAP_NO_APPROVAL_TIME.format(ref=ref, by_key=approval.by_tag, at_key=approval.at_tag))
    if not out:
        gaps.append(GAP_NO_APPROVAL.format(ref=ref, keys=" or ".join(b for b, _ in pairs)))
    return out, gaps


def approval_pairs(approval_keys: Any) -> tuple[tuple[str, str], ...]:
    """``("by", "at")`` or a list of such pairs, checked. Raises :class:`~auditkit.errors.UsageError`."""
    keys = approval_keys
    if isinstance(keys, (tuple, list)) and len(keys) == 2 and all(isinstance(k, str) for k in keys):
        return ((keys[0], keys[1]),)
    try:
        pairs = tuple((str(a), str(b)) for a, b in keys)
    except (TypeError, ValueError):
        raise errors.UsageError(LINEAGE_BAD_APPROVAL_KEYS.format(value=approval_keys)) from None
    if not pairs or not all(isinstance(a, str) and isinstance(b, str) for a, b in keys):
        raise errors.UsageError(LINEAGE_BAD_APPROVAL_KEYS.format(value=approval_keys))
    return pairs


def run_facts(res: Resolution) -> tuple[dict[str, Any] | None, dict[str, Any], list[dict[str, Any]], list[str]]:
    """``(run, code, datasets, gaps)`` in the contract's shapes, each with its evidence."""
    run = res.run
    if run is None:
        code = {k: None for k in CODE_TAGS}
        code["evidence"] = None
        return None, code, [], [GAP_NO_RUN_RESOLVED]
    gaps: list[str] = []
    doc = {
        "id": run.run_id, "name": run.run_name, "experiment": run.experiment, "user": run.user,
        "status": run.status, "start_time": iso(run.start_time), "end_time": iso(run.end_time),
        "params": dict(run.params), "metrics": {k: _finite(v) for k, v in run.metrics.items()},
        "tags": dict(run.tags), "lifecycle_stage": run.lifecycle_stage, "evidence": res.run_evidence,
    }
    code: dict[str, Any] = {k: run.tags.get(tag) or None for k, tag in CODE_TAGS.items()}
    code["evidence"] = f"run {run.run_id} tags mlflow.source.*"
    for key, tag in CODE_TAGS.items():
        if code[key] is None:
            gaps.append(GAP_NO_CODE.format(run_id=run.run_id, what=CODE_WORDS[key], tag=tag))
    datasets = [{"name": d.name, "digest": d.digest, "source_type": d.source_type, "source": d.source,
                 "context": d.context, "rows": d.rows, "evidence": f"run {run.run_id} inputs (log_input)"}
                for d in run.datasets]
    if not datasets:
        gaps.append(GAP_NO_DATASETS.format(run_id=run.run_id))
    else:
        if not any(d["context"] == "training" for d in datasets):
            gaps.append(GAP_NO_TRAINING.format(run_id=run.run_id))
        gaps.extend(GAP_NO_DIGEST.format(name=d["name"], run_id=run.run_id) for d in datasets if not d["digest"])
    return doc, code, datasets, gaps


def version_doc(res: Resolution) -> dict[str, Any] | None:
    mv = res.version
    if mv is None:
        return None
    return {"name": mv.name, "version": mv.version, "stage": mv.stage, "aliases": list(mv.aliases),
            "created": iso(mv.creation_time), "creator": mv.creator, "source": mv.source,
            "tags": dict(mv.tags), "run_id": mv.run_id, "model_id": mv.model_id, "deleted": mv.deleted,
            "description": mv.description, "evidence": res.version_evidence}


def timing_gaps(res: Resolution, approvals: list[dict[str, Any]], at: datetime | None) -> list[str]:
    """Decision (at aware UTC time ``at``) before the version existed, or before every recorded
    approval."""
    mv = res.version
    if mv is None or at is None:
        return []
    when = at
    ref = f"{mv.name}/{mv.version}"
    gaps = []
    if mv.creation_time is not None and when < mv.creation_time:
        gaps.append(GAP_BEFORE_VERSION.format(at=iso(when), ref=ref, created=iso(mv.creation_time)))
    first = first_approval(approvals)
    if first is not None and when < first[0]:
        gaps.append(GAP_APPROVED_AFTER.format(ref=ref, approved=first[1]))
    return gaps


def first_approval(approvals: list[dict[str, Any]]) -> tuple[datetime, str] | None:
    """``(UTC time, tag text)`` of the earliest approval, or ``None`` when there is none or
    any approval's time is missing or unreadable (then no approval can be said to come later)."""
    times = [approval_time(a["at"]) for a in approvals]
    if not times or any(t is None for t in times):
        return None
    first = min(times)
    return first, next(a["at"] for a, t in zip(approvals, times) if t == first)


def _finite(value: float) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value

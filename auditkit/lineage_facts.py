"""The facts of one resolved model reference, and the gap sentences of lineage.

Split from :mod:`auditkit.lineage` (which re-exports these names): owner, approvals, run, code,
datasets and timing checks, each with the record it comes from; and every ``GAP_*`` sentence
(tests compare them word for word).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

from .records import iso

if TYPE_CHECKING:
    from .lineage import Resolution

#: MLflow's run tags for the code behind a run, by lineage field.
CODE_TAGS = {"git_commit": "mlflow.source.git.commit", "git_branch": "mlflow.source.git.branch",
             "repo_url": "mlflow.source.git.repoURL", "source": "mlflow.source.name"}
CODE_WORDS = {"git_commit": "git commit", "git_branch": "git branch", "repo_url": "repository URL",
              "source": "source file"}
# Gap sentences (tests compare them word for word).
GAP_NO_MODEL = "the prediction log names no model for this decision ({columns} empty)"
GAP_ALIAS_TODAY = ("model alias {name}@{alias} was resolved at today's state (version {version}) because no "
                   "ledger was given; it may have pointed to another version when the decision was made")
GAP_ALIAS_GONE = ("model {name} has no alias {alias} today and no ledger was given; the version behind "
                  "{ref} when the decision was made is not known")
GAP_STAGE_TODAY = ("model stage reference {ref} was resolved at today's state (version {version}); the "
                   "registry keeps no stage history, so the version used when the decision was made is not proven")
GAP_STAGE_VERSION_GONE = ("the ledger says {ref} resolved to version {version}, which the store no longer "
                          "holds; its run and data cannot be traced")
GAP_ALIAS_VERSION_GONE = ("the ledger says alias {alias} of {name} pointed to version {version}, which the store "
                          "no longer holds")
GAP_STAGE_NONE = "model {name} has no version in stage {stage} today; the version behind {ref} is not known"
GAP_RUN_REF = ("the decision names run {run_id} directly ({ref}), not a registered model version; "
               "versions registered from that run: {versions}")
GAP_LOGGED_UNREGISTERED = ("logged model {model_id} is registered as no model version; no version tags "
                           "or approvals apply")
GAP_LOGGED_MANY = ("logged model {model_id} is registered as several versions ({versions}); which one's "
                   "tags and approvals apply is not known")
GAP_VERSION_DELETED = ("model version {ref} is deleted in the registry; MLflow redacted its source and run, "
                       "so the run behind it cannot be read from the store")
GAP_NO_RUN = "model version {ref} names no source run"
GAP_RUN_MISSING = "run {run_id} named by {by} is not in the store"
GAP_RUN_CONFLICT = "model version {ref} names run {run_id} but its logged model {model_id} names run {other}"
GAP_NO_DATASETS = "run {run_id} logs no input datasets; the data it trained on cannot be identified"
GAP_NO_TRAINING = "run {run_id} logs no dataset with context 'training'"
GAP_NO_DIGEST = "dataset {name} of run {run_id} has no digest"
GAP_NO_CODE = "run {run_id} records no {what} ({tag})"
GAP_OWNER_FROM_RUN = "the model version records no creator; owner taken from run user"
GAP_OWNER_FROM_RUN_NO_VERSION = "no registered model version is known; owner taken from run user"
GAP_OWNER_FROM_TAG = "the model version records no creator and the run no user; owner taken from {evidence}"
GAP_OWNER_TAG_DIFFERS = "{evidence} names {tagged} as owner, not {user}; which of them owns the model is not recorded"
GAP_NO_OWNER = ("no owner on record: the model version records no creator, the run no user, and neither "
                "the version nor the registered model has an owner tag")
GAP_NO_APPROVAL = "model version {ref} has no approval tag ({keys})"
GAP_NO_APPROVAL_VERSION = "no registered model version is known for this decision, so no approval can be shown"
GAP_NO_APPROVAL_TIME = "model version {ref} records who approved it ({by_key}) but not when ({at_key})"
GAP_APPROVED_AFTER = "the decision precedes the approval of model version {ref} recorded at {approved}"
GAP_BEFORE_VERSION = ("the decision precedes the creation of model version {ref} ({created}); "
                      "the log's model reference cannot be right")
GAP_NO_RUN_RESOLVED = "no training run is known for this decision; data, code and run owner cannot be shown"
GAP_CANNOT_CARRY = "the {backend} store cannot carry {fact}; it is not on record for this decision"
GAP_NO_REASONS = ("the prediction log has no reason columns (reason_1 … or reasons); the principal reasons "
                  "for this decision are not on record")

# -- facts from a resolution (shared with lineage_batch) -----------------------------------------
def cannot_carry_gaps(store: Any) -> list[str]:
    """One gap per fact the store's backend cannot carry (its connector's ``cannot_carry``)."""
    facts = getattr(store, "cannot_carry", ())
    return [GAP_CANNOT_CARRY.format(backend=store.backend, fact=fact) for fact in facts]


def owner_of(res: "Resolution") -> tuple[dict[str, Any], list[str]]:
    """``({"user", "evidence"}, gaps)``: creator, else run user / ``mlflow.user``, else an owner tag.
    An ``owner`` tag naming someone else is reported as a gap."""
    owner, gaps = _owner(res)
    mv = res.version
    if owner["user"] is not None and mv is not None:
        tagged = [(f"model version {mv.name}/{mv.version} tag owner", mv.tags.get("owner")),
                  (f"registered model {mv.name} tag owner", res.registered_owner_tag)]
        for evidence, value in tagged:
            if value and value != owner["user"] and evidence != owner["evidence"]:
                gaps.append(GAP_OWNER_TAG_DIFFERS.format(evidence=evidence, tagged=value, user=owner["user"]))
                break
    return owner, gaps


def _owner(res: "Resolution") -> tuple[dict[str, Any], list[str]]:
    mv, run = res.version, res.run
    ref = f"{mv.name}/{mv.version}" if mv else None
    if mv is not None and mv.creator:
        return {"user": mv.creator, "evidence": f"model version {ref} (creator)"}, []
    gap_run = GAP_OWNER_FROM_RUN if mv is not None else GAP_OWNER_FROM_RUN_NO_VERSION
    if run is not None and run.user and run.user != "unknown":
        return {"user": run.user, "evidence": f"run {run.run_id} (user)"}, [gap_run]
    if run is not None and run.tags.get("mlflow.user") not in (None, "", "unknown"):
        return {"user": run.tags["mlflow.user"], "evidence": f"run {run.run_id} tag mlflow.user"}, [gap_run]
    if mv is not None and mv.tags.get("owner"):
        evidence = f"model version {ref} tag owner"
        return {"user": mv.tags["owner"], "evidence": evidence}, [GAP_OWNER_FROM_TAG.format(evidence=evidence)]
    if mv is not None and res.registered_owner_tag:
        evidence = f"registered model {mv.name} tag owner"
        return {"user": res.registered_owner_tag, "evidence": evidence}, [GAP_OWNER_FROM_TAG.format(evidence=evidence)]
    return {"user": None, "evidence": None}, [GAP_NO_OWNER]


def approvals_of(res: "Resolution", pairs: Sequence[tuple[str, str]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Approvals from the version's tags, and gaps (none recorded, or no time recorded)."""
    mv = res.version
    if mv is None:
        return [], [GAP_NO_APPROVAL_VERSION]
    ref = f"{mv.name}/{mv.version}"
    out, gaps = [], []
    for by_key, at_key in pairs:
        by = mv.tags.get(by_key)
        if not by:
            continue
        at = mv.tags.get(at_key)
        keys = by_key + (f", {at_key}" if at else "")
        out.append({"by": by, "at": at, "evidence": f"model version {ref} tags {keys}"})
        if not at:
            gaps.append(GAP_NO_APPROVAL_TIME.format(ref=ref, by_key=by_key, at_key=at_key))
    if not out:
        gaps.append(GAP_NO_APPROVAL.format(ref=ref, keys=" or ".join(b for b, _ in pairs)))
    return out, gaps


def run_facts(res: "Resolution") -> tuple[dict[str, Any] | None, dict[str, Any], list[dict[str, Any]], list[str]]:
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


def version_doc(res: "Resolution") -> dict[str, Any] | None:
    mv = res.version
    if mv is None:
        return None
    return {"name": mv.name, "version": mv.version, "stage": mv.stage, "aliases": list(mv.aliases),
            "created": iso(mv.creation_time), "creator": mv.creator, "source": mv.source,
            "tags": dict(mv.tags), "run_id": mv.run_id, "model_id": mv.model_id, "deleted": mv.deleted,
            "description": mv.description, "evidence": res.version_evidence}


def approval_time(text: Any):
    """An ``approved_at`` tag as a UTC timestamp (date-only text = the start of that day), or None."""
    import pandas as pd

    if not text:
        return None
    try:
        ts = pd.Timestamp(str(text))
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT:
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def timing_gaps(res: "Resolution", approvals: list[dict[str, Any]], at: Any) -> list[str]:
    """Decision before the version existed, or before every recorded approval."""
    mv = res.version
    if mv is None or at is None:
        return []
    import pandas as pd

    when = pd.Timestamp(at)
    ref = f"{mv.name}/{mv.version}"
    gaps = []
    if mv.creation_time is not None and when < pd.Timestamp(mv.creation_time):
        gaps.append(GAP_BEFORE_VERSION.format(ref=ref, created=iso(mv.creation_time)))
    first = first_approval(approvals)
    if first is not None and when < first[0]:
        gaps.append(GAP_APPROVED_AFTER.format(ref=ref, approved=first[1]))
    return gaps


def first_approval(approvals: list[dict[str, Any]]) -> tuple[Any, str] | None:
    """``(UTC timestamp, tag text)`` of the earliest approval, or ``None`` when there is none or
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

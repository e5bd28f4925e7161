"""Build the model audit report: one registered version, as AI Act Annex IV and SR 11-7 ask.

From the records alone it shows identity, owner, approval evidence, the training run (params,
metrics, code, environment tags), datasets and the other versions; a ledger history and a
fairness summary are added when given (``history=``, ``fairness=``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .. import errors
from ..connectors import Connector, unknown_model
from ..provenance import load_accepted
from ..records import iso
from .common import (
    approval_of,
    generated_at,
    make_cover,
    owner_of,
    run_info,
    sort_versions,
    version_info,
    version_run_ids,
    with_store_warnings,
)
from .context import FairnessSummary, HistoryEvent, ModelReport
from .fields import user_fields
from .messages import REPORT_UNKNOWN_ALIAS, REPORT_VERSION_OR_ALIAS
from .reproducibility import build_reproducibility

HISTORY_FROM_RECORDS = ("the store's records only (no ledger given): they keep the current stage and aliases "
                        "and each version's creation and last update, not past stage or alias moves")


def resolve_version(store: Connector, name: str, *, version: str | int | None = None,
                    alias: str | None = None) -> str:
    """The version number ``version`` or ``alias`` names.

    Raises :class:`~auditkit.errors.UsageError` unless exactly one is given, and
    :class:`~auditkit.errors.RecordNotFoundError` for an unknown model or alias.
    """
    if (version is None) == (alias is None):
        raise errors.UsageError(REPORT_VERSION_OR_ALIAS.format(name=name))
    if version is not None:
        return str(version)
    models = {m.name: m for m in store.registered_models()}
    if name not in models:
        raise unknown_model(name, sorted(models))
    aliases = models[name].aliases
    if alias not in aliases:
        raise errors.RecordNotFoundError(REPORT_UNKNOWN_ALIAS.format(
            name=name, alias=alias, choices=errors.choices(sorted(aliases))), kind="alias", name=f"{name}@{alias}")
    return str(aliases[alias])


@with_store_warnings
def build_model_report(
    store: Connector,
    name: str,
    *,
    version: str | int | None = None,
    alias: str | None = None,
    as_of: datetime | str | None = None,
    fields: Mapping[str, Any] | None = None,
    history: Iterable[HistoryEvent] | None = None,
    history_source: str | None = None,
    fairness: FairnessSummary | None = None,
    extra_gaps: Iterable[str] = (),
    logic: Mapping[str, Any] | None = None,
    accept: Any = None,
) -> ModelReport:
    """The audit report of one registered model version.

    ``history`` holds stage/alias moves from a ledger (with ``history_source`` naming it);
    without it the history comes from the records. ``fairness`` is a summary built by
    :func:`auditkit.reports.fairness_view.assess_version` when a prediction log was assessed;
    ``extra_gaps`` are added to the gaps (:func:`auditkit.reports.extras.model_extras` gives all four).
    ``logic`` is the version's decisions re-performed
    (:func:`auditkit.reperform.version_summary`: replay rate, global importance).
    ``accept`` (an accept file) lists known gaps apart, with who accepted them, when and why.
    Raises :class:`~auditkit.errors.UsageError` (version/alias, ``as_of``) and
    :class:`~auditkit.errors.RecordNotFoundError` (model, version, alias).
    """
    when = generated_at(as_of)
    number = resolve_version(store, name, version=version, alias=alias)
    mv = store.get_model_version(name, number)
    rm = next((m for m in store.registered_models() if m.name == name), None)
    all_versions = sort_versions(store.model_versions(name))
    run_ids = version_run_ids(store, all_versions)
    run_id = run_ids.get((mv.name, mv.version))
    run = None
    run_missing = False
    if run_id:
        try:
            run = store.get_run(run_id)
        except errors.RecordNotFoundError:
            run_missing = True

    owner = owner_of(rm, mv, run)
    approval = approval_of(mv)
    registered_as = [f"{mv.name} v{mv.version}"]
    info = version_info(mv, run_id=run_id)
    others = tuple(version_info(v, run_id=run_ids.get((v.name, v.version)))
                   for v in all_versions if v.version != mv.version)

    if history is not None:
        events = tuple(history) + tuple(e for e in _record_history(mv, approval) if e.what.startswith("approved"))
        events = tuple(sorted(events, key=lambda e: (e.at or "", e.what)))
        source = (history_source or "ledger").rstrip(".") + "; approvals from the version's tags."
    else:
        events = _record_history(mv, approval)
        source = HISTORY_FROM_RECORDS

    gaps = _model_gaps(rm, mv, owner, approval, run_id, run, run_missing, history is not None, fairness)
    gaps = tuple(dict.fromkeys((*gaps, *extra_gaps)))
    accepted = load_accepted(accept)
    taken: list = []
    if accepted is not None:
        kept, taken = accepted.split(gaps, model=mv.name, version=mv.version)
        gaps = tuple(kept)
    subject = f"{mv.name} version {mv.version}" + (f" (alias {alias})" if alias else "")
    try:
        reproducibility = build_reproducibility(store, mv, run, rm)
    except errors.AuditkitError as exc:  # the rest of the report stands; the section's absence is a gap
        reproducibility = None
        gaps = (*gaps, f"the reproducibility section could not be built: {exc}")
    return ModelReport(
        cover=make_cover(store, kind="model", title="Model audit report", subject=subject, when=when),
        model=info,
        registered_description=rm.description if rm else None,
        owner=owner,
        approval=approval,
        other_versions=others,
        run=run_info(run, registered_as=registered_as) if run else None,
        history=events,
        history_source=source,
        fairness=fairness,
        user_fields=user_fields("model", fields),
        gaps=gaps,
        logic=None if logic is None else dict(logic),
        reproducibility=reproducibility,
        accepted_gaps=tuple(taken),
    )


def _record_history(mv: Any, approval: Any) -> tuple[HistoryEvent, ...]:
    where = f"model version {mv.name} v{mv.version}"
    events = []
    if mv.creation_time:
        events.append(HistoryEvent(at=iso(mv.creation_time), what=f"version {mv.version} registered",
                                   source=f"creation time of {where}"))
    if approval.at:
        events.append(HistoryEvent(at=approval.at, what=f"approved by {approval.by or '(not recorded)'}",
                                   source=f"tag approved_at of {where}"))
    if mv.last_updated_time and mv.last_updated_time != mv.creation_time:
        now = ", ".join(x for x in [f"stage {mv.stage}" if mv.stage else "",
                                    ("aliases " + ", ".join(mv.aliases)) if mv.aliases else ""] if x)
        events.append(HistoryEvent(at=iso(mv.last_updated_time),
                                   what="last update" + (f" (now {now})" if now else ""),
                                   source=f"last update time of {where}"))
    return tuple(sorted(events, key=lambda e: (e.at or "", e.what)))


def _model_gaps(rm: Any, mv: Any, owner: Any, approval: Any, run_id: str | None, run: Any,
                run_missing: bool, have_history: bool, fairness: Any) -> tuple[str, ...]:
    gaps: list[str] = []
    where = f"{mv.name} v{mv.version}"
    if mv.deleted:
        gaps.append(f"Model version {where} is deleted; the store keeps only what it did not redact.")
    if owner.user is None:
        gaps.append("No record names an owner (no version creator, no run user, no 'owner' tag).")
    elif "training run" in owner.evidence:
        gaps.append(f"The owner is inferred from the training run's user ({owner.user}); no record declares "
                    f"an owner (version creator or 'owner' tag).")
    if approval.status != "approved":
        gaps.append(f"Approval evidence is {approval.status}: {approval.evidence}.")
    if not (mv.description or (rm.description if rm else None)):
        gaps.append("Neither the registered model nor the version has a description of its purpose.")
    if not run_id:
        gaps.append("The version is not linked to a training run, so parameters, metrics, code and data are unknown.")
    elif run_missing:
        gaps.append(f"The version names training run {run_id}, which is not in the store.")
    if run is not None:
        if not run.tags.get("mlflow.source.git.commit"):
            gaps.append(f"Training run {run.run_id} records no code commit (tag mlflow.source.git.commit).")
        if not run.datasets:
            gaps.append(f"Training run {run.run_id} records no input datasets (mlflow.log_input).")
        for d in run.datasets:
            if not d.digest:
                gaps.append(f"Dataset {d.name!r} of run {run.run_id} has no digest.")
            if d.rows is None:
                gaps.append(f"Dataset {d.name!r} of run {run.run_id} records no row count.")
        if not run.metrics:
            gaps.append(f"Training run {run.run_id} logged no metrics.")
        if not run.params:
            gaps.append(f"Training run {run.run_id} logged no parameters.")
    if not have_history:
        gaps.append("No ledger was given (--ledger FILE): past stage and alias moves, and who made them, are unknown.")
    if fairness is None:
        gaps.append("No fairness assessment was given (--predictions P --sensitive COL): accuracy per group and "
                    "potentially discriminatory impacts are not shown.")
    gaps.append("Library versions and the serving environment live in the model's artifacts, "
                "which auditkit does not read; see the user-supplied fields.")
    return tuple(gaps)

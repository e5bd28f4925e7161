"""Build report contexts from a store: the experiment and inventory reports.

The model and decision reports are built in :mod:`auditkit.reports.model` and
:mod:`auditkit.reports.decision`. Builders only read; they never write into a store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..connectors import Connector, unknown_experiment
from ..records import Run, iso
from . import charts as _charts
from .charts import chart_failed
from .common import (
    approval_of,
    generated_at,
    latest,
    listing,
    make_cover,
    owner_of,
    run_info,
    sort_versions,
    version_info,
    version_run_ids,
    with_store_warnings,
)
from .context import (
    BestRun,
    ExperimentInfo,
    ExperimentReport,
    InventoryModel,
    InventoryReport,
    InventorySummary,
    RegisteredFromRun,
)
from .fields import model_field_values, user_fields
from .policy_view import policy_findings as findings_of_policy

#: Metric names containing one of these words are "lower is better"; all others "higher".
LOWER_IS_BETTER_WORDS = ("loss", "error", "mse", "rmse", "mae", "mape", "brier", "deviance",
                         "perplexity", "fpr", "fnr", "false", "time", "latency", "cost")
#: At most this many metric charts in one experiment report (the rest are in the tables).
MAX_CHARTS = 12
#: At most this many runs (bars) in one metric chart: the best ones (drawing thousands of labelled
#: bars took minutes and cannot be read; the runs table shows every run).
MAX_BARS = 40
CHART_BEST_ONLY = "The chart of {metric} shows the {shown} best of {total} runs; the tables show all."


def lower_is_better(metric: str, explicit: Iterable[str] | None = None) -> bool:
    """Whether a lower value of ``metric`` is better: listed in ``explicit``, or by name."""
    if explicit is not None and metric in set(explicit):
        return True
    name = metric.lower()
    return any(word in name for word in LOWER_IS_BETTER_WORDS)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _run_label(run: Run) -> str:
    return f"{run.run_name or '(unnamed)'} · {run.run_id[:8]}"


@with_store_warnings
def build_experiment_report(
    store: Connector,
    experiment: str,
    *,
    as_of: datetime | str | None = None,
    fields: Mapping[str, Any] | None = None,
    minimize: Iterable[str] | None = None,
    charts: bool = True,
) -> ExperimentReport:
    """Compare the runs of one experiment: params, metrics, who, when, commit; best run per
    metric; which runs became registered versions.

    ``minimize`` names metrics where lower is better beyond the name rule
    (:data:`LOWER_IS_BETTER_WORDS`). Raises :class:`~auditkit.errors.RecordNotFoundError` for an
    unknown experiment and :class:`~auditkit.errors.UsageError` for a malformed ``as_of``.
    """
    when = generated_at(as_of)
    minimize = tuple(minimize or ())
    runs = store.runs(experiment)
    experiments = store.experiments()
    exp = next((e for e in experiments if e.name == experiment), None)
    if exp is None:  # the connector found runs by this name, so this should not happen
        raise unknown_experiment(experiment, [e.name for e in experiments])
    runs = sorted(runs, key=lambda r: (iso(r.start_time) or "", r.run_id))
    run_ids = {r.run_id for r in runs}
    by_id = {r.run_id: r for r in runs}

    versions = store.model_versions()
    run_of_version = version_run_ids(store, versions)
    registered: list[RegisteredFromRun] = []
    registered_as: dict[str, list[str]] = {}
    for mv in sort_versions(versions):
        rid = run_of_version.get((mv.name, mv.version))
        if rid not in run_ids:
            continue
        registered.append(RegisteredFromRun(
            name=mv.name, version=mv.version, run_id=rid, run_name=by_id[rid].run_name,
            stage=mv.stage, aliases=tuple(mv.aliases), created=iso(mv.creation_time),
            creator=mv.creator, approval=approval_of(mv)))
        registered_as.setdefault(rid, []).append(f"{mv.name} v{mv.version}" + (" (deleted)" if mv.deleted else ""))

    infos = tuple(run_info(r, registered_as=registered_as.get(r.run_id, ())) for r in runs)
    live = [r for r in runs if not r.deleted]
    param_keys = tuple(sorted({k for r in runs for k in r.params}))
    metric_keys = tuple(sorted({k for r in runs for k in r.metrics}))

    best: list[BestRun] = []
    chart_list = []
    failed: list[str] = []
    for metric in metric_keys:
        scored = [r for r in live if _finite(r.metrics.get(metric))]
        if not scored:
            continue
        low = lower_is_better(metric, minimize)
        pick = (min if low else max)(scored, key=lambda r: r.metrics[metric])
        # ties: the earliest run wins (runs are in start order and min/max keep the first)
        best.append(BestRun(metric=metric, direction="lower" if low else "higher", run_id=pick.run_id,
                            run_name=pick.run_name, value=pick.metrics[metric], runs_compared=len(scored)))
        if charts and len(chart_list) < MAX_CHARTS:
            chart_runs = [r for r in live if metric in r.metrics]
            if len(chart_runs) > MAX_BARS:  # the best MAX_BARS, in run order; the tables show all
                ranked = sorted(scored, key=lambda r: r.metrics[metric], reverse=not low)[:MAX_BARS]
                keep = {r.run_id for r in ranked}
                failed.append(CHART_BEST_ONLY.format(metric=metric, shown=MAX_BARS, total=len(chart_runs)))
                chart_runs = [r for r in chart_runs if r.run_id in keep]
            try:
                chart_list.append(_charts.bar_chart(
                    key=f"metric:{metric}",
                    title=f"{metric} ({'lower' if low else 'higher'} is better)",
                    labels=[_run_label(r) for r in chart_runs],
                    values=[r.metrics[metric] for r in chart_runs],
                    highlight=[r.run_id for r in chart_runs].index(pick.run_id),
                    xlabel=metric,
                ))
            except Exception as exc:  # noqa: BLE001 - a chart never stops the report; the tables carry the facts
                failed.append(chart_failed(f"of metric {metric!r}", exc))

    gaps = _experiment_gaps(runs, live, metric_keys, registered, len(chart_list)) + tuple(failed)
    rule = ("Lower is better for metrics whose name contains " + ", ".join(LOWER_IS_BETTER_WORDS)
            + (" and for " + ", ".join(minimize) if minimize else "")
            + "; higher is better for all others. Deleted runs and missing or non-finite values are not compared.")
    return ExperimentReport(
        cover=make_cover(store, kind="experiment", title="Experiment comparison", subject=experiment, when=when),
        experiment=ExperimentInfo(
            experiment_id=exp.experiment_id, name=exp.name, created=iso(exp.creation_time),
            last_updated=iso(exp.last_update_time), deleted=exp.deleted, tags=dict(exp.tags)),
        runs=infos,
        param_keys=param_keys,
        metric_keys=metric_keys,
        best=tuple(best),
        direction_rule=rule,
        registered=tuple(registered),
        user_fields=user_fields("experiment", fields),
        gaps=gaps,
        charts=tuple(chart_list),
    )


def _experiment_gaps(runs: list[Run], live: list[Run], metric_keys: tuple[str, ...],
                     registered: list[RegisteredFromRun], n_charts: int) -> tuple[str, ...]:
    gaps: list[str] = []
    if not runs:
        gaps.append("The experiment holds no runs, so there is nothing to compare.")
        return tuple(gaps)
    checks = (
        (lambda r: not r.tags.get("mlflow.source.git.commit"), "record no code commit (tag mlflow.source.git.commit)"),
        (lambda r: not (r.user or r.tags.get("mlflow.user")), "record no user"),
        (lambda r: not r.datasets, "record no input dataset"),
        (lambda r: not r.metrics, "record no metrics"),
        (lambda r: r.status not in ("FINISHED", None), "did not finish (status other than FINISHED)"),
        (lambda r: r.end_time is None, "record no end time"),
    )
    for test, what in checks:
        hits = [r for r in live if test(r)]
        if hits:
            gaps.append(f"{len(hits)} of {len(live)} runs {what}: "
                        f"{listing([r.run_id for r in hits])}.")
    deleted = [r for r in runs if r.deleted]
    if deleted:
        gaps.append(f"{len(deleted)} runs are deleted (kept by the store, shown, not compared): "
                    f"{listing([r.run_id for r in deleted])}.")
    if not registered:
        gaps.append("No run of this experiment became a registered model version.")
    if not metric_keys:
        gaps.append("No metrics were logged, so no best run can be named.")
    if len(metric_keys) > n_charts and n_charts:
        gaps.append(f"Charts show {n_charts} of {len(metric_keys)} metrics; the tables show all.")
    gaps.append("Metric history (per-step values) is not shown: only the latest value of each metric.")
    return tuple(gaps)


@with_store_warnings
def build_inventory_report(
    store: Connector,
    *,
    as_of: datetime | str | None = None,
    fields: Mapping[str, Any] | None = None,
    policy: str | None = None,
    check_policy: bool = False,
) -> InventoryReport:
    """Every registered model and version: stage and aliases, owner, approval status, last
    activity; and the policy findings when ``policy`` (a policy file) is given or
    ``check_policy`` asks for auditkit's default policy. The policy is checked as of the
    report's generation time.

    Raises :class:`~auditkit.errors.UsageError` for a malformed ``as_of`` and what
    :func:`auditkit.policy.evaluate_policy` raises for a bad policy.
    """
    when = generated_at(as_of)
    policy_findings = None
    policy_source = None
    serving: list[str] = []
    if policy is not None or check_policy:
        policy_findings, policy_source, serving = findings_of_policy(store, policy, as_of=when)
    models = sorted(store.registered_models(), key=lambda m: m.name)
    all_versions = store.model_versions()
    run_of_version = version_run_ids(store, all_versions)
    runs_needed = set(run_of_version.values())
    runs = {r.run_id: r for r in store.runs() if r.run_id in runs_needed} if runs_needed else {}

    out: list[InventoryModel] = []
    for rm in models:
        versions = sort_versions(v for v in all_versions if v.name == rm.name)
        infos = tuple(version_info(v, run_id=run_of_version.get((v.name, v.version))) for v in versions)
        live = [v for v in versions if not v.deleted]
        newest = live[-1] if live else None
        newest_run = runs.get(run_of_version.get((newest.name, newest.version), "")) if newest else None
        owner = owner_of(rm, newest, newest_run, whole_model=True)
        last = latest([iso(rm.last_updated_time), iso(rm.creation_time)]
                      + [i.last_updated for i in infos] + [i.created for i in infos])
        gaps: list[str] = []
        if owner.user is None:
            gaps.append("No record names an owner (no version creator, no run user, no 'owner' tag).")
        unapproved = [i.version for i in infos if not i.deleted and i.approval.status != "approved"]
        if unapproved:
            gaps.append(f"Versions without complete approval evidence: {listing(['v' + v for v in unapproved], 10)}.")
        no_run = [i.version for i in infos if not i.deleted and not i.run_id]
        if no_run:
            gaps.append(f"Versions not linked to a training run: {listing(['v' + v for v in no_run], 10)}.")
        if not (rm.description or "").strip():
            gaps.append("The registered model has no description.")
        out.append(InventoryModel(
            name=rm.name, description=rm.description, created=iso(rm.creation_time), last_activity=last,
            owner=owner, aliases=dict(rm.aliases), tags=dict(rm.tags), versions=infos,
            latest_version=newest.version if newest else None,
            approved_versions=sum(1 for i in infos if not i.deleted and i.approval.status == "approved"),
            user_fields=user_fields("inventory_model", model_field_values(fields, rm.name)),
            gaps=tuple(gaps)))

    live_infos = [i for m in out for i in m.versions if not i.deleted]
    summary = InventorySummary(
        models=len(out),
        versions=sum(len(m.versions) for m in out),
        live_versions=len(live_infos),
        approved=sum(1 for i in live_infos if i.approval.status == "approved"),
        not_approved=sum(1 for i in live_infos if i.approval.status != "approved"),
        with_alias_or_stage=sum(1 for i in live_infos if i.aliases or (i.stage and i.stage != "None")),
    )
    findings = tuple(policy_findings or ())
    gaps: list[str] = []
    if not out:
        gaps.append("The store holds no registered models.")
    if policy_findings is None:
        gaps.append("No policy was checked, so no policy findings are reported (use --policy FILE).")
    if summary.not_approved:
        gaps.append(f"{summary.not_approved} of {summary.live_versions} live versions lack complete approval evidence "
                    f"(version tags approved_by and approved_at).")
    return InventoryReport(
        cover=make_cover(store, kind="inventory", title="Model inventory", subject="All registered models", when=when),
        summary=summary,
        models=tuple(out),
        policy_given=policy_findings is not None,
        policy_source=policy_source,
        policy_findings=findings,
        policy_serving=tuple(serving),
        user_fields=user_fields("inventory", fields),
        gaps=tuple(gaps),
    )

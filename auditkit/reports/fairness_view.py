"""The fairness section of the model and decision reports: one version's decisions assessed.

Uses :func:`auditkit.fairness.assess_fairness` on the rows of a prediction log that the version
made, and :func:`auditkit.fairness.charts.fairness_chart` for the chart (with 95 % bootstrap
intervals).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import Any

from .. import errors
from ..logs.messages import PREDICTIONS_UNKNOWN_COLUMN
from ..provenance import attribute_versions, attribution_columns
from .charts import chart_failed
from .context import Chart, FairnessGroup, FairnessSummary

#: Bootstrap settings for report intervals (seeded: the same log gives the same report).
CI_LEVEL = 0.95
N_BOOT = 1000
SEED = 0


def _num(value: Any) -> Any:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return value
    return None if math.isnan(f) else f


def summarize(result: Any, *, source: str, charts: bool = True) -> FairnessSummary:
    """A :class:`FairnessSummary` (what templates see) from a ``FairnessResult``."""
    doc = result.to_dict()
    groups = []
    for g in doc["by_group"]:
        groups.append(FairnessGroup(
            group=", ".join(f"{k}={v}" for k, v in g["group"].items()),
            count=g.get("count"),
            selection_rate=_num(g.get("selection_rate")),
            accuracy=_num(g.get("accuracy")),
            true_positive_rate=_num(g.get("true_positive_rate")),
            false_positive_rate=_num(g.get("false_positive_rate")),
            adverse_impact_ratio=_num(g.get("adverse_impact_ratio")),
            adverse_impact_p_value=_num(g.get("adverse_impact_p_value")),
            flagged=bool(g.get("adverse_impact_flag")),
            ci=g.get("ci") or {},
        ))
    chart_list: list[Chart] = []
    warnings = list(doc.get("warnings") or [])
    if charts:
        has_labels = any(g.get("labelled_count") for g in doc["by_group"])
        panels = [("selection", "Selection rate by group, with the four-fifths line", ["selection_rate"])]
        if has_labels:
            panels.append(("error-rates", "True and false positive rates by group",
                           ["true_positive_rate", "false_positive_rate"]))
        for key, title, metrics in panels:
            try:
                from ..fairness.charts import fairness_chart  # heavy (matplotlib): loaded on first use

                svg = fairness_chart(result, metrics=metrics)
            except Exception as exc:  # noqa: BLE001 - a chart must never stop the report; the tables carry the facts
                warnings.append(chart_failed(f"{title!r}", exc))
                continue
            alt = "; ".join(f"{g.group}: " + ", ".join(f"{m} {getattr(g, m)}" for m in metrics) for g in groups)
            chart_list.append(Chart(
                key=f"fairness:{key}", title=title + (" (95% intervals)" if result.ci_level else ""), alt=alt[:1500],
                data_uri="data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")))
    ref = doc.get("reference_group") or {}
    return FairnessSummary(
        source=source,
        n=doc.get("n"),
        sensitive_features=tuple(doc.get("sensitive_features") or ()),
        positive=doc.get("positive"),
        overall={k: v for k, v in (doc.get("overall") or {}).items() if k != "ci"},
        groups=tuple(groups),
        disparities=dict(doc.get("disparities") or {}),
        reference_group=", ".join(f"{k}={v}" for k, v in ref.items()) or None,
        missing_sensitive=doc.get("missing_sensitive"),
        warnings=tuple(warnings),
        charts=tuple(chart_list),
    )


def version_rows(log: Any, name: str, version: str, extra: Sequence[str] = (), *, ledger: Any = None,
                 versions: Sequence[Any] | None = None) -> tuple[Any, str, str | None]:
    """The log's rows made by model ``name`` version ``version`` (a DataFrame of the model,
    decision, label and ``extra`` columns), how they were chosen, and a sentence counting the
    decisions that could not be attributed to any version (``None`` when all were).

    Decisions naming the version are attributed directly; by alias or stage through ``ledger``
    at each decision's time; by MLflow 3 logged model through ``versions`` (the store's).
    See :func:`auditkit.provenance.attribute_versions`.

    Raises :class:`~auditkit.errors.PredictionLogError` for an unreadable log and
    :class:`~auditkit.errors.LedgerError` for an unreadable ledger.
    """
    roles = log.roles
    present = log.column_names()
    if not any(r in roles for r in ("model_name", "model_uri")):
        frame = log.read(columns=list(dict.fromkeys(c for c in (roles.get("decision"), roles.get("label"),
                                                                *(extra or ())) if c and c in present)))
        return frame, "all rows (the log names no model)", None
    wanted = attribution_columns(log, ledger=ledger) + [roles.get("decision"), roles.get("label"), *(extra or ())]
    frame = log.read(columns=list(dict.fromkeys(c for c in wanted if c and c in present)))
    found = attribute_versions(log, frame, ledger=ledger, versions=versions)
    picked = frame[found.rows_of(name, str(version))]
    how = f"decisions attributed to {name} version {version}"
    how += (f" (named directly, or by alias or stage through ledger {ledger})" if ledger is not None
            else " (named directly; no ledger, so none named by alias or stage)")
    return picked, how, found.sentence()


def _version_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def assess_version(log: Any, *, name: str, version: str, sensitive: Sequence[str], positive: Any = None,
                   label_positive: Any = None, charts: bool = True, ledger: Any = None,
                   versions: Sequence[Any] | None = None) -> tuple[FairnessSummary | None, list[str]]:
    """Fairness of one version's decisions in ``log``: ``(summary, gaps)``; the summary is
    ``None`` when the log holds no decision of that version. ``positive`` is the favourable
    decision, ``label_positive`` the favourable outcome label when coded differently.
    ``ledger`` attributes alias- and stage-logged decisions (see :func:`version_rows`); the
    decisions that cannot be attributed are counted in the gaps.

    Raises :class:`~auditkit.errors.FairnessError` (unknown column, single group, …) and
    :class:`~auditkit.errors.PredictionLogError`.
    """
    from ..fairness import assess_fairness  # heavy (pandas, numpy): only when a report shows fairness

    rows, how, unattributed = version_rows(log, name, version, extra=sensitive, ledger=ledger, versions=versions)
    gaps = [f"In the prediction log {log.source}, {unattributed[0].lower()}{unattributed[1:]}."] if unattributed else []
    if rows.empty:
        return None, [(f"The prediction log {log.source} holds no decisions attributed to {name} version "
                       f"{version}, so its fairness cannot be shown.")] + gaps
    missing = [c for c in sensitive if c not in rows.columns]
    if missing:
        raise errors.FairnessError(PREDICTIONS_UNKNOWN_COLUMN.format(
            name=missing[0], source=log.source, choices=errors.choices(list(rows.columns))))
    label = log.roles.get("label")
    result = assess_fairness(
        y_pred=rows[log.roles["decision"]],
        y_true=rows[label] if label else None,
        sensitive_features=rows[list(sensitive)] if len(sensitive) > 1 else rows[sensitive[0]],
        pos_label=positive, label_pos_label=label_positive, ci=CI_LEVEL, n_boot=N_BOOT, random_state=SEED,
    )
    if not label:
        gaps.append("The prediction log has no outcome (label) column: accuracy and error rates per group "
                    "cannot be computed, only selection rates.")
    return summarize(result, source=f"{log.source}: {how} ({len(rows)} decisions)", charts=charts), gaps

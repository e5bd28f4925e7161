"""Build the decision report: the regulator's question about one automated decision.

The facts come from :func:`auditkit.lineage` (the decision's row, the version that made
it, its run, code, data, owner, approvals, reasons, each with the record it comes from); the
ledger says which alias the version held at the decision's time; the fairness summary is that
version's decisions in the same log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..connectors import Connector, model_signature
from ..provenance import lineage, load_accepted
from .common import generated_at, make_cover, with_store_warnings
from .context import Chart, DatasetInfo, DecisionReport, FairnessSummary, LineageFact, LogicApplied
from .extras import ledger_head
from .fairness_view import assess_version
from .fields import user_fields

#: Version tag read as the decision cutoff when present.
THRESHOLD_TAGS = ("decision_threshold", "threshold")
#: Regulation B: four principal reasons at most by default.
MAX_REASONS_DEFAULT = 4


def serving_evidence(doc: Mapping[str, Any], ledger: str | Path | None) -> tuple[list[str], list[str]]:
    """Sentences on why the version was serving at the decision's time, and gaps. Which aliases
    the version held then is lineage's ``aliases_at_decision`` (:func:`auditkit.provenance.aliases_at`)."""
    out: list[str] = []
    gaps: list[str] = []
    ref = doc.get("model_reference") or {}
    mv = doc.get("model_version") or {}
    at = (doc.get("prediction") or {}).get("timestamp")
    if ref.get("logged"):
        out.append(f"The prediction log names the model as {ref['logged']} ({ref.get('evidence')}).")
    if mv:
        out.append(f"That resolves to {mv.get('name')} version {mv.get('version')} ({mv.get('evidence')}).")
    elif ref.get("logged"):
        gaps.append(f"The records do not prove which model version {ref['logged']} named when the decision "
                    f"was made; see the gaps below.")
    if not mv or ledger is None:
        if mv:
            gaps.append("No ledger was given (--ledger FILE), so which alias the version held at the decision's "
                        "time cannot be shown.")
        return out, gaps
    name, version = mv.get("name"), str(mv.get("version"))
    held = mv.get("aliases_at_decision") or []  # lineage's answer (provenance.aliases_at)
    for entry in held:
        out.append(f"At {at} alias {entry['alias']} pointed to version {version} ({entry['evidence']}).")
    if not held:
        gaps.append(f"The ledger shows no alias pointing to {name} version {version} at {at}.")

    out.append(ledger_head(ledger))
    return out, gaps


def mark_applicant(summary: FairnessSummary, inputs: Mapping[str, Any], sensitive: Sequence[str]) -> FairnessSummary:
    """The summary with the applicant's own group marked (its values of the sensitive columns,
    as the table words groups; a binned column matches the band holding the value)."""
    def matches(group: str) -> bool:
        parts = dict(p.split("=", 1) for p in group.split(", ") if "=" in p)
        return all(_same(parts.get(c), inputs.get(c)) for c in sensitive)

    return dataclasses.replace(summary, groups=tuple(dataclasses.replace(g, applicant=matches(g.group))
                                                     for g in summary.groups))


def _same(shown: str | None, value: Any) -> bool:
    if shown is None or value is None:
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return shown == str(value)


def inputs_as_scored(store: Connector, mv: Mapping[str, Any], logged: Mapping[str, Any]
                     ) -> tuple[dict[str, Any], dict[str, Any], str | None, list[str]]:
    """``(model inputs in signature order, other logged columns, source, gaps)``: where the
    version's MLmodel signature can be read, the log's columns split into the model's inputs and
    the rest; otherwise every logged column, with a gap saying why."""
    if not mv:
        return dict(logged), {}, None, []
    record = store.get_model_version(mv["name"], str(mv["version"]))
    lm = next((m for m in store.logged_models() if m.model_id == record.model_id), None) if record.model_id else None
    sig = model_signature(record, lm)
    if sig.inputs is None:
        return dict(logged), {}, None, [f"Which logged columns the model scored is not shown: {sig.evidence}."]
    ordered = {name: logged.get(name) for name in sig.inputs}
    gaps = [f"The model's input {name!r} ({sig.evidence}) is not in the prediction log; its value as scored "
            f"is not on record." for name in sig.inputs if name not in logged]
    other = {k: v for k, v in logged.items() if k not in ordered}
    return ordered, other, sig.evidence, gaps


def _threshold(mv: Mapping[str, Any]) -> tuple[str | None, str | None]:
    tags = mv.get("tags") or {}
    for key in THRESHOLD_TAGS:
        if tags.get(key) not in (None, ""):
            return str(tags[key]), f"tag {key} of model version {mv.get('name')}/{mv.get('version')}"
    return None, None


def _chain(doc: Mapping[str, Any]) -> tuple[LineageFact, ...]:
    p = doc.get("prediction") or {}
    ref = doc.get("model_reference") or {}
    mv = doc.get("model_version") or {}
    run = doc.get("run") or {}
    code = doc.get("code") or {}
    facts = [LineageFact(step="Decision", value=f"{p.get('id')}: {p.get('decision')} at {p.get('timestamp')}",
                         source=p.get("evidence") or "prediction log")]
    facts.append(LineageFact(step="Model named by the log", value=ref.get("logged"), source=ref.get("evidence") or "—"))
    facts.append(LineageFact(step="Model version",
                             value=f"{mv.get('name')} v{mv.get('version')}" if mv else None,
                             source=mv.get("evidence") or "—"))
    facts.append(LineageFact(step="Training run",
                             value=f"{run.get('name') or '(unnamed)'} {run.get('id')}" if run else None,
                             source=run.get("evidence") or "—"))
    facts.append(LineageFact(step="Code commit", value=code.get("git_commit"), source=code.get("evidence") or "—"))
    for d in doc.get("datasets") or []:
        facts.append(LineageFact(step=f"Dataset ({d.get('context') or 'no context'})",
                                 value=f"{d.get('name')} digest {d.get('digest')}", source=d.get("evidence") or "—"))
    owner = doc.get("owner") or {}
    facts.append(LineageFact(step="Owner", value=owner.get("user"), source=owner.get("evidence") or "—"))
    for a in doc.get("approvals") or []:
        facts.append(LineageFact(step="Approval", value=f"{a.get('by')} at {a.get('at')}", source=a.get("evidence") or "—"))
    return tuple(facts)


@with_store_warnings
def build_decision_report(
    store: Connector,
    log: Any,
    prediction_id: Any,
    *,
    ledger: str | Path | None = None,
    as_of: datetime | str | None = None,
    fields: Mapping[str, Any] | None = None,
    sensitive: Sequence[str] | None = None,
    positive: Any = None,
    label_positive: Any = None,
    charts: bool = True,
    explain: Mapping[str, Any] | None = None,
    accept: Any = None,
) -> DecisionReport:
    """The report on one decision of ``log`` (a :class:`~auditkit.logs.PredictionLog`).

    ``sensitive`` (columns of the log) adds the fairness summary of the version that decided.
    ``explain`` (the options of :func:`auditkit.explain`, ``{}`` for the defaults) adds "Logic
    applied": the decision re-performed from the registered model.
    ``accept`` (an accept file) lists known gaps apart, with who accepted them, when and why.
    Raises what :func:`auditkit.lineage` raises (PredictionLogError, LedgerError,
    UsageError), :class:`~auditkit.errors.FairnessError`, and UsageError for a bad ``as_of``.
    """

    when = generated_at(as_of)
    accepted = load_accepted(accept)
    doc = lineage(store, log, prediction_id, ledger=str(ledger) if ledger else None)
    mv = doc.get("model_version") or {}
    gaps = list(doc.get("gaps") or [])
    serving, serving_gaps = serving_evidence(doc, ledger)
    gaps += serving_gaps
    fairness: FairnessSummary | None = None
    if sensitive and mv:
        fairness, fairness_gaps = assess_version(log, name=mv["name"], version=str(mv["version"]),
                                                 sensitive=list(sensitive), positive=positive,
                                                 label_positive=label_positive, charts=charts,
                                                 ledger=ledger, versions=store.model_versions(mv["name"]))
        gaps += fairness_gaps
        if fairness is not None:
            fairness = mark_applicant(fairness, (doc.get("prediction") or {}).get("inputs") or {}, list(sensitive))
    elif sensitive:
        gaps.append("The model version that made this decision is not proven, so no version's fairness summary "
                    "can be shown.")
    else:
        gaps.append("No sensitive columns were given (--sensitive COL), so the serving version's fairness "
                    "summary is not shown.")
    threshold, threshold_source = _threshold(mv)
    p = dict(doc.get("prediction") or {})
    inputs = p.pop("inputs", {}) or {}
    inputs, other_columns, inputs_source, input_gaps = inputs_as_scored(store, mv, inputs)
    gaps += input_gaps
    p["threshold"] = threshold
    p["threshold_source"] = threshold_source
    if threshold is None:
        gaps.append("No decision cutoff is recorded (version tag decision_threshold); see the user-supplied fields.")
    reasons = tuple(doc.get("reasons") or ())
    if len(reasons) > MAX_REASONS_DEFAULT:
        gaps.append(f"The log carries {len(reasons)} reasons; Regulation B expects at most "
                    f"{MAX_REASONS_DEFAULT} principal reasons by default.")
    run = dict(doc.get("run") or {})
    logic = None
    if explain is not None:
        logic, logic_gaps = logic_applied(store, log, prediction_id, ledger=ledger, options=explain, charts=charts)
        gaps += logic_gaps
    open_gaps, taken = (gaps, []) if accepted is None else accepted.split(
        dict.fromkeys(gaps), model=mv.get("name") or (doc.get("model_reference") or {}).get("name"),
        version=mv.get("version"))
    return DecisionReport(
        cover=make_cover(store, kind="decision", title="Automated decision report",
                         subject=f"Decision {p.get('id')}", when=when),
        prediction=p,
        inputs=dict(inputs),
        model={**mv, "reference": doc.get("model_reference")},
        serving_evidence=tuple(serving),
        chain=_chain(doc),
        run={k: run.get(k) for k in ("id", "name", "experiment", "user", "status", "start_time", "end_time",
                                     "params", "metrics", "evidence")},
        code=dict(doc.get("code") or {}),
        datasets=tuple(DatasetInfo(name=d.get("name"), digest=d.get("digest"), source_type=d.get("source_type"),
                                   source=d.get("source"), rows=d.get("rows"), context=d.get("context"))
                       for d in doc.get("datasets") or []),
        owner=dict(doc.get("owner") or {}),
        approvals=tuple(dict(a) for a in doc.get("approvals") or []),
        reasons=tuple(dict(r) for r in reasons),
        fairness=fairness,
        # The cutoff is asked of the user only where the records do not hold it.
        user_fields=tuple(f for f in user_fields("decision", fields)
                          if not (f.key == "cutoff" and threshold is not None and f.value is None)),
        gaps=tuple(dict.fromkeys(open_gaps)),
        accepted_gaps=tuple(taken),
        other_columns=other_columns,
        inputs_source=inputs_source,
        logic=logic,
    )


#: Contributions shown in the chart (largest absolute first).
CHART_CONTRIBUTIONS = 12


def logic_applied(store: Connector, log: Any, prediction_id: Any, *, ledger: str | Path | None,
                  options: Mapping[str, Any], charts: bool = True) -> tuple[LogicApplied, list[str]]:
    """The "Logic applied" section: :func:`auditkit.explain` of the decision, and its gaps."""
    from ..reperform import explain  # heavy: numpy and pandas

    doc = explain(store, log, prediction_id, ledger=str(ledger) if ledger else None, **dict(options))
    contributions = tuple(dict(c) for c in doc["contributions"])
    shown: tuple[Chart, ...] = ()
    if charts and contributions:
        from .charts import bar_chart  # heavy: matplotlib

        top = contributions[:CHART_CONTRIBUTIONS]
        shown = (bar_chart(key="contributions", title="Contributions to this decision's score",
                           labels=[f"{c['feature']} = {c['value']}" for c in top],
                           values=[c["contribution"] for c in top],
                           xlabel=f"contribution ({doc['scale']}); negative lowered the score", reference=0.0),)
    logic = LogicApplied(replay=dict(doc["replay"] or {}), artifact=dict(doc["artifact"]), method=doc["method"],
                         scale=doc["scale"], base_value=doc["base_value"], contributions=contributions,
                         reasons=tuple(dict(r) for r in doc["reasons"]),
                         logged_reasons=tuple(dict(r) for r in doc["logged_reasons"]),
                         counterfactuals=tuple(dict(c) for c in doc["counterfactuals"]),
                         counterfactual_search=doc["counterfactual_search"], reason_map=doc["reason_map"],
                         charts=shown)
    return logic, list(doc["gaps"])

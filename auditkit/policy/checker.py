"""Compliance policy checks: which serving model versions lack the evidence a policy requires.

``check_policy(store, policy=…, as_of=…)`` lists :class:`Finding` records, one per rule a serving
model version breaks (or cannot be checked against): missing or malformed approval tags,
approval by the version's own creator, a stale approval, no training dataset logged on the
source run, no git commit, no owner, disparities of the version's own decisions outside the
policy's limits. A version serves when it is in a stage, or holds an alias, the policy names.
The policy file format is in :mod:`.model`, :mod:`.loader` and ``docs/policy.md``; without a
policy the built-in default (:data:`.default.DEFAULT_POLICY_YAML`) applies.

Every finding names the record and field it looked at (``evidence``) and says in one sentence
what is missing (``missing``). Nothing is written to the store or the prediction log.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..accountability import creator_of, owner_of
from ..connectors import Connector
from ..errors import FairnessError, StoreError
from ..logs import PredictionLog, open_predictions
from ..provenance import attribute_versions, attribution_columns, load_accepted
from ..records import ModelVersion, RegisteredModel, Run, iso, version_key
from ..times import parse_time, try_parse_time
from .default import default_policy
from .findings import (
    EVIDENCE_APPROVAL,
    EVIDENCE_APPROVAL_AGE,
    EVIDENCE_APPROVAL_REGISTRATION,
    EVIDENCE_APPROVER,
    EVIDENCE_APPROVER_RUN,
    EVIDENCE_COMMIT,
    EVIDENCE_DATASET,
    EVIDENCE_FAIRNESS,
    EVIDENCE_LEDGER,
    EVIDENCE_NO_RUN,
    EVIDENCE_OWNER,
    EVIDENCE_REASONS,
    EVIDENCE_REPLAY,
    EVIDENCE_UNATTRIBUTED,
    MISSING_APPROVAL,
    MISSING_APPROVAL_BEFORE_REGISTRATION,
    MISSING_APPROVAL_FUTURE,
    MISSING_APPROVAL_OLD,
    MISSING_APPROVAL_TIME,
    MISSING_COMMIT,
    MISSING_COMMIT_PATTERN,
    MISSING_CREATOR_UNKNOWN,
    MISSING_DATASET,
    MISSING_FAIRNESS_ERROR,
    MISSING_FAIRNESS_LIMIT,
    MISSING_FAIRNESS_NONE,
    MISSING_FAIRNESS_UNDEFINED,
    MISSING_NO_RUN,
    MISSING_OWNER,
    MISSING_REASONS,
    MISSING_REASONS_UNCHECKED,
    MISSING_REPLAY,
    MISSING_RUN_GONE,
    MISSING_SELF_APPROVAL,
    PROBLEM_NO_TAG,
    PROBLEM_TAG_PATTERN,
)
from .loader import load_policy
from .messages import POLICY_STORE_INCOMPLETE
from .model import (
    SEVERITIES,
    ApprovalAgeRule,
    ApprovalRule,
    ApproverNotCreatorRule,
    FairnessLimit,
    FairnessRule,
    GitCommitRule,
    OwnerRule,
    Policy,
    ReasonsConsistentRule,
    ReplayRule,
    Rule,
    TrainingDatasetRule,
)

if TYPE_CHECKING:  # type names only: pandas is imported where a fairness rule reads a log
    import pandas as pd

SCHEMA_VERSION = "1"

@dataclass(frozen=True)
class Finding:
    """One rule a serving model version breaks, or that cannot be checked for it."""

    rule: str
    model: str
    version: str
    severity: str
    evidence: str
    missing: str

    @property
    def passed(self) -> bool:
        """Always ``False``: only unmet requirements are findings."""
        return False

    @property
    def message(self) -> str:
        """The same as :attr:`missing`."""
        return self.missing

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "model": self.model, "version": self.version, "severity": self.severity,
                "evidence": self.evidence, "missing": self.missing}


@dataclass(frozen=True)
class ServingVersion:
    """A model version the policy counts as serving, and why (its stage and aliases)."""

    model: str
    version: str
    stage: str | None
    aliases: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "version": self.version, "stage": self.stage, "aliases": list(self.aliases)}


@dataclass(frozen=True)
class PolicyCheck:
    """The outcome of one check: the policy, the as-of time, the serving versions and findings."""

    policy: Policy
    as_of: datetime
    serving: tuple[ServingVersion, ...]
    findings: tuple[Finding, ...]
    #: Findings an accept file accepts: ``(finding, {"accepted_by", "accepted_at", "why", …})``;
    #: listed, never counted as open (they do not fail the check).
    accepted: tuple[tuple[Finding, dict[str, Any]], ...] = ()

    @property
    def failed(self) -> bool:
        """True when any finding has severity ``error`` (``auditkit check`` exits 1)."""
        return any(f.severity == "error" for f in self.findings)

    def summary(self) -> dict[str, Any]:
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}
        return {"as_of": iso(self.as_of), "serving_versions": len(self.serving), "findings": len(self.findings),
                "by_severity": counts, "passed": not self.failed, "accepted": len(self.accepted)}

    def to_dict(self) -> dict[str, Any]:
        """The ``auditkit check --format json`` document."""
        return {"schema_version": SCHEMA_VERSION, "policy": self.policy.to_dict(), "as_of": iso(self.as_of),
                "serving": [s.to_dict() for s in self.serving],
                "findings": [f.to_dict() for f in self.findings],
                "accepted_findings": [{**f.to_dict(), "accepted": {k: a[k] for k in ("accepted_by", "accepted_at", "why",
                                                                                     "pattern")}}
                                      for f, a in self.accepted],
                "summary": self.summary()}


def check_policy(store: Connector, policy: "Policy | str | os.PathLike | None" = None, *,
                 as_of: datetime | str | None = None) -> list[Finding]:
    """Findings of ``policy`` (a :class:`Policy`, a policy file path, or ``None`` for the
    built-in default) on every serving model version in ``store``, at ``as_of`` (ISO 8601 text
    or a datetime; default now), ordered by model, version and rule.

    Raises :class:`~auditkit.policy_rules.PolicyError` for a bad policy file,
    :class:`~auditkit.errors.UsageError` for a malformed ``as_of``,
    :class:`~auditkit.errors.PredictionLogError` / :class:`~auditkit.errors.FairnessError` when a
    fairness rule's prediction log cannot be read or lacks a named column,
    :class:`~auditkit.errors.StoreError` when the store cannot read part of its registry
    (:meth:`~auditkit.connectors.Connector.unreadable`, e.g. a missing aliases table), and what
    the connector raises for an unreadable store.
    """
    return list(evaluate_policy(store, policy=policy, as_of=as_of).findings)


def evaluate_policy(store: Connector, *, policy: "Policy | str | os.PathLike | None" = None,
                    as_of: datetime | str | None = None, accept: Any = None) -> PolicyCheck:
    """Like :func:`check_policy`, returning the whole :class:`PolicyCheck` (raises the same).

    ``accept`` (an accept file, see :mod:`auditkit.provenance.acceptance`) sets the findings whose
    ``missing`` sentence it accepts apart, in ``accepted``: listed with who, when and why, not
    counted and never failing the check (a bad accept file raises :class:`UsageError`)."""
    if policy is None:
        policy = default_policy()
    elif not isinstance(policy, Policy):
        policy = load_policy(policy)
    when = parse_as_of(as_of)
    problems = store.unreadable()  # fail closed: a registry read only in part is no evidence
    if problems:
        raise StoreError(POLICY_STORE_INCOMPLETE.format(problems="; ".join(problems)))
    versions = [mv for mv in store.model_versions() if not mv.deleted and _serves(policy, mv)]
    versions.sort(key=lambda mv: (mv.name, version_key(mv.version)))
    checker = _Checker(store, policy, when)
    findings: list[Finding] = []
    for mv in versions:
        for rule in policy.rules:
            findings.extend(checker.check(rule, mv))
    serving = tuple(ServingVersion(mv.name, mv.version, mv.stage, tuple(mv.aliases)) for mv in versions)
    accepted_gaps = load_accepted(accept)
    taken: list[tuple[Finding, dict[str, Any]]] = []
    if accepted_gaps is not None:
        kept = []
        for f in findings:
            found = accepted_gaps.find(f.missing, model=f.model, version=f.version)
            if found is None:
                kept.append(f)
            else:
                taken.append((f, found.to_dict(f.missing)))
        findings = kept
    return PolicyCheck(policy=policy, as_of=when, serving=serving, findings=tuple(findings), accepted=tuple(taken))


def parse_as_of(value: datetime | str | None) -> datetime:
    """The as-of time as an aware UTC datetime by :mod:`auditkit.times`' grammar (``None`` is
    now, to the second). Raises :class:`~auditkit.errors.UsageError`."""
    if value is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    return parse_time(value, what="as-of time")


def _serves(policy: Policy, mv: ModelVersion) -> bool:
    stages = {s.casefold() for s in policy.serving_stages}
    return bool((mv.stage and mv.stage.casefold() in stages) or set(mv.aliases) & set(policy.serving_aliases))


def _ref(mv: ModelVersion) -> str:
    return f"{mv.name}/{mv.version}"


def _before(text: str, when: datetime, created: datetime) -> bool:
    """Whether an approval time precedes a registration; a date alone is compared by day (an
    approval dated the day a version was registered is not early)."""
    if _DATE_ONLY.fullmatch(text.strip()):
        return when.date() < created.astimezone(timezone.utc).date()
    return when < created


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


class _Checker:
    """Runs the rules on one version at a time; store reads are made once and kept."""

    def __init__(self, store: Connector, policy: Policy, as_of: datetime) -> None:
        self.store, self.policy, self.as_of = store, policy, as_of
        self._runs: dict[str, Run] | None = None
        self._logged: dict[str, Any] | None = None
        self._models: dict[str, RegisteredModel] | None = None
        self._logs: dict[int, _LogRead] = {}
        self._explains: dict[tuple, tuple[Any, str]] = {}

    def check(self, rule: Rule, mv: ModelVersion) -> list[Finding]:
        method = getattr(self, f"_{rule.name}")
        out = []
        for severity, evidence, missing in method(rule, mv):
            out.append(Finding(rule=rule.name, model=mv.name, version=mv.version, severity=severity,
                               evidence=evidence, missing=missing))
        return out

    # -- store reads ------------------------------------------------------------------------------
    def runs(self) -> dict[str, Run]:
        if self._runs is None:
            self._runs = {r.run_id: r for r in self.store.runs()}
        return self._runs

    def registered(self, name: str) -> RegisteredModel | None:
        if self._models is None:
            self._models = {m.name: m for m in self.store.registered_models()}
        return self._models.get(name)

    def run_of(self, mv: ModelVersion, what: str) -> tuple[Run | None, str | None]:
        """The version's source run (its run_id, else its logged model's source run), or the
        sentence saying why there is none."""
        ref = _ref(mv)
        run_id, by = mv.run_id, f"model version {ref}"
        if not run_id and mv.model_id:
            if self._logged is None:
                self._logged = {lm.model_id: lm for lm in self.store.logged_models()}
            lm = self._logged.get(mv.model_id)
            if lm is not None and lm.source_run_id:
                run_id, by = lm.source_run_id, f"logged model {lm.model_id}"
        if not run_id:
            return None, MISSING_NO_RUN.format(ref=ref, what=what)
        run = self.runs().get(run_id)
        if run is None:
            return None, MISSING_RUN_GONE.format(run_id=run_id, by=by, ref=ref, what=what)
        return run, None

    # -- rules: each yields (severity, evidence, missing) --------------------------------------
    def _approval(self, rule: ApprovalRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        problems = []
        for tag, pattern in rule.tags:
            value = mv.tags.get(tag)
            if _blank(value):
                problems.append(PROBLEM_NO_TAG.format(tag=tag))
            elif not re.fullmatch(pattern, value):
                problems.append(PROBLEM_TAG_PATTERN.format(tag=tag, value=value, pattern=pattern))
        if problems:
            yield (rule.severity, EVIDENCE_APPROVAL.format(ref=_ref(mv), tags=", ".join(t for t, _ in rule.tags)),
                   MISSING_APPROVAL.format(ref=_ref(mv), problems="; ".join(problems)))

        value = mv.tags.get(rule.at_tag)
        when = None if _blank(value) else try_parse_time(value)
        if when is not None and mv.creation_time is not None and _before(value, when, mv.creation_time):
            yield (rule.severity, EVIDENCE_APPROVAL_REGISTRATION.format(ref=_ref(mv), tag=rule.at_tag),
                   MISSING_APPROVAL_BEFORE_REGISTRATION.format(ref=_ref(mv), value=value.strip(), tag=rule.at_tag,
                                                               created=iso(mv.creation_time)))

    def _approver_not_creator(self, rule: ApproverNotCreatorRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        approver = mv.tags.get(rule.approver_tag)
        if _blank(approver):
            return  # no approver on record: the approval rule reports that
        run, _ = self.run_of(mv, "creator") if _blank(mv.creator) else (None, None)
        creator = creator_of(version=mv, run=run)
        if creator.source == "run_user":
            evidence = EVIDENCE_APPROVER_RUN.format(run_id=run.run_id, ref=_ref(mv), tag=rule.approver_tag)
        else:
            evidence = EVIDENCE_APPROVER.format(ref=_ref(mv), tag=rule.approver_tag)
        if creator.user is None:
            if rule.creator_unknown is not None:
                yield (rule.creator_unknown, evidence,
                       MISSING_CREATOR_UNKNOWN.format(ref=_ref(mv), user=approver.strip()))
        elif approver.strip().casefold() == creator.user.casefold():
            yield rule.severity, evidence, MISSING_SELF_APPROVAL.format(ref=_ref(mv), user=creator.user)

    def _approval_age(self, rule: ApprovalAgeRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        value = mv.tags.get(rule.tag)
        if _blank(value):
            return  # no approval time on record: the approval rule reports that
        as_of = iso(self.as_of)
        evidence = EVIDENCE_APPROVAL_AGE.format(ref=_ref(mv), tag=rule.tag, as_of=as_of)
        when = try_parse_time(value)
        if when is None:
            yield rule.severity, evidence, MISSING_APPROVAL_TIME.format(tag=rule.tag, ref=_ref(mv), value=value)
            return
        age = (self.as_of - when).total_seconds() / 86400.0
        if age < 0:
            yield rule.severity, evidence, MISSING_APPROVAL_FUTURE.format(ref=_ref(mv), value=value, as_of=as_of)
        elif age > rule.max_days:
            yield rule.severity, evidence, MISSING_APPROVAL_OLD.format(
                ref=_ref(mv), value=value, days=int(age), as_of=as_of, max_days=_number(rule.max_days))

    def _training_dataset(self, rule: TrainingDatasetRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        run, why = self.run_of(mv, "training data")
        if run is None:
            yield rule.severity, EVIDENCE_NO_RUN.format(ref=_ref(mv)), why  # type: ignore[misc]
            return
        if not any(d.context == rule.context for d in run.datasets):
            logged = ", ".join(f"{d.name} ({d.context or 'no context'})" for d in run.datasets) or "none"
            yield (rule.severity, EVIDENCE_DATASET.format(run_id=run.run_id, datasets=logged),
                   MISSING_DATASET.format(run_id=run.run_id, ref=_ref(mv), context=rule.context))

    def _git_commit(self, rule: GitCommitRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        run, why = self.run_of(mv, "code version")
        if run is None:
            yield rule.severity, EVIDENCE_NO_RUN.format(ref=_ref(mv)), why  # type: ignore[misc]
            return
        value = run.tags.get(rule.tag)
        evidence = EVIDENCE_COMMIT.format(run_id=run.run_id, tag=rule.tag)
        if _blank(value):
            yield rule.severity, evidence, MISSING_COMMIT.format(run_id=run.run_id, ref=_ref(mv), tag=rule.tag)
        elif rule.pattern is not None and not re.fullmatch(rule.pattern, value):
            yield rule.severity, evidence, MISSING_COMMIT_PATTERN.format(
                run_id=run.run_id, tag=rule.tag, value=value, pattern=rule.pattern)

    def _owner(self, rule: OwnerRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        run, _ = self.run_of(mv, "owner")
        if owner_of(version=mv, run=run, registered=self.registered(mv.name)).user is not None:
            return
        run_text = f"run {run.run_id}" if run is not None else "source run (none found)"
        yield (rule.severity, EVIDENCE_OWNER.format(ref=_ref(mv), run=run_text, name=mv.name),
               MISSING_OWNER.format(ref=_ref(mv), name=mv.name))

    def _fairness(self, rule: FairnessRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        from ..fairness import assess_fairness  # heavy (pandas, numpy): only for fairness rules

        read = self._prediction_log(rule)
        mine, unattributed = read.decisions_of(mv)
        decisions = read.frame[mine]
        ref, source = _ref(mv), read.source
        evidence = EVIDENCE_FAIRNESS.format(source=source, n=len(decisions), ref=ref,
                                            columns=", ".join(read.frame.columns))
        if rule.ledger is not None:
            evidence += EVIDENCE_LEDGER.format(ledger=rule.ledger)
        if unattributed:
            evidence += EVIDENCE_UNATTRIBUTED.format(sentence=unattributed)
        if decisions.empty:
            if rule.no_decisions is not None:
                yield rule.no_decisions, evidence, MISSING_FAIRNESS_NONE.format(source=source, ref=ref)
            return
        try:
            result = assess_fairness(data=decisions.reset_index(drop=True), y_pred=read.decision,
                                     y_true=read.label, sensitive_features=list(rule.sensitive),
                                     pos_label=rule.positive, label_pos_label=rule.label_positive)
        except FairnessError as exc:
            yield rule.severity, evidence, MISSING_FAIRNESS_ERROR.format(ref=ref, reason=str(exc))
            return
        features = ", ".join(rule.sensitive)
        for limit in rule.limits:
            value = result.disparities.get(limit.metric)
            bound = _bound(limit)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                yield rule.severity, evidence, MISSING_FAIRNESS_UNDEFINED.format(
                    metric=limit.metric, features=features, n=len(decisions), ref=ref, bound=bound)
            elif (limit.min is not None and value < limit.min) or (limit.max is not None and value > limit.max):
                yield rule.severity, evidence, MISSING_FAIRNESS_LIMIT.format(
                    metric=limit.metric, features=features, value=f"{value:.3f}", n=len(decisions), ref=ref,
                    bound=bound)

    def _replay(self, rule: ReplayRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        frame, source = self._explained(rule)
        ref = _ref(mv)
        mine = frame[(frame["model_name"] == mv.name) & (frame["model_version"] == mv.version)]
        if mine.empty:  # nothing of this version to re-perform (the fairness rule reports absent decisions)
            return
        status = mine["replay_status"]
        n, ok = len(mine), int((status == "reproduced").sum())
        evidence = EVIDENCE_REPLAY.format(source=source, n=n, ref=ref, reproduced=ok)
        if ok < rule.min_rate * n:
            bad = mine[status != "reproduced"]
            yield rule.severity, evidence, MISSING_REPLAY.format(
                bad=len(bad), n=n, ref=ref, source=source, mismatch=int((status == "mismatch").sum()),
                not_replayed=int((status == "not_replayed").sum()), examples=_examples(bad),
                rate="all" if rule.min_rate >= 1 else f"{rule.min_rate:.0%}")

    def _reasons_consistent(self, rule: ReasonsConsistentRule, mv: ModelVersion) -> Iterable[tuple[str, str, str]]:
        frame, source = self._explained(rule)
        ref = _ref(mv)
        mine = frame[(frame["model_name"] == mv.name) & (frame["model_version"] == mv.version)
                     & (frame["logged_reasons"] != "[]")]
        if mine.empty:
            return
        checked = mine[mine["reasons_consistent"].notna()]
        n = len(mine)
        if len(checked) < n:
            why = next((g for g in mine[mine["reasons_consistent"].isna()]["gaps"].iloc[0]), "see explain gaps")
            yield rule.severity, f"prediction log {source}", MISSING_REASONS_UNCHECKED.format(
                n=n - len(checked), ref=ref, why=why)
        consistent = int((checked["reasons_consistent"] == True).sum())  # noqa: E712 - nullable column
        evidence = EVIDENCE_REASONS.format(source=source, n=n, ref=ref, consistent=consistent)
        bad = checked[checked["reasons_consistent"] == False]  # noqa: E712
        if len(checked) and consistent < rule.min_rate * len(checked):
            yield rule.severity, evidence, MISSING_REASONS.format(
                bad=len(bad), n=len(checked), ref=ref, examples=_examples(bad),
                rate="all" if rule.min_rate >= 1 else f"{rule.min_rate:.0%}")

    def _explained(self, rule: ReplayRule) -> tuple["pd.DataFrame", str]:
        """The rule's prediction log re-performed once (every version's decisions)."""
        key = (rule.predictions, tuple(sorted(rule.columns.items())), rule.artifact_roots, rule.trust_pickle,
               rule.reason_map, rule.background)
        if key not in self._explains:
            from ..reperform import explain_frame  # heavy (pandas, numpy, the model loaders): only for these rules

            with open_predictions(rule.predictions, columns=dict(rule.columns)) as log:
                frame = explain_frame(self.store, log, artifact_roots=list(rule.artifact_roots),
                                      trust_pickle=rule.trust_pickle, reason_map=rule.reason_map,
                                      background=rule.background)
                self._explains[key] = (frame, log.source)
        return self._explains[key]

    def _prediction_log(self, rule: FairnessRule) -> "_LogRead":
        """The rule's prediction log, read once (only the columns it needs) and closed."""
        key = id(rule)
        if key not in self._logs:
            from ..fairness.api import check_columns  # heavy (pandas, numpy): only for fairness rules

            with open_predictions(rule.predictions, columns=dict(rule.columns)) as log:
                log.require("decision")
                wanted = [*attribution_columns(log, ledger=rule.ledger), log.roles["decision"], *rule.sensitive]
                if rule.needs_labels:
                    log.require("label")
                    wanted.append(log.roles["label"])
                check_columns(list(rule.sensitive), log.column_names(), f"prediction log {log.source!r}")
                frame = log.read(list(dict.fromkeys(wanted)))
                self._logs[key] = _LogRead(log, frame, rule, self._all_versions())
        return self._logs[key]

    def _all_versions(self) -> list[ModelVersion]:
        return [mv for rm in self.store.registered_models() for mv in self.store.model_versions(rm.name)]


class _LogRead:
    """A fairness rule's prediction log as read: the frame, the roles used, and which version made
    each row (:func:`auditkit.provenance.attribute_versions`, through the rule's ledger)."""

    def __init__(self, log: PredictionLog, frame: "pd.DataFrame", rule: FairnessRule,
                 versions: list[ModelVersion]) -> None:
        self.frame, self.source = frame, log.source
        self.decision = log.roles["decision"]
        self.label = log.roles.get("label") if rule.needs_labels else None
        self.attribution = attribute_versions(log, frame, ledger=rule.ledger, versions=versions)

    def decisions_of(self, mv: ModelVersion) -> tuple[Any, str | None]:
        """(row mask of the decisions made by ``mv``, the sentence counting unattributed rows)."""
        return self.attribution.rows_of(mv.name, mv.version), self.attribution.sentence()


def _examples(rows: "pd.DataFrame", limit: int = 3) -> str:
    ids = [str(i) for i in rows["prediction_id"].head(limit)]
    return ", ".join(ids) + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bound(limit: FairnessLimit) -> str:
    if limit.min is not None and limit.max is not None:
        return f"between {_number(limit.min)} and {_number(limit.max)}"
    if limit.min is not None:
        return f"at least {_number(limit.min)}"
    return f"at most {_number(limit.max)}"  # type: ignore[arg-type]


__all__ = ["Finding", "PolicyCheck", "ServingVersion", "check_policy", "evaluate_policy", "parse_as_of"]

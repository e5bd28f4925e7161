"""What report templates see: typed, immutable context trees, one per report kind.

A context holds facts taken from the records (and, for the model and decision reports, from
lineage and fairness results), the labelled fields a user supplied for what records cannot know,
and a ``gaps`` list naming every fact that is missing. Templates receive a context and nothing
else; the context serialized canonically (:func:`evidence_json`) is the report's evidence, attached
to the PDF as ``evidence.json`` and fingerprinted by :func:`evidence_sha256`.

Every context carries ``schema_version`` (``"1"``) and ``kind``. Timestamps are ISO 8601 UTC
strings, absent facts are ``None``. Fields marked ``evidence=False`` (rendered chart images) are
presentation derived from other fields: they are left out of the evidence so the fingerprint
depends on the facts, not on the plotting library.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..records import iso

SCHEMA_VERSION = "1"

#: Report kinds, as named on the command line (``auditkit report KIND``).
REPORT_KINDS = ("model", "decision", "experiment", "inventory", "impact", "diff")


def _presentation() -> Any:
    """A field holding derived presentation (charts): shown, but not part of the evidence."""
    return field(default=(), metadata={"evidence": False})


@dataclass(frozen=True)
class Cover:
    """The cover block every report opens with."""

    kind: str
    title: str
    subject: str
    generated_at: str
    store: str
    backend: str
    auditkit_version: str


@dataclass(frozen=True)
class UserField:
    """A fact records cannot know (purpose, creditor address, …), filled in by the user.

    ``value`` is ``None`` when the user supplied nothing: the report then shows an empty,
    labelled line to fill in by hand. ``provision`` names the rule that asks for it.
    """

    key: str
    label: str
    provision: str
    value: str | None = None


@dataclass(frozen=True)
class Chart:
    """A rendered chart: an SVG as a ``data:`` URI and a text alternative for screen readers."""

    key: str
    title: str
    alt: str
    data_uri: str


@dataclass(frozen=True)
class Approval:
    """Approval evidence for one model version (version tags ``approved_by``/``approved_at``)."""

    status: str  # "approved" | "incomplete" | "not approved"
    by: str | None
    at: str | None
    evidence: str


@dataclass(frozen=True)
class Owner:
    """Who owns a model, and which record says so."""

    user: str | None
    evidence: str


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    digest: str | None
    source_type: str | None
    source: str | None
    rows: int | None
    context: str | None


@dataclass(frozen=True)
class CodeInfo:
    git_commit: str | None
    git_branch: str | None
    repo_url: str | None
    source: str | None
    source_type: str | None


@dataclass(frozen=True)
class RunInfo:
    """One run as a report shows it."""

    run_id: str
    name: str | None
    experiment: str | None
    user: str | None
    status: str | None
    start_time: str | None
    end_time: str | None
    duration_seconds: float | None
    deleted: bool
    code: CodeInfo
    params: Mapping[str, str]
    metrics: Mapping[str, Any]
    datasets: tuple[DatasetInfo, ...]
    registered_as: tuple[str, ...]  # "NAME v3", one per registered version made from this run


@dataclass(frozen=True)
class BestRun:
    metric: str
    direction: str  # "lower" | "higher" (which is better)
    run_id: str
    run_name: str | None
    value: Any
    runs_compared: int


@dataclass(frozen=True)
class RegisteredFromRun:
    name: str
    version: str
    run_id: str | None
    run_name: str | None
    stage: str | None
    aliases: tuple[str, ...]
    created: str | None
    creator: str | None
    approval: Approval


@dataclass(frozen=True)
class ExperimentInfo:
    experiment_id: str
    name: str
    created: str | None
    last_updated: str | None
    deleted: bool
    tags: Mapping[str, str]


@dataclass(frozen=True)
class ExperimentReport:
    """``auditkit report experiment``: the runs of one experiment compared."""

    cover: Cover
    experiment: ExperimentInfo
    runs: tuple[RunInfo, ...]
    param_keys: tuple[str, ...]
    metric_keys: tuple[str, ...]
    best: tuple[BestRun, ...]
    direction_rule: str
    registered: tuple[RegisteredFromRun, ...]
    user_fields: tuple[UserField, ...]
    gaps: tuple[str, ...]
    #: Gaps an accept file accepts: ``{"gap", "accepted_by", "accepted_at", "why", …}`` each.
    accepted_gaps: tuple[Mapping[str, Any], ...] = ()
    charts: tuple[Chart, ...] = _presentation()
    schema_version: str = SCHEMA_VERSION
    kind: str = "experiment"


@dataclass(frozen=True)
class VersionInfo:
    """One registered model version as the inventory and model reports show it."""

    name: str
    version: str
    stage: str | None
    aliases: tuple[str, ...]
    status: str | None
    run_id: str | None
    creator: str | None
    created: str | None
    last_updated: str | None
    description: str | None
    source: str | None
    model_id: str | None
    deleted: bool
    tags: Mapping[str, str]
    approval: Approval


@dataclass(frozen=True)
class PolicyFinding:
    """One policy check result (filled when a policy is given)."""

    rule: str
    model: str
    version: str | None
    severity: str
    passed: bool
    message: str
    evidence: str | None = None


@dataclass(frozen=True)
class InventoryModel:
    name: str
    description: str | None
    created: str | None
    last_activity: str | None
    owner: Owner
    aliases: Mapping[str, str]
    tags: Mapping[str, str]
    versions: tuple[VersionInfo, ...]
    latest_version: str | None
    approved_versions: int
    user_fields: tuple[UserField, ...]
    gaps: tuple[str, ...]
    #: Gaps an accept file accepts: ``{"gap", "accepted_by", "accepted_at", "why", …}`` each.
    accepted_gaps: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class InventorySummary:
    models: int
    versions: int
    live_versions: int  # not deleted
    approved: int
    not_approved: int
    with_alias_or_stage: int


@dataclass(frozen=True)
class InventoryReport:
    """``auditkit report inventory``: every registered model and its compliance status."""

    cover: Cover
    summary: InventorySummary
    models: tuple[InventoryModel, ...]
    policy_given: bool
    policy_source: str | None
    policy_findings: tuple[PolicyFinding, ...]
    policy_serving: tuple[str, ...]
    user_fields: tuple[UserField, ...]
    gaps: tuple[str, ...]
    #: Gaps an accept file accepts: ``{"gap", "accepted_by", "accepted_at", "why", …}`` each.
    accepted_gaps: tuple[Mapping[str, Any], ...] = ()
    schema_version: str = SCHEMA_VERSION
    kind: str = "inventory"


@dataclass(frozen=True)
class HistoryEvent:
    """A stage/alias change (from the ledger) or a record's own timestamp."""

    at: str | None
    what: str
    source: str


@dataclass(frozen=True)
class FairnessGroup:
    group: str
    count: int | None
    selection_rate: float | None
    accuracy: float | None
    true_positive_rate: float | None
    false_positive_rate: float | None
    adverse_impact_ratio: float | None
    adverse_impact_p_value: float | None
    flagged: bool
    ci: Mapping[str, Any]
    #: In a decision report: the group of the applicant whose decision it is.
    applicant: bool = False


@dataclass(frozen=True)
class FairnessSummary:
    source: str
    n: int | None
    sensitive_features: tuple[str, ...]
    positive: Any
    overall: Mapping[str, Any]
    groups: tuple[FairnessGroup, ...]
    disparities: Mapping[str, Any]
    reference_group: str | None
    missing_sensitive: int | None
    warnings: tuple[str, ...]
    charts: tuple[Chart, ...] = _presentation()


@dataclass(frozen=True)
class ReproducibilityFact:
    """One thing teams track about a training run: its value and source, or the gap."""

    what: str
    value: str | None
    source: str | None
    gap: str | None


@dataclass(frozen=True)
class Reproducibility:
    """The model report's reproducibility section and the verdict of ``auditkit reproduce``."""

    facts: tuple[ReproducibilityFact, ...]
    verdict: str
    gaps: tuple[str, ...]
    entry_point: str | None = None


@dataclass(frozen=True)
class ModelReport:
    """``auditkit report model``: one registered version, as Annex IV and SR 11-7 ask."""

    cover: Cover
    model: VersionInfo
    registered_description: str | None
    owner: Owner
    approval: Approval
    other_versions: tuple[VersionInfo, ...]
    run: RunInfo | None
    history: tuple[HistoryEvent, ...]
    history_source: str
    fairness: FairnessSummary | None
    user_fields: tuple[UserField, ...]
    gaps: tuple[str, ...]
    #: The version's decisions re-performed (replay rate, global importance), when asked for.
    logic: Mapping[str, Any] | None = None
    #: Gaps an accept file accepts: ``{"gap", "accepted_by", "accepted_at", "why", …}`` each.
    accepted_gaps: tuple[Mapping[str, Any], ...] = ()
    schema_version: str = SCHEMA_VERSION
    kind: str = "model"
    reproducibility: Reproducibility | None = None


@dataclass(frozen=True)
class LineageFact:
    """One link of a decision's lineage chain and the record it comes from."""

    step: str
    value: str | None
    source: str


@dataclass(frozen=True)
class LogicApplied:
    """The decision re-performed (:func:`auditkit.explain`): replay verdict, contributions,
    recomputed vs logged reasons, counterfactuals, method and artifact hashes."""

    replay: Mapping[str, Any]
    artifact: Mapping[str, Any]
    method: str | None
    scale: str | None
    base_value: float | None
    contributions: tuple[Mapping[str, Any], ...]
    reasons: tuple[Mapping[str, Any], ...]
    logged_reasons: tuple[Mapping[str, Any], ...]
    counterfactuals: tuple[Mapping[str, Any], ...]
    counterfactual_search: Mapping[str, Any] | None
    reason_map: Mapping[str, Any] | None
    charts: tuple[Chart, ...] = _presentation()


@dataclass(frozen=True)
class DecisionReport:
    """``auditkit report decision``: the regulator's question about one automated decision."""

    cover: Cover
    prediction: Mapping[str, Any]
    inputs: Mapping[str, Any]
    model: Mapping[str, Any]
    serving_evidence: tuple[str, ...]
    chain: tuple[LineageFact, ...]
    run: Mapping[str, Any]
    code: Mapping[str, Any]
    datasets: tuple[DatasetInfo, ...]
    owner: Mapping[str, Any]
    approvals: tuple[Mapping[str, Any], ...]
    reasons: tuple[Mapping[str, Any], ...]
    fairness: FairnessSummary | None
    user_fields: tuple[UserField, ...]
    gaps: tuple[str, ...]
    #: The decision re-performed (``explain=`` options given), else ``None``.
    logic: LogicApplied | None = None
    #: Gaps an accept file accepts: ``{"gap", "accepted_by", "accepted_at", "why", …}`` each.
    accepted_gaps: tuple[Mapping[str, Any], ...] = ()
    #: Log columns that are not the model's inputs (when its signature was read), and the source.
    other_columns: Mapping[str, Any] = field(default_factory=dict)
    inputs_source: str | None = None
    schema_version: str = SCHEMA_VERSION
    kind: str = "decision"


@dataclass(frozen=True)
class ImpactReport:
    """``auditkit report impact``: an incident file: what a commit, dataset, run or version touched
    (runs, versions, serving windows, decisions) and where each alias can be rolled back to."""

    cover: Cover
    target: Mapping[str, Any]
    ledger: str | None
    window: Mapping[str, Any]
    runs: tuple[Mapping[str, Any], ...]
    versions: tuple[Mapping[str, Any], ...]
    decisions: Mapping[str, Any]
    rollback: tuple[Mapping[str, Any], ...]
    user_fields: tuple[UserField, ...]
    gaps: tuple[str, ...]
    schema_version: str = SCHEMA_VERSION
    kind: str = "impact"


@dataclass(frozen=True)
class DiffReport:
    """``auditkit report diff``: two model versions or runs side by side, differences first."""

    cover: Cover
    a: Mapping[str, Any]
    b: Mapping[str, Any]
    differences: tuple[Mapping[str, Any], ...]
    same: tuple[str, ...]
    user_fields: tuple[UserField, ...]
    gaps: tuple[str, ...]
    schema_version: str = SCHEMA_VERSION
    kind: str = "diff"


ReportContext = ExperimentReport | InventoryReport | ModelReport | DecisionReport | ImpactReport | DiffReport


# -- evidence ---------------------------------------------------------------------------------
def to_evidence(value: Any) -> Any:
    """The JSON-ready evidence form of a context (presentation fields left out).

    Non-finite floats become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` (JSON has no
    literal for them and the fact must not be lost).
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            if f.metadata.get("evidence", True):
                out[f.name] = to_evidence(getattr(value, f.name))
        return out
    if isinstance(value, Mapping):
        return {str(k): to_evidence(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_evidence(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def evidence_json(ctx: Any) -> bytes:
    """The context as canonical JSON (sorted keys, no whitespace, UTF-8): ``evidence.json``."""
    text = json.dumps(to_evidence(ctx), sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)
    return text.encode("utf-8")


def evidence_sha256(ctx: Any) -> str:
    """SHA-256 (hex) of :func:`evidence_json`; equals ``sha256sum evidence.json`` of the PDF."""
    return hashlib.sha256(evidence_json(ctx)).hexdigest()

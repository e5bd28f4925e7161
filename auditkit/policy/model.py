"""The compliance policy: which registry positions count as serving, and the rules every
serving model version must meet. ``docs/policy.md`` is the reference; :mod:`.loader` reads a
policy file into these types and :mod:`.default` holds the built-in one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 1
SEVERITIES = ("error", "warning", "info")
#: Disparities a fairness rule can limit (the names of :mod:`auditkit.fairness`).
FAIRNESS_METRICS = ("demographic_parity_difference", "demographic_parity_ratio",
                    "equalized_odds_difference", "equalized_odds_ratio")
DEFAULT_SOURCE = "built-in default"


# -- rules ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """Base of every rule: its name (the key under ``rules:``), severity and line in the file."""

    severity: str
    line: int | None = field(default=None, compare=False)
    name = ""


@dataclass(frozen=True)
class ApprovalRule(Rule):
    """Version tags that must be present, each value matching a regex (``re.fullmatch``); the
    approval time (tag ``at_tag``) may not precede the version's registration."""

    tags: tuple[tuple[str, str], ...] = ()
    #: The tag holding when the version was approved: a time before its registration is a finding.
    at_tag: str = "approved_at"
    name = "approval"


@dataclass(frozen=True)
class ApproverNotCreatorRule(Rule):
    """The approver (tag ``approver_tag``) is not the version's creator (its ``creator``, else its
    source run's user: :func:`auditkit.accountability.creator_of`). ``creator_unknown`` is the
    severity of the finding when no creator is on record (``None``: no finding)."""

    approver_tag: str = "approved_by"
    creator_unknown: str | None = "info"
    name = "approver_not_creator"


@dataclass(frozen=True)
class ApprovalAgeRule(Rule):
    """The approval (time in tag ``tag``) is at most ``max_days`` old at the as-of time."""

    max_days: float = 365.0
    tag: str = "approved_at"
    name = "approval_age"


@dataclass(frozen=True)
class TrainingDatasetRule(Rule):
    """The version's source run logged a dataset (``mlflow.log_input``) with this context."""

    context: str = "training"
    name = "training_dataset"


@dataclass(frozen=True)
class GitCommitRule(Rule):
    """The source run carries a git commit tag (optionally matching ``pattern``)."""

    tag: str = "mlflow.source.git.commit"
    pattern: str | None = None
    name = "git_commit"


@dataclass(frozen=True)
class OwnerRule(Rule):
    """Some record names an owner: version creator, run user, or an ``owner`` tag."""

    name = "owner"


@dataclass(frozen=True)
class FairnessLimit:
    metric: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class FairnessRule(Rule):
    """Disparities of the version's own decisions in a prediction log stay within limits."""

    predictions: str = ""
    sensitive: tuple[str, ...] = ()
    limits: tuple[FairnessLimit, ...] = ()
    positive: Any = None
    columns: Mapping[str, str] = field(default_factory=dict)
    label_positive: Any = None
    #: Severity of the finding when the log holds no decision by the version (None: no finding).
    no_decisions: str | None = "error"
    #: A registry ledger (``auditkit snapshot``) that attributes alias- and stage-logged decisions.
    ledger: str | None = None
    name = "fairness"

    @property
    def needs_labels(self) -> bool:
        """True when a limit is on an equalized-odds disparity (those need the label column)."""
        return any(lim.metric.startswith("equalized_odds") for lim in self.limits)


@dataclass(frozen=True)
class ReplayRule(Rule):
    """The version's decisions in a prediction log reproduce when re-performed from its artifact
    (:func:`auditkit.explain_frame`): at least ``min_rate`` of them (default all)."""

    predictions: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    artifact_roots: tuple[str, ...] = ()
    trust_pickle: bool = False
    reason_map: str | None = None
    background: str | None = None
    min_rate: float = 1.0
    name = "replay"


@dataclass(frozen=True)
class ReasonsConsistentRule(ReplayRule):
    """Every logged reason of the version's decisions is among the principal reasons its model
    supports when re-performed (Regulation B; CFPB circular 2023-03): at least ``min_rate`` of the
    decisions with logged reasons (default all)."""

    name = "reasons_consistent"


RULES: dict[str, type[Rule]] = {r.name: r for r in (
    ApprovalRule, ApproverNotCreatorRule, ApprovalAgeRule, TrainingDatasetRule, GitCommitRule,
    OwnerRule, FairnessRule, ReplayRule, ReasonsConsistentRule)}


@dataclass(frozen=True)
class Policy:
    """A loaded policy. ``source`` is the file path (or ``"built-in default"``), ``sha256`` the
    hash of its bytes, ``rules`` in file order."""

    name: str | None
    source: str
    sha256: str
    serving_stages: tuple[str, ...]
    serving_aliases: tuple[str, ...]
    rules: tuple[Rule, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "sha256": self.sha256,
                "serving": {"stages": list(self.serving_stages), "aliases": list(self.serving_aliases)},
                "rules": [{"rule": r.name, "severity": r.severity} for r in self.rules]}

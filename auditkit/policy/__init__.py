"""Compliance policy: which serving model versions lack the evidence a policy requires.

- :mod:`.model`: the policy and its rule types; :mod:`.loader`: reading a policy file strictly;
  :mod:`.default`: the built-in policy;
- :mod:`.checker`: checking every serving version (:func:`check_policy`, :func:`evaluate_policy`);
  :mod:`.findings`: the sentences findings are written in.
"""

from __future__ import annotations

from ..errors import PolicyError
from .checker import Finding, PolicyCheck, ServingVersion, check_policy, evaluate_policy, parse_as_of
from .default import DEFAULT_POLICY_YAML, default_policy
from .loader import load_policy, parse_policy
from .model import (
    FAIRNESS_METRICS,
    RULES,
    SEVERITIES,
    ApprovalAgeRule,
    ApprovalRule,
    ApproverNotCreatorRule,
    FairnessLimit,
    FairnessRule,
    GitCommitRule,
    OwnerRule,
    Policy,
    Rule,
    TrainingDatasetRule,
)

__all__ = [
    "DEFAULT_POLICY_YAML", "FAIRNESS_METRICS", "RULES", "SEVERITIES", "ApprovalAgeRule", "ApprovalRule",
    "ApproverNotCreatorRule", "FairnessLimit", "FairnessRule", "Finding", "GitCommitRule", "OwnerRule", "Policy",
    "PolicyCheck", "PolicyError", "Rule", "ServingVersion", "TrainingDatasetRule", "check_policy",
    "default_policy", "evaluate_policy", "load_policy", "parse_as_of", "parse_policy",
]

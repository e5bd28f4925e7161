"""auditkit: turn experiment-tracking data into audit evidence.

The parts, data flowing one way (each imports only from the parts before it)::

    errors, times, records, accountability      the shared ground: errors, the one time grammar,
            │                                    frozen records, who owns and approved what
    connectors                                   read-only views of MLflow, W&B, … stores
            │
    logs                                         prediction logs: the decisions as served
            │
    ledger                                       the registry's history, hash-chained
            │
    provenance (lineage)                         decision → version → run → data → code → owner
            │
    reperform (explain)                          the decision re-performed: replay, reasons, counterfactuals
            │
    fairness                                     group metrics and disparities
            │
    policy                                       which serving versions lack required evidence
            │
    reports                                      PDF/HTML evidence a compliance officer files
            │
    cli                                          the ``auditkit`` command

Public names are below (:data:`__all__`); everything else is private to its part. The fairness
functions load pandas and numpy on first use, so ``import auditkit`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from .connectors import Connector, open_store
from .errors import AuditkitError
from .ledger import (
    AliasResolution,
    RegistryChange,
    VerifyResult,
    resolve_alias_at,
    resolve_stage_at,
    snapshot,
    verify_ledger,
)
from .logs import PredictionLog, open_predictions
from .policy import Finding, Policy, PolicyCheck, check_policy, evaluate_policy, load_policy
from .provenance import DataVerification, lineage, lineage_frame, verify_data
from .records import DatasetRef, Experiment, LoggedModel, ModelVersion, RegisteredModel, Run, StoreInfo
from .version import __version__

# Names whose modules load pandas/numpy: imported on first use (see __getattr__).
_HEAVY = {"assess_fairness": "auditkit.fairness", "FairnessResult": "auditkit.fairness",
          "explain": "auditkit.reperform", "explain_frame": "auditkit.reperform"}

__all__ = [
    "AliasResolution", "AuditkitError", "Connector", "DataVerification", "DatasetRef", "Experiment",
    "FairnessResult", "Finding", "LoggedModel", "ModelVersion", "Policy", "PolicyCheck", "PredictionLog",
    "RegisteredModel", "RegistryChange", "Run", "StoreInfo", "VerifyResult", "__version__", "assess_fairness",
    "check_policy", "evaluate_policy", "explain", "explain_frame", "lineage", "lineage_frame", "load_policy", "open_predictions",
    "open_store", "resolve_alias_at", "resolve_stage_at", "snapshot", "verify_data", "verify_ledger",
]


def __getattr__(name: str) -> Any:
    """Load the fairness and explain names on first use (pandas and numpy are heavy)."""
    module = _HEAVY.get(name)
    if module is None:
        raise AttributeError(f"module 'auditkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HEAVY))

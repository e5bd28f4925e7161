"""auditkit: turn experiment-tracking data into audit evidence.

``connectors → records → lineage → fairness → reports → cli``, data flowing one way.

The public functions below are loaded on first use, so ``import auditkit`` stays light.
"""

from __future__ import annotations

import importlib

from .connectors import open_store
from .errors import AuditkitError

# Imported now, not lazily: the function `lineage` has its module's name, and any later import of
# `auditkit.lineage` (the module) would otherwise shadow the lazy function. The module is light
# (no pandas at import).
from .lineage import lineage, lineage_frame  # noqa: E402,F401

__version__ = "0.1.0"

# public name -> module that defines it (imported on first attribute access)
_LAZY = {
    "open_predictions": "auditkit.predictions",
    "lineage": "auditkit.lineage",
    "lineage_frame": "auditkit.lineage",
    "assess_fairness": "auditkit.fairness",
    "FairnessResult": "auditkit.fairness",
    "check_policy": "auditkit.policy",
    "load_policy": "auditkit.policy",
    "snapshot": "auditkit.ledger",
    "verify_ledger": "auditkit.ledger",
    "resolve_alias_at": "auditkit.ledger",
    "resolve_stage_at": "auditkit.ledger",
}

__all__ = ["AuditkitError", "__version__", "open_store", *sorted(_LAZY)]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'auditkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

"""A tamper-evident, append-only ledger of a model registry's state over time.

MLflow keeps no history of stage or alias changes; ``auditkit snapshot`` does:

- :mod:`.state`: the registry state a snapshot records, and the changes between two states;
- :mod:`.chain`: the hash chain — reading and verifying a ledger, the loaded :class:`Ledger`;
- :mod:`.snapshot`: appending a snapshot under a lock;
- :mod:`.history`: what moved when, and where an alias or stage pointed at a given time.
"""

from __future__ import annotations

from .chain import (
    GENESIS_SHA256,
    Ledger,
    VerifyResult,
    entry_sha256,
    load_ledger,
    read_ledger,
    state_at,
    verify_ledger,
)
from .history import (
    ALL_KINDS,
    DEFAULT_KINDS,
    AliasResolution,
    RegistryChange,
    alias_history,
    resolve_alias_at,
    resolve_stage_at,
)
from .snapshot import snapshot
from .state import apply_changes, canonical_json, diff_states, registry_state, state_sha256

__all__ = [
    "ALL_KINDS", "DEFAULT_KINDS", "GENESIS_SHA256", "AliasResolution", "Ledger", "RegistryChange",
    "VerifyResult", "alias_history", "apply_changes", "canonical_json", "diff_states", "entry_sha256",
    "load_ledger", "read_ledger", "registry_state", "resolve_alias_at", "resolve_stage_at", "snapshot",
    "state_at", "state_sha256", "verify_ledger",
]

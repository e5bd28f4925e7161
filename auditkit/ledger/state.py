"""The registry state a ledger records: a flat mapping of keys to values, and its changes.

The state is a flat mapping of keys (tuples of strings) to values::

    (model, "registered")                  -> true
    (model, "description")                 -> text
    (model, "tag", key)                    -> value
    (model, "alias", alias)                -> version
    (model, "version", v, "exists")        -> true
    (model, "version", v, field)           -> value (stage, run_id, source, status, creator,
                                              model_id, description, created, deleted)
    (model, "version", v, "tag", key)      -> value

Absent facts are not stored, so a change's ``old``/``new`` of ``null`` means "not there".
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from ..connectors import Connector
from ..times import format_time

#: Version fields copied into the state (besides ``exists``, ``deleted`` and tags).
VERSION_FIELDS = ("stage", "run_id", "source", "status", "creator", "model_id", "description")

Key = tuple[str, ...]
State = dict[Key, Any]


def canonical_json(value: Any) -> bytes:
    """The canonical bytes an entry's hash is computed over: UTF-8 JSON, keys sorted, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def state_sha256(state: State) -> str:
    """SHA-256 (hex) of a registry state: the canonical JSON of its sorted ``[key, value]`` pairs."""
    pairs = [[list(k), state[k]] for k in sorted(state)]
    return hashlib.sha256(canonical_json(pairs)).hexdigest()


def registry_state(store: Connector) -> State:
    """The flat registry state (see the module docstring) read from an open store.

    Raises :class:`~auditkit.errors.StoreError` when the store cannot be read.
    """
    state: State = {}
    for rm in store.registered_models():
        m = rm.name
        state[(m, "registered")] = True
        if rm.description:
            state[(m, "description")] = rm.description
        for k, v in rm.tags.items():
            state[(m, "tag", k)] = v
        for alias, version in rm.aliases.items():
            state[(m, "alias", alias)] = str(version)
    for mv in store.model_versions():
        base = (mv.name, "version", mv.version)
        state[(mv.name, "registered")] = True
        state[base + ("exists",)] = True
        state[base + ("deleted",)] = bool(mv.deleted)
        for f in VERSION_FIELDS:
            value = getattr(mv, f)
            if value is not None and value != "":
                state[base + (f,)] = value
        if mv.creation_time is not None:
            state[base + ("created",)] = format_time(mv.creation_time)
        for k, v in mv.tags.items():
            state[base + ("tag", k)] = v
    return state


def diff_states(old: State, new: State) -> list[dict[str, Any]]:
    """The changes turning ``old`` into ``new``: ``{"key", "old", "new"}`` sorted by key
    (``None`` for a fact that is not there)."""
    keys = sorted(set(old) | set(new))
    return [{"key": list(k), "old": old.get(k), "new": new.get(k)} for k in keys if old.get(k) != new.get(k)]


def apply_changes(state: State, changes: Iterable[dict[str, Any]]) -> None:
    """Apply an entry's changes to ``state`` in place."""
    for ch in changes:
        key = tuple(ch["key"])
        if ch["new"] is None:
            state.pop(key, None)
        else:
            state[key] = ch["new"]

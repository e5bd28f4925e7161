"""Appending a snapshot of a registry's state to its ledger, under a lock."""

from __future__ import annotations

import fcntl
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .. import errors
from ..connectors import Connector, open_store, store_identity
from ..times import format_time, parse_time
from .chain import GENESIS_SHA256, LEDGER_KIND, LEDGER_SCHEMA_VERSION, entry_sha256, read_verified
from .messages import LEDGER_CLOCK_BACKWARDS, LEDGER_IS_STORE, LEDGER_NOT_WRITABLE, LEDGER_OTHER_STORE
from .state import State, canonical_json, diff_states, registry_state, state_sha256


def snapshot(store: "Connector | str | None", ledger_path: str | os.PathLike, *,
             now: datetime | str | None = None,
             sign: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Append the registry's current state (as changes since the last entry) to the ledger.

    ``store`` is an open connector or a store URI (``None``: ``$AUDITKIT_STORE``, then
    ``$MLFLOW_TRACKING_URI``). ``now`` overrides the clock (tests, ``--as-of``). The append holds an
    exclusive lock (``<ledger>.lock`` beside the ledger's resolved real path, so a symlink to
    the ledger shares its lock), re-reads and verifies the ledger under it, writes one line
    with a single ``os.write`` in append mode and fsyncs it (and the folder when the file is new).
    ``sign`` (e.g. an :class:`auditkit.signing.LedgerSigner`) is called with the new entry before
    its ``sha256`` is computed and returns fields to add to it (its ``signature``).
    Returns the appended entry.

    Raises :class:`~auditkit.errors.StoreError` (store unreadable), :class:`~auditkit.errors.LedgerError`
    (unwritable, another store's ledger, clock earlier than the last entry) and
    :class:`~auditkit.errors.LedgerTamperedError` (the existing chain is broken: nothing is appended).
    """
    # Every name of one ledger (a symlink, a relative path, ``..``) is one file and one lock:
    # lock, read, verify and append all go through the resolved real path.
    shown = str(ledger_path)
    path = Path(os.path.realpath(Path(ledger_path).expanduser()))
    fixed = parse_time(now, what="--as-of") if now is not None else None  # bad input: no file touched
    backend, store_id = store_identity(store)
    if store_id.startswith("sqlite:///") and Path(store_id[len("sqlite:///"):]) == path:
        raise errors.UsageError(LEDGER_IS_STORE.format(path=shown))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise errors.LedgerError(LEDGER_NOT_WRITABLE.format(path=shown, reason=exc.strerror or exc)) from None
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        return _append_locked(store, path, shown, backend, store_id, fixed, sign)
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)


def _append_locked(store: "Connector | str | None", path: Path, shown: str, backend: str, store_id: str,
                   now: datetime | None,
                   sign: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    created = not path.exists()
    entries: list[dict[str, Any]] = []
    old: State = {}
    if not created:
        entries, old = read_verified(path, name=shown)
    last = entries[-1] if entries else None
    if last is not None and last["store"] != store_id:
        raise errors.LedgerError(LEDGER_OTHER_STORE.format(path=shown, recorded=last["store"], given=store_id))
    taken = now if now is not None else datetime.now(timezone.utc)
    if last is not None and taken < parse_time(last["taken_at"], what="ledger taken_at"):
        raise errors.LedgerError(LEDGER_CLOCK_BACKWARDS.format(
            taken_at=format_time(taken), last=last["taken_at"], seq=last["seq"], path=shown))
    if isinstance(store, Connector):
        new = registry_state(store)
    else:
        with open_store(store) as opened:
            new = registry_state(opened)
    entry: dict[str, Any] = {
        "ledger": LEDGER_KIND, "schema_version": LEDGER_SCHEMA_VERSION,
        "seq": (last["seq"] + 1) if last else 1, "taken_at": format_time(taken, timespec="microseconds"),
        "store": store_id, "backend": backend, "changes": diff_states(old, new),
        "state_sha256": state_sha256(new), "prev_sha256": last["sha256"] if last else GENESIS_SHA256,
    }
    if sign is not None:  # a signed ledger head: the signature is part of what the hash covers
        entry.update(sign(dict(entry)))
    entry["sha256"] = entry_sha256(entry)
    line = canonical_json(entry) + b"\n"
    try:
        fd = os.open(str(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(0, f"short write ({written} of {len(line)} bytes)")
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            dir_fd = os.open(str(path.parent), os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        raise errors.LedgerError(LEDGER_NOT_WRITABLE.format(path=shown, reason=exc.strerror or exc)) from None
    return entry

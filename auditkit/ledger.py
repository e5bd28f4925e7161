"""A tamper-evident, append-only ledger of a model registry's state over time.

MLflow keeps no history of stage or alias changes; ``auditkit snapshot`` does. Each snapshot appends
one JSON line to the ledger holding the *changes* since the state rebuilt from the earlier entries
(the first entry holds the whole state; an unchanged registry appends an entry with no changes, so
the time it was observed unchanged is on record). Every entry carries the SHA-256 of the entry
before it (``prev_sha256``; the first one 64 zeros) and its own ``sha256`` over its canonical JSON
form, so an edited, deleted, reordered or inserted entry breaks the chain (:func:`verify_ledger`).

The registry state is a flat mapping of keys (lists of strings) to values::

    [model, "registered"]                  -> true
    [model, "description"]                 -> text
    [model, "tag", key]                    -> value
    [model, "alias", alias]                -> version
    [model, "version", v, "exists"]        -> true
    [model, "version", v, field]           -> value (stage, run_id, source, status, creator,
                                              model_id, description, created, deleted)
    [model, "version", v, "tag", key]      -> value

Absent facts are not stored, so a change's ``old``/``new`` of ``null`` means "not there". History and
alias-at-time questions live in :mod:`auditkit.ledger_history`; they are re-exported here.
"""

from __future__ import annotations

import bisect
import copy
import fcntl
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable

from . import errors
from .connectors import Connector, classify, open_store, redact_uri, resolve_store_uri
from .records import iso

#: ``prev_sha256`` of the first entry.
GENESIS_SHA256 = "0" * 64
#: Format marker and version written into every entry.
LEDGER_KIND = "auditkit-registry-ledger"
LEDGER_SCHEMA_VERSION = "1"
#: Version fields copied into the state (besides ``exists``, ``deleted`` and tags).
VERSION_FIELDS = ("stage", "run_id", "source", "status", "creator", "model_id", "description")

Key = tuple[str, ...]
State = dict[Key, Any]


# -- canonical form and hashes ------------------------------------------------------------------
def canonical_json(value: Any) -> bytes:
    """The canonical bytes an entry's hash is computed over: UTF-8 JSON, keys sorted, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def entry_sha256(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of an entry's canonical JSON without its own ``sha256`` field."""
    body = {k: v for k, v in entry.items() if k != "sha256"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def state_sha256(state: State) -> str:
    """SHA-256 (hex) of a registry state: the canonical JSON of its sorted ``[key, value]`` pairs."""
    pairs = [[list(k), state[k]] for k in sorted(state)]
    return hashlib.sha256(canonical_json(pairs)).hexdigest()


# -- registry state -----------------------------------------------------------------------------
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
            state[base + ("created",)] = iso(mv.creation_time)
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


# -- reading and verifying ----------------------------------------------------------------------
@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify_ledger`. When ``ok`` is false, ``line``/``seq``/``problem`` name the
    first bad entry (``seq`` as written in it, ``None`` when unreadable). ``anchor_found`` says
    whether the chain holds the ``anchor`` given to :func:`verify_ledger` (``None``: none given)."""

    ok: bool
    path: str
    entries: int
    head_sha256: str | None
    head_seq: int | None
    head_taken_at: str | None
    line: int | None = None
    seq: int | None = None
    problem: str | None = None
    anchor_found: bool | None = field(default=None, compare=False)

    @property
    def message(self) -> str:
        if self.ok:
            return f"ok: {self.entries} entries, chain intact"
        return _bad_entry_message(self.path, self.line, self.seq, self.problem)

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": "1", "ok": self.ok, "ledger": self.path, "entries": self.entries,
                "head_sha256": self.head_sha256, "head_seq": self.head_seq,
                "head_taken_at": self.head_taken_at, "line": self.line, "seq": self.seq,
                "problem": self.problem, "message": self.message}


class _Bad(Exception):
    def __init__(self, line: int, seq: Any, problem: str) -> None:
        super().__init__(problem)
        self.line, self.seq, self.problem = line, seq if isinstance(seq, int) else None, problem


def _bad_entry_message(path: str, line: int | None, seq: int | None, problem: str | None) -> str:
    return errors.LEDGER_BAD_ENTRY.format(path=path, line=line, seq=seq if seq is not None else "?",
                                          problem=problem)


_REQUIRED = (("seq", int, "an integer"), ("taken_at", str, "an ISO 8601 time"), ("store", str, "text"),
             ("changes", list, "a list"), ("state_sha256", str, "a SHA-256"),
             ("prev_sha256", str, "a SHA-256"), ("sha256", str, "a SHA-256"))


def parse_time(value: Any, what: str = "time") -> datetime:
    """An aware UTC datetime from a datetime or ISO 8601 text (naive values are taken as UTC).

    Raises :class:`~auditkit.errors.UsageError` for anything else.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise errors.UsageError(errors.LEDGER_BAD_TIME.format(what=what, value=value)) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _check_chain(data: bytes) -> tuple[list[dict[str, Any]], State]:
    """Parse and verify every entry; return the entries and the final state, or raise ``_Bad``."""
    entries: list[dict[str, Any]] = []
    state: State = {}
    state_hash = state_sha256(state)  # recomputed only after an entry that changes the state
    prev_sha, prev_time, first_store = GENESIS_SHA256, None, None
    lines = data.split(b"\n")
    last = len(lines) - 1  # text after the final newline (empty for a well-formed file)
    for idx, raw in enumerate(lines):
        lineno = idx + 1
        if idx == last:
            if raw:
                raise _Bad(lineno, _peek_seq(raw), errors.LEDGER_P_INCOMPLETE)
            break
        if not raw.strip():
            raise _Bad(lineno, None, errors.LEDGER_P_EMPTY)
        try:
            entry = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Bad(lineno, None, errors.LEDGER_P_NOT_JSON.format(reason=str(exc).split(":")[0])) from None
        if not isinstance(entry, dict):
            raise _Bad(lineno, None, errors.LEDGER_P_NOT_JSON.format(reason="not an object"))
        seq = entry.get("seq")
        for name, typ, expected in _REQUIRED:
            if not isinstance(entry.get(name), typ) or (typ is int and isinstance(entry.get(name), bool)):
                raise _Bad(lineno, seq, errors.LEDGER_P_FIELD.format(field=name, expected=expected))
        if entry_sha256(entry) != entry["sha256"]:
            raise _Bad(lineno, seq, errors.LEDGER_P_HASH)
        if seq != len(entries) + 1:
            raise _Bad(lineno, seq, errors.LEDGER_P_SEQ.format(got=seq, expected=len(entries) + 1))
        if entry["prev_sha256"] != prev_sha:
            raise _Bad(lineno, seq, errors.LEDGER_P_PREV)
        try:
            taken = parse_time(entry["taken_at"])
        except errors.UsageError:
            raise _Bad(lineno, seq, errors.LEDGER_P_FIELD.format(field="taken_at", expected="an ISO 8601 time")) from None
        if prev_time is not None and taken < prev_time:
            raise _Bad(lineno, seq, errors.LEDGER_P_TIME.format(got=entry["taken_at"], previous=iso(prev_time)))
        if first_store is None:
            first_store = entry["store"]
        elif entry["store"] != first_store:
            raise _Bad(lineno, seq, errors.LEDGER_P_STORE.format(got=entry["store"], expected=first_store))
        for ch in entry["changes"]:
            if not (isinstance(ch, dict) and isinstance(ch.get("key"), list) and "old" in ch and "new" in ch):
                raise _Bad(lineno, seq, errors.LEDGER_P_FIELD.format(field="changes", expected="a list of {key, old, new}"))
            key = tuple(ch["key"])
            if state.get(key) != ch["old"]:
                raise _Bad(lineno, seq, errors.LEDGER_P_CHANGE.format(key=list(key), old=ch["old"], actual=state.get(key)))
            apply_changes(state, [ch])
        if entry["changes"]:
            state_hash = state_sha256(state)
        if state_hash != entry["state_sha256"]:
            raise _Bad(lineno, seq, errors.LEDGER_P_STATE.format(seq=seq))
        entries.append(entry)
        prev_sha, prev_time = entry["sha256"], taken
    return entries, state


def _peek_seq(raw: bytes) -> int | None:
    """The seq of a cut-off line, if the part that survived still shows it."""
    found = re.search(rb'"seq":(\d+)[,}]', raw)
    return int(found.group(1)) if found else None


def _read_bytes(path: str | os.PathLike) -> bytes:
    p = Path(path)
    if not p.exists():
        raise errors.LedgerError(errors.LEDGER_MISSING.format(path=str(p)))
    try:
        return p.read_bytes()
    except OSError as exc:
        raise errors.LedgerError(errors.LEDGER_UNREADABLE.format(path=str(p), reason=exc.strerror or exc)) from None


def _read_verified(path: str | os.PathLike) -> tuple[list[dict[str, Any]], State]:
    """The entries and final state of a verified ledger; raises ``LedgerError`` /
    ``LedgerTamperedError`` (naming the first bad entry)."""
    data = _read_bytes(path)
    try:
        return _check_chain(data)
    except _Bad as bad:
        raise errors.LedgerTamperedError(_bad_entry_message(str(path), bad.line, bad.seq, bad.problem)) from None


def verify_ledger(path: str | os.PathLike, *, anchor: str | None = None) -> VerifyResult:
    """Check a ledger's hash chain, sequence numbers, times and recorded states.

    Returns a :class:`VerifyResult` naming the first bad entry (it does not raise for tampering).
    Raises :class:`~auditkit.errors.LedgerError` when the file is missing or unreadable.
    A ledger cut short after its last good entry cannot be told from one never longer: compare
    ``head_sha256`` with a copy kept elsewhere (``auditkit verify --anchor``): pass it as
    ``anchor`` and the result's ``anchor_found`` says whether an entry of the chain has it.
    """
    data = _read_bytes(path)
    try:
        entries, _ = _check_chain(data)
    except _Bad as bad:
        return VerifyResult(False, str(path), bad.line - 1, None, None, None, bad.line, bad.seq, bad.problem)
    head = entries[-1] if entries else None
    found = None if anchor is None else any(e["sha256"] == anchor.lower() for e in entries)
    return VerifyResult(True, str(path), len(entries), head and head["sha256"], head and head["seq"],
                        head and head["taken_at"], anchor_found=found)


def read_ledger(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Every entry of a verified ledger, oldest first (the dicts as written).

    Raises :class:`~auditkit.errors.LedgerError` (missing, unreadable) and
    :class:`~auditkit.errors.LedgerTamperedError` (exit code 1) naming the first bad entry.
    """
    return copy.deepcopy(load_ledger(path).entries)  # the cached ledger stays untouched


class Ledger:
    """A verified ledger loaded in memory: entries, their times, per-key change points, models named."""

    def __init__(self, path: str, entries: list[dict[str, Any]]) -> None:
        self.path = path
        self.entries = entries
        self.times = [parse_time(e["taken_at"]) for e in entries]
        # key -> [(seq, value)], the value the key took at each entry that changed it
        self.points: dict[Key, list[tuple[int, Any]]] = {}
        for e in entries:
            for ch in e["changes"]:
                self.points.setdefault(tuple(ch["key"]), []).append((e["seq"], ch["new"]))
        self.models = {k[0] for k in self.points if k}
        self._versions: dict[str, list[str]] = {}

    def value_at(self, key: Key, seq: int) -> Any:
        """The value ``key`` held in snapshot ``seq`` (``None`` when absent)."""
        points = self.points.get(tuple(key), ())
        i = bisect.bisect_right(points, seq, key=itemgetter(0))  # points are in seq order
        return points[i - 1][1] if i else None

    def versions_of(self, name: str) -> list[str]:
        """The versions of model ``name`` on record, numbers first in numeric order (worked out once)."""
        if name not in self._versions:
            self._versions[name] = sorted({k[2] for k in self.points if k[0] == name and k[1] == "version"},
                                          key=lambda v: (not str(v).isdigit(), int(v) if str(v).isdigit() else 0, str(v)))
        return self._versions[name]

    def alias_timeline(self, name: str, alias: str) -> list[tuple[datetime, int, str | None]]:
        """``(taken_at, seq, version or None)`` for every snapshot, oldest first: where the alias
        pointed at each one (for batch joins, e.g. :func:`pandas.merge_asof`; the no-guessing rules
        of :func:`resolve_alias_at` still apply between snapshots)."""
        points = dict(self.points.get((name, "alias", alias), ()))
        out, value = [], None
        for when, e in zip(self.times, self.entries):
            if e["seq"] in points:
                value = points[e["seq"]]
            out.append((when, e["seq"], value))
        return out

    def state_at(self, seq: int) -> State:
        """The full registry state recorded by snapshot ``seq`` (1-based).

        Raises :class:`~auditkit.errors.UsageError` for a seq the ledger does not hold.
        """
        if not 1 <= seq <= len(self.entries):
            raise errors.UsageError(f"ledger {self.path!r} has no snapshot #{seq}; expected 1..{len(self.entries)}")
        state: State = {}
        for e in self.entries[:seq]:
            apply_changes(state, e["changes"])
        return state


_CACHE: dict[str, tuple[tuple[int, int, int], Ledger]] = {}


def load_ledger(path: "str | os.PathLike | Ledger") -> Ledger:
    """Read and verify a ledger (cached until the file changes).

    Raises :class:`~auditkit.errors.LedgerError` and :class:`~auditkit.errors.LedgerTamperedError`.
    """
    if isinstance(path, Ledger):
        return path
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = None
    cached = _CACHE.get(real)
    if stamp is not None and cached and cached[0] == stamp:
        return cached[1]
    entries, _ = _read_verified(path)
    ledger = Ledger(str(path), entries)
    if stamp is not None:
        _CACHE[real] = (stamp, ledger)
    return ledger


def state_at(path: "str | os.PathLike | Ledger", seq: int) -> State:
    """The registry state recorded by snapshot ``seq``: ``{key tuple: value}`` (module docstring).

    Raises :class:`~auditkit.errors.LedgerError`, :class:`~auditkit.errors.LedgerTamperedError`
    and :class:`~auditkit.errors.UsageError` (a seq the ledger does not hold).
    """
    return load_ledger(path).state_at(seq)


# -- appending ----------------------------------------------------------------------------------
def _store_identity(store: "Connector | str | None") -> tuple[str, str]:
    """(backend, URI as recorded): passwords redacted, sqlite paths made absolute, so one store
    given as a path or as different URI spellings is recognised as the same."""
    if isinstance(store, Connector):
        backend, uri = store.backend, store.uri
    else:
        backend, uri = classify(resolve_store_uri(store))
    if uri.lower().startswith("sqlite:"):
        from .connectors.sql_engine import sqlite_path

        uri = "sqlite:///" + str(sqlite_path(uri).resolve())
    return backend, redact_uri(uri)


def snapshot(store: "Connector | str | None", ledger_path: str | os.PathLike, *,
             now: datetime | str | None = None,
             sign: "Callable[[dict[str, Any]], dict[str, Any]] | None" = None) -> dict[str, Any]:
    """Append the registry's current state (as changes since the last entry) to the ledger.

    ``store`` is an open connector or a store URI (``None``: ``$AUDITKIT_STORE``, then
    ``$MLFLOW_TRACKING_URI``). ``now`` overrides the clock (tests, ``--as-of``). The append holds an
    exclusive lock (``<ledger>.lock``), re-reads and verifies the ledger under it, writes one line
    with a single ``os.write`` in append mode and fsyncs it (and the folder when the file is new).
    ``sign`` (e.g. an :class:`auditkit.signing.LedgerSigner`) is called with the new entry before
    its ``sha256`` is computed and returns fields to add to it (its ``signature``).
    Returns the appended entry.

    Raises :class:`~auditkit.errors.StoreError` (store unreadable), :class:`~auditkit.errors.LedgerError`
    (unwritable, another store's ledger, clock earlier than the last entry) and
    :class:`~auditkit.errors.LedgerTamperedError` (the existing chain is broken: nothing is appended).
    """
    path = Path(ledger_path)
    backend, store_id = _store_identity(store)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise errors.LedgerError(errors.LEDGER_NOT_WRITABLE.format(path=str(path), reason=exc.strerror or exc)) from None
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        return _append_locked(store, path, backend, store_id, now, sign)
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)


def _append_locked(store: "Connector | str | None", path: Path, backend: str, store_id: str,
                   now: datetime | str | None,
                   sign: "Callable[[dict[str, Any]], dict[str, Any]] | None" = None) -> dict[str, Any]:
    created = not path.exists()
    entries: list[dict[str, Any]] = []
    old: State = {}
    if not created:
        entries, old = _read_verified(path)
    last = entries[-1] if entries else None
    if last is not None and last["store"] != store_id:
        raise errors.LedgerError(errors.LEDGER_OTHER_STORE.format(path=str(path), recorded=last["store"], given=store_id))
    taken = parse_time(now, "--as-of") if now is not None else datetime.now(timezone.utc)
    if last is not None and taken < parse_time(last["taken_at"]):
        raise errors.LedgerError(errors.LEDGER_CLOCK_BACKWARDS.format(
            taken_at=iso(taken), last=last["taken_at"], seq=last["seq"], path=str(path)))
    if isinstance(store, Connector):
        new = registry_state(store)
    else:
        with open_store(store) as opened:
            new = registry_state(opened)
    entry: dict[str, Any] = {
        "ledger": LEDGER_KIND, "schema_version": LEDGER_SCHEMA_VERSION,
        "seq": (last["seq"] + 1) if last else 1, "taken_at": _iso_us(taken),
        "store": store_id, "backend": backend, "changes": diff_states(old, new),
        "state_sha256": state_sha256(new), "prev_sha256": last["sha256"] if last else GENESIS_SHA256,
    }
    if sign is not None:  # signing hook (issue 15, auditkit.signing.ledger_sign): adds "signature"
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
        raise errors.LedgerError(errors.LEDGER_NOT_WRITABLE.format(path=str(path), reason=exc.strerror or exc)) from None
    return entry


def _iso_us(value: datetime) -> str:
    """ISO 8601 UTC with microseconds (snapshots of one second stay ordered and distinct)."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


_HISTORY_NAMES = ("AliasResolution", "RegistryChange", "alias_history", "resolve_alias_at", "resolve_stage_at")


def __getattr__(name: str):
    """Re-export the alias-at-time API of :mod:`auditkit.ledger_history` (loaded on first use, so
    either module may be imported first without an import cycle)."""
    if name in _HISTORY_NAMES:
        from . import ledger_history

        return getattr(ledger_history, name)
    raise AttributeError(f"module 'auditkit.ledger' has no attribute {name!r}")


__all__ = [
    "AliasResolution", "GENESIS_SHA256", "Ledger", "RegistryChange", "VerifyResult", "alias_history",
    "apply_changes", "canonical_json", "diff_states", "entry_sha256", "load_ledger", "parse_time",
    "read_ledger", "registry_state", "resolve_alias_at", "resolve_stage_at", "snapshot", "state_at", "state_sha256",
    "verify_ledger",
]

"""The hash chain of a registry ledger: reading, verifying and the loaded ledger.

A tamper-evident, append-only ledger of a model registry's state over time.

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
alias-at-time questions live in :mod:`auditkit.ledger.history`.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from .. import errors
from ..times import format_time, parse_time
from .messages import (
    LEDGER_BAD_ENTRY,
    LEDGER_MISSING,
    LEDGER_P_CHANGE,
    LEDGER_P_EMPTY,
    LEDGER_P_FIELD,
    LEDGER_P_HASH,
    LEDGER_P_INCOMPLETE,
    LEDGER_P_NOT_JSON,
    LEDGER_P_PREV,
    LEDGER_P_SEQ,
    LEDGER_P_STATE,
    LEDGER_P_STORE,
    LEDGER_P_TIME,
    LEDGER_UNREADABLE,
)
from .state import Key, State, apply_changes, canonical_json, state_sha256

#: ``prev_sha256`` of the first entry.
GENESIS_SHA256 = "0" * 64
#: Format marker and version written into every entry.
LEDGER_KIND = "auditkit-registry-ledger"
LEDGER_SCHEMA_VERSION = "1"


def entry_sha256(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of an entry's canonical JSON without its own ``sha256`` field."""
    body = {k: v for k, v in entry.items() if k != "sha256"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


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
        return bad_entry_message(self.path, self.line, self.seq, self.problem)

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": "1", "ok": self.ok, "ledger": self.path, "entries": self.entries,
                "head_sha256": self.head_sha256, "head_seq": self.head_seq,
                "head_taken_at": self.head_taken_at, "line": self.line, "seq": self.seq,
                "problem": self.problem, "message": self.message}


class _Bad(Exception):
    def __init__(self, line: int, seq: Any, problem: str) -> None:
        super().__init__(problem)
        self.line, self.seq, self.problem = line, seq if isinstance(seq, int) else None, problem


def bad_entry_message(path: str, line: int | None, seq: int | None, problem: str | None) -> str:
    return LEDGER_BAD_ENTRY.format(path=path, line=line, seq=seq if seq is not None else "?",
                                          problem=problem)


_REQUIRED = (("seq", int, "an integer"), ("taken_at", str, "an ISO 8601 time"), ("store", str, "text"),
             ("changes", list, "a list"), ("state_sha256", str, "a SHA-256"),
             ("prev_sha256", str, "a SHA-256"), ("sha256", str, "a SHA-256"))


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
                raise _Bad(lineno, _peek_seq(raw), LEDGER_P_INCOMPLETE)
            break
        if not raw.strip():
            raise _Bad(lineno, None, LEDGER_P_EMPTY)
        try:
            entry = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Bad(lineno, None, LEDGER_P_NOT_JSON.format(reason=str(exc).split(":")[0])) from None
        except RecursionError:
            raise _Bad(lineno, None, LEDGER_P_NOT_JSON.format(reason="nested too deeply")) from None
        if not isinstance(entry, dict):
            raise _Bad(lineno, None, LEDGER_P_NOT_JSON.format(reason="not an object"))
        seq = entry.get("seq")
        for name, typ, expected in _REQUIRED:
            if not isinstance(entry.get(name), typ) or (typ is int and isinstance(entry.get(name), bool)):
                raise _Bad(lineno, seq, LEDGER_P_FIELD.format(field=name, expected=expected))
        if entry_sha256(entry) != entry["sha256"]:
            raise _Bad(lineno, seq, LEDGER_P_HASH)
        if seq != len(entries) + 1:
            raise _Bad(lineno, seq, LEDGER_P_SEQ.format(got=seq, expected=len(entries) + 1))
        if entry["prev_sha256"] != prev_sha:
            raise _Bad(lineno, seq, LEDGER_P_PREV)
        try:
            taken = parse_time(entry["taken_at"])
        except errors.UsageError:
            raise _Bad(lineno, seq, LEDGER_P_FIELD.format(field="taken_at", expected="an ISO 8601 time")) from None
        if prev_time is not None and taken < prev_time:
            raise _Bad(lineno, seq, LEDGER_P_TIME.format(got=entry["taken_at"], previous=format_time(prev_time)))
        if first_store is None:
            first_store = entry["store"]
        elif entry["store"] != first_store:
            raise _Bad(lineno, seq, LEDGER_P_STORE.format(got=entry["store"], expected=first_store))
        for ch in entry["changes"]:
            if not (isinstance(ch, dict) and isinstance(ch.get("key"), list) and "old" in ch and "new" in ch):
                raise _Bad(lineno, seq, LEDGER_P_FIELD.format(field="changes", expected="a list of {key, old, new}"))
            key = tuple(ch["key"])
            if state.get(key) != ch["old"]:
                raise _Bad(lineno, seq, LEDGER_P_CHANGE.format(key=list(key), old=ch["old"], actual=state.get(key)))
            apply_changes(state, [ch])
        if entry["changes"]:
            state_hash = state_sha256(state)
        if state_hash != entry["state_sha256"]:
            raise _Bad(lineno, seq, LEDGER_P_STATE.format(seq=seq))
        entries.append(entry)
        prev_sha, prev_time = entry["sha256"], taken
    return entries, state


def _no_constant(name: str) -> Any:
    """JSON has no NaN or Infinity, and auditkit never writes them: such a line is not an entry."""
    raise ValueError(f"{name} is not a JSON value")


def _peek_seq(raw: bytes) -> int | None:
    """The seq of a cut-off line, if the part that survived still shows it."""
    found = re.search(rb'"seq":(\d+)[,}]', raw)
    return int(found.group(1)) if found else None


def _read_bytes(path: str | os.PathLike) -> bytes:
    p = Path(path)
    if not p.exists():
        raise errors.LedgerError(LEDGER_MISSING.format(path=str(p)))
    try:
        return p.read_bytes()
    except OSError as exc:
        raise errors.LedgerError(LEDGER_UNREADABLE.format(path=str(p), reason=exc.strerror or exc)) from None


def read_verified(path: str | os.PathLike, *, name: str | None = None) -> tuple[list[dict[str, Any]], State]:
    """The entries and final state of a verified ledger; raises ``LedgerError`` /
    ``LedgerTamperedError`` (naming the first bad entry; the ledger as ``name`` when given)."""
    data = _read_bytes(path)
    try:
        return _check_chain(data)
    except _Bad as bad:
        raise errors.LedgerTamperedError(bad_entry_message(name or str(path), bad.line, bad.seq, bad.problem)) from None


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
    entries, _ = read_verified(path)
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

"""Questions answered from a registry ledger: what moved when, and where an alias pointed at a time.

Both read a verified ledger (:func:`auditkit.ledger.chain.load_ledger`); a broken chain raises
:class:`~auditkit.errors.LedgerTamperedError` rather than answering from untrustworthy evidence.
The ledger sees the registry only at its snapshots: a move is placed *between* two snapshots, and
an alias that moved away and back between two snapshots looks unmoved (snapshot often).
"""

from __future__ import annotations

import bisect
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from .. import errors
from ..times import format_time, parse_time
from .chain import Ledger, load_ledger

#: Kinds of change :func:`alias_history` reports by default, and every kind there is.
DEFAULT_KINDS = ("alias", "stage", "version")
ALL_KINDS = ("alias", "stage", "version", "tag", "model", "field")


@dataclass(frozen=True)
class AliasResolution:
    """Where alias ``alias`` of model ``name`` pointed at time ``at``, as far as the ledger proves.

    ``version`` is set only when provable: a snapshot at or before ``at`` and the next one after it
    agree (or one was taken exactly at ``at``). Otherwise ``version`` is ``None``, ``candidates``
    lists the versions it may have pointed to and ``gaps`` says why, one sentence each.
    ``before``/``after`` are the ISO times of the snapshots bracketing ``at`` (``None`` if none).
    """

    name: str
    alias: str
    at: str
    version: str | None
    candidates: list[str] = field(default_factory=list)
    before: str | None = None
    after: str | None = None
    before_seq: int | None = None
    after_seq: int | None = None
    gaps: list[str] = field(default_factory=list)
    evidence: str | None = None
    #: "alias" (``models:/NAME@ALIAS``) or "stage" (``models:/NAME/STAGE``; ``alias`` holds the stage)
    kind: str = "alias"

    @property
    def resolved(self) -> bool:
        return self.version is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _snap(seq: int, taken_at: str) -> str:
    return f"snapshot #{seq} ({taken_at})"


def resolve_alias_at(ledger_path: "str | os.PathLike | Ledger", *, name: str, alias: str,
                     at: datetime | str | None) -> AliasResolution:
    """Resolve ``models:/NAME@ALIAS`` at time ``at`` through the ledger, never guessing.

    ``at`` is an aware datetime or ISO 8601 text (naive means UTC; ``None`` gives an unresolved
    answer whose gap says the decision has no time). ``ledger_path`` may also be a
    :class:`~auditkit.ledger.Ledger` from :func:`~auditkit.ledger.load_ledger` (loads are cached, so
    a path is cheap to pass repeatedly too).

    Raises :class:`~auditkit.errors.LedgerError` (missing or unreadable ledger),
    :class:`~auditkit.errors.LedgerTamperedError` (broken chain) and
    :class:`~auditkit.errors.UsageError` (``at`` is not a time).
    """
    ledger = load_ledger(ledger_path)
    key = (name, "alias", alias)
    return _resolve_at(ledger, name=name, label=alias, kind="alias", subject=f"alias {alias} of {name}",
                       value_at=lambda seq: ledger.value_at(key, seq), at=at)


def resolve_stage_at(ledger_path: "str | os.PathLike | Ledger", *, name: str, stage: str,
                     at: datetime | str | None) -> AliasResolution:
    """Resolve ``models:/NAME/STAGE`` at time ``at`` through the ledger, as MLflow resolves it
    (the highest live version in that stage; ``latest``: the highest live version), never
    guessing: the same rules as :func:`resolve_alias_at`, with ``alias`` holding the stage and
    ``kind`` "stage".

    Raises what :func:`resolve_alias_at` raises.
    """
    ledger = load_ledger(ledger_path)
    versions = ledger.versions_of(name)

    def holder(seq: int) -> str | None:
        live = [v for v in versions
                if ledger.value_at((name, "version", v, "exists"), seq)
                and not ledger.value_at((name, "version", v, "deleted"), seq)
                and (stage == "latest" or ledger.value_at((name, "version", v, "stage"), seq) == stage)]
        return live[-1] if live else None

    return _resolve_at(ledger, name=name, label=stage, kind="stage", subject=f"models:/{name}/{stage}",
                       value_at=holder, at=at)


def _resolve_at(ledger: Ledger, *, name: str, label: str, kind: str, subject: str,
                value_at: Callable[[int], Any], at: datetime | str | None) -> AliasResolution:
    """What ``value_at(seq)`` (a version or None) was at time ``at``, proven by the snapshots
    that bracket ``at`` or left unresolved with the candidates and one sentence why."""
    if at is None or (isinstance(at, str) and not at.strip()):
        return AliasResolution(name=name, alias=label, at="", version=None, kind=kind, gaps=[
            f"{subject} cannot be resolved through the ledger: the decision has no time"])
    when = parse_time(at, what="time")
    at_text = format_time(when, timespec="microseconds")
    out: dict[str, Any] = {"name": name, "alias": label, "at": at_text, "version": None, "kind": kind}
    i = bisect.bisect_right(ledger.times, when) - 1
    before = ledger.entries[i] if i >= 0 else None
    after = ledger.entries[i + 1] if i + 1 < len(ledger.entries) else None
    if before is not None:
        out.update(before=before["taken_at"], before_seq=before["seq"])
    if after is not None:
        out.update(after=after["taken_at"], after_seq=after["seq"])
    if not ledger.entries:
        out["gaps"] = [f"{subject} at {at_text}: the ledger {ledger.path} holds no snapshot; not resolved"]
        return AliasResolution(**out)
    if name not in ledger.models:
        out["gaps"] = [f"registered model {name} is in no snapshot of the ledger {ledger.path}; "
                       f"{subject} at {at_text} not resolved"]
        return AliasResolution(**out)
    if before is None:
        first = ledger.entries[0]
        was = value_at(first["seq"])
        then = f"version {was}" if was is not None else "no version"
        out["gaps"] = [f"no snapshot precedes {at_text}: the first, {_snap(first['seq'], first['taken_at'])}, "
                       f"found {subject} pointing to {then}; where it pointed at {at_text} is not resolved"]
        return AliasResolution(**out)
    v_before = value_at(before["seq"])
    if ledger.times[i] == when:
        if v_before is None:
            out["gaps"] = [f"{subject} pointed to no version at {_snap(before['seq'], before['taken_at'])}, "
                           f"taken at {at_text}"]
            return AliasResolution(**out)
        out.update(version=v_before, candidates=[v_before],
                   evidence=f"{subject} pointed to version {v_before} at "
                            f"{_snap(before['seq'], before['taken_at'])}, taken at {at_text}")
        return AliasResolution(**out)
    if after is None:
        then = f"version {v_before}" if v_before is not None else "no version"
        out["candidates"] = [v_before] if v_before is not None else []
        out["gaps"] = [f"no snapshot follows {at_text}: {subject} pointed to {then} at "
                       f"{_snap(before['seq'], before['taken_at'])}, the last one, and a later move is not "
                       f"on record (take a snapshot to close the window); not resolved"]
        return AliasResolution(**out)
    v_after = value_at(after["seq"])
    window = f"{_snap(before['seq'], before['taken_at'])} and #{after['seq']} ({after['taken_at']})"
    if v_before == v_after:
        if v_before is None:
            out["gaps"] = [f"{subject} pointed to no version at {window}, around {at_text}"]
            return AliasResolution(**out)
        out.update(version=v_before, candidates=[v_before],
                   evidence=f"{subject} pointed to version {v_before} at both {window}, around {at_text}")
        return AliasResolution(**out)
    options = [v for v in (v_before, v_after) if v is not None]
    described = " or ".join(f"version {v}" if v is not None else "no version" for v in (v_before, v_after))
    out["candidates"] = options
    verb = "was set" if v_before is None else "was removed" if v_after is None else "moved"
    out["gaps"] = [f"{subject} {verb} between {window}: it pointed to {described} at {at_text}; not resolved"]
    return AliasResolution(**out)


@dataclass(frozen=True)
class RegistryChange:
    """One recorded change: it happened after snapshot ``from_seq`` and by snapshot ``to_seq``
    (``from_seq`` is ``None`` for what the first snapshot found)."""

    model: str
    kind: str
    subject: str
    old: Any
    new: Any
    from_seq: int | None
    from_taken_at: str | None
    to_seq: int
    to_taken_at: str
    change: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _classify(key: list[str]) -> tuple[str, str]:
    """(kind, subject) of a state key."""
    if len(key) == 2 and key[1] == "registered":
        return "model", "registered"
    if len(key) == 3 and key[1] == "alias":
        return "alias", f"alias {key[2]}"
    if len(key) >= 4 and key[1] == "version":
        v = key[2]
        if key[3] == "stage":
            return "stage", f"version {v} stage"
        if key[3] in ("exists", "deleted"):
            return "version", f"version {v} {'registered' if key[3] == 'exists' else 'deleted'}"
        if key[3] == "tag" and len(key) == 5:
            return "tag", f"version {v} tag {key[4]}"
        return "field", f"version {v} {key[3]}"
    if len(key) == 3 and key[1] == "tag":
        return "tag", f"model tag {key[2]}"
    return "field", " ".join(key[1:])


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    return "'None' (no stage)" if value == "None" else str(value)


def _describe(key: list[str], subject: str, old: Any, new: Any) -> str:
    """Short words for one change, e.g. ``alias champion 1 -> 3`` or ``version 4 deleted``."""
    if len(key) == 2 and key[1] == "registered":
        return "registered model created" if new else "registered model removed"
    if len(key) >= 4 and key[1] == "version" and key[3] == "exists":
        return f"version {key[2]} registered" if new else f"version {key[2]} removed from the store"
    if len(key) >= 4 and key[1] == "version" and key[3] == "deleted":
        return f"version {key[2]} deleted" if new else f"version {key[2]} undeleted"
    if old is None:
        return f"{subject} set to {_show(new)}"
    return f"{subject} {_show(old)} -> {_show(new)}"


def alias_history(ledger_path: "str | os.PathLike | Ledger", *, name: str | None = None,
                  kinds: Iterable[str] = DEFAULT_KINDS) -> list[RegistryChange]:
    """Every recorded alias move, stage change and version registration/deletion (``kinds``; see
    :data:`ALL_KINDS` for tags and other fields), oldest first, optionally of one model.

    Raises :class:`~auditkit.errors.LedgerError`, :class:`~auditkit.errors.LedgerTamperedError`,
    and :class:`~auditkit.errors.UsageError` for an unknown kind.
    """
    wanted = set(kinds)
    unknown = sorted(wanted - set(ALL_KINDS))
    if unknown:
        raise errors.UsageError(f"change kind {unknown[0]!r} is not known; choose from: {', '.join(ALL_KINDS)}")
    ledger = load_ledger(ledger_path)
    out: list[RegistryChange] = []
    prev: dict[str, Any] | None = None
    for entry in ledger.entries:
        for ch in entry["changes"]:
            key = ch["key"]
            if name is not None and key[0] != name:
                continue
            kind, subject = _classify(key)
            if kind not in wanted or (key[-1] == "deleted" and not ch["old"] and not ch["new"]):
                continue  # "not deleted" first recorded is no event
            if kind == "stage" and ch["old"] is None and ch["new"] in (None, "None"):
                continue  # a version registered without a stage: no stage event
            if kind == "stage" and "Deleted_Internal" in (ch["old"], ch["new"]):
                continue  # MLflow's soft-delete marker (older ledgers): the "deleted" change says it
            what = _describe(key, subject, ch["old"], ch["new"])
            if prev is None:
                text = f"{key[0]} {what}: as first recorded at {_snap(entry['seq'], entry['taken_at'])}"
            else:
                verb = "moved" if kind in ("alias", "stage") else "changed"
                text = (f"{key[0]} {what}: {verb} between {_snap(prev['seq'], prev['taken_at'])} "
                        f"and #{entry['seq']} ({entry['taken_at']})")
            out.append(RegistryChange(
                model=key[0], kind=kind, subject=subject, old=ch["old"], new=ch["new"],
                from_seq=prev["seq"] if prev else None, from_taken_at=prev["taken_at"] if prev else None,
                to_seq=entry["seq"], to_taken_at=entry["taken_at"], change=what, text=text))
        prev = entry
    return out


__all__ = ["ALL_KINDS", "AliasResolution", "DEFAULT_KINDS", "RegistryChange", "alias_history", "resolve_alias_at",
           "resolve_stage_at"]

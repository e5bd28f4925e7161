"""When a model version served: its alias and stage intervals, proven by the ledger's snapshots.

The ledger sees the registry only at its snapshots, so an interval runs from the first snapshot
that shows the version holding the alias (or a serving stage) to the first one that shows it not
holding it any more (``to`` is ``None`` while the last snapshot still shows it). The move itself
happened between that snapshot and the one before it; both are named in the evidence.
Without a ledger only today's aliases and stage are known, and a gap says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..ledger import Ledger, load_ledger
from ..records import ModelVersion

#: Stages in which a version serves (``models:/NAME/Production`` and ``…/Staging`` resolve to it).
SERVING_STAGES = ("Production", "Staging")

GAP_NO_LEDGER = ("no ledger given: when model version {ref} held {what} is not known (today it holds "
                 "{held}); give --ledger to date the serving windows")
GAP_NOT_IN_LEDGER = "model version {ref} is in no snapshot of the ledger {path}: its serving is not on record"


@dataclass(frozen=True)
class Interval:
    """One serving window: ``label`` (alias or stage name) of version ``version`` of ``name``."""

    name: str
    version: str
    kind: str  # "alias" or "stage"
    label: str
    first_seq: int | None
    last_seq: int | None
    start: str | None  # taken_at of the first snapshot showing it
    end: str | None  # taken_at of the first snapshot no longer showing it (None: still at the last)
    end_seq: int | None
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return {self.kind: self.label, "from": self.start, "to": self.end, "first_seq": self.first_seq,
                "last_seq": self.last_seq, "evidence": self.evidence}


def _snap(entry: dict[str, Any]) -> str:
    return f"#{entry['seq']} ({entry['taken_at']})"


def _runs(values: list[Any], wanted: Any) -> list[tuple[int, int]]:
    """Index ranges ``[i, j]`` (inclusive) where ``values`` equals ``wanted``, in order."""
    out, start = [], None
    for i, value in enumerate(values):
        if value == wanted and start is None:
            start = i
        elif value != wanted and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(values) - 1))
    return out


def _interval(ledger: Ledger, name: str, version: str, kind: str, label: str, i: int, j: int) -> Interval:
    entries = ledger.entries
    first, last = entries[i], entries[j]
    after = entries[j + 1] if j + 1 < len(entries) else None
    before = entries[i - 1] if i > 0 else None
    subject = f"alias {label} of {name}" if kind == "alias" else f"model version {name}/{version} stage"
    held = (f"{subject} pointed to version {version}" if kind == "alias" else f"{subject} was {label}")
    text = f"{held} at snapshots {_snap(first)} to {_snap(last)}"
    if before is not None:
        text += f"; not yet at {_snap(before)}"
    text += f"; no longer at {_snap(after)}" if after is not None else "; still at the last snapshot"
    return Interval(name, version, kind, label, first["seq"], last["seq"], first["taken_at"],
                    after["taken_at"] if after is not None else None, after["seq"] if after is not None else None,
                    f"ledger {ledger.path}: {text}")


def aliases_in_ledger(ledger: Ledger, name: str) -> list[str]:
    return sorted({k[2] for k in ledger.points if len(k) == 3 and k[0] == name and k[1] == "alias"})


def alias_values(ledger: Ledger, name: str, alias: str) -> list[Any]:
    """Where ``alias`` of ``name`` pointed at each snapshot, oldest first."""
    return [value for _, _, value in ledger.alias_timeline(name, alias)]


def served_intervals(ledger: Ledger, mv: ModelVersion) -> list[Interval]:
    """Every alias and serving-stage window of ``mv`` on record, oldest first."""
    out: list[Interval] = []
    for alias in aliases_in_ledger(ledger, mv.name):
        for i, j in _runs(alias_values(ledger, mv.name, alias), mv.version):
            out.append(_interval(ledger, mv.name, mv.version, "alias", alias, i, j))
    stages = [ledger.value_at((mv.name, "version", mv.version, "stage"), e["seq"]) for e in ledger.entries]
    for stage in SERVING_STAGES:
        for i, j in _runs(stages, stage):
            out.append(_interval(ledger, mv.name, mv.version, "stage", stage, i, j))
    return sorted(out, key=lambda iv: (iv.first_seq or 0, iv.kind, iv.label))


def serving(mv: ModelVersion, ledger: str | os.PathLike | Ledger | None) -> tuple[list[Interval], list[str]]:
    """``(intervals, gaps)`` of one version (see the module docstring).

    Raises :class:`~auditkit.errors.LedgerError` and :class:`~auditkit.errors.LedgerTamperedError`.
    """
    ref = f"{mv.name}/{mv.version}"
    if ledger is None:
        held = [f"alias {a}" for a in mv.aliases] + ([f"stage {mv.stage}"] if mv.stage in SERVING_STAGES else [])
        today = [Interval(mv.name, mv.version, "alias", a, None, None, None, None, None,
                          f"model version {ref} holds alias {a} today (store); since when is not on record")
                 for a in mv.aliases]
        gaps = [GAP_NO_LEDGER.format(ref=ref, what="an alias or serving stage", held=", ".join(held) or "none")]
        return today, gaps
    loaded = load_ledger(ledger)
    if mv.version not in loaded.versions_of(mv.name):
        return [], [GAP_NOT_IN_LEDGER.format(ref=ref, path=loaded.path)]
    return served_intervals(loaded, mv), []

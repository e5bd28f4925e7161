"""The decisions the affected versions made, counted by outcome, month and version.

Each decision is attributed to the version lineage resolves it to (:mod:`auditkit.provenance`'s
batch resolution: explicit versions directly, aliases and stages through the ledger at the
decision's time). Decisions whose alias or stage the ledger cannot resolve are counted apart as
unresolved, with a gap; they are never attributed by guess.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import errors
from ..connectors import Connector
from ..logs import PredictionLog
from ..provenance import iter_lineage_frames
from ..times import format_time
from .messages import IMPACT_CANNOT_WRITE, IMPACT_DECISIONS_OUTPUT

if TYPE_CHECKING:  # type names only: pandas is imported where it is used
    import pandas as pd

#: Columns of the decision list written with ``-o FILE``.
DECISION_COLUMNS = ("prediction_id", "timestamp", "decision", "model_name", "model_version", "model_reference")
GAP_UNRESOLVED = ("{n} decision(s) name {names} by an alias or stage the ledger cannot place at their time "
                  "(between snapshots that disagree, or outside them): not counted as affected or unaffected")
GAP_NO_LEDGER_ALIAS = ("without --ledger, {n} decision(s) naming {names} by alias or stage were resolved at "
                       "today's registry state: give --ledger to attribute them at their time")


@dataclass
class DecisionCounts:
    """Counts of the affected versions' decisions, and the rows themselves when kept."""

    count: int = 0
    by_outcome: Counter = field(default_factory=Counter)
    by_month: Counter = field(default_factory=Counter)
    by_version: Counter = field(default_factory=Counter)
    first: Any = None
    last: Any = None
    examined: int = 0
    unresolved: int = 0
    by_reference_today: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"count": int(self.count), "by_outcome": {str(k): int(v) for k, v in sorted(self.by_outcome.items())},
                "by_month": {str(k): int(v) for k, v in sorted(self.by_month.items())},
                "by_version": {str(k): int(v) for k, v in sorted(self.by_version.items())},
                "first": format_time(self.first) if self.first is not None else None,
                "last": format_time(self.last) if self.last is not None else None,
                "examined": self.examined, "unresolved": self.unresolved}

    def gaps(self, names: list[str], ledger: Any) -> list[str]:
        shown = ", ".join(names)
        out = []
        if self.unresolved:
            out.append(GAP_UNRESOLVED.format(n=self.unresolved, names=shown))
        if ledger is None and self.by_reference_today:
            out.append(GAP_NO_LEDGER_ALIAS.format(n=self.by_reference_today, names=shown))
        return out


def count_decisions(store: Connector, log: PredictionLog, *, affected: set[tuple[str, str]], names: set[str],
                    ledger: str | os.PathLike | None = None, since: datetime | None = None,
                    until: datetime | None = None, keep_rows: bool = False) -> DecisionCounts:
    """Count the decisions of ``affected`` ``(name, version)`` pairs in ``log`` between ``since``
    and ``until`` (inclusive, aware UTC; ``None``: unbounded). ``names`` are the models concerned
    (for unresolved aliases).

    Raises what :func:`auditkit.lineage_frame` raises.
    """
    out = DecisionCounts()
    keys = {f"{n}\x00{v}" for n, v in affected}
    prefixes = tuple(f"models:/{n}@" for n in names) + tuple(f"models:/{n}/" for n in names)
    for frame in iter_lineage_frames(store, log, ledger=ledger):
        _count_chunk(frame, out, keys=keys, prefixes=prefixes, since=since, until=until, keep_rows=keep_rows)
    return out


def _count_chunk(frame: "pd.DataFrame", out: DecisionCounts, *, keys: set[str], prefixes: tuple[str, ...],
                 since: datetime | None, until: datetime | None, keep_rows: bool) -> None:
    ts = frame["timestamp"]
    window = ts.notna()
    if since is not None:
        window &= ts >= since
    if until is not None:
        window &= ts <= until
    frame = frame[window]
    out.examined += len(frame)
    if not len(frame):
        return
    version = frame["model_version"].astype("string")
    key = frame["model_name"].astype("string") + "\x00" + version
    hit = key.isin(keys).fillna(False).astype(bool)
    reference = frame["model_reference"].astype("string")
    by_alias = reference.str.startswith(prefixes).fillna(False).astype(bool) & ~reference.str.match(
        r"^models:/[^/@]+/[0-9]+$").fillna(False).astype(bool) if prefixes else hit & False
    out.unresolved += int((version.isna() & by_alias).sum())
    out.by_reference_today += int((hit & by_alias).sum())
    chosen = frame[hit.to_numpy()]
    if not len(chosen):
        return
    out.count += len(chosen)
    out.by_outcome.update(chosen["decision"].astype("string").fillna("(none)").value_counts().to_dict())
    out.by_month.update(chosen["timestamp"].dt.strftime("%Y-%m").value_counts().to_dict())
    refs = chosen["model_name"].astype("string") + "/" + chosen["model_version"].astype("string")
    out.by_version.update(refs.value_counts().to_dict())
    lo, hi = chosen["timestamp"].min(), chosen["timestamp"].max()
    out.first = lo if out.first is None or lo < out.first else out.first
    out.last = hi if out.last is None or hi > out.last else out.last
    if keep_rows:
        for row in chosen[list(DECISION_COLUMNS)].itertuples(index=False):
            record = dict(zip(DECISION_COLUMNS, row))
            record["timestamp"] = format_time(record["timestamp"].to_pydatetime())
            out.rows.append(record)


def write_decisions(rows: list[dict[str, Any]], path: str | os.PathLike) -> str:
    """Write the affected decisions (:data:`DECISION_COLUMNS`) to a ``.csv`` or ``.jsonl`` file.

    Raises :class:`~auditkit.errors.UsageError` (another extension, or the file cannot be written).
    """
    target = str(path)
    suffix = os.path.splitext(target)[1].lower()
    if suffix not in (".csv", ".jsonl"):
        raise errors.UsageError(IMPACT_DECISIONS_OUTPUT.format(path=target))
    try:
        with open(target, "w", encoding="utf-8", newline="") as fh:
            if suffix == ".csv":
                writer = csv.DictWriter(fh, fieldnames=list(DECISION_COLUMNS))
                writer.writeheader()
                writer.writerows(rows)
            else:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    except OSError as exc:
        raise errors.UsageError(IMPACT_CANNOT_WRITE.format(path=target, reason=exc.strerror or exc)) from None
    return target

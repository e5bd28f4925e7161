"""Which model version made each decision of a log: the attribution fairness needs.

A decision that names its version (``model_name`` + ``model_version``, ``models:/NAME/VERSION``)
is attributed to it directly; one that names an alias or a stage (``models:/NAME@ALIAS``,
``models:/NAME/STAGE``) only through a registry ledger at the decision's own time; one that
names an MLflow 3 logged model through the one registered version made from it. Everything else
(no ledger, a time the ledger cannot prove, a run reference, no model at all) is left
unattributed, counted and said why — never guessed from today's registry.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ..errors import PredictionLogError
from ..ledger import AliasResolution, resolve_alias_at, resolve_stage_at
from ..logs import PredictionLog, parse_timestamps
from ..logs.values import clean_cell, is_text_type
from ..records import ModelVersion
from .references import ModelRef, model_ref_columns, model_ref_of

if TYPE_CHECKING:  # type names only: numpy and pandas are imported where they are used
    import numpy as np
    import pandas as pd

#: Why a decision was not attributed, by cause (the texts the commands print).
WHY_NO_LEDGER = "named by alias or stage with no ledger given"
WHY_LEDGER_UNPROVEN = "named by alias or stage at a time the ledger cannot prove"
WHY_RUN = "named by a run, not a model version"
WHY_LOGGED = "named by a logged model registered as no single version"
WHY_NO_MODEL = "naming no model"
WHY_BAD_REF = "with a model reference that does not parse"
#: The sentence a command prints when some decisions are not attributed.
UNATTRIBUTED_SENTENCE = "{k} of {n} decision(s) could not be attributed to a model version: {why}"


@dataclass
class Attribution:
    """Per row of a log: the model name and version that made the decision (``None`` when not
    attributed), how many rows are unattributed and why.

    ``names``/``versions`` are object arrays aligned with the frame that was attributed.
    """

    names: "np.ndarray"
    versions: "np.ndarray"
    n: int
    why: Counter = field(default_factory=Counter)
    ledger: str | None = None

    @property
    def unattributed(self) -> int:
        """How many rows are attributed to no version."""
        return int(sum(self.why.values()))

    def rows_of(self, name: str, version: str | None = None) -> "np.ndarray":
        """A boolean mask of the rows made by model ``name`` (version ``version`` when given)."""
        mask = self.names == name
        if version is not None:
            mask &= self.versions == str(version)
        return mask

    def sentence(self) -> str | None:
        """One line counting the unattributed decisions and why (``None`` when there are none)."""
        if not self.unattributed:
            return None
        why = "; ".join(f"{k} {reason}" for reason, k in sorted(self.why.items(), key=lambda kv: -kv[1]))
        return UNATTRIBUTED_SENTENCE.format(k=self.unattributed, n=self.n, why=why)

    def to_dict(self) -> dict[str, Any]:
        return {"decisions": self.n, "unattributed": self.unattributed, "why": dict(self.why),
                "ledger": self.ledger}


def attribution_columns(log: PredictionLog, *, ledger: Any = None) -> list[str]:
    """The columns :func:`attribute_versions` reads: the model reference columns, and the
    timestamp when a ledger resolves aliases."""
    cols = list(model_ref_columns(log))
    if ledger is not None:
        log.require("timestamp")
        cols.append(log.roles["timestamp"])
    return list(dict.fromkeys(cols))


def attribute_versions(log: PredictionLog, frame: "pd.DataFrame", *, ledger: str | os.PathLike | None = None,
                       versions: Sequence[ModelVersion] | None = None) -> Attribution:
    """Attribute every row of ``frame`` (read from ``log``, holding :func:`attribution_columns`)
    to the model version that made it.

    ``ledger`` resolves alias and stage references at each decision's time; ``versions`` (the
    store's model versions, optional) attributes MLflow 3 logged-model references.

    Raises :class:`~auditkit.errors.PredictionLogError` (a timestamp that does not parse) and
    :class:`~auditkit.errors.LedgerError` (unreadable or tampered ledger).
    """
    import numpy as np  # heavy: loaded on first use

    n = len(frame)
    ref_cols = model_ref_columns(log)
    names = np.full(n, None, dtype=object)
    numbers = np.full(n, None, dtype=object)
    why: Counter = Counter()
    out = Attribution(names, numbers, n, why, str(ledger) if ledger is not None else None)
    if not n:
        return out
    codes, n_keys = factorize_rows(frame, ref_cols)
    first = np.full(n_keys, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    by_model: dict[str, list[ModelVersion]] = {}
    for mv in versions or ():
        if mv.model_id:
            by_model.setdefault(mv.model_id, []).append(mv)
    ts = ts_ns = None
    for k in range(n_keys):
        rows = np.flatnonzero(codes == k)
        row = {c: clean_cell(frame[c].iat[int(first[k])]) for c in ref_cols}
        try:
            ref = model_ref_of(log, row, None)
        except PredictionLogError:
            why[WHY_BAD_REF] += len(rows)
            continue
        if ref is None:
            why[WHY_NO_MODEL] += len(rows)
        elif ref.kind == "version":
            names[rows], numbers[rows] = ref.name, ref.version
        elif ref.kind == "logged_model":
            made = by_model.get(ref.model_id or "", [])
            if len(made) == 1:
                names[rows], numbers[rows] = made[0].name, made[0].version
            else:
                why[WHY_LOGGED] += len(rows)
        elif ref.kind == "run":
            why[WHY_RUN] += len(rows)
        elif ledger is None:
            why[WHY_NO_LEDGER] += len(rows)
        else:
            if ts is None:
                ts = parse_timestamps(frame[log.roles["timestamp"]], log=log)
                ts_ns = ts.array.asi8
            for window, res, _ in ledger_windows(ledger_resolver(ledger, ref), rows, ts, ts_ns):
                if res.version is None:
                    why[WHY_LEDGER_UNPROVEN] += len(window)
                else:
                    names[window], numbers[window] = ref.name, res.version
    return out


def ledger_resolver(ledger: Any, ref: ModelRef) -> Callable[[datetime], AliasResolution]:
    """``at → AliasResolution`` of an alias or stage reference through ``ledger``."""
    if ref.kind == "stage":
        return lambda at: resolve_stage_at(ledger, name=ref.name, stage=ref.stage, at=at)  # type: ignore[arg-type]
    return lambda at: resolve_alias_at(ledger, name=ref.name, alias=ref.alias, at=at)  # type: ignore[arg-type]


def ledger_windows(resolve: Callable[[datetime], AliasResolution], rows: "np.ndarray", ts: "pd.Series",
                   ts_ns: "np.ndarray") -> Iterator[tuple["np.ndarray", AliasResolution, datetime]]:
    """Split ``rows`` (of one alias or stage reference) into windows that resolve alike: every
    time strictly between two snapshots resolves the same, so one ledger call per window.
    Yields ``(rows, resolution, time of the window's first row)``."""
    import numpy as np  # heavy: loaded on first use
    import pandas as pd  # heavy: loaded on first use

    order = rows[np.argsort(ts_ns[rows], kind="stable")]
    times = ts_ns[order]
    start = 0
    while start < len(order):
        at = ts.iat[int(order[start])].to_pydatetime()
        resolution = resolve(at)
        lo = pd.Timestamp(resolution.before).value if resolution.before else None
        hi = pd.Timestamp(resolution.after).value if resolution.after else None
        if lo is not None and lo == times[start]:
            end = int(np.searchsorted(times, times[start], side="right"))  # exactly at a snapshot
        else:
            end = len(order) if hi is None else int(np.searchsorted(times, hi, side="left"))
        end = max(end, start + 1)
        yield order[start:end], resolution, at
        start = end


def column_codes(values: "pd.Series") -> tuple["np.ndarray", int]:
    """Integer codes of a column's values (missing values get a code too) and how many there are.
    Arrow-backed text is dictionary-encoded by Arrow (one hashing pass, no Python objects)."""
    import numpy as np  # heavy: loaded on first use
    import pandas as pd  # heavy: loaded on first use

    array = values.array
    if hasattr(array, "__arrow_array__"):
        import pyarrow as pa  # heavy: loaded on first use
        import pyarrow.compute as pc  # heavy: loaded on first use

        chunked = array.__arrow_array__()
        if isinstance(chunked, pa.Array):
            chunked = pa.chunked_array([chunked])
        if is_text_type(chunked.type):
            encoded = chunked.dictionary_encode()
            size = len(encoded.chunks[-1].dictionary) if encoded.num_chunks else 0
            indices = pa.chunked_array([c.indices for c in encoded.chunks], type=pa.int32())
            codes = pc.fill_null(indices, size).to_numpy().astype(np.int64)
            return codes, size + 1
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), len(uniques)


def factorize_rows(frame: "pd.DataFrame", columns: list[str]) -> tuple["np.ndarray", int]:
    """Codes 0..k-1 of the distinct value combinations of ``columns`` (missing values included)."""
    import numpy as np  # heavy: loaded on first use
    import pandas as pd  # heavy: loaded on first use

    combined = None
    for col in columns:
        codes, n_uniques = column_codes(frame[col])
        combined = codes if combined is None else combined * (n_uniques + 1) + codes
    if combined is None:
        return np.zeros(len(frame), dtype=np.int64), 1 if len(frame) else 0
    final, uniques = pd.factorize(combined)
    return final.astype(np.int64), len(uniques)


__all__ = ["Attribution", "attribute_versions", "attribution_columns", "factorize_rows", "ledger_windows"]

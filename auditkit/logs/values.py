"""Value-level helpers of prediction logs: timestamps, ids, reasons, cells and Arrow lookups.

Nothing here opens a log: :mod:`.source` does, and calls these on what it read.
"""

from __future__ import annotations

import json
import math
import re
import sys
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence

from ..errors import PredictionLogError, UsageError
from ..times import EpochUnit, epoch_unit, parse_time
from .messages import (
    PREDICTIONS_BAD_REASONS,
    PREDICTIONS_BAD_TIMESTAMPS,
    PREDICTIONS_DUPLICATE_IDS,
    PREDICTIONS_EPOCH_UNIT,
)
from .roles import REASON_ROLE

if TYPE_CHECKING:
    import pandas as pd


class PredictionLog(Protocol):
    """What these helpers read of an open log (:class:`auditkit.logs.PredictionLog`)."""

    source: str
    roles: dict[str, str]
    time_unit: EpochUnit | None

    def position(self, index: int) -> str: ...

    def reason_columns(self) -> list[str]: ...

    def attribute_columns(self) -> list[str]: ...


EPOCH_MS = re.compile(r"^\s*-?[0-9]+(\.0*)?\s*$")
#: A text cell holding an epoch number (integer or decimal).
EPOCH_NUMBER = re.compile(r"^\s*-?[0-9]+(\.[0-9]*)?\s*$")


class UnparseableTimestampError(PredictionLogError):
    """Timestamps that no rule of the time grammar reads (positions named in the message)."""


def check_unique_ids(ids: "pd.Series", log: "PredictionLog") -> None:
    """Raise :class:`PredictionLogError` showing up to five duplicated ids with their positions."""
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    import pandas as pd  # heavy: loaded on first use

    where = pd.Series(ids.to_numpy()[dup], index=dup.nonzero()[0])
    groups = where.groupby(where.astype(str), sort=False)
    examples = []
    for value, idx in list(groups.groups.items())[:5]:
        examples.append(f"{value!r} at {' and '.join(log.position(int(i)) for i in list(idx)[:3])}")
    raise PredictionLogError(PREDICTIONS_DUPLICATE_IDS.format(
        source=log.source, count=groups.ngroups, examples="; ".join(examples)))


def parse_timestamps(values: "pd.Series", *, log: "PredictionLog | None" = None,
                     offset: int = 0, unit: EpochUnit | None = None) -> "pd.Series":
    """Timestamps as ``datetime64[ns, UTC]`` by :mod:`auditkit.times`' grammar: ISO 8601 text (no
    offset = UTC; a date alone = midnight UTC), epoch numbers (numbers or digit strings) or
    datetimes as stored. An epoch number's unit is ``unit``, else the log's ``time_unit``, else
    the one unit that puts every number of the column between 1990 and 2100.

    Raises :class:`PredictionLogError` listing the positions (up to ten) of values that do not
    parse (missing values count: every decision needs a time), or naming the column when the
    unit of its epoch numbers is not clear."""
    import pandas as pd  # heavy: loaded on first use

    unit = unit or (log.time_unit if log is not None else None)
    s = values.reset_index(drop=True)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(s.dtype):
        out = s.dt.tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        out = _from_epoch(s, unit, values.name, log)
    else:
        import pyarrow as pa  # heavy: loaded on first use
        import pyarrow.compute as pc  # heavy: loaded on first use

        text = s.astype("str")
        arrow = text.array.__arrow_array__() if hasattr(text.array, "__arrow_array__") else \
            pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
        fast = _arrow_iso(arrow)
        if fast is not None:
            return fast
        is_num = pc.fill_null(pc.match_substring_regex(arrow, EPOCH_MS.pattern), False)
        is_num = is_num.to_numpy(zero_copy_only=False).astype(bool)
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
        if is_num.any():
            nums = pd.to_numeric(text[is_num], errors="coerce")
            out[is_num] = _from_epoch(nums, unit, values.name, log)
        rest = ~is_num & s.notna().to_numpy()
        if rest.any():
            out[rest] = pd.to_datetime(text[rest], format="ISO8601", utc=True, errors="coerce")
    if out.dtype != "datetime64[ns, UTC]":
        out = out.astype("datetime64[ns, UTC]")
    bad = out.isna().to_numpy()
    if bad.any():
        idx = bad.nonzero()[0]
        name = str(values.name) if values.name is not None else "timestamp"
        source = log.source if log is not None else "the data"
        shown = [log.position(offset + int(i)) if log is not None else f"row {offset + int(i) + 1}"
                 for i in idx[:10]]
        where = ", ".join(shown) + (f" … ({len(idx) - 10} more)" if len(idx) > 10 else "")
        example = s.iloc[int(idx[0])]
        where += f" (e.g. {None if _is_missing(example) else example!r})"
        raise UnparseableTimestampError(PREDICTIONS_BAD_TIMESTAMPS.format(
            source=source, count=len(idx), column=name, where=where))
    return out


def parse_timestamp(value: Any, *, log: PredictionLog, where: str) -> datetime:
    """One decision's timestamp, as :func:`parse_timestamps` reads a column, without pandas:
    an aware UTC datetime. ``where`` names the record in messages (``"line 12"``).

    Raises :class:`UnparseableTimestampError` for a value the time grammar does not read, and
    :class:`PredictionLogError` for an epoch number whose unit is neither given nor clear."""
    column = log.roles.get("timestamp", "timestamp")
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp, as Parquet and SQL logs store times
        value = value.to_pydatetime()
    elif type(value).__name__ == "datetime64":
        value = str(value)
    unit = log.time_unit
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if unit is None and (number or (isinstance(value, str) and EPOCH_NUMBER.match(value))):
        unit = epoch_unit([float(value)])
        if unit is None:
            raise PredictionLogError(PREDICTIONS_EPOCH_UNIT.format(
                source=log.source, column=column, low=_number_text(float(value)), high=_number_text(float(value))))
    try:
        return parse_time(value, unit=unit, what=column)
    except UsageError:
        shown = None if _is_missing(value) else value
        raise UnparseableTimestampError(PREDICTIONS_BAD_TIMESTAMPS.format(
            source=log.source, count=1, column=column, where=f"{where} (e.g. {shown!r})")) from None


def _from_epoch(numbers: "pd.Series", unit: EpochUnit | None, name: Any,
                log: "PredictionLog | None") -> "pd.Series":
    """Epoch numbers as UTC times, in ``unit`` or the one unit :func:`auditkit.times.epoch_unit`
    finds; values beyond the years pandas can hold become NaT (reported as unparseable)."""
    import pandas as pd  # heavy: loaded on first use

    if unit is None:
        finite = numbers[numbers.notna()]
        unit = epoch_unit(finite.tolist()) if len(finite) else "ms"
        if unit is None:
            source = log.source if log is not None else "the data"
            raise PredictionLogError(PREDICTIONS_EPOCH_UNIT.format(
                source=source, column=str(name if name is not None else "timestamp"),
                low=_number_text(finite.min()), high=_number_text(finite.max())))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")
        except (OverflowError, ValueError):  # beyond pandas' range: every value unparseable
            return pd.Series(pd.NaT, index=numbers.index, dtype="datetime64[ns, UTC]")


def _number_text(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _arrow_iso(arrow: Any) -> "pd.Series | None":
    """All values ISO 8601 with a zone offset (the usual log form): Arrow's cast parses them in C++.
    ``None`` when any value is missing, naive, epoch milliseconds or malformed (pandas then
    parses them one rule at a time and reports the bad ones)."""
    import pandas as pd  # heavy: loaded on first use
    import pyarrow as pa  # heavy: loaded on first use

    if arrow.null_count:
        return None
    try:
        parsed = arrow.cast(pa.timestamp("ns", "UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    out = pd.Series(parsed.to_pandas())
    return out if out.dtype == "datetime64[ns, UTC]" else out.astype("datetime64[ns, UTC]")


def reasons_of(log: "PredictionLog", row: Mapping[str, Any], prediction_id: Any = None) -> list[dict[str, Any]]:
    """The principal reasons of one decision as logged: ``[{rank, text, feature, source}]``.

    ``feature`` is named only when the text is an attribute column's name or starts with one
    followed by ``:`` or ``=``; otherwise ``None`` (never guessed from the wording). Raises
    :class:`PredictionLogError` when a ``reasons`` column holds something other than a JSON list."""
    attributes = log.attribute_columns()
    out: list[dict[str, Any]] = []
    if "reasons" in log.roles:
        col = log.roles["reasons"]
        value = row.get(col)
        if not _is_missing(value):
            items = value
            if isinstance(value, str):
                try:
                    items = json.loads(value)
                except ValueError:
                    items = None
            if hasattr(items, "tolist"):
                items = items.tolist()
            if not isinstance(items, list):
                raise PredictionLogError(PREDICTIONS_BAD_REASONS.format(
                    column=col, id=str(prediction_id), value=value))
            for i, text in enumerate(x for x in items if not _is_missing(x) and str(x).strip()):
                out.append({"rank": i + 1, "text": str(text), "feature": infer_feature(str(text), attributes),
                            "source": f"prediction log column {col}[{i}]"})
    for col in log.reason_columns():
        value = row.get(col)
        if _is_missing(value) or not str(value).strip():
            continue
        rank = int(REASON_ROLE.match(next(r for r, c in log.roles.items() if c == col)).group(1))
        out.append({"rank": rank, "text": str(value), "feature": infer_feature(str(value), attributes),
                    "source": f"prediction log column {col}"})
    return out


def infer_feature(text: str, attributes: Sequence[str]) -> str | None:
    """The attribute a reason text names explicitly (``"age"``, ``"age: 23"``, ``"age=23"``)."""
    stripped = text.strip()
    for name in sorted(attributes, key=len, reverse=True):
        if stripped == name or re.match(rf"^{re.escape(name)}\s*[:=]", stripped):
            return name
    return None


def _parquet_row(pf: Any, group: int, index: int, batch_rows: int = 65_536) -> dict[str, Any]:
    """Row ``index`` of row group ``group``, decoding the group only up to the batch holding it."""
    seen = 0
    for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[group]):
        if index < seen + batch.num_rows:
            return batch.slice(index - seen, 1).to_pylist()[0]
        seen += batch.num_rows
    raise IndexError(index)  # pragma: no cover - the index came from the same row group


def is_text_type(arrow_type: Any) -> bool:
    import pyarrow as pa  # heavy: loaded on first use

    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _string_matches(ids: Any, value: str) -> list[int] | None:
    """Row indices of ``value`` in a (chunked) Arrow text column, found by a byte search of the
    data buffer checked against the offsets: no compute kernels (their first use costs ~0.4 s).
    ``None`` when the column is not plain text."""
    import numpy as np  # heavy: loaded on first use
    import pyarrow as pa  # heavy: loaded on first use

    needle = value.encode("utf-8")
    out: list[int] = []
    base = 0
    for arr in getattr(ids, "chunks", [ids]):
        if not is_text_type(arr.type):
            return None
        validity, offsets_buf, data_buf = arr.buffers()[:3]
        width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
        offsets = np.frombuffer(offsets_buf, dtype=width)[arr.offset:arr.offset + len(arr) + 1]
        data = data_buf.to_pybytes() if data_buf is not None else b""
        pos = data.find(needle, int(offsets[0]) if len(offsets) else 0)
        end = int(offsets[-1]) if len(offsets) else 0
        while pos != -1 and pos < end:
            row = int(np.searchsorted(offsets, pos, side="right")) - 1
            if offsets[row] == pos and offsets[row + 1] == pos + len(needle) and arr[row].is_valid:
                out.append(base + row)
            pos = data.find(needle, pos + 1)
        base += len(arr)
    return out


def same_id(value: Any, pid: str) -> bool:
    if _is_missing(value):
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value) == pid


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    pd = sys.modules.get("pandas")  # only pandas makes NaT/NA: no need to import it here
    return pd is not None and (value is pd.NaT or value is pd.NA)


def clean_cell(value: Any) -> Any:
    """Plain Python values (NaN/NaT → None, numpy scalars → Python ones)."""
    if _is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and getattr(value, "ndim", 0) == 0:
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def cell_from_text(text: str) -> Any:
    """One CSV cell read as text: empty → None, integers/decimals → numbers (only when the
    number prints back the same, so ids like ``007`` stay text), else the text."""
    if text == "":
        return None
    if re.fullmatch(r"-?(0|[1-9][0-9]*)", text):
        return int(text)
    if re.fullmatch(r"-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?|-?[0-9]+[eE][-+]?[0-9]+", text):
        return float(text)
    return text


def parquet_hits(path: Any, pid: str, idcol: str) -> list[tuple[dict, str]]:
    """Rows of a Parquet file whose ``idcol`` equals ``pid``, with ``"row N"``: row groups whose
    min/max statistics exclude the id are skipped; the id column is searched first."""
    import pyarrow as pa  # heavy: loaded on first use
    import pyarrow.compute as pc  # heavy: loaded on first use
    import pyarrow.parquet as pq  # heavy: loaded on first use

    pf = pq.ParquetFile(path)
    field = pf.schema_arrow.field(idcol)
    value: Any = pid
    if pa.types.is_integer(field.type):
        if not re.fullmatch(r"-?[0-9]+", pid):
            return []
        value = int(pid)
    meta = pf.metadata
    leaf = next((i for i in range(meta.num_columns) if meta.schema.column(i).path == idcol), None)
    hits = []
    offset = 0
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        stats = group.column(leaf).statistics if leaf is not None else None
        skip = False
        if stats is not None and stats.has_min_max:
            try:
                skip = not (stats.min <= value <= stats.max)
            except TypeError:
                skip = False
        if not skip:
            ids = pf.read_row_group(rg, columns=[idcol]).column(0)
            found = _string_matches(ids, value) if isinstance(value, str) else None
            if found is None:
                if not pa.types.is_integer(ids.type) and not is_text_type(ids.type):
                    ids = pc.cast(ids, pa.string())
                found = pc.indices_nonzero(pc.equal(ids, pa.scalar(value, ids.type))).to_pylist()
            for i in found:
                hits.append((_parquet_row(pf, rg, i), f"row {offset + i + 1}"))
        offset += group.num_rows
    return hits

"""From records to a *cell table*: one row per distinct (sensitive values, decision, label).

Both input paths end here: in memory (arrays, DataFrames) the cells come from factorized codes
and one ``bincount``; from SQL they come from one ``GROUP BY`` (:mod:`.sql`). The cell table is
a DataFrame with the sensitive feature columns, ``DECISION``, ``LABEL`` and ``COUNT``; missing
values are ``None``. A binned feature holds the bin index (0, 1, …), ``-1`` for a value outside
the edges, ``None`` where the value is missing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import errors
from ..errors import FairnessError
from .messages import FAIRNESS_BAD_BINS, FAIRNESS_BIN_NOT_IN_FEATURES, FAIRNESS_BIN_NOT_NUMERIC

DECISION = "__decision__"
LABEL = "__label__"
COUNT = "__count__"
OUT_OF_RANGE = -1


def check_bins(bins: Mapping[str, Sequence[float]] | None, features: Sequence[str]) -> dict[str, list[float]]:
    """Validated bin edges per feature: at least two strictly increasing finite numbers.

    Raises FairnessError (FAIRNESS_BAD_BINS, FAIRNESS_BIN_NOT_IN_FEATURES)."""
    out: dict[str, list[float]] = {}
    for column, edges in (bins or {}).items():
        if column not in features:
            raise FairnessError(FAIRNESS_BIN_NOT_IN_FEATURES.format(
                column=column, features=errors.choices(list(features))))
        try:
            values = [float(e) for e in edges]
        except (TypeError, ValueError):
            raise FairnessError(FAIRNESS_BAD_BINS.format(column=column, value=edges)) from None
        if len(values) < 2 or any(not math.isfinite(v) for v in values) or any(
            b <= a for a, b in itertools.pairwise(values)
        ):
            raise FairnessError(FAIRNESS_BAD_BINS.format(column=column, value=list(edges)))
        out[column] = values
    return out


def _edge(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the half-open bins ``[a, b)`` between consecutive edges, e.g. ``[25, 40)``."""
    return [f"[{_edge(a)}, {_edge(b)})" for a, b in itertools.pairwise(edges)]


def bin_index(values: Any, column: str, edges: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Codes and uniques of a binned column: code ``i`` for bin ``i``, code ``k`` (unique −1) for a
    value outside the edges, −1 where the value is missing.

    Raises FairnessError (FAIRNESS_BIN_NOT_NUMERIC) for values that are not numbers."""
    values = values if isinstance(values, pd.Series) else pd.Series(values)
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        numeric = pd.to_numeric(values, errors="coerce")
        bad = values[numeric.isna() & values.notna()]
        if len(bad):
            raise FairnessError(FAIRNESS_BIN_NOT_NUMERIC.format(column=column, example=bad.iloc[0]))
        values = numeric
    x = values.to_numpy(dtype=np.float64, na_value=np.nan)
    k = len(edges) - 1
    codes = np.zeros(len(x), dtype=np.int64)
    for edge in edges[1:-1]:
        codes += x >= edge
    codes[(x < edges[0]) | (x >= edges[-1])] = k
    codes[np.isnan(x)] = -1
    uniques = np.array([*range(k), OUT_OF_RANGE], dtype=object)
    return codes, uniques


def _factorize(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Codes (−1 for missing) and uniques (object array) of one column."""
    if not isinstance(values, (np.ndarray, pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        values = pd.Series(list(values), dtype=object)
    elif isinstance(values, np.ndarray) and values.ndim != 1:
        values = values.ravel()
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "iub" and len(values):
        # Integers/booleans over a modest range: codes by offset, no hashing.
        x = np.asarray(values)
        x = x.astype(np.int64) if dtype.kind == "b" else x
        lo, hi = int(x.min()), int(x.max())
        if hi - lo <= 1_000_000:
            shifted = (x - lo).astype(np.int64)
            present = np.bincount(shifted, minlength=hi - lo + 1) > 0
            remap = np.cumsum(present) - 1
            uniques = np.flatnonzero(present) + lo
            out = uniques.astype(bool) if dtype.kind == "b" else uniques
            return remap[shifted], np.asarray(out.tolist(), dtype=object)
    try:
        codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    except TypeError:  # mixed types that do not sort: order is settled later
        codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def cells_from_columns(
    features: Mapping[str, Any],
    decision: Any,
    label: Any | None,
    bins: Mapping[str, Sequence[float]],
) -> pd.DataFrame:
    """The cell table of in-memory columns (all of one length; checked by the caller)."""
    columns: list[tuple[str, np.ndarray, np.ndarray]] = []
    for name, values in features.items():
        if name in bins:
            codes, uniques = bin_index(values, name, bins[name])
        else:
            codes, uniques = _factorize(values)
        columns.append((name, codes, uniques))
    columns.append((DECISION, *_factorize(decision)))
    if label is not None:
        columns.append((LABEL, *_factorize(label)))
    # Mixed-radix code per record; code+1 so that "missing" (−1) becomes digit 0.
    sizes = [len(u) + 1 for _, _, u in columns]
    total = int(np.prod(sizes, dtype=np.float64))
    key = np.zeros(len(columns[0][1]), dtype=np.int64)
    for (_, codes, _), size in zip(columns, sizes):
        key *= size
        key += codes + 1
    if total <= 4_000_000:
        counts = np.bincount(key, minlength=total)
        present = np.flatnonzero(counts)
        counts = counts[present]
    else:
        present, counts = np.unique(key, return_counts=True)
    out: dict[str, Any] = {}
    rest = present.copy()
    for (name, _, uniques), size in reversed(list(zip(columns, sizes))):
        digit = rest % size
        rest //= size
        lookup = np.empty(size, dtype=object)
        lookup[0] = None
        lookup[1:] = uniques
        out[name] = lookup[digit]
    frame = pd.DataFrame({name: out[name] for name, _, _ in columns})
    if label is None:
        frame[LABEL] = None
    frame[COUNT] = counts.astype(np.int64)
    return frame

"""The public entry point: :func:`assess_fairness` over arrays, a DataFrame or a SQL table."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .. import errors
from ..errors import FairnessError
from ..logs import check_unique_ids
from .assess import Options, assess_cells
from .cells import cells_from_columns, check_bins
from .messages import (
    FAIRNESS_BAD_CI,
    FAIRNESS_BAD_MIN_GROUP,
    FAIRNESS_BAD_N_BOOT,
    FAIRNESS_FILTER_NEEDS_LOG,
    FAIRNESS_LENGTH_MISMATCH,
    FAIRNESS_MISSING_IDS,
    FAIRNESS_NO_IDS,
    FAIRNESS_NO_RECORDS,
    FAIRNESS_NO_SELECTED,
    FAIRNESS_NO_SENSITIVE,
    FAIRNESS_NOTHING_INPUT,
    FAIRNESS_TOO_MANY_BOOT,
    FAIRNESS_UNKNOWN_COLUMN,
)
from .result import FairnessResult
from .selection import Selection, make_selection, select_rows, selection_columns

#: The most bootstrap resamples one assessment draws (each is a (groups × 6) count array): far
#: beyond what stable 95 % intervals need (1,000–10,000), and bounded in time and memory.
MAX_N_BOOT = 100_000


def _check_options(ci: float | None, n_boot: int, min_group_size: int) -> None:
    if ci is not None:
        if isinstance(ci, bool) or not isinstance(ci, numbers.Real) or not 0.0 < float(ci) < 1.0:
            raise FairnessError(FAIRNESS_BAD_CI.format(value=ci))
        if isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral) or n_boot < 1:
            raise FairnessError(FAIRNESS_BAD_N_BOOT.format(value=n_boot))
        if n_boot > MAX_N_BOOT:
            raise FairnessError(FAIRNESS_TOO_MANY_BOOT.format(value=n_boot, limit=MAX_N_BOOT))
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, numbers.Integral) or min_group_size < 0:
        raise FairnessError(FAIRNESS_BAD_MIN_GROUP.format(value=min_group_size))


def _names(sensitive_features: Any) -> list[str]:
    names = [sensitive_features] if isinstance(sensitive_features, str) else list(sensitive_features or [])
    if not names:
        raise FairnessError(FAIRNESS_NO_SENSITIVE)
    return [str(n) for n in names]


def _feature_arrays(sensitive_features: Any) -> dict[str, Any]:
    """Sensitive features given as values: a Series, DataFrame, dict of arrays, 2-D array or
    one 1-D array-like (named as fairlearn names them: ``sensitive_feature_0`` …)."""
    sf = sensitive_features
    if sf is None:
        raise FairnessError(FAIRNESS_NO_SENSITIVE)
    if isinstance(sf, pd.DataFrame):
        if sf.shape[1] == 0:
            raise FairnessError(FAIRNESS_NO_SENSITIVE)
        return {str(c): sf[c] for c in sf.columns}
    if isinstance(sf, Mapping):
        if not sf:
            raise FairnessError(FAIRNESS_NO_SENSITIVE)
        return {str(k): v for k, v in sf.items()}
    if isinstance(sf, pd.Series):
        return {str(sf.name) if sf.name is not None else "sensitive_feature_0": sf}
    arr = np.asarray(sf, dtype=object) if not isinstance(sf, np.ndarray) else sf
    if arr.ndim == 2:
        return {f"sensitive_feature_{i}": arr[:, i] for i in range(arr.shape[1])}
    return {"sensitive_feature_0": sf}


def _values(v: Any) -> Any:
    """Array-like values as a Series (pandas keeps Arrow-backed text without converting)."""
    if isinstance(v, pd.Series):
        return v.reset_index(drop=True)
    if isinstance(v, pd.Index):
        return pd.Series(v)
    return v


def check_columns(wanted: Sequence[str], present: Sequence[str], where: str) -> None:
    for name in wanted:
        if name not in present:
            raise FairnessError(FAIRNESS_UNKNOWN_COLUMN.format(
                name=name, where=where, choices=errors.choices(list(present), limit=30)))


def assess_fairness(
    *,
    y_true: Any = None,
    y_pred: Any = None,
    sensitive_features: Any,
    pos_label: Any = None,
    label_pos_label: Any = None,
    bins: Mapping[str, Sequence[float]] | None = None,
    reference_group: Any = None,
    ci: float | None = None,
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = 0,
    min_group_size: int = 30,
    data: pd.DataFrame | None = None,
    engine: Any = None,
    table: str | None = None,
    log: Any = None,
    model: str | None = None,
    version: Any = None,
    since: Any = None,
    until: Any = None,
    ledger: Any = None,
    versions: Any = None,
    value_labels: Mapping[str, Mapping[Any, str]] | None = None,
) -> FairnessResult:
    """Group metrics, disparities and adverse impact of binary decisions (fairlearn's definitions).

    In memory: ``y_pred`` (decisions), ``y_true`` (labels, optional) and ``sensitive_features``
    are array-likes of one length; ``sensitive_features`` may be one array (a Series keeps its
    name), a DataFrame or a dict of arrays (several features = intersectional groups). With
    ``data=`` (a DataFrame) the three name columns of it instead. With ``engine=`` (a SQLAlchemy
    engine) and ``table=`` ("name" or "schema.name") they name columns of the table and the
    counts are computed in the database by one ``GROUP BY``; no row is fetched. With ``log=``
    (a :class:`~auditkit.logs.PredictionLog` from ``open_predictions``) decisions and
    labels default to the log's ``decision`` and ``label`` roles and ``sensitive_features`` names
    its columns; a SQL log is grouped in its database, a Parquet log reads only those columns.

    ``pos_label`` is the favourable decision (needed unless the decisions are self-describing
    words, one favourable such as ``approve`` among ``decline``/``deny``/``refer``…; codes and
    booleans always need it, the error lists the values seen); ``label_pos_label`` the positive label when labels are coded differently.
    ``bins={"age": [0, 25, 40, 60, 120]}`` groups a numeric feature into ``[a, b)`` bands.
    ``reference_group`` (a value, tuple of values or ``{feature: value}``) is the group adverse
    impact is measured against; default: the group with the highest selection rate.
    ``ci=0.95`` adds bootstrap intervals (``n_boot`` resamples, seeded by ``random_state``) to
    every per-group metric, the overall metrics and every disparity. Groups under
    ``min_group_size`` records are warned about and tested with Fisher's exact test.

    With ``log=``, ``model`` (a name, ``models:/NAME`` or ``models:/NAME/VERSION``) and
    ``version`` keep the decisions attributed to that model (version): named directly, or by
    alias or stage through ``ledger`` (a registry ledger from ``auditkit snapshot``) at each
    decision's time; ``versions`` (a store's model versions) attributes MLflow 3 logged-model
    references. ``since`` (inclusive) and ``until`` (exclusive) keep a time window. The result's
    ``selection`` says what was kept; decisions that could not be attributed are counted there
    and in ``warnings``.

    ``value_labels`` shows codes as words in every table and chart: ``{"decision": {0: "refer",
    1: "approve"}, "sex": {1: "male", 2: "female"}}`` (a ``pos_label`` given as a code follows
    its label).

    Returns a :class:`FairnessResult`. Raises :class:`~auditkit.errors.FairnessError` for an
    unknown column, a single group, non-binary decisions without ``pos_label``, a positive
    value never seen, non-binary labels, missing decisions, bad bins, values outside the bins,
    an unknown reference group, or bad ``ci`` / ``n_boot`` / ``min_group_size``; see
    :mod:`auditkit.fairness.assess` for how missing sensitive values and labels are treated.
    """
    _check_options(ci, n_boot, min_group_size)
    options = Options(
        pos_label=pos_label, label_pos_label=label_pos_label, reference_group=reference_group,
        ci=None if ci is None else float(ci), n_boot=int(n_boot), random_state=random_state,
        min_group_size=int(min_group_size),
        value_labels={str(k): {str(c): str(t) for c, t in v.items()} for k, v in value_labels.items()}
        if value_labels else None,
    )
    selection = make_selection(model=model, version=version, since=since, until=until, ledger=ledger)
    if log is not None:
        return _assess_log(log, y_true, y_pred, _names(sensitive_features), bins, options, selection, versions)
    if selection.active or ledger is not None:
        raise FairnessError(FAIRNESS_FILTER_NEEDS_LOG)
    if engine is not None or table is not None:
        return _assess_sql(engine, table, y_true, y_pred, _names(sensitive_features), bins, options)
    if y_pred is None:
        raise FairnessError(FAIRNESS_NOTHING_INPUT)
    if data is not None:
        return _assess_frame(data, y_true, y_pred, _names(sensitive_features), bins, options)
    arrays = {k: _values(v) for k, v in _feature_arrays(sensitive_features).items()}
    decisions = _values(y_pred)
    labels = None if y_true is None else _values(y_true)
    expected = len(decisions)
    named = [("y_true", labels)] if labels is not None else []
    for what, values in [*named, *((f"sensitive feature {k!r}", v) for k, v in arrays.items())]:
        if len(values) != expected:
            raise FairnessError(FAIRNESS_LENGTH_MISMATCH.format(
                what=what, got=len(values), expected=expected))
    return _assess_columns(arrays, decisions, labels, bins, options)


def _assess_columns(arrays: dict[str, Any], decisions: Any, labels: Any, bins: Any, options: Options) -> FairnessResult:
    """In-memory columns of one length → cell table → assessment."""
    features = list(arrays)
    checked = check_bins(bins, features)
    if len(decisions) == 0:
        raise FairnessError(FAIRNESS_NO_RECORDS.format(where="the data"))
    cells = cells_from_columns(arrays, decisions, labels, checked)
    return assess_cells(cells, features=features, has_labels=labels is not None, bins=checked, options=options)


def _assess_frame(data: pd.DataFrame, y_true: Any, y_pred: Any, features: list[str], bins: Any,
                  options: Options) -> FairnessResult:
    wanted = [str(y_pred), *([str(y_true)] if y_true is not None else []), *features]
    check_columns(wanted, [str(c) for c in data.columns], "the data")
    labels = None if y_true is None else data[str(y_true)]
    return _assess_columns({f: data[f] for f in features}, data[str(y_pred)], labels, bins, options)


def _assess_sql(engine: Any, table: str | None, y_true: Any, y_pred: Any, features: list[str], bins: Any,
                options: Options) -> FairnessResult:
    """Counts by one GROUP BY in the database, then the assessment."""
    from .sql import cells_from_sql  # heavy (sqlalchemy): only for SQL logs

    checked = check_bins(bins, features)
    if y_pred is None:
        raise FairnessError(FAIRNESS_NOTHING_INPUT)
    cells, where = cells_from_sql(
        engine, table, features=features, decision=str(y_pred),
        label=None if y_true is None else str(y_true), bins=checked,
    )
    return assess_cells(cells, features=features, has_labels=y_true is not None, bins=checked,
                        options=options, where=where)


def _assess_log(log: Any, y_true: Any, y_pred: Any, features: list[str], bins: Any,
                options: Options, selection: Selection | None = None, versions: Any = None) -> FairnessResult:
    """assess_fairness over a PredictionLog: only the needed columns are read; a SQL log is
    grouped in its database."""
    if y_pred is None:
        log.require("decision")
        y_pred = log.roles["decision"]
    if y_true is None:
        y_true = log.roles.get("label")
    wanted = [str(y_pred), *([str(y_true)] if y_true is not None else []), *features]
    check_columns(wanted, log.column_names(), f"prediction log {log.source!r}")
    if selection is not None and selection.active:
        frame = log.read(list(dict.fromkeys(wanted + selection_columns(log, selection))))
        mask, doc, notes = select_rows(log, frame, selection, versions=versions)
        if not mask.any():
            raise FairnessError(FAIRNESS_NO_SELECTED.format(source=log.source, what=selection.describe(),
                                                            why="; ".join(notes) or "none matches"))
        result = _assess_frame(frame[mask].reset_index(drop=True), y_true, y_pred, features, bins, options)
        return replace(result, selection=doc, warnings=[*notes, *result.warnings])
    sql = log.sql_source()
    if sql is not None:
        engine, table = sql
        return _assess_sql(engine, table, y_true, y_pred, features, bins, options)
    idcol = log.roles.get("prediction_id")
    has_ids = idcol is not None and idcol in log.column_names()
    frame = log.read(list(dict.fromkeys([*wanted, *([idcol] if has_ids else [])])))
    if has_ids:  # every decision counted once: ids present and unique, as lineage requires
        _check_ids(frame[idcol], log)
    else:
        warnings.warn(FAIRNESS_NO_IDS.format(source=log.source), errors.AuditkitWarning, stacklevel=3)
    return _assess_frame(frame, y_true, y_pred, features, bins, options)


def _check_ids(ids: pd.Series, log: Any) -> None:
    """Raise when a decision has no prediction id, or an id repeats (each listed with its line)."""
    missing = (ids.isna() | ids.astype(str).str.strip().eq("")).to_numpy()
    if missing.any():
        where = ", ".join(log.position(int(i)) for i in missing.nonzero()[0][:5])
        raise FairnessError(FAIRNESS_MISSING_IDS.format(source=log.source, count=int(missing.sum()),
                                                        column=ids.name, where=where))
    check_unique_ids(ids, log)

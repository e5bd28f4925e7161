"""The cell table of a SQL table by one ``GROUP BY`` in the database (any SQLAlchemy engine).

Only the grouped counts travel: one row per distinct (sensitive values or bin index, decision,
label). Binned features become a ``CASE`` expression (bin index, −1 outside the edges). The
table's columns are looked up through SQLAlchemy's inspector (catalog queries, no rows).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from .. import errors
from ..errors import FairnessError
from .cells import COUNT, DECISION, LABEL, OUT_OF_RANGE
from .messages import (
    FAIRNESS_BIN_NOT_NUMERIC,
    FAIRNESS_NOTHING_INPUT,
    FAIRNESS_TOO_MANY_CELLS,
    FAIRNESS_UNKNOWN_COLUMN,
    FAIRNESS_UNKNOWN_TABLE,
)

MAX_CELLS = 200_000


def _split(table: str) -> tuple[str | None, str]:
    if "." in table:
        schema, name = table.split(".", 1)
        return schema, name
    return None, table


def _binned(column: sa.ColumnElement[Any], edges: Sequence[float]) -> sa.ColumnElement[Any]:
    whens = [
        (sa.and_(column >= lo, column < hi), sa.literal(i))
        for i, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]
    whens.append((column.is_(None), sa.null()))
    return sa.case(*whens, else_=sa.literal(OUT_OF_RANGE))


def cells_from_sql(
    engine: Any,
    table: str | None,
    *,
    features: Sequence[str],
    decision: str,
    label: str | None,
    bins: Mapping[str, Sequence[float]],
) -> tuple[pd.DataFrame, str]:
    """(cell table, description of the table) by one grouped query.

    Raises FairnessError when the table or a column is unknown, a binned column is not
    numeric, or the grouping yields more than MAX_CELLS rows (scores instead of decisions)."""
    if engine is None or not table:
        raise FairnessError(FAIRNESS_NOTHING_INPUT)
    schema, name = _split(table)
    where = f"table {table!r}"
    inspector = sa.inspect(engine)
    if not inspector.has_table(name, schema=schema):
        raise FairnessError(FAIRNESS_UNKNOWN_TABLE.format(
            name=table, where="the database",
            choices=errors.choices(inspector.get_table_names(schema=schema), limit=30)))
    info = {c["name"]: c for c in inspector.get_columns(name, schema=schema)}
    wanted = [decision, *([label] if label else []), *features]
    for col in wanted:
        if col not in info:
            raise FairnessError(FAIRNESS_UNKNOWN_COLUMN.format(
                name=col, where=where, choices=errors.choices(list(info), limit=30)))
    t = sa.table(name, *[sa.column(c) for c in dict.fromkeys(wanted)], schema=schema)
    exprs = []
    for f in features:
        col = t.c[f]
        if f in bins:
            ctype = info[f]["type"]
            if not isinstance(ctype, (sa.Integer, sa.Numeric, sa.Float)):
                raise FairnessError(FAIRNESS_BIN_NOT_NUMERIC.format(column=f, example=str(ctype)))
            exprs.append(_binned(col, bins[f]).label(f"f{len(exprs)}"))
        else:
            exprs.append(col.label(f"f{len(exprs)}"))
    exprs.append(t.c[decision].label("d"))
    if label:
        exprs.append(t.c[label].label("y"))
    query = sa.select(*exprs, sa.func.count().label("n")).select_from(t).group_by(*exprs).limit(MAX_CELLS + 1)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    if len(rows) > MAX_CELLS:
        raise FairnessError(FAIRNESS_TOO_MANY_CELLS.format(limit=MAX_CELLS))
    k = len(features)
    frame = pd.DataFrame({f: [r[i] for r in rows] for i, f in enumerate(features)}, dtype=object)
    frame[DECISION] = pd.Series([r[k] for r in rows], dtype=object)
    frame[LABEL] = pd.Series([r[k + 1] if label else None for r in rows], dtype=object)
    frame[COUNT] = [int(r[-1]) for r in rows]
    return frame, where

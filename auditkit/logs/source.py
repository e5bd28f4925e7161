"""Prediction logs: the decisions a served model made, read from a file or a SQL table.

``open_predictions(source, columns=…)`` opens a ``.csv``, ``.parquet`` or ``.jsonl`` file, or a
SQL table given as ``TABLE@SQLALCHEMY_URL`` (opened read-only, like the store connectors). Column
roles (CONTRACT.md "Prediction logs"): ``prediction_id``, ``timestamp``, ``decision`` (required),
``model_name`` + ``model_version`` or ``model_uri``, ``score``, ``label``, ``reason_1`` … ``reason_N``
or ``reasons`` (a JSON list). ``columns={role: name}`` renames a role's column. Every other column
is an attribute (input feature) of the subject.

Timestamps follow :mod:`auditkit.times` (ISO 8601, or epoch numbers whose unit is given or
unambiguous); a Parquet/SQL timestamp column is used as stored. Nothing is ever written to a log.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from .. import errors
from ..connectors import make_engine, redact_uri, sqlite_path
from ..errors import PredictionLogError
from ..times import BAD_UNIT, EPOCH_UNITS, EpochUnit
from .messages import (
    PREDICTIONS_BAD_SOURCE,
    PREDICTIONS_DUPLICATE_IDS,
    PREDICTIONS_MISSING,
    PREDICTIONS_MISSING_COLUMN,
    PREDICTIONS_NO_TABLE,
    PREDICTIONS_UNKNOWN_COLUMN,
    PREDICTIONS_UNREADABLE,
)
from .roles import REQUIRED_ROLES, assign_roles, check_role_names, reason_columns
from .values import EPOCH_MS, cell_from_text, check_unique_ids, clean_cell, parquet_hits, parse_timestamps, same_id

if TYPE_CHECKING:
    import pandas as pd

#: Rows per chunk when a CSV/JSONL log is streamed.
CHUNK_ROWS = 200_000
#: A CSV log up to this size is searched for one decision with the standard library (no pandas
#: to load); a larger one with pandas' C parser, in chunks.
CSV_SCAN_BYTES = 64 * 1024 * 1024
KINDS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def open_predictions(source: str | Path, *, columns: Mapping[str, str] | None = None,
                     time_unit: EpochUnit | None = None) -> "PredictionLog":
    """Open a prediction log read-only and work out its column roles (reads the schema only).

    ``columns`` renames roles (``{"prediction_id": "request_ref"}``); ``time_unit`` gives the
    unit of epoch-number timestamps (``"s"``, ``"ms"``, ``"us"`` or ``"ns"``; without it the unit
    is inferred only where exactly one unit fits, see :func:`auditkit.times.epoch_unit`).

    Raises :class:`~auditkit.errors.PredictionLogError` when the source form is unknown, the
    file/table does not exist or cannot be read, a role in ``columns`` is unknown, or a renamed
    column is not in the log. Required columns, ids and timestamps are checked by
    :meth:`PredictionLog.validate` (and by lineage), not here.
    """
    text = str(source)
    mapping = dict(columns or {})
    check_role_names(mapping)
    if time_unit is not None and time_unit not in EPOCH_UNITS:
        raise errors.UsageError(BAD_UNIT.format(unit=time_unit))
    if is_sql_source(text):
        table, _, url = text.partition("@")
        return PredictionLog(text, "sql", mapping, table=table, url=url, time_unit=time_unit)
    path = Path(text).expanduser()
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise PredictionLogError(PREDICTIONS_BAD_SOURCE.format(source=text))
    if not path.is_file():
        raise PredictionLogError(PREDICTIONS_MISSING.format(source=text))
    return PredictionLog(text, kind, mapping, path=path, time_unit=time_unit)


def is_sql_source(source: str) -> bool:
    """True for a SQL table source ``TABLE@SQLALCHEMY_URL`` (a table name without ``/``)."""
    table, at, url = str(source).partition("@")
    return bool(at and "://" in url and table and "/" not in table)


class PredictionLog:
    """One opened prediction log. Attributes: ``source`` (password redacted), ``kind``
    (``"csv" | "parquet" | "jsonl" | "sql"``), ``roles`` (role → actual column, roles present)."""

    def __init__(self, source: str, kind: str, mapping: dict[str, str], *, path: Path | None = None,
                 table: str | None = None, url: str | None = None, time_unit: EpochUnit | None = None) -> None:
        self.kind = kind
        self.time_unit = time_unit
        self.source = f"{table}@{redact_uri(url)}" if kind == "sql" else source
        self._path = path
        self._table = table
        self._url = url
        self._engine = None
        self._columns: list[str] = self._read_column_names()
        self.roles: dict[str, str] = assign_roles(self._columns, mapping, source=self.source)

    # -- schema -----------------------------------------------------------------------------
    def column_names(self) -> list[str]:
        """Every column of the log, in stored order."""
        return list(self._columns)

    def reason_columns(self) -> list[str]:
        """The actual ``reason_N`` columns in rank order (empty when the log has none)."""
        return reason_columns(self.roles)

    def attribute_columns(self) -> list[str]:
        """Every column that has no role: the subject's input features and attributes."""
        used = set(self.roles.values())
        return [c for c in self._columns if c not in used]

    def require(self, *roles: str) -> None:
        """Raise :class:`PredictionLogError` naming the first role whose column is missing."""
        for role in roles:
            if role not in self.roles:
                raise PredictionLogError(PREDICTIONS_MISSING_COLUMN.format(
                    source=self.source, role=role, name=role,
                    choices=errors.choices(self._columns, limit=30)))

    def _read_column_names(self) -> list[str]:
        try:
            if self.kind == "csv":
                return self._csv_header()
            if self.kind == "parquet":
                import pyarrow.parquet as pq  # heavy: loaded on first use

                return list(pq.read_schema(self._path).names)
            if self.kind == "jsonl":
                return self._jsonl_columns()
            return self._sql_columns()
        except PredictionLogError:
            raise
        except Exception as exc:  # unreadable file, bad header, driver error …
            raise PredictionLogError(PREDICTIONS_UNREADABLE.format(
                source=self.source, reason=_first_line(exc))) from None

    def _csv_header(self) -> list[str]:
        """The header of a CSV log, named as pandas names it (blank → ``Unnamed: N``, a repeated
        name → ``name.1``), so the one-decision and the batch paths see the same columns."""
        with open(self._path, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
        if not header:
            raise PredictionLogError(PREDICTIONS_UNREADABLE.format(source=self.source,
                                                                   reason="the file has no header line"))
        names: list[str] = []
        seen: dict[str, int] = {}
        for i, raw in enumerate(header):
            name = raw if raw != "" else f"Unnamed: {i}"
            base, n = name, seen.get(name, 0)
            while name in seen:
                n += 1
                name = f"{base}.{n}"
            seen[base] = n
            seen.setdefault(name, 0)
            names.append(name)
        return names

    def _jsonl_columns(self, sample: int = 1000) -> list[str]:
        seen: dict[str, None] = {}
        for _, record in self._iter_jsonl(limit=sample):
            seen.update(dict.fromkeys(str(k) for k in record))
        return list(seen)

    # -- SQL --------------------------------------------------------------------------------
    def sql_source(self) -> "tuple[Any, str] | None":
        """``(engine, table_name)`` of a SQL log (engine read-only), else ``None``."""
        if self.kind != "sql":
            return None
        return self._sql_engine(), self._table

    def _sql_engine(self):
        if self._engine is None:
            if self._url.lower().startswith("sqlite") and not sqlite_path(self._url).is_file():
                raise PredictionLogError(PREDICTIONS_MISSING.format(source=self.source))
            try:
                self._engine = make_engine(self._url)
            except errors.AuditkitError as exc:
                raise PredictionLogError(PREDICTIONS_UNREADABLE.format(
                    source=self.source, reason=str(exc))) from None
        return self._engine

    def _sql_table(self, columns: Sequence[str]):
        import sqlalchemy as sa  # heavy: loaded on first use

        schema, _, name = self._table.rpartition(".")
        return sa.table(name, *[sa.column(c) for c in columns], schema=schema or None)

    def _sql_columns(self) -> list[str]:
        import sqlalchemy as sa  # heavy: loaded on first use

        engine = self._sql_engine()
        schema, _, name = self._table.rpartition(".")
        inspector = sa.inspect(engine)
        if not inspector.has_table(name, schema=schema or None):
            raise PredictionLogError(PREDICTIONS_NO_TABLE.format(
                source=self.source, table=self._table,
                choices=errors.choices(sorted(inspector.get_table_names(schema=schema or None)))))
        cols = inspector.get_columns(name, schema=schema or None)
        self._sql_types = {c["name"]: c["type"] for c in cols}
        return [c["name"] for c in cols]

    def _sql_rows(self, query) -> "pd.DataFrame":
        import pandas as pd  # heavy: loaded on first use
        import sqlalchemy as sa  # heavy: loaded on first use

        try:
            with self._sql_engine().connect() as conn:
                result = conn.execute(query)
                return pd.DataFrame(result.all(), columns=list(result.keys()))
        except sa.exc.SQLAlchemyError as exc:
            raise PredictionLogError(PREDICTIONS_UNREADABLE.format(
                source=self.source, reason=_first_line(getattr(exc, "orig", None) or exc))) from None

    def _sql_value(self, column: str, value: str) -> Any:
        """``value`` in the SQL column's type (an id typed on the command line is text)."""
        import sqlalchemy as sa  # heavy: loaded on first use

        ctype = self._sql_types.get(column)
        if isinstance(ctype, sa.Integer):
            return int(value) if EPOCH_MS.match(str(value)) and "." not in str(value) else _NO_MATCH
        return str(value)

    # -- reading ----------------------------------------------------------------------------
    def read(self, columns: Sequence[str] | None = None) -> "pd.DataFrame":
        """The log (only the named actual columns, all when ``None``) as a DataFrame.

        Parquet reads only those columns; SQL selects only those. CSV ids are read as text.
        Raises :class:`PredictionLogError` for an unknown column or an unreadable log."""
        import pandas as pd  # heavy: loaded on first use

        chunks = list(self.iter_chunks(columns, chunk_rows=None))
        return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)

    def iter_chunks(self, columns: Sequence[str] | None = None, *,
                    chunk_rows: int | None = CHUNK_ROWS) -> Iterator["pd.DataFrame"]:
        """The log in consecutive chunks of about ``chunk_rows`` rows (one chunk when ``None``);
        row order is the log's order. Raises :class:`PredictionLogError`."""
        import pandas as pd  # heavy: loaded on first use

        cols = self._check_columns(columns)
        idcol = self.roles.get("prediction_id")
        try:
            if self.kind == "csv":
                dtype = {idcol: str} if idcol in cols else None
                if chunk_rows is None:
                    yield pd.read_csv(self._path, usecols=cols, dtype=dtype)[cols]
                else:
                    got = False
                    for chunk in pd.read_csv(self._path, usecols=cols, dtype=dtype, chunksize=chunk_rows):
                        got = True
                        yield chunk[cols]
                    if not got:
                        yield pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
            elif self.kind == "parquet":
                import pyarrow.parquet as pq  # heavy: loaded on first use

                if chunk_rows is None:
                    yield pq.read_table(self._path, columns=cols).to_pandas()
                else:
                    pf = pq.ParquetFile(self._path)
                    for batch in pf.iter_batches(batch_size=chunk_rows, columns=cols):
                        yield batch.to_pandas()
            elif self.kind == "jsonl":
                rows: list[dict] = []
                for _, record in self._iter_jsonl():
                    rows.append({c: record.get(c) for c in cols})
                    if chunk_rows and len(rows) >= chunk_rows:
                        yield pd.DataFrame(rows, columns=cols)
                        rows = []
                if rows or not chunk_rows:
                    yield pd.DataFrame(rows, columns=cols)
            else:
                import sqlalchemy as sa  # heavy: loaded on first use

                t = self._sql_table(cols)
                query = sa.select(*[t.c[c] for c in cols])
                if chunk_rows is None:
                    yield self._sql_rows(query)
                else:
                    with self._sql_engine().connect() as conn:
                        result = conn.execution_options(stream_results=True).execute(query)
                        keys = list(result.keys())
                        while batch := result.fetchmany(chunk_rows):
                            yield pd.DataFrame(batch, columns=keys)
        except PredictionLogError:
            raise
        except Exception as exc:
            raise PredictionLogError(PREDICTIONS_UNREADABLE.format(
                source=self.source, reason=_first_line(exc))) from None

    def count(self) -> int | None:
        """Number of decisions (Parquet metadata, SQL ``COUNT(*)``, lines of a CSV/JSONL file;
        approximate for CSV fields holding line breaks)."""
        if self.kind == "parquet":
            import pyarrow.parquet as pq  # heavy: loaded on first use

            return pq.ParquetFile(self._path).metadata.num_rows
        if self.kind == "sql":
            import sqlalchemy as sa  # heavy: loaded on first use

            frame = self._sql_rows(sa.select(sa.func.count()).select_from(self._sql_table([])))
            return int(frame.iloc[0, 0])
        lines = 0
        with open(self._path, "rb") as fh:
            while block := fh.read(1 << 20):
                lines += block.count(b"\n")
        return max(lines - (1 if self.kind == "csv" else 0), 0)

    def _check_columns(self, columns: Sequence[str] | None) -> list[str]:
        if columns is None:
            return list(self._columns)
        cols = list(dict.fromkeys(columns))
        for c in cols:
            if c not in self._columns:
                raise PredictionLogError(PREDICTIONS_UNKNOWN_COLUMN.format(
                    name=c, source=self.source, choices=errors.choices(self._columns, limit=30)))
        return cols

    def _iter_jsonl(self, limit: int | None = None) -> Iterator[tuple[int, dict]]:
        with open(self._path, encoding="utf-8") as fh:
            n = 0
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                record = self._json_line(lineno, line)
                if not isinstance(record, dict):
                    raise PredictionLogError(PREDICTIONS_UNREADABLE.format(
                        source=self.source, reason=f"line {lineno} is not a JSON object"))
                yield lineno, record
                n += 1
                if limit is not None and n >= limit:
                    return

    def _json_line(self, lineno: int, line: str) -> Any:
        try:
            return json.loads(line)
        except ValueError as exc:
            raise PredictionLogError(PREDICTIONS_UNREADABLE.format(
                source=self.source, reason=f"line {lineno} is not JSON ({exc})")) from None

    # -- one decision -----------------------------------------------------------------------
    def find(self, prediction_id: Any) -> dict[str, Any] | None:
        """The row of one decision (actual column → value, missing values ``None``), or ``None``.

        Reads no more than it must: Parquet prunes row groups by their statistics and reads the
        id column first; SQL uses ``WHERE`` on the id column; CSV/JSONL are streamed. Raises
        :class:`PredictionLogError` when the log has no id column or holds the id twice."""
        found = self.locate(prediction_id)
        return None if found is None else found[0]

    def locate(self, prediction_id: Any) -> tuple[dict[str, Any], str] | None:
        """Like :meth:`find`, with where the row is: ``"line N"`` (CSV/JSONL), ``"row N"``
        (Parquet, 1-based) or ``"WHERE <id column> = …"`` (SQL)."""
        self.require("prediction_id")
        pid = str(prediction_id)
        idcol = self.roles["prediction_id"]
        if self.kind == "parquet":
            hits = self._find_parquet(pid, idcol)
        elif self.kind == "sql":
            hits = self._find_sql(pid, idcol)
        elif self.kind == "jsonl":
            hits = self._find_jsonl(pid, idcol)
        else:
            hits = self._find_csv(pid, idcol)
        if not hits:
            return None
        if len(hits) > 1:
            raise PredictionLogError(PREDICTIONS_DUPLICATE_IDS.format(
                source=self.source, count=1, examples=f"{pid!r} at {' and '.join(w for _, w in hits[:5])}"))
        row, where = hits[0]
        return {c: clean_cell(row.get(c)) for c in self._columns}, where

    def _find_jsonl(self, pid: str, idcol: str) -> list[tuple[dict, str]]:
        # A plain id appears verbatim in its line: skip parsing lines that do not contain it.
        plain = pid.isascii() and '"' not in pid and "\\" not in pid and "/" not in pid
        hits = []
        with open(self._path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if (plain and pid not in line) or not line.strip():
                    continue
                record = self._json_line(lineno, line)
                if isinstance(record, dict) and same_id(record.get(idcol), pid):
                    hits.append((record, f"line {lineno}"))
        return hits

    def _find_csv(self, pid: str, idcol: str) -> list[tuple[dict, str]]:
        if self._path.stat().st_size <= CSV_SCAN_BYTES:
            return self._scan_csv(pid, idcol)
        import pandas as pd  # heavy: loaded on first use (large files: its C parser is faster)

        hits = []
        offset = 0
        try:
            reader = pd.read_csv(self._path, dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS)
            for chunk in reader:
                mask = (chunk[idcol] == pid).to_numpy()
                for i in mask.nonzero()[0]:
                    record = {k: cell_from_text(v) for k, v in chunk.iloc[int(i)].items()}
                    hits.append((record, f"line {offset + int(i) + 2}"))
                offset += len(chunk)
        except Exception as exc:
            raise PredictionLogError(PREDICTIONS_UNREADABLE.format(
                source=self.source, reason=_first_line(exc))) from None
        return hits

    def _scan_csv(self, pid: str, idcol: str) -> list[tuple[dict, str]]:
        """The records of a small CSV log with id ``pid``, read with the standard library (no
        pandas to load for one decision). Line numbers count records, as :meth:`position` does."""
        column = self._columns.index(idcol)
        hits = []
        try:
            with open(self._path, newline="", encoding="utf-8-sig") as fh:
                reader = csv.reader(fh)
                next(reader, None)
                index = 0
                for values in reader:
                    if not values:  # blank lines are no records (as pandas reads them)
                        continue
                    if column < len(values) and values[column] == pid:
                        padded = values + [""] * (len(self._columns) - len(values))
                        record = {k: cell_from_text(v) for k, v in zip(self._columns, padded)}
                        hits.append((record, self.position(index)))
                    index += 1
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise PredictionLogError(PREDICTIONS_UNREADABLE.format(
                source=self.source, reason=_first_line(exc))) from None
        return hits

    def _find_parquet(self, pid: str, idcol: str) -> list[tuple[dict, str]]:
        return parquet_hits(self._path, pid, idcol)

    def _find_sql(self, pid: str, idcol: str) -> list[tuple[dict, str]]:
        import sqlalchemy as sa  # heavy: loaded on first use

        value = self._sql_value(idcol, pid)
        if value is _NO_MATCH:
            return []
        t = self._sql_table(self._columns)
        query = sa.select(*[t.c[c] for c in self._columns]).where(t.c[idcol] == value).limit(5)
        frame = self._sql_rows(query)
        where = f"WHERE {idcol} = {pid!r}"
        return [(rec, where) for rec in frame.astype(object).to_dict("records")]

    # -- validation -------------------------------------------------------------------------
    def validate(self) -> int:
        """Check the required columns, that ids are unique and that every timestamp parses.

        Reads only the id and timestamp columns. Returns the number of decisions. Raises
        :class:`PredictionLogError`: a required column is missing (the message lists what
        exists), ids repeat (a few shown, with lines/rows), timestamps do not parse (line or
        row numbers shown)."""
        self.require(*REQUIRED_ROLES)
        idcol, tscol = self.roles["prediction_id"], self.roles["timestamp"]
        if self.kind == "sql":
            self._validate_sql_ids(idcol)
            frame = self.read([idcol, tscol])
            parse_timestamps(frame[tscol], log=self)
            return len(frame)
        return self._validate_in_chunks(idcol, tscol)

    def _validate_in_chunks(self, idcol: str, tscol: str) -> int:
        """:meth:`validate` for files, in chunks of :data:`CHUNK_ROWS` (bounded memory): each
        chunk's timestamps parsed as the batch lineage parses them, and a 64-bit hash of every id
        kept; only when two hashes are equal is the id column read whole to name the repeats."""
        import numpy as np  # heavy: loaded on first use
        import pandas as pd  # heavy: loaded on first use

        hashes, n = [], 0
        for chunk in self.iter_chunks([idcol, tscol]):
            chunk = chunk.reset_index(drop=True)
            parse_timestamps(chunk[tscol], log=self, offset=n)
            ids = chunk[idcol]
            hashes.append(pd.util.hash_pandas_object(ids.astype(str).where(ids.notna(), "\0<missing>"),
                                                     index=False).to_numpy())
            n += len(chunk)
        if n:
            ordered = np.sort(np.concatenate(hashes))
            if (ordered[1:] == ordered[:-1]).any():  # a repeat (or, rarely, a hash collision)
                check_unique_ids(self.read([idcol])[idcol], self)
        return n

    def _validate_sql_ids(self, idcol: str) -> None:
        import sqlalchemy as sa  # heavy: loaded on first use

        t = self._sql_table([idcol])
        n = sa.func.count().label("n")
        query = sa.select(t.c[idcol], n).group_by(t.c[idcol]).having(sa.func.count() > 1).limit(5)
        dups = self._sql_rows(query)
        if len(dups):
            total = self._sql_rows(sa.select(sa.func.count()).select_from(
                sa.select(t.c[idcol]).group_by(t.c[idcol]).having(sa.func.count() > 1).subquery()))
            examples = ", ".join(f"{v!r} ({c} rows)" for v, c in zip(dups.iloc[:, 0], dups.iloc[:, 1]))
            raise PredictionLogError(PREDICTIONS_DUPLICATE_IDS.format(
                source=self.source, count=int(total.iloc[0, 0]), examples=examples))

    def position(self, index: int) -> str:
        """Where the ``index``-th record (0-based) is: ``line N`` for CSV/JSONL, else ``row N``.
        CSV line numbers assume one line per record; JSONL ones assume no blank lines."""
        if self.kind == "csv":
            return f"line {index + 2}"
        if self.kind == "jsonl":
            return f"line {index + 1}"
        return f"row {index + 1}"

    def close(self) -> None:
        """Release a SQL log's connections (idempotent)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> "PredictionLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PredictionLog {self.kind} {self.source!r}>"


_NO_MATCH = object()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__

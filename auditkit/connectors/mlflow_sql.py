"""MLflow SQL stores (sqlite, PostgreSQL, MySQL/MariaDB), read directly and read-only.

One connector reads every MLflow schema from 2.x (no ``logged_models``/``workspace``) through 3.x:
it reflects which tables and columns exist and selects only those. Bulk reads are set-based: one
query per table, never one per run.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import warnings
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .. import errors
from ..records import (
    MAX_MS,
    MIN_MS,
    DatasetRef,
    Experiment,
    LoggedModel,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
    ms_to_datetime,
)
from .base import Connector, profile_rows, redact_uri, unknown_experiment, unknown_model, unknown_run

if TYPE_CHECKING:
    import pandas as pd
from .messages import MISSING_TABLE
from .sql_engine import (
    KNOWN_REVISIONS,
    first_line,
    make_engine,
    missing_tables,
    read_schema,
    sqlite_error,
    sqlite_path,
    timeout_hint,
)

#: MLflow's stage for soft-deleted model versions, and the prefix of the fields it redacts.
DELETED_STAGE = "Deleted_Internal"
REDACTED_PREFIX = "REDACTED-"
#: What ``inspect`` counts: (key, table, condition); tables a schema lacks are left out.
COUNTS = (
    ("experiments", "experiments", None),
    ("runs", "runs", None),
    ("deleted_runs", "runs", "lifecycle_stage = 'deleted'"),
    ("registered_models", "registered_models", None),
    ("model_versions", "model_versions", None),
    ("deleted_model_versions", "model_versions", f"current_stage = '{DELETED_STAGE}'"),
    ("datasets", "datasets", None),
    ("logged_models", "logged_models", None),
)
NOT_UTF8 = (
    "table {table!r} of {where} holds {count} text value(s) that are not UTF-8 (e.g. {example}); "
    "shown with the bad bytes escaped as \\xNN (MLflow writes UTF-8)"
)
#: MLflow's integer encoding of logged model status.
LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


class MlflowSqlConnector(Connector):
    """Reads an MLflow tracking + registry database. Raises :class:`~auditkit.errors.StoreError`
    subclasses from the constructor when the store cannot be opened or is not an MLflow store."""

    backend = "mlflow-sql"

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self._engine = make_engine(uri)
        self._sqlite = self._engine.dialect.name == "sqlite"
        self._dbapi_error = getattr(self._engine.dialect.dbapi, "Error", sqlite3.Error)
        where = str(sqlite_path(uri)) if uri.lower().startswith("sqlite") else redact_uri(uri)
        self._where = where
        try:
            self.schema = read_schema(self._engine, where)
        except Exception:
            self._engine.dispose()
            raise
        self.warnings: list[str] = []
        if self.schema.revision not in KNOWN_REVISIONS:
            msg = (
                f"schema revision {self.schema.revision!r} of {where} is unknown to auditkit "
                "(a newer or modified MLflow?); reading the tables that exist on a best-effort basis"
            )
            self.warnings.append(msg)
            warnings.warn(msg, errors.AuditkitWarning, stacklevel=2)
        self._unreadable = tuple(MISSING_TABLE.format(table=t, where=where, revision=self.schema.revision)
                                 for t in missing_tables(self.schema))
        for msg in self._unreadable:
            self.warnings.append(msg)
            warnings.warn(msg, errors.AuditkitWarning, stacklevel=2)
        self._cache: dict[str, Any] = {}

    # -- plumbing ---------------------------------------------------------------------------
    def close(self) -> None:
        self._engine.dispose()

    def unreadable(self) -> tuple[str, ...]:
        return self._unreadable

    def _select(self, table: str, columns: Iterable[str], where: str | None = None,
                params: dict[str, Any] | None = None, as_tuples: bool = False) -> list:
        """``SELECT`` the listed columns that exist in ``table`` (absent ones come back None),
        as dicts, or as tuples in the order of ``columns`` when ``as_tuples``."""
        import sqlalchemy as sa  # heavy: loaded on first use

        if not self.schema.has(table):
            return []
        wanted = list(columns)
        present = [c for c in wanted if self.schema.has(table, c)]
        query = sa.select(*[self._column(table, c) for c in present]).select_from(sa.table(table))
        if where is not None:
            query = query.where(sa.text(where))
        with self._reading(f"table {table!r}"):
            with self._engine.connect() as conn:
                rows = self._fetch(conn, query, params or {}, table)
        if as_tuples:
            if present == wanted:
                return [tuple(row) for row in rows]
            index = [present.index(c) if c in present else None for c in wanted]
            return [tuple(None if i is None else row[i] for i in index) for row in rows]
        return [{**dict.fromkeys(wanted), **dict(zip(present, row))} for row in rows]

    def _column(self, table: str, column: str):
        """The SELECT expression for one column. SQLite keeps any value in any column (a damaged
        or hand-edited file may hold a number or blob where MLflow writes text, or text where it
        writes a number), so there text columns are read as text and numeric columns keep only
        numbers (anything else reads as NULL); server databases enforce their column types."""
        import sqlalchemy as sa  # heavy: loaded on first use

        col = sa.column(column)
        if not self._sqlite:
            return col
        if (table, column) in self.schema.text_columns:
            return sa.cast(col, sa.Text).label(column)
        return sa.case((sa.func.typeof(col).in_(["integer", "real"]), col), else_=None).label(column)

    def _fetch(self, conn, query, params: dict[str, Any], table: str) -> list:
        """The DBAPI cursor's rows, skipping SQLAlchemy's per-row processing (every column read
        here is a plain string/number). Text that is not UTF-8 (only SQLite can hold it) is read
        again with its bad bytes escaped as ``\\xNN``, with a warning naming the table."""
        result = conn.execute(query, params)
        if result.cursor is None:
            return []
        try:
            return result.cursor.fetchall()
        except sqlite3.OperationalError as exc:
            if not self._sqlite or "decode" not in str(exc).lower():
                raise
        raw = conn.connection.dbapi_connection
        bad: list[bytes] = []

        def text(data: bytes) -> str:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(data)
                return data.decode("utf-8", errors="backslashreplace")

        raw.text_factory = text
        try:
            rows = conn.execute(query, params).cursor.fetchall()
        finally:
            raw.text_factory = str
        if bad:
            example = repr(bad[0][:60]) + ("…" if len(bad[0]) > 60 else "")
            msg = NOT_UTF8.format(table=table, where=self._where, count=len(bad), example=example)
            self.warnings.append(msg)
            warnings.warn(msg, errors.AuditkitWarning, stacklevel=4)
        return rows

    @contextlib.contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        """Turn a database error while reading ``what`` into one StoreError line."""
        import sqlalchemy as sa  # heavy: loaded on first use

        try:
            yield
        except (sa.exc.SQLAlchemyError, self._dbapi_error, UnicodeDecodeError) as exc:
            orig = getattr(exc, "orig", None) or exc
            if self._sqlite and isinstance(orig, (sqlite3.DatabaseError, UnicodeDecodeError)):
                raise sqlite_error(sqlite_path(self.uri), orig) from None
            text = first_line(orig)
            raise errors.StoreError(f"cannot read {what} of {self._where}: {text}"
                                    + timeout_hint(self._engine, text)) from None

    def _experiment_rows(self) -> list[dict[str, Any]]:
        if "experiments" not in self._cache:
            self._cache["experiments"] = self._select(
                "experiments",
                ["experiment_id", "name", "artifact_location", "lifecycle_stage", "creation_time",
                 "last_update_time", "workspace"],
            )
        return self._cache["experiments"]

    def _experiment_id(self, name: str) -> str:
        rows = self._experiment_rows()
        for row in rows:
            if row["name"] == name:
                return str(row["experiment_id"])
        raise unknown_experiment(name, sorted((r["name"] for r in rows if r["name"] is not None), key=str))

    # -- Connector API ----------------------------------------------------------------------
    def info(self) -> StoreInfo:
        import sqlalchemy as sa  # heavy: loaded on first use

        counts: dict[str, int] = {}
        with self._reading("the record counts"), self._engine.connect() as conn:
            for key, table, condition in COUNTS:
                if self.schema.has(table):
                    sql = f"SELECT COUNT(*) FROM {table}" + (f" WHERE {condition}" if condition else "")
                    counts[key] = int(conn.execute(sa.text(sql)).scalar() or 0)
        workspaces = {r["workspace"] for r in self._experiment_rows() if r.get("workspace")}
        warns = list(self.warnings)
        if len(workspaces) > 1:
            warns.append(f"store holds {len(workspaces)} workspaces ({', '.join(sorted(workspaces))}); "
                         "records of all of them are listed together")
        return StoreInfo(backend=self.backend, uri=redact_uri(self.uri), schema_revision=self.schema.revision,
                         counts=counts, warnings=tuple(warns))

    def experiments(self) -> list[Experiment]:
        tags = self._tags_by("experiment_tags", "experiment_id")
        return [
            Experiment(
                experiment_id=str(r["experiment_id"]), name=r["name"],
                lifecycle_stage=r["lifecycle_stage"] or "active", artifact_location=r["artifact_location"],
                creation_time=ms_to_datetime(r["creation_time"], what="experiments.creation_time"),
                last_update_time=ms_to_datetime(r["last_update_time"], what="experiments.last_update_time"),
                tags=tags.get(str(r["experiment_id"]), {}),
            )
            for r in sorted(self._experiment_rows(), key=lambda r: _id_key(r["experiment_id"]))
        ]

    def _experiment_filter(self, experiment: str | None) -> tuple[str | None, dict[str, Any]]:
        """SQL condition over the runs table (and its parameters) for one experiment, or none."""
        if experiment is None:
            return None, {}
        return "experiment_id = :eid", {"eid": int(self._experiment_id(experiment))}

    def runs(self, experiment: str | None = None) -> list[Run]:
        return self._read_runs(*self._experiment_filter(experiment))

    def get_run(self, run_id: str) -> Run:
        """One run by id (targeted queries, not a scan). Raises RecordNotFoundError."""
        found = self._read_runs("run_uuid = :rid", {"rid": run_id})
        if not found:
            raise unknown_run(run_id)
        return found[0]

    def runs_frame(self, experiment: str | None = None) -> "pd.DataFrame":
        """Like :meth:`Connector.runs_frame`, built set-based from long tables with pandas
        pivots instead of going through one record per run (the bulk path for big stores)."""
        import pandas as pd  # heavy: loaded on first use

        where, params = self._experiment_filter(experiment)
        sub = _of_runs(where)
        runs = self._frame("runs", ["run_uuid", "name", "user_id", "status", "start_time", "end_time",
                                    "experiment_id"], where, params)
        names = {_id_text(e["experiment_id"]): e["name"] for e in self._experiment_rows()}
        frame = pd.DataFrame({
            "run_id": runs["run_uuid"],
            "experiment": runs["experiment_id"].map(lambda e: names.get(_id_text(e))),
            "run_name": runs["name"],
            "user": runs["user_id"],
            "status": runs["status"],
            "start_time": _ms_column(runs["start_time"], "runs.start_time"),
            "end_time": _ms_column(runs["end_time"], "runs.end_time"),
        })
        wide = []
        for prefix, table, cols in (("params.", "params", ["run_uuid", "key", "value"]),
                                    ("metrics.", "latest_metrics", ["run_uuid", "key", "value", "is_nan"]),
                                    ("tags.", "tags", ["run_uuid", "key", "value"])):
            long = self._frame(table, cols, sub, params)
            if prefix == "metrics.":
                long["value"] = long["value"].astype("float64").where(~long["is_nan"].astype(bool), float("nan"))
            # A damaged SQLite file can repeat a (run, key) row its primary key forbids: keep the last.
            long = long.drop_duplicates(["run_uuid", "key"], keep="last")
            piece = long.pivot(index="run_uuid", columns="key", values="value")
            piece = piece.reindex(sorted(piece.columns), axis=1)
            piece.columns = [prefix + str(c) for c in piece.columns]
            wide.append(piece)
        frame = frame.join(pd.concat(wide, axis=1), on="run_id") if wide else frame
        if "run_name" in frame and "tags.mlflow.runName" in frame:
            frame["run_name"] = frame["run_name"].fillna(frame["tags.mlflow.runName"])
        order = frame.sort_values(["start_time", "run_id"], na_position="last").index
        return frame.loc[order].reset_index(drop=True)

    def _frame(self, table: str, columns: list[str], where: str | None, params: dict[str, Any]) -> "pd.DataFrame":
        """The rows of :meth:`_select` as a DataFrame with exactly ``columns``."""
        import pandas as pd  # heavy: loaded on first use

        rows = self._select(table, columns, where, params, as_tuples=True)
        return pd.DataFrame(rows, columns=columns, dtype=object)

    def _read_runs(self, where: str | None, params: dict[str, Any]) -> list[Run]:
        """Runs matching ``where`` (SQL over the runs table), one query per table."""
        run_rows = self._select(
            "runs",
            ["run_uuid", "name", "user_id", "status", "start_time", "end_time", "lifecycle_stage",
             "artifact_uri", "experiment_id"],
            where, params,
        )
        sub = _of_runs(where)
        kv: dict[str, dict[str, dict[str, Any]]] = {}
        for table in ("params", "tags"):
            grouped: dict[str, dict[str, Any]] = defaultdict(dict)
            for r in self._select(table, ["run_uuid", "key", "value"], sub, params):
                grouped[r["run_uuid"]][r["key"]] = r["value"]
            kv[table] = grouped
        metrics: dict[str, dict[str, float]] = defaultdict(dict)
        for r in self._select("latest_metrics", ["run_uuid", "key", "value", "is_nan"], sub, params):
            value = r["value"]
            metrics[r["run_uuid"]][r["key"]] = math.nan if r["is_nan"] or value is None else float(value)
        datasets = self._datasets_by_run(where, params)
        names = {str(e["experiment_id"]): e["name"] for e in self._experiment_rows()}
        out = []
        for r in run_rows:
            rid = r["run_uuid"]
            tags = kv["tags"].get(rid, {})
            out.append(Run(
                run_id=rid, experiment_id=str(r["experiment_id"]), experiment=names.get(str(r["experiment_id"])),
                run_name=r["name"] or tags.get("mlflow.runName"), user=r["user_id"], status=r["status"],
                start_time=ms_to_datetime(r["start_time"], what="runs.start_time"),
                end_time=ms_to_datetime(r["end_time"], what="runs.end_time"),
                lifecycle_stage=r["lifecycle_stage"] or "active", artifact_uri=r["artifact_uri"],
                params=kv["params"].get(rid, {}), metrics=metrics.get(rid, {}), tags=tags,
                datasets=tuple(datasets.get(rid, ())),
            ))
        out.sort(key=lambda run: (run.start_time is None, run.start_time, run.run_id), reverse=False)
        return out

    def _datasets_by_run(self, run_where: str | None, params: dict[str, Any]) -> dict[str, list[DatasetRef]]:
        if not (self.schema.has("inputs") and self.schema.has("datasets")):
            return {}
        cond = "source_type = 'DATASET' AND destination_type = 'RUN'"
        if run_where is not None:
            cond += f" AND destination_id IN (SELECT run_uuid FROM runs WHERE {run_where})"
        links = self._select("inputs", ["input_uuid", "source_id", "destination_id"], cond, params)
        if not links:
            return {}
        linked = f"IN (SELECT {{col}} FROM inputs WHERE {cond})"
        ds = {r["dataset_uuid"]: r for r in self._select(
            "datasets", ["dataset_uuid", "name", "digest", "dataset_source_type", "dataset_source",
                         "dataset_schema", "dataset_profile"],
            "dataset_uuid " + linked.format(col="source_id"), params)}
        input_tags: dict[str, dict[str, str]] = defaultdict(dict)
        for t in self._select("input_tags", ["input_uuid", "name", "value"],
                              "input_uuid " + linked.format(col="input_uuid"), params):
            input_tags[t["input_uuid"]][t["name"]] = t["value"]
        out: dict[str, list[DatasetRef]] = defaultdict(list)
        for link in links:
            d = ds.get(link["source_id"])
            if d is None:
                continue
            tags = input_tags.get(link["input_uuid"], {})
            out[link["destination_id"]].append(DatasetRef(
                name=d["name"], digest=d["digest"], source_type=d["dataset_source_type"],
                source=d["dataset_source"], schema=d["dataset_schema"], profile=d["dataset_profile"],
                rows=profile_rows(d["dataset_profile"]), context=tags.get("mlflow.data.context"), tags=tags,
            ))
        for refs in out.values():
            refs.sort(key=lambda ref: (ref.name, ref.context or "", ref.digest or ""))
        return out

    def _tags_by(self, table: str, key_column: str, value_column: str = "value",
                 tag_column: str = "key") -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = defaultdict(dict)
        for r in self._select(table, [key_column, tag_column, value_column]):
            out[str(r[key_column])][r[tag_column]] = r[value_column]
        return out

    def registered_models(self) -> list[RegisteredModel]:
        tags = self._tags_by("registered_model_tags", "name")
        aliases: dict[str, dict[str, str]] = defaultdict(dict)
        for a in self._select("registered_model_aliases", ["name", "alias", "version"]):
            aliases[a["name"]][a["alias"]] = str(a["version"])
        rows = self._select("registered_models", ["name", "creation_time", "last_updated_time", "description"])
        return [
            RegisteredModel(name=r["name"],
                            creation_time=ms_to_datetime(r["creation_time"], what="registered_models.creation_time"),
                            last_updated_time=ms_to_datetime(r["last_updated_time"],
                                                             what="registered_models.last_updated_time"),
                            description=r["description"], tags=tags.get(r["name"], {}),
                            aliases=aliases.get(r["name"], {}))
            for r in sorted(rows, key=lambda r: (r["name"] is None, str(r["name"])))
        ]

    def model_versions(self, name: str | None = None) -> list[ModelVersion]:
        where, params = None, {}
        if name is not None:
            known = [r["name"] for r in self._select("registered_models", ["name"])]
            if name not in known:
                raise unknown_model(name, sorted(known))
            where, params = "name = :name", {"name": name}
        rows = self._select(
            "model_versions",
            ["name", "version", "creation_time", "last_updated_time", "description", "user_id",
             "current_stage", "source", "run_id", "status", "run_link"],
            where, params,
        )
        tags: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for t in self._select("model_version_tags", ["name", "version", "key", "value"], where, params):
            tags[(t["name"], str(t["version"]))][t["key"]] = t["value"]
        aliases: dict[tuple[str, str], list[str]] = defaultdict(list)
        for a in self._select("registered_model_aliases", ["name", "alias", "version"], where, params):
            aliases[(a["name"], str(a["version"]))].append(a["alias"])
        out = []
        for r in rows:
            key = (r["name"], str(r["version"]))
            source = _unredact(r["source"])
            out.append(ModelVersion(
                name=r["name"], version=str(r["version"]),
                stage=None if r["current_stage"] == DELETED_STAGE else r["current_stage"],  # deleted: no stage
                aliases=tuple(aliases.get(key, ())), tags=tags.get(key, {}), source=source,
                run_id=_unredact(r["run_id"]) or None, creator=r["user_id"] or None,
                creation_time=ms_to_datetime(r["creation_time"], what="model_versions.creation_time"),
                last_updated_time=ms_to_datetime(r["last_updated_time"], what="model_versions.last_updated_time"),
                description=r["description"], status=r["status"], run_link=_unredact(r["run_link"]) or None,
                model_id=_model_id(source), deleted=r["current_stage"] == DELETED_STAGE,
            ))
        out.sort(key=lambda v: (v.name, int(v.version) if v.version.isdigit() else 0, v.version))
        return out

    def logged_models(self) -> list[LoggedModel]:
        tags = self._tags_by("logged_model_tags", "model_id", "tag_value", "tag_key")
        params = self._tags_by("logged_model_params", "model_id", "param_value", "param_key")
        rows = self._select(
            "logged_models",
            ["model_id", "experiment_id", "name", "artifact_location", "creation_timestamp_ms",
             "last_updated_timestamp_ms", "status", "lifecycle_stage", "source_run_id"],
        )
        return [
            LoggedModel(
                model_id=r["model_id"], experiment_id=str(r["experiment_id"]), name=r["name"],
                source_run_id=r["source_run_id"],
                status=LOGGED_MODEL_STATUS.get(r["status"], str(r["status"])) if r["status"] is not None else None,
                creation_time=ms_to_datetime(r["creation_timestamp_ms"], what="logged_models.creation_timestamp_ms"),
                last_updated_time=ms_to_datetime(r["last_updated_timestamp_ms"],
                                                 what="logged_models.last_updated_timestamp_ms"),
                artifact_location=r["artifact_location"], lifecycle_stage=r["lifecycle_stage"] or "active",
                tags=tags.get(r["model_id"], {}), params=params.get(r["model_id"], {}),
            )
            for r in sorted(rows, key=lambda r: (r["model_id"] is None, str(r["model_id"])))
        ]


def _id_key(value: Any) -> tuple[int, int, str]:
    """Sort key for a stored numeric id: numbers in order, anything else (damaged rows) after."""
    text = _id_text(value)
    return (0, int(text), "") if text.lstrip("-").isdigit() else (1, 0, text)


def _id_text(value: Any) -> str:
    """A stored id as text (an integral float, as a damaged SQLite row may hold, without ``.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _ms_column(values: "pd.Series", what: str) -> "pd.Series":
    """Epoch milliseconds as UTC timestamps; a value outside years 1-9999 becomes NaT with a
    warning (the frame counterpart of :func:`~auditkit.records.ms_to_datetime`)."""
    import numpy as np  # heavy: loaded on first use
    import pandas as pd  # heavy: loaded on first use

    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    inside = numbers.between(MIN_MS, MAX_MS)
    outside = numbers.notna() & ~inside
    if outside.any():
        ms_to_datetime(numbers[outside].iloc[0], what=what)  # the warning, worded once
    ticks = np.where(inside.to_numpy(), numbers.fillna(0).to_numpy(), 0).astype("int64")
    stamps = pd.Series(ticks.view("datetime64[ms]"), index=values.index).where(inside.to_numpy())
    return stamps.dt.tz_localize("UTC")


def _of_runs(where: str | None) -> str | None:
    """Condition on a ``run_uuid`` column for the runs matching ``where`` (None: every run)."""
    return None if where is None else f"run_uuid IN (SELECT run_uuid FROM runs WHERE {where})"


def _unredact(value: str | None) -> str | None:
    """MLflow overwrites a deleted version's fields with ``REDACTED-…``: that is no fact."""
    if value is None or str(value).startswith(REDACTED_PREFIX):
        return None
    return value


def _model_id(source: str | None) -> str | None:
    """The MLflow 3 logged model id in a version source ``models:/m-…``."""
    if source and source.startswith("models:/m-"):
        return source[len("models:/"):].split("/", 1)[0]
    return None

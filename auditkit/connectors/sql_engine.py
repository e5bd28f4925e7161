"""Read-only SQLAlchemy engines for MLflow SQL stores, and what their schema holds.

sqlite files are opened through a ``file:…?mode=ro`` URI, so SQLite itself refuses writes; server
sessions are switched to read-only transactions on connect (PostgreSQL:
``default_transaction_read_only``; MySQL/MariaDB: ``SET SESSION TRANSACTION READ ONLY``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from .. import errors
from .base import redact_uri
from .messages import NO_MLFLOW_TABLES, NOT_SQLITE, SERVER_UNREACHABLE, STORE_PATH_MISSING

#: Alembic revisions of MLflow's tracking schema known to auditkit (MLflow 1.x up to 3.17).
#: A store at any other revision is read on a best-effort basis, with a warning.
KNOWN_REVISIONS = frozenset(
    """
    0584bdc529eb 0a8213491aaa 0c779009ac13 17e22815139b 181f10493468 1971f2d9a75b 1a0cddfcaa16
    1b5f0d9ad7c1 1bd49d398cd23 27a6a02d2cf1 2b4d017a5e9b 2c33131f4dae 2d6e25af4d3e 3500859a5d39
    39d1c3be5f05 3da73c924c2f 400f98739977 4465047574b1 451aebb31d03 534353b11cbc 5b0e9adcef9c
    5d2d30f0abce 6953534de441 6f8d9c3b2a1e 71994744cf8e 728d730b5ebd 75868b020152 76601a5f987d
    770bee3ae1dd 7ac759974ad8 7d34483879f0 7f2a7d5fae7d 84291f40a231 867495a8f9d4 89d3d66ed43f
    89d4b8295536 90e64c465722 97727af70f4d a1b2c3d4e5f6 a5b4c3d2e1f0 a8b9c0d1e2f3 a8c4a736bde6
    acf3f17fdcc7 ae8bbe7743c9 b7c8d9e0f1a2 b7e2c1a4d9f3 b7e4c1a90f23 bd07f7e963c5 bda7b8c39065
    bf29a5ff90ea c1d2e3f4a5b6 c3d6457b6d8a c3d9e7f1a2b4 c48cb773bb87 c8d9e0f1a2b3 c9d4e5f6a7b8
    cbc13b556ace cc1f77228345 cfd24bdc0731 d0e1f2a3b4c5 d3e4f5a6b7c8 da6fb0208061 dc11669786a5
    de4033877273 df50e92ffc5e e1f2a3b4c5d6 f5a4f2784254
    """.split()
)

#: Tables every MLflow tracking store has; without them a database is not an MLflow store.
REQUIRED_TABLES = ("experiments", "runs")

#: The first MLflow schema revisions, oldest first (a straight line up to the datasets tables).
EARLY_REVISIONS = (
    "451aebb31d03 90e64c465722 181f10493468 df50e92ffc5e 7ac759974ad8 89d4b8295536 2b4d017a5e9b cfd24bdc0731 "
    "0a8213491aaa 728d730b5ebd 27a6a02d2cf1 84291f40a231 a8c4a736bde6 39d1c3be5f05 c48cb773bb87 bd07f7e963c5 "
    "0c779009ac13 cc1f77228345 97727af70f4d 3500859a5d39 7f2a7d5fae7d"
).split()
#: Registry and evidence tables, each with the revision that created it: a store at a known
#: revision at or after that one must have the table (a missing one is reported, not read as empty).
TABLE_SINCE = {
    "registered_models": "2b4d017a5e9b", "model_versions": "2b4d017a5e9b",
    "registered_model_tags": "728d730b5ebd", "model_version_tags": "27a6a02d2cf1",
    "registered_model_aliases": "3500859a5d39", "tags": "451aebb31d03", "datasets": "7f2a7d5fae7d",
    "inputs": "7f2a7d5fae7d",
}


def missing_tables(schema: "Schema") -> list[str]:
    """Tables of :data:`TABLE_SINCE` that ``schema``'s (known) revision has but the store lacks."""
    if schema.revision not in KNOWN_REVISIONS:
        return []
    early = EARLY_REVISIONS.index(schema.revision) if schema.revision in EARLY_REVISIONS else len(EARLY_REVISIONS)
    return [t for t, since in TABLE_SINCE.items()
            if early >= EARLY_REVISIONS.index(since) and not schema.has(t)]


#: Tables the connector reads when they exist (older schemas lack some).
READ_TABLES = (
    "alembic_version", "experiments", "experiment_tags", "runs", "params", "latest_metrics", "tags",
    "datasets", "inputs", "input_tags", "registered_models", "registered_model_tags",
    "registered_model_aliases", "model_versions", "model_version_tags", "logged_models",
    "logged_model_tags", "logged_model_params",
)


@dataclass
class Schema:
    """Which of :data:`READ_TABLES` exist, with their columns, and the alembic revision."""

    columns: dict[str, set[str]] = field(default_factory=dict)
    revision: str | None = None

    def has(self, table: str, column: str | None = None) -> bool:
        if table not in self.columns:
            return False
        return column is None or column in self.columns[table]


def normalize_server_url(uri: str) -> str:
    """Pick the drivers auditkit ships extras for when the URL names none."""
    scheme, sep, rest = uri.partition("://")
    base = scheme.lower()
    if base in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + rest
    if base in ("mysql", "mariadb"):
        return "mysql+pymysql://" + rest
    if base.startswith("mariadb+"):
        return "mysql+" + scheme.split("+", 1)[1] + sep + rest
    return uri


def sqlite_path(uri: str) -> Path:
    """The file path of a ``sqlite:///…`` URI (SQLAlchemy form: ``sqlite:////abs/path`` or
    ``sqlite:///relative/path``; query parameters are ignored)."""
    rest = uri.split("://", 1)[1] if "://" in uri else uri
    rest = rest.split("?", 1)[0]
    if rest.startswith("/"):
        rest = rest[1:]
    return Path(unquote(rest))


def make_engine(uri: str):
    """A read-only engine for ``uri``. Raises :class:`~auditkit.errors.StoreError` subclasses."""
    import sqlalchemy as sa  # heavy: loaded on first use

    if uri.lower().startswith("sqlite"):
        path = sqlite_path(uri)
        if not path.exists():
            raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(path)))
        ro_uri = f"file:{quote(str(path))}?mode=ro"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(ro_uri, uri=True, check_same_thread=False)

        return sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.StaticPool)

    url = normalize_server_url(uri)
    try:
        engine = sa.create_engine(url, pool_pre_ping=False)
    except ImportError as exc:
        raise errors.StoreError(
            f"no database driver for {redact_uri(uri)!r} ({exc}); install auditkit's postgres or mysql extra"
        ) from None
    except Exception as exc:  # malformed URL
        raise errors.StoreError(f"cannot use store URL {redact_uri(uri)!r}: {_first_line(exc)}") from None
    dialect = engine.dialect.name

    @sa.event.listens_for(engine, "connect")
    def _read_only(dbapi_conn, record) -> None:  # pragma: no branch
        cur = dbapi_conn.cursor()
        if dialect == "postgresql":
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        elif dialect in ("mysql", "mariadb"):
            cur.execute("SET SESSION TRANSACTION READ ONLY")
        cur.close()
        if dialect == "postgresql":
            dbapi_conn.commit()

    return engine


def read_schema(engine, where: str) -> Schema:
    """Reflect the columns of the tables auditkit reads, and the alembic revision.

    Raises :class:`~auditkit.errors.NotAStoreError` (not a database / no MLflow tables) or
    :class:`~auditkit.errors.StoreNotFoundError` (server does not answer).
    """
    import sqlalchemy as sa  # heavy: loaded on first use

    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = set(inspector.get_table_names())
            schema = Schema()
            for table in READ_TABLES:
                if table in names:
                    schema.columns[table] = {c["name"] for c in inspector.get_columns(table)}
            missing = [t for t in REQUIRED_TABLES if t not in names]
            if missing:
                found = errors.choices(sorted(names)) if names else "no tables"
                raise errors.NotAStoreError(
                    NO_MLFLOW_TABLES.format(where=where, tables=", ".join(REQUIRED_TABLES), found=found)
                )
            if "alembic_version" in names:
                row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
                schema.revision = row[0] if row else None
            return schema
    except errors.AuditkitError:
        raise
    except sa.exc.DatabaseError as exc:
        text = _first_line(exc.orig if getattr(exc, "orig", None) else exc)
        if engine.dialect.name == "sqlite":
            raise errors.NotAStoreError(NOT_SQLITE.format(path=where)) from None
        raise errors.StoreNotFoundError(SERVER_UNREACHABLE.format(where=where, reason=text)) from None
    except sa.exc.SQLAlchemyError as exc:
        raise errors.StoreError(f"cannot read {where}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

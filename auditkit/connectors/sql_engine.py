"""Read-only SQLAlchemy engines for MLflow SQL stores, and what their schema holds.

sqlite files are opened through a ``file:…?mode=ro`` URI, so SQLite itself refuses writes; server
sessions are switched to read-only transactions on connect (PostgreSQL:
``default_transaction_read_only``; MySQL/MariaDB: ``SET SESSION TRANSACTION READ ONLY``).
"""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import stat
import tempfile
import weakref
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
    #: (table, column) pairs whose declared type has TEXT affinity (CHAR, CLOB, TEXT in the name).
    text_columns: set[tuple[str, str]] = field(default_factory=set)

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


#: Seconds to wait for a database server to accept a connection (and answer its handshake).
DEFAULT_CONNECT_TIMEOUT = 10
#: Seconds one statement may run (PostgreSQL ``statement_timeout``; MySQL/MariaDB: the server's
#: statement limit and the client's read/write timeout, which also ends a server that went silent).
DEFAULT_STATEMENT_TIMEOUT = 300
CONNECT_TIMEOUT_ENV = "AUDITKIT_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT_ENV = "AUDITKIT_STATEMENT_TIMEOUT"
BAD_TIMEOUT = "{name} {value!r} is not a number of seconds; expected e.g. {example} (0 for no limit)"
TIMEOUT_HINT = (
    " (no answer within the time limits: connect {connect}, statement {statement}; "
    "raise them with AUDITKIT_CONNECT_TIMEOUT / AUDITKIT_STATEMENT_TIMEOUT, in seconds)"
)

#: The first 16 bytes of every SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_NOT_A_FILE = (
    "{path!r} is a {kind}, not a regular file; expected an MLflow SQLite store file such as mlflow.db"
)
SQLITE_TRUNCATED = (
    "{path!r} is a truncated SQLite database: it holds {size:,} bytes, but its header declares "
    "{pages:,} pages of {page_size:,} bytes ({expected:,} bytes); expected the whole file (copied or "
    "downloaded completely?)"
)
SQLITE_TRUNCATED_HEADER = (
    "{path!r} is a truncated SQLite database: it holds {size:,} bytes, less than the 100-byte header; "
    "expected the whole file (copied or downloaded completely?)"
)
SQLITE_CORRUPT = (
    "{path!r} is a damaged SQLite database (SQLite says: {reason}); expected an intact MLflow "
    "tracking store (check it with: sqlite3 FILE 'PRAGMA integrity_check')"
)


@dataclass(frozen=True)
class SqliteFile:
    """What the 100-byte header of an SQLite file says (see https://sqlite.org/fileformat.html)."""

    size: int
    magic: bool
    page_size: int = 0
    pages: int | None = None  # the in-header database size, when the header marks it valid
    wal: bool = False  # file format 2: the database is in WAL mode


def sqlite_file(path: Path) -> SqliteFile:
    """Read the header of the SQLite file at ``path`` (read-only, never opening a FIFO or device).

    Raises :class:`~auditkit.errors.NotAStoreError` when ``path`` is not a regular file.
    """
    try:
        st = os.stat(path)
    except OSError:
        raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(path))) from None
    if not stat.S_ISREG(st.st_mode):
        raise errors.NotAStoreError(SQLITE_NOT_A_FILE.format(path=str(path), kind=file_kind(st.st_mode)))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            head = os.read(fd, 100)
        finally:
            os.close(fd)
    except OSError as exc:
        raise errors.StoreError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        return SqliteFile(size=st.st_size, magic=head.startswith(SQLITE_MAGIC))
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    declared = int.from_bytes(head[28:32], "big")
    valid = declared > 0 and head[24:28] == head[92:96]  # header size is valid (SQLite >= 3.7.0)
    return SqliteFile(size=st.st_size, magic=True, page_size=page_size, pages=declared if valid else None,
                      wal=head[18] == 2 and head[19] == 2)


def file_kind(mode: int) -> str:
    """A person's word for the kind of file ``mode`` (from ``os.stat``) describes."""
    for test, name in ((stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "FIFO (named pipe)"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


def _truncation(path: Path, info: SqliteFile) -> str | None:
    """The truncation message for a file shorter than its header says, else None."""
    if not info.magic:
        return None
    if info.size < 100:
        return SQLITE_TRUNCATED_HEADER.format(path=str(path), size=info.size)
    if info.pages is not None and info.size < info.pages * info.page_size:
        return SQLITE_TRUNCATED.format(path=str(path), size=info.size, pages=info.pages, page_size=info.page_size,
                                       expected=info.pages * info.page_size)
    return None


def sqlite_error(path: Path, exc: BaseException) -> errors.StoreError:
    """The one-line error for an SQLite file SQLite could not read: not SQLite, truncated, or damaged."""
    try:
        info = sqlite_file(path)
    except errors.StoreError as err:
        return err
    if not info.magic:
        return errors.NotAStoreError(NOT_SQLITE.format(path=str(path)))
    truncated = _truncation(path, info)
    if truncated:
        return errors.NotAStoreError(truncated)
    return errors.StoreError(SQLITE_CORRUPT.format(path=str(path), reason=first_line(exc)))


def _sqlite_uri(path: Path, info: SqliteFile) -> tuple[str, str | None]:
    """The ``file:`` URI to open ``path`` with, and a private folder holding a copy (or None).

    SQLite must never create a file beside the store. A database in rollback-journal mode opened
    with ``mode=ro`` creates none. One in WAL mode would create ``-wal``/``-shm`` beside it, so:

    * no ``-wal`` file, or an empty one: every committed transaction is in the main file, so
      ``immutable=1`` is safe: SQLite then reads the file as it is, creates nothing and takes no
      lock. (The one thing it gives up is noticing a writer that starts *while* auditkit reads;
      auditkit reads once, in one short process, so a snapshot is what it wants anyway.)
    * a non-empty ``-wal`` and its ``-shm``: a writer is live (or crashed); committed data may sit
      in the WAL, which ``immutable=1`` would ignore. ``mode=ro`` reads it through the existing
      ``-shm`` and creates nothing.
    * a non-empty ``-wal`` without ``-shm``: ``mode=ro`` would create the ``-shm``; the database
      and its WAL are copied into a private temporary folder and the copy is read instead.

    A database in rollback-journal mode with a non-empty ``-journal`` beside it is read from a
    private copy too (see below).
    """
    wal = Path(str(path) + "-wal")
    shm = Path(str(path) + "-shm")
    if not info.wal:
        if _size(Path(str(path) + "-journal")):
            # A rollback journal beside the file: a writer crashed mid-transaction (a "hot"
            # journal) or is inside one. Reading in place would need SQLite to roll the file back,
            # which a read-only connection cannot do; the private copy rolls back instead and
            # shows the last committed state.
            return _private_copy(path, "-journal")
        return f"file:{quote(str(path))}?mode=ro", None
    if _size(wal) == 0:
        return f"file:{quote(str(path))}?mode=ro&immutable=1", None
    if shm.exists():
        return f"file:{quote(str(path))}?mode=ro", None
    return _private_copy(path, "-wal")


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _private_copy(path: Path, suffix: str) -> tuple[str, str]:
    """Copy the database and its ``suffix`` file (``-wal`` or ``-journal``) into a new private
    folder; the URI opens the copy (read-write, so SQLite may replay or roll back its journal
    there: the store itself is never touched)."""
    folder = tempfile.mkdtemp(prefix="auditkit-sqlite-")
    copy = Path(folder) / "store.db"
    try:
        shutil.copyfile(path, copy)
        shutil.copyfile(str(path) + suffix, str(copy) + suffix)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise errors.StoreError(f"cannot copy {str(path)!r} with its {suffix} file to read it: "
                                f"{exc.strerror or exc}") from None
    return f"file:{quote(str(copy))}", folder


def timeouts() -> tuple[float, float]:
    """(connect, statement) time limits in seconds from the environment; 0 means no limit.

    Raises :class:`~auditkit.errors.UsageError` for a value that is not a number.
    """
    out = []
    for name, default in ((CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_TIMEOUT), (STATEMENT_TIMEOUT_ENV, DEFAULT_STATEMENT_TIMEOUT)):
        raw = os.environ.get(name, "").strip()
        if not raw:
            out.append(float(default))
            continue
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not (value >= 0 and value < 10**7):
            raise errors.UsageError(BAD_TIMEOUT.format(name=name, value=raw, example=default))
        out.append(value)
    return out[0], out[1]


def _server_connect_args(url, connect: float, statement: float) -> dict:
    """Driver arguments for the time limits, leaving alone any the URL's query already sets."""
    query = {k.lower() for k in url.query}
    args: dict = {}
    backend = url.get_backend_name()
    if connect and "connect_timeout" not in query:
        # libpq and PyMySQL both take whole seconds; libpq treats 1 as 2.
        args["connect_timeout"] = max(1, math.ceil(connect))
    if backend == "mysql":
        # PyMySQL's connect_timeout covers only the TCP connect; its read timeout also bounds the
        # handshake, so it starts at the connect limit and is raised to the statement limit once
        # connected (see _read_only in make_engine).
        handshake = connect
        if "connect_timeout" in query:  # the URL's own connect limit bounds the handshake too
            try:
                handshake = float(next(v for k, v in url.query.items() if k.lower() == "connect_timeout"))
            except (TypeError, ValueError):
                pass
        for key, limit in (("read_timeout", handshake or statement), ("write_timeout", statement)):
            if key not in query and limit:
                args[key] = max(1, math.ceil(limit))
    return args


def make_engine(uri: str):
    """A read-only engine for ``uri``. Raises :class:`~auditkit.errors.StoreError` subclasses.

    Server engines carry the connect and statement time limits of :func:`timeouts` (driver
    parameters in the URL's query, such as ``?connect_timeout=5``, take precedence).
    """
    import sqlalchemy as sa  # heavy: loaded on first use

    if uri.lower().startswith("sqlite"):
        path = sqlite_path(uri)
        if not path.exists():
            raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(path)))
        info = sqlite_file(path)
        truncated = _truncation(path, info)
        if truncated:
            raise errors.NotAStoreError(truncated)
        ro_uri, private = _sqlite_uri(path, info)

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(ro_uri, uri=True, check_same_thread=False)

        engine = sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.StaticPool)
        if private is not None:

            weakref.finalize(engine, shutil.rmtree, private, True)
        return engine

    url = normalize_server_url(uri)
    connect_limit, statement_limit = timeouts()
    try:
        parsed = sa.engine.make_url(url)
        engine = sa.create_engine(parsed, pool_pre_ping=False,
                                  connect_args=_server_connect_args(parsed, connect_limit, statement_limit))
    except ImportError as exc:
        raise errors.StoreError(
            f"no database driver for {redact_uri(uri)!r} ({exc}); install auditkit's postgres or mysql extra"
        ) from None
    except Exception as exc:  # malformed URL
        raise errors.StoreError(f"cannot use store URL {redact_uri(uri)!r}: {first_line(exc)}") from None
    dialect = engine.dialect.name
    user_statement_limit = "statement_timeout" in str(parsed.query.get("options", ""))
    engine.auditkit_timeouts = (connect_limit, statement_limit)  # for error messages

    @sa.event.listens_for(engine, "connect")
    def _read_only(dbapi_conn, record) -> None:  # pragma: no branch
        cur = dbapi_conn.cursor()
        if dialect == "postgresql":
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            if statement_limit and not user_statement_limit:
                cur.execute(f"SET statement_timeout = {int(statement_limit * 1000)}")
        elif dialect in ("mysql", "mariadb"):
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            if statement_limit:
                _mysql_statement_limit(cur, dbapi_conn, statement_limit)
            if "read_timeout" not in parsed.query and hasattr(dbapi_conn, "_read_timeout"):
                # PyMySQL reads this attribute before every socket read (no public setter).
                dbapi_conn._read_timeout = math.ceil(statement_limit) if statement_limit else None
        cur.close()
        if dialect == "postgresql":
            dbapi_conn.commit()

    return engine


def _mysql_statement_limit(cur, dbapi_conn, seconds: float) -> None:
    """The server-side statement limit: MariaDB's ``max_statement_time`` (seconds), MySQL's
    ``max_execution_time`` (milliseconds, SELECTs only). The client's read timeout bounds both."""
    server = str(getattr(dbapi_conn, "get_server_info", lambda: "")())
    if "mariadb" in server.lower():
        cur.execute(f"SET SESSION max_statement_time = {float(seconds)}")
    else:
        cur.execute(f"SET SESSION max_execution_time = {int(seconds * 1000)}")


#: Words in driver errors that mean a time limit ran out (libpq, PostgreSQL, PyMySQL, MariaDB, MySQL).
_TIMEOUT_WORDS = ("timeout", "timed out", "canceling statement", "max_statement_time", "max_execution_time")


def timeout_hint(engine, text: str) -> str:
    """`` (…time limits…)`` when ``text`` (a driver error) says a time limit ran out, else ``""``."""
    lowered = text.lower()
    if not any(word in lowered for word in _TIMEOUT_WORDS):
        return ""
    limits = getattr(engine, "auditkit_timeouts", None)
    if not limits:
        return ""
    shown = [f"{v:g} s" if v else "none" for v in limits]
    return TIMEOUT_HINT.format(connect=shown[0], statement=shown[1])


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
                    columns = inspector.get_columns(table)
                    schema.columns[table] = {c["name"] for c in columns}
                    schema.text_columns.update((table, c["name"]) for c in columns if _text_affinity(c["type"]))
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
        orig = exc.orig if getattr(exc, "orig", None) else exc
        text = first_line(orig)
        if engine.dialect.name == "sqlite":
            raise sqlite_error(Path(where), orig) from None
        raise errors.StoreNotFoundError(
            SERVER_UNREACHABLE.format(where=where, reason=text) + timeout_hint(engine, text)) from None
    except sa.exc.SQLAlchemyError as exc:
        raise errors.StoreError(f"cannot read {where}: {first_line(exc)}") from None
    except UnicodeDecodeError as exc:  # SQLite's schema table holds bytes that are not UTF-8
        if engine.dialect.name == "sqlite":
            raise sqlite_error(Path(where), exc) from None
        raise errors.StoreError(f"cannot read {where}: {first_line(exc)}") from None


def _text_affinity(declared: object) -> bool:
    """SQLite's rule: a declared type naming CHAR, CLOB or TEXT (and not INT) has TEXT affinity."""
    name = str(declared).upper()
    return "INT" not in name and any(word in name for word in ("CHAR", "CLOB", "TEXT"))


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (its class name when it has none)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


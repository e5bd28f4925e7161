"""Read-only connectors to tracking stores, picked by URI scheme or path.

``open_store(uri)`` is the only entry point the rest of auditkit uses; backend modules (and their
heavy imports) load only when a store of that kind is opened.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from .. import errors
from .base import Connector, redact_uri, runs_to_frame, unknown_experiment, unknown_model, unknown_run
from .messages import NO_STORE_GIVEN, STORE_PATH_MISSING, UNKNOWN_STORE_FORM
from .mlflow_signature import Signature, model_signature
from .sql_engine import file_kind, make_engine, sqlite_path

#: The store forms users may pass, as listed in error messages (CONTRACT.md "Stores").
STORE_FORMS = (
    "sqlite:///abs/path/mlflow.db",
    "a path to a .db file",
    "postgresql://…",
    "postgresql+psycopg://…",
    "mysql+pymysql://…",
    "file:///abs/path/mlruns",
    "a path to an mlruns folder",
    "wandb:///abs/path/wandb",
    "a path to a wandb folder",
    "http://host:port",
    "https://…",
    "databricks[://PROFILE]",
    "mlmd:///abs/path.sqlite",
    "mlmd+mysql://…",
    "mlmd+postgresql://…",
    "comet:///abs/path",
    "a path to a Comet offline .zip file",
    "neptune:///abs/path",
    "a path to a .neptune folder or a run_operations.sqlite3 file",
)

# backend key -> (module, class name); imported on first use.
_BACKENDS = {
    "mlflow-sql": ("auditkit.connectors.mlflow_sql", "MlflowSqlConnector"),
    "mlflow-file": ("auditkit.connectors.mlflow_file", "MlflowFileConnector"),
    "wandb": ("auditkit.connectors.wandb", "WandbConnector"),
    "mlmd": ("auditkit.connectors.mlmd", "MlmdConnector"),
    "comet": ("auditkit.connectors.comet", "CometConnector"),
    "neptune": ("auditkit.connectors.neptune", "NeptuneConnector"),
    "mlflow-rest": ("auditkit.connectors.mlflow_rest", "MlflowRestConnector"),
}
# URI scheme -> backend, for the schemes that take a local path (``scheme:///abs/path``).
_PATH_SCHEMES = {"wandb": "wandb", "comet": "comet", "neptune": "neptune"}

MALFORMED_URL = (
    "store URL {uri!r} is malformed ({reason}); expected e.g. postgresql://user:password@host:5432/dbname"
)
NOT_FILE_OR_FOLDER = (
    "store {path!r} is a {kind}, neither a file nor a folder; expected a store file (MLflow .db, ML Metadata "
    "sqlite, Comet .zip, neptune-scale run_operations.sqlite3) or a store folder"
)

#: Environment variables a store URI may come from, in the order they are consulted.
STORE_ENV_VARS = ("AUDITKIT_STORE", "MLFLOW_TRACKING_URI")
#: Appended to errors about a store URI that came from the environment.
FROM_ENV = " (store URI from ${name})"

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")


def resolve_store_uri(uri: str | None) -> str:
    """The URI to open: ``uri``, else ``$AUDITKIT_STORE``, else ``$MLFLOW_TRACKING_URI``.

    Raises :class:`~auditkit.errors.UsageError` when none is set.
    """
    return resolve_store_uri_origin(uri)[0]


def resolve_store_uri_origin(uri: str | None) -> tuple[str, str | None]:
    """Like :func:`resolve_store_uri`, with where the value came from: ``None`` for ``uri`` itself,
    else the variable's name as ``"$AUDITKIT_STORE"`` / ``"$MLFLOW_TRACKING_URI"``."""
    if uri:
        return uri, None
    for name in STORE_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value, "$" + name
    raise errors.UsageError(NO_STORE_GIVEN)


def classify(uri: str) -> tuple[str, str]:
    """Return ``(backend, normalized_uri)`` for a store URI or path, without opening it.

    Raises :class:`~auditkit.errors.StoreNotFoundError` for a path that does not exist and
    :class:`~auditkit.errors.NotAStoreError` for a form no backend reads.
    """
    try:
        parsed = urlparse(uri)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket: postgresql://u:p@[::1
        raise errors.NotAStoreError(MALFORMED_URL.format(uri=redact_uri(uri), reason=exc)) from None
    scheme = parsed.scheme.lower()
    base_scheme = scheme.split("+", 1)[0]
    if base_scheme == "mlmd":  # ML Metadata: mlmd:///path.sqlite, mlmd+mysql://…, mlmd+postgresql://…
        if scheme == "mlmd":
            _require_exists(Path(unquote(parsed.path)))
        return "mlmd", uri
    if base_scheme in _SQL_SCHEMES:
        if base_scheme == "sqlite":
            _require_exists(sqlite_path(uri))
        return "mlflow-sql", uri
    if scheme == "file":
        path = Path(unquote(parsed.path))
        _require_exists(path)
        return _classify_path(path)
    if scheme in ("http", "https", "databricks") or uri.strip().lower() == "databricks":
        return "mlflow-rest", uri.strip().rstrip("/")
    if scheme in _PATH_SCHEMES:
        path = Path(unquote(parsed.path))
        _require_exists(path)
        return _PATH_SCHEMES[scheme], str(path)
    if scheme and len(scheme) > 1:  # a one-letter scheme is a Windows drive, i.e. a path
        raise errors.NotAStoreError(
            UNKNOWN_STORE_FORM.format(uri=redact_uri(uri), forms="; ".join(STORE_FORMS))
        )
    path = Path(os.path.expanduser(uri))  # os.path's form leaves an unknown ~user as it is
    _require_exists(path)
    return _classify_path(path)


def _require_exists(path: Path) -> None:
    if not path.exists():
        raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(path)))


def _classify_path(path: Path) -> tuple[str, str]:
    path = path.resolve()
    mode = path.stat().st_mode
    if stat.S_ISREG(mode):
        if path.suffix.lower() == ".zip":  # no other backend keeps a store in a zip
            return "comet", str(path)
        if path.name == "run_operations.sqlite3":  # neptune-scale's own file name
            return "neptune", str(path)
        if _looks_like_mlmd(path):
            return "mlmd", "mlmd://" + str(path)
        return "mlflow-sql", "sqlite:///" + str(path)
    if not stat.S_ISDIR(mode):
        raise errors.NotAStoreError(NOT_FILE_OR_FOLDER.format(path=str(path), kind=file_kind(mode)))
    try:
        return _classify_folder(path)
    except OSError as exc:
        raise errors.StoreError(f"cannot read folder {str(path)!r}: {exc.strerror or exc}") from None


def _classify_folder(path: Path) -> tuple[str, str]:
    if _looks_like_neptune(path):
        return "neptune", str(path)
    if _looks_like_wandb(path):
        return "wandb", str(path)
    if _looks_like_mlruns(path):
        return "mlflow-file", str(path)
    if _looks_like_comet(path):
        return "comet", str(path)
    raise errors.NotAStoreError(
        f"folder {str(path)!r} is neither an MLflow mlruns folder (experiment folders with "
        f"meta.yaml), a wandb folder (run-*/offline-run-* folders), a .neptune folder nor a folder "
        f"of Comet offline .zip files"
    )


def _looks_like_mlmd(path: Path) -> bool:
    """An sqlite file holding ML Metadata's ``MLMDEnv`` table (checked read-only)."""
    try:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return False
        # immutable=1: no lock, and no -wal/-shm file is ever created beside the store
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
        try:
            row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND lower(name) = 'mlmdenv'").fetchone()
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False
    return row is not None


def _looks_like_neptune(path: Path) -> bool:
    """A Neptune data folder: named ``.neptune``, holding one, holding ``offline/run__*`` folders (1.x)
    or folders with a ``run_operations.sqlite3`` (neptune-scale)."""
    if path.name == ".neptune" or (path / ".neptune").is_dir():
        return True
    offline = path / "offline"
    if offline.is_dir() and any(c.is_dir() and c.name.startswith("run__") for c in offline.iterdir()):
        return True
    return any((c / "run_operations.sqlite3").is_file() for c in path.iterdir() if c.is_dir())


def _looks_like_comet(path: Path) -> bool:
    """A folder holding only files, at least one of them a ``.zip`` (Comet offline archives)."""
    children = list(path.iterdir())
    return any(c.suffix.lower() == ".zip" for c in children) and not any(c.is_dir() for c in children)


def _looks_like_wandb(path: Path) -> bool:
    if path.name == "wandb" and not (path / "meta.yaml").exists():
        return True
    return any(
        child.is_dir() and (child.name.startswith("run-") or child.name.startswith("offline-run-"))
        for child in path.iterdir()
    )


def _looks_like_mlruns(path: Path) -> bool:
    if path.name == "mlruns":
        return True
    if (path / "models").is_dir() or (path / ".trash").is_dir():
        return True
    return any(child.is_dir() and (child / "meta.yaml").is_file() for child in path.iterdir())


def store_identity(store: "Connector | str | None") -> tuple[str, str]:
    """``(backend, URI as recorded)`` of an open connector or a store URI: passwords redacted,
    sqlite paths made absolute, so one store given as a path or as different URI spellings is
    recognised as the same (the ledger records it)."""
    if isinstance(store, Connector):
        backend, uri = store.backend, store.uri
    else:
        backend, uri = classify(resolve_store_uri(store))
    if uri.lower().startswith("sqlite:"):
        uri = "sqlite:///" + str(sqlite_path(uri).resolve())
    return backend, redact_uri(uri)


def open_store(uri: str | None = None) -> Connector:
    """Open a tracking store read-only and return its connector.

    ``uri`` is any form in :data:`STORE_FORMS`; ``None`` falls back to ``$AUDITKIT_STORE`` then
    ``$MLFLOW_TRACKING_URI``. Raises :class:`~auditkit.errors.UsageError` (no store given),
    :class:`~auditkit.errors.StoreNotFoundError`, :class:`~auditkit.errors.NotAStoreError` or
    :class:`~auditkit.errors.StoreError` (the backend cannot read it); when the URI came from the
    environment, the message names the variable (``(store URI from $MLFLOW_TRACKING_URI)``).
    """
    resolved, origin = resolve_store_uri_origin(uri)
    try:
        backend, normalized = classify(resolved)
        module_name, class_name = _BACKENDS[backend]
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:  # a backend whose module or optional driver is missing
            raise errors.StoreError(f"the {backend} backend cannot be loaded: {exc}") from None
        cls = getattr(module, class_name)
        if backend == "mlflow-rest":  # names the origin itself, also in errors after opening
            return cls(normalized, origin=origin)
        return cls(normalized)
    except errors.StoreError as exc:
        if origin is None or origin in str(exc):
            raise
        raise type(exc)(str(exc) + FROM_ENV.format(name=origin[1:])) from None


__all__ = ["Connector", "STORE_FORMS", "Signature", "classify", "make_engine", "model_signature", "open_store",
           "redact_uri", "resolve_store_uri", "resolve_store_uri_origin", "runs_to_frame", "sqlite_path",
           "store_identity", "unknown_experiment", "unknown_model", "unknown_run"]

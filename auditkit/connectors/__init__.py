"""Read-only connectors to tracking stores, picked by URI scheme or path.

``open_store(uri)`` is the only entry point the rest of auditkit uses; backend modules (and their
heavy imports) load only when a store of that kind is opened.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from .. import errors
from .base import Connector, redact_uri, runs_to_frame

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
)

# backend key -> (module, class name); imported on first use.
_BACKENDS = {
    "mlflow-sql": ("auditkit.connectors.mlflow_sql", "MlflowSqlConnector"),
    "mlflow-file": ("auditkit.connectors.mlflow_file", "MlflowFileConnector"),
    "wandb": ("auditkit.connectors.wandb", "WandbConnector"),
    "mlflow-rest": ("auditkit.connectors.mlflow_rest", "MlflowRestConnector"),
}

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
    raise errors.UsageError(errors.NO_STORE_GIVEN)


def classify(uri: str) -> tuple[str, str]:
    """Return ``(backend, normalized_uri)`` for a store URI or path, without opening it.

    Raises :class:`~auditkit.errors.StoreNotFoundError` for a path that does not exist and
    :class:`~auditkit.errors.NotAStoreError` for a form no backend reads.
    """
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    base_scheme = scheme.split("+", 1)[0]
    if base_scheme in _SQL_SCHEMES:
        if base_scheme == "sqlite":
            from .sql_engine import sqlite_path

            _require_exists(sqlite_path(uri))
        return "mlflow-sql", uri
    if scheme == "file":
        path = Path(unquote(parsed.path))
        _require_exists(path)
        return _classify_path(path)
    if scheme in ("http", "https", "databricks") or uri.strip().lower() == "databricks":
        return "mlflow-rest", uri.strip().rstrip("/")
    if scheme == "wandb":
        path = Path(unquote(parsed.path))
        _require_exists(path)
        return "wandb", str(path)
    if scheme and len(scheme) > 1:  # a one-letter scheme is a Windows drive, i.e. a path
        raise errors.NotAStoreError(
            errors.UNKNOWN_STORE_FORM.format(uri=redact_uri(uri), forms="; ".join(STORE_FORMS))
        )
    path = Path(uri).expanduser()
    _require_exists(path)
    return _classify_path(path)


def _require_exists(path: Path) -> None:
    if not path.exists():
        raise errors.StoreNotFoundError(errors.STORE_PATH_MISSING.format(path=str(path)))


def _classify_path(path: Path) -> tuple[str, str]:
    path = path.resolve()
    if path.is_file():
        return "mlflow-sql", "sqlite:///" + str(path)
    if _looks_like_wandb(path):
        return "wandb", str(path)
    if _looks_like_mlruns(path):
        return "mlflow-file", str(path)
    raise errors.NotAStoreError(
        f"folder {str(path)!r} is neither an MLflow mlruns folder (experiment folders with "
        f"meta.yaml) nor a wandb folder (run-*/offline-run-* folders)"
    )


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


__all__ = ["Connector", "STORE_FORMS", "classify", "open_store", "redact_uri", "resolve_store_uri",
           "resolve_store_uri_origin", "runs_to_frame"]

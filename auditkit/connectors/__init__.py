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
from .base import Connector, redact_uri, runs_to_frame, unknown_experiment, unknown_model, unknown_run
from .messages import NO_STORE_GIVEN, STORE_PATH_MISSING, UNKNOWN_STORE_FORM
from .mlflow_signature import Signature, model_signature
from .sql_engine import make_engine, sqlite_path

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
)

# backend key -> (module, class name); imported on first use.
_BACKENDS = {
    "mlflow-sql": ("auditkit.connectors.mlflow_sql", "MlflowSqlConnector"),
    "mlflow-file": ("auditkit.connectors.mlflow_file", "MlflowFileConnector"),
    "wandb": ("auditkit.connectors.wandb", "WandbConnector"),
}

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")


def resolve_store_uri(uri: str | None) -> str:
    """The URI to open: ``uri``, else ``$AUDITKIT_STORE``, else ``$MLFLOW_TRACKING_URI``.

    Raises :class:`~auditkit.errors.UsageError` when none is set.
    """
    for candidate in (uri, os.environ.get("AUDITKIT_STORE"), os.environ.get("MLFLOW_TRACKING_URI")):
        if candidate:
            return candidate
    raise errors.UsageError(NO_STORE_GIVEN)


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
            _require_exists(sqlite_path(uri))
        return "mlflow-sql", uri
    if scheme == "file":
        path = Path(unquote(parsed.path))
        _require_exists(path)
        return _classify_path(path)
    if scheme == "wandb":
        path = Path(unquote(parsed.path))
        _require_exists(path)
        return "wandb", str(path)
    if scheme and len(scheme) > 1:  # a one-letter scheme is a Windows drive, i.e. a path
        raise errors.NotAStoreError(
            UNKNOWN_STORE_FORM.format(uri=redact_uri(uri), forms="; ".join(STORE_FORMS))
        )
    path = Path(uri).expanduser()
    _require_exists(path)
    return _classify_path(path)


def _require_exists(path: Path) -> None:
    if not path.exists():
        raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(path)))


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
    :class:`~auditkit.errors.StoreError` (the backend cannot read it).
    """
    backend, normalized = classify(resolve_store_uri(uri))
    module_name, class_name = _BACKENDS[backend]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # a backend whose module or optional driver is missing
        raise errors.StoreError(f"the {backend} backend cannot be loaded: {exc}") from None
    cls = getattr(module, class_name)
    return cls(normalized)


__all__ = ["Connector", "STORE_FORMS", "Signature", "classify", "make_engine", "model_signature", "open_store", "redact_uri", "resolve_store_uri",
           "runs_to_frame", "sqlite_path",
           "store_identity", "unknown_experiment", "unknown_model", "unknown_run"]

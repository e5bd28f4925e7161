"""A read-only web view of the evidence (``auditkit serve``): the inventory, a model's report with
its alias history, a decision looked up by id with its lineage and downloads, and a JSON API
mirroring the CLI's JSON (``/api/lineage/{id}``, ``/api/explain/{id}``).

    from auditkit.web import make_config, serve
    serve(make_config(store="sample_data/mlflow.db", predictions="sample_data/predictions.csv"))

Pages are the reports of :mod:`auditkit.reports` (one rendering path) inside a small shell.
Safe by default: loopback only unless a token is set, GET/HEAD only, a strict
Content-Security-Policy without any script, every value escaped, ids never used as paths.
This part loads Starlette, uvicorn and Jinja2; the CLI imports it inside ``serve``.
"""

from __future__ import annotations

from .app import create_app, document_json
from .config import (
    DEFAULT_CACHE_SECONDS,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    TOKEN_ENV,
    WebConfig,
    is_loopback,
    make_config,
)
from .reperform_view import reperform_available
from .server import serve

__all__ = [
    "DEFAULT_CACHE_SECONDS", "DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_TIMEOUT", "TOKEN_ENV", "WebConfig",
    "create_app", "document_json", "is_loopback", "make_config", "reperform_available", "serve",
]

"""What one ``auditkit serve`` serves: the store, the optional prediction log, ledger and policy,
the fairness columns, and how the server is protected (bind address, token, access log)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import errors
from ..logs import PredictionLog, open_predictions, parse_column_options
from .messages import WEB_BAD_HEADER, WEB_BAD_PORT, WEB_HOST_NEEDS_AUTH, WEB_SENSITIVE_NEEDS_LOG, WEB_TOKEN_TOO_SHORT

#: Environment variable holding the access token (basic-auth password; any user name).
TOKEN_ENV = "AUDITKIT_SERVE_TOKEN"
#: The shortest token accepted.
MIN_TOKEN_LENGTH = 16
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Seconds a page may take to read the store before the request gets an error page.
DEFAULT_TIMEOUT = 60.0
#: Seconds a store read is reused by later pages (the page shows when it was read; Refresh reads again).
DEFAULT_CACHE_SECONDS = 60.0


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only listens on this machine."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebConfig:
    """The sources and protections of one web view (all read-only).

    ``columns`` are ``ROLE=NAME`` texts as on the command line; ``sensitive`` names the log's
    sensitive columns (with ``positive``/``label_positive``, the model page's fairness section).
    ``token`` is the access token (``None``: no authentication; allowed only on loopback).
    """

    store: str | None
    predictions: str | None = None
    columns: tuple[str, ...] = ()
    time_unit: str | None = None
    ledger: str | None = None
    policy: str | None = None
    sensitive: tuple[str, ...] = ()
    positive: str | None = None
    label_positive: str | None = None
    templates: str | None = None
    fields: Mapping[str, Any] | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    #: A header a trusted reverse proxy sets to the signed-in user (named explicitly; requests without it are refused).
    proxy_user_header: str | None = None
    access_log: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    cache_seconds: float = DEFAULT_CACHE_SECONDS
    #: Keyword options for ``auditkit.explain`` (artifact roots, reason map, background, …).
    explain_options: Mapping[str, Any] = field(default_factory=dict)

    def open_log(self) -> PredictionLog:
        """Open the prediction log (the caller closes it). Raises what
        :func:`auditkit.open_predictions` raises."""
        return open_predictions(self.predictions, columns=parse_column_options(list(self.columns)),
                                time_unit=self.time_unit)  # type: ignore[arg-type]


def make_config(*, store: str | None, predictions: str | None = None, columns: Sequence[str] = (),
                time_unit: str | None = None, ledger: str | None = None, policy: str | None = None,
                sensitive: Sequence[str] = (), positive: str | None = None, label_positive: str | None = None,
                templates: str | None = None, fields: Mapping[str, Any] | None = None,
                host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, access_log: str | None = None,
                timeout: float = DEFAULT_TIMEOUT, cache_seconds: float = DEFAULT_CACHE_SECONDS,
                explain_options: Mapping[str, Any] | None = None, proxy_user_header: str | None = None,
                environ: Mapping[str, str] | None = None) -> WebConfig:
    """A checked :class:`WebConfig`; the token comes from ``$AUDITKIT_SERVE_TOKEN``.

    Raises :class:`~auditkit.errors.UsageError` for a non-loopback ``host`` without a token or a
    trusted proxy user header, a malformed header name, a
    short token, a bad port, or ``sensitive`` without ``predictions``.
    """
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV) or None
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise errors.UsageError(WEB_TOKEN_TOO_SHORT.format(env=TOKEN_ENV, n=MIN_TOKEN_LENGTH))
    if proxy_user_header is not None and not _HEADER_NAME.fullmatch(proxy_user_header):
        raise errors.UsageError(WEB_BAD_HEADER.format(name=proxy_user_header))
    if not is_loopback(host) and token is None and proxy_user_header is None:
        raise errors.UsageError(WEB_HOST_NEEDS_AUTH.format(host=host, env=TOKEN_ENV))
    if not 0 <= int(port) <= 65535:
        raise errors.UsageError(WEB_BAD_PORT.format(port=port))
    if sensitive and not predictions:
        raise errors.UsageError(WEB_SENSITIVE_NEEDS_LOG)
    return WebConfig(store=store, predictions=predictions, columns=tuple(columns), time_unit=time_unit,
                     ledger=ledger, policy=policy, sensitive=tuple(sensitive), positive=positive,
                     label_positive=label_positive, templates=templates, fields=fields, host=host,
                     port=int(port), token=token, access_log=access_log, timeout=float(timeout),
                     cache_seconds=float(cache_seconds), proxy_user_header=proxy_user_header and proxy_user_header.lower(),
                     explain_options=dict(explain_options or {}))

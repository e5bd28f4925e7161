"""A small read-only JSON client for an MLflow tracking server's REST API (standard library only).

Credentials come from MLflow's own variables and are never shown:

- ``MLFLOW_TRACKING_TOKEN``: sent as ``Authorization: Bearer …``;
- ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD`` (or ``user:password@`` in the URL):
  HTTP basic auth;
- ``MLFLOW_TRACKING_INSECURE_TLS=true``: do not verify the server's TLS certificate;
- ``MLFLOW_TRACKING_SERVER_CERT_PATH``: a CA bundle to verify it with;
- ``MLFLOW_TRACKING_CLIENT_CERT_PATH``: a client certificate (PEM with its key).

Every request has a timeout (``AUDITKIT_HTTP_TIMEOUT`` seconds, else
``MLFLOW_HTTP_REQUEST_TIMEOUT``, default 60) and is retried on HTTP 429/500/502/503/504 and on
dropped connections, at most ``AUDITKIT_HTTP_RETRIES`` times (else
``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, default 3), waiting ``Retry-After`` or an exponential backoff
(``AUDITKIT_HTTP_BACKOFF`` seconds, default 0.5, doubled per attempt, at most 10 s per wait).
Redirects are not followed: a redirect or an HTML page (a login page) is an error, as is any
answer that is not JSON.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Mapping

from .. import errors
from .base import redact_uri

#: Defaults of the settings read from the environment (see the module docstring).
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
MAX_WAIT = 10.0
#: HTTP statuses worth asking again (rate limiting, a restarting or overloaded server).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TRUE = ("1", "true", "yes", "on")

# Messages: one line naming the server, the request and what was expected.
REFUSED = "cannot connect to MLflow server {server}: {reason}; expected a running `mlflow server` at that URL{origin}"
TIMED_OUT = (
    "MLflow server {server} did not answer {request} within {timeout:g} s (after {attempts} attempt(s)); "
    "raise AUDITKIT_HTTP_TIMEOUT if the server is slow{origin}"
)
STATUS = "MLflow server {server} answered {request} with HTTP {status}{reason}: {message}{hint}{origin}"
REDIRECT = (
    "MLflow server {server} answered {request} with a redirect (HTTP {status}) to {location}; "
    "expected MLflow JSON (a login page? auditkit does not follow redirects: give the final URL "
    "and credentials in MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD){origin}"
)
HTML = (
    "MLflow server {server} answered {request} with an HTML page{title} (HTTP {status}), not MLflow "
    "JSON; expected an MLflow tracking server's REST API (a login page? give credentials in "
    "MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD){origin}"
)
NOT_JSON = (
    "MLflow server {server} answered {request} with {what} (HTTP {status}), not JSON; "
    "expected an MLflow tracking server's REST API{origin}"
)
BAD_SETTING = "{name}={value!r} is not {expected}"
AUTH_HINT = " (check MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD)"


class ServerAnswerError(errors.StoreError):
    """The server answered with an error status; ``status`` and MLflow's ``error_code`` are kept
    so callers can tell "no such record" from a failure."""

    def __init__(self, message: str, *, status: int, error_code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


@dataclass(frozen=True)
class Settings:
    """Timeouts, retries and TLS settings for one client (see the module docstring)."""

    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    insecure_tls: bool = False
    ca_path: str | None = None
    client_cert_path: str | None = None

    @classmethod
    def from_env(cls, *, env: "Mapping[str, str] | None" = None) -> "Settings":
        """Settings from ``AUDITKIT_HTTP_*`` and MLflow's own variables."""
        env = os.environ if env is None else env
        return cls(
            timeout=_number(env, ("AUDITKIT_HTTP_TIMEOUT", "MLFLOW_HTTP_REQUEST_TIMEOUT"), DEFAULT_TIMEOUT, float),
            retries=int(_number(env, ("AUDITKIT_HTTP_RETRIES", "MLFLOW_HTTP_REQUEST_MAX_RETRIES"), DEFAULT_RETRIES, int)),
            backoff=_number(env, ("AUDITKIT_HTTP_BACKOFF",), DEFAULT_BACKOFF, float),
            insecure_tls=(env.get("MLFLOW_TRACKING_INSECURE_TLS") or "").strip().lower() in _TRUE,
            ca_path=env.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None,
            client_cert_path=env.get("MLFLOW_TRACKING_CLIENT_CERT_PATH") or None,
        )


def _number(env: Mapping[str, str], names: tuple[str, ...], default: float, kind: type) -> float:
    for name in names:
        raw = env.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            value = kind(raw.strip())
        except ValueError:
            value = -1
        if value < 0:
            expected = "a non-negative integer" if kind is int else "a non-negative number of seconds"
            raise errors.UsageError(BAD_SETTING.format(name=name, value=raw, expected=expected))
        return value
    return default


@dataclass(frozen=True)
class Credentials:
    """What goes into the ``Authorization`` header; ``repr`` never shows the secret."""

    token: str | None = None
    username: str | None = None
    password: str | None = None

    def header(self) -> str | None:
        if self.token:
            return "Bearer " + self.token
        if self.username is not None:
            raw = f"{self.username}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        return None

    def __repr__(self) -> str:
        kind = "token" if self.token else "basic" if self.username is not None else "none"
        return f"<Credentials {kind}>"

    @classmethod
    def from_env(cls, *, env: "Mapping[str, str] | None" = None) -> "Credentials":
        env = os.environ if env is None else env
        return cls(token=env.get("MLFLOW_TRACKING_TOKEN") or None,
                   username=env.get("MLFLOW_TRACKING_USERNAME") or None,
                   password=env.get("MLFLOW_TRACKING_PASSWORD"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back as errors instead of following them (a login redirect is no data)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib hook
        return None


class RestClient:
    """GET (and read-only POST) JSON requests against one server, with auth, retries, timeouts.

    Parameters
    ----------
    base_url:
        ``http(s)://host[:port][/prefix]`` without credentials.
    credentials:
        Sent on every request.
    settings:
        Timeouts, retries and TLS.
    origin:
        Where the store URI came from (``"$MLFLOW_TRACKING_URI"``), named in every error.
    """

    def __init__(self, base_url: str, *, credentials: Credentials, settings: Settings,
                 origin: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.server = redact_uri(self.base_url)
        self._auth = credentials.header()
        self.settings = settings
        self._origin = f" (store URI from {origin})" if origin else ""
        handlers: list[Any] = [_NoRedirect()]
        if self.base_url.lower().startswith("https:"):
            handlers.append(urllib.request.HTTPSHandler(context=self._tls_context()))
        self._opener = urllib.request.build_opener(*handlers)
        self.requests_made = 0

    def _tls_context(self) -> ssl.SSLContext:
        s = self.settings
        try:
            ctx = ssl.create_default_context(cafile=s.ca_path) if s.ca_path else ssl.create_default_context()
            if s.client_cert_path:
                ctx.load_cert_chain(s.client_cert_path)
        except (OSError, ssl.SSLError) as exc:
            raise errors.StoreError(f"cannot load the TLS certificate for {self.server}: {exc}{self._origin}") from None
        if s.insecure_tls:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    # -- requests -----------------------------------------------------------------------------
    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``GET base_url + path?params`` and return the decoded JSON object."""
        query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None}, doseq=True)
        return self._request("GET", path + ("?" + query if query else ""), None)

    def post_read(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST a JSON body to a *search* endpoint that MLflow exposes only as POST (``runs/search``,
        ``logged-models/search``): the request reads, it changes nothing on the server."""
        return self._request("POST", path, json.dumps(body).encode())

    def _request(self, method: str, path_query: str, body: bytes | None) -> dict[str, Any]:
        url = self.base_url + path_query
        what = f"{method} {path_query.split('?', 1)[0]}"
        headers = {"Accept": "application/json", "User-Agent": "auditkit"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._auth:
            headers["Authorization"] = self._auth
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            request = urllib.request.Request(url, data=body, headers=headers, method=method)
            self.requests_made += 1
            try:
                with self._opener.open(request, timeout=self.settings.timeout) as resp:
                    return self._decode(what, resp.status, resp.headers, resp.read())
            except urllib.error.HTTPError as exc:
                payload = _read(exc)
                if exc.code in RETRY_STATUSES and attempt < attempts:
                    self._sleep(attempt, exc.headers.get("Retry-After"))
                    continue
                raise self._status_error(what, exc.code, exc.headers, payload) from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, (socket.timeout, TimeoutError)):
                    if attempt < attempts:
                        self._sleep(attempt, None)
                        continue
                    raise errors.StoreError(TIMED_OUT.format(server=self.server, request=what,
                                                             timeout=self.settings.timeout, attempts=attempt,
                                                             origin=self._origin)) from None
                if isinstance(reason, ConnectionResetError) and attempt < attempts:
                    self._sleep(attempt, None)
                    continue
                if isinstance(reason, ssl.SSLError):
                    raise errors.StoreError(
                        f"TLS with MLflow server {self.server} failed: {reason}; set "
                        f"MLFLOW_TRACKING_SERVER_CERT_PATH to its CA bundle{self._origin}") from None
                text = getattr(reason, "strerror", None) or str(reason)
                raise errors.StoreNotFoundError(REFUSED.format(server=self.server, reason=text,
                                                               origin=self._origin)) from None
            except (socket.timeout, TimeoutError):
                if attempt < attempts:
                    self._sleep(attempt, None)
                    continue
                raise errors.StoreError(TIMED_OUT.format(server=self.server, request=what,
                                                         timeout=self.settings.timeout, attempts=attempt,
                                                         origin=self._origin)) from None
            except (ConnectionError, OSError) as exc:  # dropped mid-answer (RemoteDisconnected, …)
                if attempt < attempts:
                    self._sleep(attempt, None)
                    continue
                raise errors.StoreError(f"MLflow server {self.server} dropped the connection during "
                                        f"{what}: {exc}{self._origin}") from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        wait = self.settings.backoff * (2 ** (attempt - 1))
        if retry_after is not None and retry_after.strip().isdigit():
            wait = float(retry_after.strip())
        time.sleep(min(wait, MAX_WAIT))

    # -- answers ------------------------------------------------------------------------------
    def _decode(self, what: str, status: int, headers: Any, payload: bytes) -> dict[str, Any]:
        kind = (headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        text = payload.decode("utf-8", errors="replace")
        if _is_html(kind, text):
            raise errors.NotAStoreError(HTML.format(server=self.server, request=what, status=status,
                                                    title=_title(text), origin=self._origin))
        try:
            doc = json.loads(text) if text.strip() else {}
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            what_it_was = f"{kind or 'an untyped body'} ({len(payload)} bytes)"
            raise errors.NotAStoreError(NOT_JSON.format(server=self.server, request=what, status=status,
                                                        what=what_it_was, origin=self._origin))
        return doc

    def _status_error(self, what: str, status: int, headers: Any, payload: bytes) -> errors.StoreError:
        if 300 <= status < 400:
            return errors.NotAStoreError(REDIRECT.format(server=self.server, request=what, status=status,
                                                         location=_safe_location(headers.get("Location")),
                                                         origin=self._origin))
        kind = (headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        text = payload.decode("utf-8", errors="replace")
        error_code = None
        if _is_html(kind, text):
            message = "an HTML page" + _title(text)
        else:
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
            if isinstance(doc, dict) and ("message" in doc or "error_code" in doc):
                error_code = doc.get("error_code")
                message = str(doc.get("message") or "")
                if error_code:
                    message = f"{error_code}: {message}" if message else str(error_code)
            else:
                message = " ".join(text.split())[:300] or "(empty body)"
        reason = _REASONS.get(status, "")
        hint = AUTH_HINT if status in (401, 403) else ""
        return ServerAnswerError(
            STATUS.format(server=self.server, request=what, status=status, reason=f" {reason}" if reason else "",
                          message=message, hint=hint, origin=self._origin),
            status=status, error_code=error_code,
        )


_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read() or b""
    except OSError:
        return b""


def _is_html(kind: str, text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return kind in ("text/html", "application/xhtml+xml") or head.startswith(("<!doctype html", "<html"))


def _title(text: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    title = " ".join(match.group(1).split())[:80] if match else ""
    return f" titled {title!r}" if title else ""


def _safe_location(location: str | None) -> str:
    """A redirect target without its query string or user info (they may carry tokens)."""
    if not location:
        return "(no Location header)"
    parts = urllib.parse.urlsplit(location)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    shown = urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
    return repr(shown + ("?…" if parts.query else ""))


__all__ = ["Credentials", "RestClient", "ServerAnswerError", "Settings"]

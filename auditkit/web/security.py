"""The guard in front of every response: read-only methods, the Host header, credentials, and the
security headers (a strict Content-Security-Policy, no sniffing, no framing, no caching).

It is a plain ASGI middleware, outermost, so that error pages it makes itself carry the same
headers as every page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .messages import WEB_AUTH_REQUIRED, WEB_BAD_HOST, WEB_NO_PROXY_USER, WEB_READ_ONLY

#: The only methods served (HEAD is GET without a body).
METHODS = ("GET", "HEAD")
#: The policy of every response: nothing from elsewhere, no script at all, no framing, forms only
#: to this server. Pages holding a report add the hashes of the report's own styles.
CSP = ("default-src 'none'; script-src 'none'; style-src 'self'{styles}; img-src 'self' data:; "
       "font-src 'self'; connect-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    # Evidence is read from the store at request time: never kept by the browser or a proxy.
    "cache-control": "no-store",
    "pragma": "no-cache",
}
#: Scope key where the guard leaves the authenticated user (for the access log).
USER_KEY = "auditkit.user"
#: The user recorded when the server needs no credentials (loopback).
LOCAL_USER = "local"

_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)
_STYLE_ATTR = re.compile(r"""\sstyle="([^"]*)\"""", re.I)


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(page: str | None = None) -> str:
    """The policy for ``page`` (HTML): the strict base policy plus the SHA-256 of each
    ``<style>`` block and ``style`` attribute the page itself holds (the report templates')."""
    if not page:
        return CSP.format(styles="")
    blocks = [_hash(m) for m in _STYLE_BLOCK.findall(page)]
    attrs = sorted({_hash(html.unescape(m)) for m in _STYLE_ATTR.findall(page)})
    styles = "".join(f" {h}" for h in blocks)
    if attrs:
        styles += " 'unsafe-hashes'" + "".join(f" {h}" for h in attrs)
    return CSP.format(styles=styles)


def host_of(header: str) -> str:
    """The host name of a Host header (port dropped, IPv6 brackets removed), lower case."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def check_credentials(header: str | None, token: str) -> str | None:
    """The user named by an ``Authorization`` header when it carries ``token`` (basic auth: any
    user name, the token as password; or ``Bearer TOKEN``), else ``None``."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return "token" if secrets.compare_digest(value.strip().encode(), token.encode()) else None
    if scheme != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not colon or not secrets.compare_digest(password.encode(), token.encode()):
        return None
    return user or "token"


ErrorPage = Callable[[dict[str, Any], int, str], Awaitable[Any]]


class Guard:
    """ASGI middleware: refuse what a read-only evidence viewer must not do, and add the
    security headers to every response.

    ``allowed_hosts`` (lower case; empty: any) are the names the Host header may carry;
    ``token`` (``None``: no credentials needed) is checked on every request; with
    ``proxy_user_header`` (lower case) that header must name the user (set by a trusted proxy); ``error_page(scope,
    status, message)`` makes the response for a refused request (an ASGI app).
    """

    def __init__(self, app: Any, *, allowed_hosts: Iterable[str], token: str | None, error_page: Any,
                 proxy_user_header: str | None = None) -> None:
        self.app = app
        self.proxy_user_header = proxy_user_header
        self.allowed_hosts = frozenset(allowed_hosts)
        self.token = token
        self.error_page = error_page

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _SET]
                have_csp = any(k.lower() == b"content-security-policy" for k, _ in headers)
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                if not have_csp:
                    headers.append((b"content-security-policy", content_security_policy().encode()))
                message = {**message, "headers": headers}
            await send(message)

        request_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method = scope.get("method", "GET")
        if method not in METHODS:
            app = self.error_page(scope, 405, WEB_READ_ONLY.format(method=method[:20]),
                                  headers={"allow": ", ".join(METHODS)})
            await app(scope, receive, send_secured)
            return
        host = host_of(request_headers.get("host", ""))
        if self.allowed_hosts and host not in self.allowed_hosts:
            await self.error_page(scope, 400, WEB_BAD_HOST.format(host=host[:100]))(scope, receive, send_secured)
            return
        if self.token is not None:
            user = check_credentials(request_headers.get("authorization"), self.token)
            if user is None:
                app = self.error_page(scope, 401, WEB_AUTH_REQUIRED,
                                      headers={"www-authenticate": 'Basic realm="auditkit", charset="UTF-8"'})
                await app(scope, receive, send_secured)
                return
        else:
            user = LOCAL_USER
        if self.proxy_user_header is not None:
            proxied = request_headers.get(self.proxy_user_header, "").strip()
            if not proxied:
                app = self.error_page(scope, 401, WEB_NO_PROXY_USER.format(name=self.proxy_user_header))
                await app(scope, receive, send_secured)
                return
            user = proxied[:200]
        scope[USER_KEY] = user
        await self.app(scope, receive, send_secured)


#: Headers the guard owns (a response's own values are replaced).
_SET = frozenset(k.encode() for k in HEADERS)

"""The only URL fetcher WeasyPrint gets: ``data:`` URIs and files inside the template folders.

WeasyPrint's default fetcher reads local files and the network; a ``<link rel=attachment
href=file:///etc/passwd>`` would even embed that file into the PDF. Report data is escaped by the
templates, so such markup should never reach WeasyPrint; this fetcher is the second wall, for a
template that forgets to escape. Every request is recorded (:attr:`SafeURLFetcher.requested`) and
every refusal too (:attr:`SafeURLFetcher.refused`).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedURL(ValueError):
    """A URL the report renderer will not fetch (WeasyPrint logs it and leaves the resource out)."""


class SafeURLFetcher(URLFetcher):
    """Fetch ``data:`` URIs, and ``file:`` URLs that resolve (symlinks followed) inside one of
    ``allowed_dirs``; refuse everything else with :class:`RefusedURL`."""

    def __init__(self, allowed_dirs: Iterable[str | Path] = (), **kwargs: object) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, timeout=1, **kwargs)
        self.allowed_dirs = tuple(Path(d).resolve() for d in allowed_dirs)
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:  # type: ignore[override]
        self.requested.append(url)
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._allowed_path(url)
            if path is not None:
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": kind})
        self.refused.append(url)
        raise RefusedURL(f"auditkit reports fetch only data: URIs and template files, not {url[:200]!r}")

    def _allowed_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(parts.path)).resolve()
        except (OSError, ValueError):
            return None
        for root in self.allowed_dirs:
            if path.is_relative_to(root) and path.is_file():
                return path
        return None

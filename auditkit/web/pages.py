"""The page shell around the reports: a bar (home, decision lookup, "read at" time and refresh)
and a panel (downloads, links, notices) put into the report's own HTML, plus the small pages
that have no report (lookup form, errors). Reports themselves are rendered only by
:func:`auditkit.reports.render_html`; every value here goes through Jinja2's autoescaping."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2

from .security import content_security_policy

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STYLESHEET = "/static/web.css"
#: No favicon request (the page asks for nothing it does not need).
NO_ICON = '<link rel="icon" href="data:,">'

_BODY_OPEN = re.compile(r"<body[^>]*>", re.I)
_HEAD_CLOSE = re.compile(r"</head\s*>", re.I)


# Control characters (C0 but newline and tab, DEL, C1) and bidirectional overrides in an id or a
# message would be invisible or reorder text: shown as \xNN / \uNNNN escapes, like the CLI does.
_UNSAFE = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
_UNSAFE.update({c: f"\\u{c:04x}" for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]})


def visible(value: Any) -> Any:
    """``value`` with control and bidi-override characters written as escapes (text only)."""
    return value.translate(_UNSAFE) if isinstance(value, str) else value


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=visible)
    env.globals.update(url=url, stylesheet=STYLESHEET)
    return env


def url(path: str, *parts: Any, **query: Any) -> str:
    """A local URL: ``path`` then each part percent-encoded whole (``/`` included), then the
    query of the non-``None`` keywords. Ids are hostile text: they only ever appear encoded."""
    out = path + "".join("/" + quote(str(p), safe="") for p in parts)
    items = {k: v for k, v in query.items() if v is not None}
    return out + ("?" + urlencode(items) if items else "")


#: What the bar and panel show when a page does not say (see templates/_bar.html).
BAR_DEFAULTS: dict[str, Any] = {"query": None, "as_of": None, "refresh": None, "error": None, "error_title": None,
                                "notices": (), "downloads": (), "links": (), "reperform": None, "intro": None}


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**{**BAR_DEFAULTS, **context})


def wrap_report(report_html: str, **bar: Any) -> str:
    """The report's HTML with the web stylesheet linked and the bar and panel put first in its
    body (the report itself is untouched)."""
    head = _HEAD_CLOSE.search(report_html)
    body = _BODY_OPEN.search(report_html)
    if head is None or body is None or head.start() > body.start():
        raise ValueError("report HTML without <head> and <body>")
    link = f'<link rel="stylesheet" href="{STYLESHEET}">\n{NO_ICON}\n'
    top = render("_bar.html", **bar)
    return (report_html[: head.start()] + link + report_html[head.start(): body.end()] + "\n"
            + '<div class="web-top">' + top + "</div>\n<main class=\"web-report\">"
            + report_html[body.end():].replace("</body>", "</main>\n</body>", 1))


def page(title: str, **bar: Any) -> str:
    """A page without a report: the shell with the bar and panel."""
    return render("shell.html", title=title, **bar)


def csp_for(html_text: str) -> str:
    return content_security_policy(html_text)

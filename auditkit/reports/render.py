"""Render a report context to HTML or PDF, and write it to a file.

Templates are looked up first in the user's folder (``templates=DIR``), then in the packaged
``auditkit.report_templates``: a user overrides any template (or ``report.css``) by putting a file
of the same name in their folder. Templates get ``report`` (the context), ``evidence_sha256`` and
formatting filters; autoescaping is on for every template, and every template (the packaged
ones and a user's) is rendered in Jinja's sandbox, so a template cannot reach Python internals.

PDFs are PDF/A-3b, tagged, with the context's evidence attached as ``evidence.json``. The same
context gives byte-identical PDFs: dates come from ``report.cover.generated_at``, and WeasyPrint's
file identifier is a hash of the content.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import errors
from .context import evidence_json, evidence_sha256
from .messages import (
    REPORT_BAD_OUTPUT,
    REPORT_CANNOT_WRITE,
    REPORT_TEMPLATE_ERROR,
    REPORT_TEMPLATE_MISSING,
    REPORT_TEMPLATES_MISSING,
)

if TYPE_CHECKING:  # safety imports WeasyPrint (about a second): only render_pdf needs it
    from .safety import SafeURLFetcher

#: Which template renders which report kind.
TEMPLATE_FOR_KIND = {
    "experiment": "experiment.html",
    "inventory": "inventory.html",
    "model": "model.html",
    "decision": "decision.html",
    "impact": "impact.html",
    "diff": "diff.html",
}
PDF_VARIANT = "pdf/a-3b"
EVIDENCE_NAME = "evidence.json"
NOT_RECORDED = "—"
TEMPLATE_RECURSION = "templates include, import or extend one another without end"
#: Text longer than this is cut in the rendered report (the evidence keeps all of it).
MAX_SHOWN = 1500


def packaged_templates_dir() -> Path:
    """The templates shipped with auditkit (``auditkit.report_templates``; the repository's
    ``report_templates/`` in a source checkout that is not installed)."""
    try:
        import auditkit.report_templates as packaged  # type: ignore[import-not-found]

        return Path(packaged.__file__).resolve().parent
    except ImportError:
        return Path(__file__).resolve().parents[2] / "report_templates"


def template_dirs(templates: str | Path | None = None) -> tuple[Path, ...]:
    """Template search path: the user's folder first (when given), then the packaged one.

    Raises :class:`~auditkit.errors.ReportError` when the user's folder does not exist.
    """
    dirs = []
    if templates is not None:
        user = Path(templates).expanduser()
        if not user.is_dir():
            raise errors.ReportError(REPORT_TEMPLATES_MISSING.format(path=str(user)))
        dirs.append(user.resolve())
    dirs.append(packaged_templates_dir())
    return tuple(dirs)


# -- filters --------------------------------------------------------------------------------
def _num(value: Any, digits: int = 6) -> Any:
    """Numbers in a readable, stable form (``digits`` significant figures); text unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.{digits}g}"
    return value


def _when(value: Any) -> Any:
    """ISO 8601 UTC text as ``2026-11-26 15:04:13 UTC`` (milliseconds dropped)."""
    if not isinstance(value, str) or len(value) < 19 or value[10] != "T":
        return value
    return value[:10] + " " + value[11:19] + " UTC"


def _day(value: Any) -> Any:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else value


def _short(value: Any, n: int = 12) -> Any:
    return value[:n] if isinstance(value, str) else value


def _duration(seconds: Any) -> Any:
    if not isinstance(seconds, (int, float)):
        return seconds
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _clip(value: Any, width: int = 200) -> Any:
    """Cut text for a narrow table cell; the note says how much is left out (all of it is in the
    evidence)."""
    if isinstance(value, str) and len(value) > width:
        return f"{value[:width]} … [+{len(value) - width} characters]"
    return value


def _stage(value: Any) -> Any:
    """MLflow stores "None" for a version without a stage; show that as "none"."""
    return "none" if value == "None" else value


def _dataset_source(value: Any) -> Any:
    """A logged dataset source as its location: MLflow stores ``{"uri": …}`` or ``{"path": …}``
    JSON; anything else is shown as stored."""
    if not isinstance(value, str) or not value.startswith("{"):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    if isinstance(parsed, dict):
        for key in ("uri", "url", "path", "file", "table_name"):
            if isinstance(parsed.get(key), str) and len(parsed) <= 3:
                return parsed[key]
    return value


def _chunks(items: Any, size: int) -> list[list[Any]]:
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}``: ``None`` shows as "—"; very long text is cut with a note (layout time
    grows fast with unbreakable text, and the full value is in the evidence)."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, str) and len(value) > MAX_SHOWN and not hasattr(value, "__html__"):
        return f"{value[:MAX_SHOWN]} … [{len(value) - MAX_SHOWN} more characters in evidence.json]"
    return value


@lru_cache(maxsize=8)
def _environment(dirs: tuple[Path, ...]):
    import jinja2  # loaded only to render: loaded on first use
    from jinja2.sandbox import SandboxedEnvironment  # (the same)

    # The sandbox: a user's template (--templates DIR) sees the report and the filters, but cannot
    # reach Python internals (``cycler.__init__.__globals__``, ``__class__.__mro__``…) to run code.
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=_num, when=_when, day=_day, short=_short, duration=_duration, chunks=_chunks,
                       stage=_stage, dataset_source=_dataset_source, clip=_clip)
    env.globals["missing"] = NOT_RECORDED
    return env


def render_html(ctx: Any, *, templates: str | Path | None = None) -> str:
    """The report as one self-contained HTML document (CSS inlined, charts as ``data:`` URIs).

    Raises :class:`~auditkit.errors.ReportError` for a missing or failing template.
    """
    return _render_html(ctx, template_dirs(templates), evidence_sha256(ctx))


def _render_html(ctx: Any, dirs: tuple[Path, ...], sha256: str) -> str:
    import jinja2  # loaded only to render: loaded on first use

    name = TEMPLATE_FOR_KIND[ctx.kind]
    env = _environment(dirs)
    try:
        template = env.get_template(name)
        return template.render(report=ctx, evidence_sha256=sha256, evidence_name=EVIDENCE_NAME)
    except jinja2.TemplateNotFound as exc:
        raise errors.ReportError(REPORT_TEMPLATE_MISSING.format(
            name=exc.name, dirs=", ".join(str(d) for d in dirs))) from None
    except jinja2.TemplateError as exc:
        raise errors.ReportError(REPORT_TEMPLATE_ERROR.format(name=name, reason=exc)) from None
    except RecursionError:
        raise errors.ReportError(REPORT_TEMPLATE_ERROR.format(name=name, reason=TEMPLATE_RECURSION)) from None
    except Exception as exc:  # noqa: BLE001 - a user's template is user code: any failure is the template's
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        raise errors.ReportError(REPORT_TEMPLATE_ERROR.format(name=name, reason=reason)) from None


def _generated(ctx: Any) -> datetime:
    text = ctx.cover.generated_at
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def render_pdf(ctx: Any, *, templates: str | Path | None = None,
               url_fetcher: SafeURLFetcher | None = None) -> bytes:
    """The report as PDF/A-3b bytes, tagged, with ``evidence.json`` attached.

    ``url_fetcher`` defaults to a :class:`~auditkit.reports.safety.SafeURLFetcher` limited to the
    template folders (pass one to inspect what was requested). Raises
    :class:`~auditkit.errors.ReportError` for a missing or failing template.
    """
    import weasyprint  # heavy (about a second): loaded on first use

    from .safety import SafeURLFetcher  # heavy (WeasyPrint): loaded on first use

    dirs = template_dirs(templates)
    evidence = evidence_json(ctx)
    sha256 = evidence_sha256(ctx)
    html = _render_html(ctx, dirs, sha256)
    fetcher = url_fetcher if url_fetcher is not None else SafeURLFetcher(dirs)
    when = _generated(ctx).replace(tzinfo=None)  # WeasyPrint formats attachment dates as UTC text
    attachment = weasyprint.Attachment(
        string=evidence, name=EVIDENCE_NAME, url_fetcher=fetcher,
        description=f"auditkit {ctx.kind} report evidence, schema {ctx.schema_version}, "
                    f"sha256 {sha256}",
        created=when, modified=when, relationship="Data",
    )
    document = weasyprint.HTML(string=html, base_url=dirs[-1].as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, attachments=[attachment],
                              finisher=_dedupe_associated_files)


def _dedupe_associated_files(document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists each PDF/A-3 associated file twice in the catalog's ``/AF``; keep one."""
    files = pdf.catalog.get("AF")
    if files is not None:
        seen: list[Any] = []
        for ref in files:
            if ref not in seen:
                seen.append(ref)
        files[:] = seen


def write_report(ctx: Any, path: str | Path, *, templates: str | Path | None = None) -> Path:
    """Write the report to ``path``: PDF for ``.pdf``, HTML for ``.html``/``.htm``.

    The file is written whole or not at all (temporary file, then rename). Raises
    :class:`~auditkit.errors.UsageError` for another extension and
    :class:`~auditkit.errors.ReportError` when the file cannot be written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".pdf":
        data = render_pdf(ctx, templates=templates)
    elif suffix in (".html", ".htm"):
        data = render_html(ctx, templates=templates).encode("utf-8")
    else:
        raise errors.UsageError(REPORT_BAD_OUTPUT.format(path=str(target)))
    write_atomically(target, data)
    return target


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all (a temporary file beside it, then a
    rename), with the permissions ``open()`` would give. Raises
    :class:`~auditkit.errors.ReportError` when the file cannot be written."""
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # what open() would have given, not mkstemp's 0600
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise errors.ReportError(REPORT_CANNOT_WRITE.format(path=str(target), reason=exc.strerror or exc)) from None

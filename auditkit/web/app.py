"""The web application: one route per page, the store work behind each (run in a worker thread
with a time limit), and errors as pages (never a traceback).

Routes: ``/`` (inventory), ``/models/{name}`` (``?version=N`` or ``?alias=A``; default the latest
version), ``/decisions?id=ID`` (the lookup form's target: redirects), ``/decisions/{id}``,
``/experiments/{name}``, ``/history`` (the ledger's changes; ``?name=`` one model), ``/download/{inventory|model|decision|experiment}/{pdf|html|evidence.json}``
and the JSON API ``/api/lineage/{id}`` and ``/api/explain/{id}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import errors
from ..connectors import open_store, unknown_model
from ..ledger import alias_history
from ..provenance import lineage
from ..records import jsonable
from ..reports import (
    build_decision_report,
    build_experiment_report,
    build_inventory_report,
    build_model_report,
    evidence_json,
    evidence_sha256,
    render_html,
    render_pdf,
)
from ..reports.extras import model_extras
from .access import AccessLog
from .cache import ReadCache
from .config import WebConfig, is_loopback
from .messages import (
    WEB_EMPTY_ID,
    WEB_INTERNAL,
    WEB_MODEL_NO_VERSIONS,
    WEB_NO_LEDGER,
    WEB_NO_PREDICTIONS,
    WEB_NOT_FOUND,
    WEB_TIMEOUT,
    WEB_VERSION_OR_ALIAS,
)
from .pages import STATIC, csp_for, page, render, url, wrap_report
from .reperform_view import explain_document, reperform_section
from .security import USER_KEY, Guard

log = logging.getLogger("auditkit.web")

#: Download forms: URL suffix → (media type, what is sent).
DOWNLOADS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "evidence.json": "application/json"}
JSON_TYPE = "application/json; charset=utf-8"
TITLES = {400: "Bad request", 401: "Authentication required", 404: "Not found", 405: "Method not allowed",
          500: "Server error", 501: "Not available", 503: "Store unavailable", 504: "Store too slow"}


def document_json(document: Any) -> str:
    """A JSON document exactly as the CLI prints it with ``--format json`` (and its newline)."""
    return json.dumps(jsonable(document), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


class _Failure(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _status_of(exc: errors.AuditkitError) -> int:
    if isinstance(exc, errors.RecordNotFoundError):
        return 404
    if isinstance(exc, errors.StoreError):
        return 503
    if isinstance(exc, errors.UsageError):
        return 400
    return 500


def error_response(path: str, status: int, message: str, *, headers: dict[str, str] | None = None,
                   query: str | None = None) -> Response:
    """The error page (or, under ``/api/``, a JSON document) holding the one-line ``message``."""
    if path.startswith("/api/"):
        body = json.dumps({"schema_version": "1", "error": message}, ensure_ascii=False) + "\n"
        return Response(body, status_code=status, media_type=JSON_TYPE, headers=headers)
    text = page(TITLES.get(status, "Error"), error=message, error_title=TITLES.get(status, "Error"), query=query)
    return HTMLResponse(text, status_code=status, headers=headers)


def guard_error_page(scope: dict[str, Any], status: int, message: str,
                     headers: dict[str, str] | None = None) -> Response:
    return error_response(scope.get("path", ""), status, message, headers=headers)


class Views:
    """The work behind each route, for one :class:`~.config.WebConfig`."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.cache = ReadCache(seconds=config.cache_seconds)
        self.pages = ReadCache(seconds=config.cache_seconds)  # the finished pages of the reads above
        self.access = AccessLog(config.access_log) if config.access_log else None

    # -- store reads (worker threads) ------------------------------------------------------------

    def _inventory(self) -> tuple[Any, list[str]]:
        with open_store(self.config.store) as store:
            ctx = build_inventory_report(store, fields=self.config.fields, policy=self.config.policy)
            experiments = sorted({e.name for e in store.experiments()})
        return ctx, experiments

    def _model(self, name: str, version: str | None, alias: str | None) -> tuple[Any, list[Any], dict[str, str]]:
        with open_store(self.config.store) as store:
            models = {m.name: m for m in store.registered_models()}
            if name not in models:
                raise unknown_model(name, sorted(models))
            versions = sorted((v for v in store.model_versions(name) if v.name == name),
                              key=lambda v: (int(v.version) if str(v.version).isdigit() else 0, str(v.version)))
            if version is None and alias is None:
                live = [v for v in versions if not v.deleted] or versions
                if not live:
                    raise errors.RecordNotFoundError(WEB_MODEL_NO_VERSIONS.format(name=name), kind="model_version",
                                                     name=name)
                version = str(live[-1].version)
            sensitive = list(self.config.sensitive) or None
            extras = model_extras(store, name, version=version, alias=alias, ledger=self.config.ledger,
                                  predictions=self.config.predictions if sensitive else None,
                                  columns=self.config.columns, time_unit=self.config.time_unit,
                                  sensitive=sensitive, positive=self.config.positive,
                                  label_positive=self.config.label_positive)
            ctx = build_model_report(store, name, version=version, alias=alias, fields=self.config.fields, **extras)
        return ctx, versions, dict(models[name].aliases)

    def _with_log(self, work: Callable[[Any, Any], Any]) -> Any:
        if not self.config.predictions:
            raise _Failure(404, WEB_NO_PREDICTIONS)
        plog = self.config.open_log()
        try:
            with open_store(self.config.store) as store:
                return work(store, plog)
        finally:
            plog.close()

    def _decision(self, pid: str) -> tuple[Any, dict[str, Any]]:
        def work(store: Any, plog: Any) -> tuple[Any, dict[str, Any]]:
            ctx = build_decision_report(store, plog, pid, ledger=self.config.ledger, fields=self.config.fields,
                                        sensitive=list(self.config.sensitive) or None,
                                        positive=self.config.positive, label_positive=self.config.label_positive)
            return ctx, reperform_section(store, plog, pid, ledger=self.config.ledger,
                                          options=self.config.explain_options)
        return self._with_log(work)

    def _lineage(self, pid: str) -> str:
        return self._with_log(lambda store, plog: document_json(lineage(store, plog, pid, ledger=self.config.ledger)))

    def _explain(self, pid: str) -> str:
        def work(store: Any, plog: Any) -> str:
            try:
                return document_json(explain_document(store, plog, pid, ledger=self.config.ledger,
                                                      options=self.config.explain_options))
            except NotImplementedError as exc:
                raise _Failure(501, str(exc)) from None
        return self._with_log(work)

    def _experiment(self, name: str) -> Any:
        with open_store(self.config.store) as store:
            return build_experiment_report(store, name, fields=self.config.fields)

    # -- running work safely ----------------------------------------------------------------------

    async def run(self, request: Request, work: Callable[[], Response]) -> Response:
        """``work()`` in a worker thread within the time limit; errors become error pages."""
        path = request.url.path
        query = request.query_params.get("id")
        try:
            with anyio.fail_after(self.config.timeout):
                return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
        except TimeoutError:
            return error_response(path, 504, WEB_TIMEOUT.format(seconds=self.config.timeout), query=query)
        except _Failure as exc:
            return error_response(path, exc.status, exc.message, query=query)
        except errors.AuditkitError as exc:
            return error_response(path, _status_of(exc), str(exc), query=query)
        except Exception:  # anything else: logged here, one line on the page, no traceback
            log.exception("error while serving %r", path)
            return error_response(path, 500, WEB_INTERNAL, query=query)

    def record(self, request: Request, what: str, subject: str, status: int) -> None:
        if self.access is not None:
            client = request.client.host if request.client else None
            self.access.record(user=request.scope.get(USER_KEY, "?"), client=client, what=what, subject=subject,
                               status=status)

    # -- pages ------------------------------------------------------------------------------------

    def _page(self, key: tuple, refresh: bool, build: Callable[[], str]) -> Response:
        """The page ``build()`` makes (kept like the reads), with its own Content-Security-Policy."""
        def finished() -> tuple[str, str]:
            text = build()
            return text, csp_for(text)
        text, csp = self.pages.get(key, finished, refresh=refresh)
        return HTMLResponse(text, headers={"content-security-policy": csp})

    def _refresh(self, request: Request) -> tuple[bool, str]:
        refresh = request.query_params.get("refresh") == "1"
        params = {k: v for k, v in request.query_params.items() if k != "refresh"}
        return refresh, url(request.url.path, **params, refresh="1")

    async def inventory(self, request: Request) -> Response:
        refresh, again = self._refresh(request)

        def build() -> str:
            ctx, experiments = self.cache.get(("inventory",), self._inventory, refresh=refresh)
            models = [(m.name, url("/models", m.name),
                       f"{len(m.versions)} version(s)" + (", aliases " + ", ".join(f"{a}→v{v}" for a, v in
                                                                               sorted(m.aliases.items()))
                                                          if m.aliases else ""))
                      for m in ctx.models]
            links = [("Models", models)]
            if self.config.ledger:
                links.append(("Registry", [("History of every alias and stage", "/history", None)]))
            if experiments:
                links.append(("Experiments", [(e, url("/experiments", e), None) for e in experiments]))
            return wrap_report(
                render_html(ctx, templates=self.config.templates), as_of=ctx.cover.generated_at, refresh=again,
                downloads=_downloads("inventory"), links=links,
                notices=[] if self.config.policy else [("info", "No --policy given: findings are not listed.")])
        return await self.run(request, lambda: self._page(("inventory",), refresh, build))

    async def model(self, request: Request) -> Response:
        name = request.path_params["name"]
        version = request.query_params.get("version") or None
        alias = request.query_params.get("alias") or None
        refresh, again = self._refresh(request)

        def build() -> str:
            if version is not None and alias is not None:
                raise errors.UsageError(WEB_VERSION_OR_ALIAS.format(name=name))
            ctx, versions, aliases = self.cache.get(("model", name, version, alias),
                                                    lambda: self._model(name, version, alias), refresh=refresh)
            by_version: dict[str, list[str]] = {}
            for a, v in aliases.items():
                by_version.setdefault(str(v), []).append(a)
            items = [(f"version {v.version}", url("/models", name, version=v.version),
                      ", ".join(x for x in [f"stage {v.stage}" if v.stage not in (None, "", "None") else "",
                                            "aliases " + ", ".join(sorted(by_version.get(str(v.version), [])))
                                            if by_version.get(str(v.version)) else "",
                                            "deleted" if v.deleted else ""] if x) or None)
                     for v in reversed(versions)]
            alias_items = [(f"@{a}", url("/models", name, alias=a), f"version {v}") for a, v in sorted(aliases.items())]
            links = [("Versions", items)] + ([("Aliases", alias_items)] if alias_items else [])
            notices = []
            if not self.config.ledger:
                notices.append(("info", "No --ledger given: the history below is the store's current state only."))
            if not self.config.sensitive:
                notices.append(("info", "No --predictions and --sensitive given: no fairness section."))
            return wrap_report(
                render_html(ctx, templates=self.config.templates), as_of=ctx.cover.generated_at, refresh=again,
                downloads=_downloads("model", name=name, version=version, alias=alias), links=links,
                notices=notices)
        return await self.run(request, lambda: self._page(("model", name, version, alias), refresh, build))

    async def lookup(self, request: Request) -> Response:
        pid = (request.query_params.get("id") or "").strip()
        if not pid:
            return error_response(request.url.path, 400, WEB_EMPTY_ID)
        return RedirectResponse(url("/decisions", pid), status_code=303)

    async def decision(self, request: Request) -> Response:
        pid = request.path_params["pid"]
        refresh, again = self._refresh(request)

        def build() -> str:
            ctx, section = self.cache.get(("decision", pid), lambda: self._decision(pid), refresh=refresh)
            return wrap_report(
                render_html(ctx, templates=self.config.templates), as_of=ctx.cover.generated_at, refresh=again,
                query=pid, downloads=_downloads("decision", id=pid),
                links=[("Model", [(f"{ctx.model['name']} version {ctx.model['version']}",
                                   url("/models", ctx.model["name"], version=ctx.model["version"]), None)])]
                if ctx.model.get("name") else [],
                reperform=section)

        def work() -> Response:
            try:
                response = self._page(("decision", pid), refresh, build)
            except (errors.AuditkitError, _Failure) as exc:
                status = exc.status if isinstance(exc, _Failure) else _status_of(exc)
                message = exc.message if isinstance(exc, _Failure) else str(exc)
                self.record(request, "decision page", pid, status)
                return error_response(request.url.path, status, message, query=pid)
            self.record(request, "decision page", pid, 200)
            return response
        return await self.run(request, work)

    async def experiment(self, request: Request) -> Response:
        name = request.path_params["name"]
        refresh, again = self._refresh(request)

        def build() -> str:
            ctx = self.cache.get(("experiment", name), lambda: self._experiment(name), refresh=refresh)
            return wrap_report(render_html(ctx, templates=self.config.templates), as_of=ctx.cover.generated_at,
                               refresh=again, downloads=_downloads("experiment", name=name))
        return await self.run(request, lambda: self._page(("experiment", name), refresh, build))

    async def history(self, request: Request) -> Response:
        name = request.query_params.get("name") or None
        refresh, again = self._refresh(request)

        def build() -> str:
            if not self.config.ledger:
                raise _Failure(404, WEB_NO_LEDGER)
            changes = self.cache.get(("history", name), lambda: alias_history(self.config.ledger, name=name),
                                     refresh=refresh)
            return render("history.html", changes=changes, model=name, ledger=self.config.ledger, refresh=again,
                          as_of=None)
        return await self.run(request, lambda: self._page(("history", name), refresh, build))

    async def download(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        form = request.path_params["form"]
        q = request.query_params
        if kind not in ("inventory", "model", "decision", "experiment") or form not in DOWNLOADS:
            return error_response(request.url.path, 404, WEB_NOT_FOUND.format(path=request.url.path))

        def context() -> Any:
            if kind == "inventory":
                return self.cache.get(("inventory",), self._inventory)[0]
            if kind == "experiment":
                name = q.get("name") or ""
                return self.cache.get(("experiment", name), lambda: self._experiment(name))
            if kind == "model":
                name, version, alias = q.get("name") or "", q.get("version") or None, q.get("alias") or None
                if version is not None and alias is not None:
                    raise errors.UsageError(WEB_VERSION_OR_ALIAS.format(name=name))
                return self.cache.get(("model", name, version, alias),
                                      lambda: self._model(name, version, alias))[0]
            pid = q.get("id") or ""
            try:
                ctx = self.cache.get(("decision", pid), lambda: self._decision(pid))[0]
            except (errors.AuditkitError, _Failure) as exc:
                status = exc.status if isinstance(exc, _Failure) else _status_of(exc)
                self.record(request, f"decision {form}", pid, status)
                raise
            self.record(request, f"decision {form}", pid, 200)
            return ctx

        def work() -> Response:
            ctx = context()
            if form == "pdf":
                body: bytes | str = render_pdf(ctx, templates=self.config.templates)
            elif form == "html":
                body = render_html(ctx, templates=self.config.templates)
            else:
                body = evidence_json(ctx)
            headers = {"content-disposition": f'attachment; filename="{_filename(kind, ctx, form)}"',
                       "x-evidence-sha256": evidence_sha256(ctx)}
            if form == "html":  # the report as its own page: its own styles allowed, nothing else
                headers["content-security-policy"] = csp_for(body)  # type: ignore[arg-type]
            return Response(body, media_type=DOWNLOADS[form], headers=headers)
        return await self.run(request, work)

    async def api_lineage(self, request: Request) -> Response:
        pid = request.path_params["pid"]

        def work() -> Response:
            try:
                text = self.cache.get(("lineage", pid), lambda: self._lineage(pid))
            except (errors.AuditkitError, _Failure) as exc:
                self.record(request, "lineage json", pid, exc.status if isinstance(exc, _Failure) else _status_of(exc))
                raise
            self.record(request, "lineage json", pid, 200)
            return Response(text, media_type=JSON_TYPE)
        return await self.run(request, work)

    async def api_explain(self, request: Request) -> Response:
        pid = request.path_params["pid"]

        def work() -> Response:
            try:
                text = self.cache.get(("explain", pid), lambda: self._explain(pid))
            except (errors.AuditkitError, _Failure) as exc:
                self.record(request, "explain json", pid, exc.status if isinstance(exc, _Failure) else _status_of(exc))
                raise
            self.record(request, "explain json", pid, 200)
            return Response(text, media_type=JSON_TYPE)
        return await self.run(request, work)

    async def stylesheet(self, request: Request) -> Response:
        return FileResponse(STATIC / "web.css", media_type="text/css; charset=utf-8")

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return error_response(request.url.path, 404, WEB_NOT_FOUND.format(path=request.url.path[:200]))


def _downloads(kind: str, **query: Any) -> list[tuple[str, str]]:
    return [(label, url(f"/download/{kind}/{form}", **query))
            for label, form in (("PDF", "pdf"), ("HTML", "html"), ("evidence.json", "evidence.json"))]


def _filename(kind: str, ctx: Any, form: str) -> str:
    """A download's file name: the report kind and subject, reduced to safe characters."""
    subject = {"model": lambda: f"{ctx.model.name}-v{ctx.model.version}",
               "decision": lambda: str(ctx.prediction["id"]), "experiment": lambda: ctx.experiment.name,
               "inventory": lambda: "inventory"}[kind]()
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in subject).strip("._")[:80]
    suffix = {"pdf": ".pdf", "html": ".html", "evidence.json": ".evidence.json"}[form]
    return f"{kind}-{safe or 'report'}{suffix}"


def allowed_hosts(config: WebConfig) -> set[str]:
    """Host header names accepted: on loopback, only the loopback names (no DNS rebinding);
    beyond it or behind a proxy (credentials required), any."""
    if not is_loopback(config.host) or config.proxy_user_header:
        return set()
    return {"127.0.0.1", "localhost", "::1", config.host.lower().strip("[]")}


def create_app(config: WebConfig) -> Guard:
    """The read-only web application (an ASGI app) for ``config``."""
    views = Views(config)
    routes = [
        Route("/", views.inventory, methods=["GET"]),
        Route("/models/{name:path}", views.model, methods=["GET"]),
        Route("/decisions", views.lookup, methods=["GET"]),
        Route("/decisions/{pid:path}", views.decision, methods=["GET"]),
        Route("/experiments/{name:path}", views.experiment, methods=["GET"]),
        Route("/history", views.history, methods=["GET"]),
        Route("/download/{kind}/{form}", views.download, methods=["GET"]),
        Route("/api/lineage/{pid:path}", views.api_lineage, methods=["GET"]),
        Route("/api/explain/{pid:path}", views.api_explain, methods=["GET"]),
        Route("/static/web.css", views.stylesheet, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: views.not_found})
    return Guard(app, allowed_hosts=allowed_hosts(config), token=config.token, error_page=guard_error_page,
                 proxy_user_header=config.proxy_user_header)

"""``serve``: the read-only web view (inventory, models, decisions, JSON API)."""

from __future__ import annotations

import click

from ..reports import load_fields
from ..reports.extras import parse_sensitive
from .options import ledger_option, predictions_options, store_option
from .report_cmds import fairness_options


@click.command()
@store_option
@predictions_options(required=False)
@ledger_option(help="Registry ledger: alias/stage history on model pages; aliases resolved at each decision's time.")
@click.option("--policy", default=None, metavar="FILE", help="Policy file whose findings the inventory lists.")
@fairness_options
@click.option("--host", default="127.0.0.1", show_default=True, metavar="HOST",
              help="Address to listen on. Beyond loopback, $AUDITKIT_SERVE_TOKEN must be set (basic-auth password).")
@click.option("--port", default=8765, show_default=True, type=int, metavar="N", help="TCP port (0: any free port).")
@click.option("--proxy-user-header", "proxy_user_header", default=None, metavar="NAME",
              help="Header a trusted reverse proxy sets to the signed-in user (e.g. X-Forwarded-User); requests "
              "without it are refused. Only when nothing but the proxy can reach this server.")
@click.option("--access-log", "access_log", default=None, metavar="FILE",
              help="Append one JSON line per view of a decision (time, user, client, id, status).")
@click.option("--timeout", default=60.0, show_default=True, type=float, metavar="SECONDS",
              help="Longest a page may wait for the store before showing an error page.")
@click.option("--cache-seconds", "cache_seconds", default=60.0, show_default=True, type=float, metavar="SECONDS",
              help="How long a store read is reused by later pages (each page shows when it was read; "
              "Refresh reads again). 0: read on every request.")
@click.option("--templates", default=None, metavar="DIR",
              help="Folder whose report templates (and report.css) override the packaged ones.")
@click.option("--fields", "fields_file", default=None, metavar="FILE",
              help="YAML/JSON file with the user-supplied report fields (purpose, creditor, …).")
def serve(store_uri: str | None, predictions: str | None, column_options: tuple[str, ...], time_unit: str | None,
          ledger: str | None, policy: str | None, sensitive: str | None, positive: str | None,
          label_positive: str | None, host: str, port: int, proxy_user_header: str | None, access_log: str | None, timeout: float,
          cache_seconds: float, templates: str | None, fields_file: str | None) -> None:
    """Serve a read-only web view: the inventory, each model's report and alias history, decision
    lookup by id (lineage, reasons, gaps, PDF), and a JSON API (/api/lineage/ID, /api/explain/ID).

    Listens on 127.0.0.1 only unless --host says otherwise (then a token is required).

    \b
    Example:
      auditkit serve --store sample_data/mlflow.db --predictions sample_data/predictions.csv \\
          --ledger sample_data/registry-ledger.jsonl --policy sample_data/policy.yaml \\
          --sensitive sex,age_band --positive approve --label-positive good
    """
    from ..web import make_config  # heavy (Starlette, uvicorn, Jinja2): only when serving
    from ..web import serve as serve_web

    config = make_config(store=store_uri, predictions=predictions, columns=column_options, time_unit=time_unit,
                         ledger=ledger, policy=policy, sensitive=parse_sensitive(sensitive), positive=positive,
                         label_positive=label_positive, templates=templates, fields=load_fields(fields_file),
                         host=host, port=port, proxy_user_header=proxy_user_header, access_log=access_log, timeout=timeout, cache_seconds=cache_seconds)
    serve_web(config, announce=lambda url: click.echo(f"serving {url} (read-only; Ctrl+C stops)"))

"""``inspect``, ``runs`` and ``models``: what a store holds."""

from __future__ import annotations

import click

from .. import errors
from ..accountability import approvals_of
from ..connectors import open_store
from .options import format_option, store_option
from .output import render_csv, render_json, render_table

SCHEMA_VERSION = "1"

RUN_TABLE_COLUMNS = ["run_id", "experiment", "run_name", "user", "status", "start_time", "end_time"]
MODEL_COLUMNS = [
    "name", "version", "stage", "aliases", "run_id", "creator", "creation_time",
    "last_updated_time", "status", "deleted", "approved_by", "approved_at", "source", "model_id", "tags",
]
MODEL_TABLE_COLUMNS = ["name", "version", "stage", "aliases", "run_id", "creator", "creation_time", "deleted",
                       "approved_by", "approved_at", "source"]
RUNS_UNKNOWN_COLUMN = "--columns names {name!r}, which no run has; columns: {choices}"
RUNS_COLUMNS_FORMAT = "--columns picks table and CSV columns; JSON always carries every field"


@click.command()
@store_option
@format_option(["table", "json"])
def inspect(store_uri: str | None, fmt: str) -> None:
    """Show a store's backend, schema revision and record counts.

    \b
    Example:
      auditkit inspect --store sample_data/mlflow.db
      auditkit inspect --store postgresql://127.0.0.1/mlflow --format json
    """
    with open_store(store_uri) as store:
        info = store.info()
    if fmt == "json":
        doc = {"schema_version": SCHEMA_VERSION, **info.to_dict()}
        click.echo(render_json(doc))
        return
    lines = [
        ("backend", info.backend),
        ("store", info.uri),
        ("schema revision", info.schema_revision or "(none)"),
        *info.counts.items(),
    ]
    width = max(len(k) for k, _ in lines) + 2
    text = [f"{k:<{width}}{v}" for k, v in lines]
    click.echo("\n".join(text))
    shown = click.get_current_context().meta.get("auditkit.warnings_shown", set())
    for warning in info.warnings:
        if warning not in shown:
            click.echo(f"warning: {warning}", err=True)


@click.command()
@store_option
@click.option("--experiment", default=None, metavar="NAME", help="Only runs of this experiment.")
@click.option("--columns", default=None, metavar="COL,COL,…",
              help="Table/CSV columns, e.g. run_id,run_name,params.max_depth,metrics.auc (default: the run's "
              "fields and every metric in the table; everything in CSV).")
@format_option(["table", "json", "csv"])
def runs(store_uri: str | None, experiment: str | None, columns: str | None, fmt: str) -> None:
    """List runs, one row each (CSV and JSON carry params, latest metrics and tags).

    \b
    Example:
      auditkit runs --store sample_data/mlflow.db --experiment credit-risk --format csv
      auditkit runs --store sample_data/mlflow.db --columns run_id,run_name,params.C,metrics.roc_auc
    """
    if columns is not None and fmt == "json":
        raise errors.UsageError(RUNS_COLUMNS_FORMAT)
    with open_store(store_uri) as store:
        if fmt == "json":
            records = store.runs(experiment)
            click.echo(render_json({"schema_version": SCHEMA_VERSION, "runs": records}))
            return
        frame = store.runs_frame(experiment)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    picked = None
    if columns is not None:
        picked = [c.strip() for c in columns.split(",") if c.strip()]
        for col in picked:
            if col not in frame.columns:
                raise errors.UsageError(RUNS_UNKNOWN_COLUMN.format(
                    name=col, choices=errors.choices(list(frame.columns), limit=40)))
    if fmt == "csv":
        click.echo(render_csv(rows, picked or list(frame.columns)), nl=False)
    else:
        metric_cols = [c for c in frame.columns if c.startswith("metrics.")]
        click.echo(render_table(rows, picked or RUN_TABLE_COLUMNS + metric_cols))


@click.command()
@store_option
@click.option("--name", default=None, metavar="NAME", help="Only versions of this registered model.")
@format_option(["table", "json", "csv"])
def models(store_uri: str | None, name: str | None, fmt: str) -> None:
    """List registered model versions, one row each, deleted ones flagged.

    \b
    Example:
      auditkit models --store sample_data/mlflow.db --name credit-risk
    """
    with open_store(store_uri) as store:
        versions = store.model_versions(name)
    if fmt == "json":
        click.echo(render_json({"schema_version": SCHEMA_VERSION, "model_versions": versions}))
        return
    rows = []
    for v in versions:
        row = v.to_dict()
        given = [a for a in approvals_of(v) if a.by]
        row["approved_by"] = ", ".join(a.by for a in given) or None
        row["approved_at"] = ", ".join(a.at or "" for a in given) or None
        rows.append(row)
    if fmt == "csv":
        click.echo(render_csv(rows, MODEL_COLUMNS), nl=False)
    else:
        click.echo(render_table(rows, MODEL_TABLE_COLUMNS))

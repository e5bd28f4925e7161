"""``report experiment|inventory|model|decision`` and ``demo``: audit reports as PDF or HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from .. import errors
from . import cli
from .store_cmds import store_option

OUTPUT_SUFFIXES = (".pdf", ".html", ".htm")


def _check_output(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if Path(value).suffix.lower() not in OUTPUT_SUFFIXES:
        raise errors.UsageError(errors.REPORT_BAD_OUTPUT.format(path=value))
    return value


def report_options(func: Callable) -> Callable:
    """Options every report takes: output, time of generation, templates, user fields."""
    for option in reversed((
        click.option("-o", "--output", required=True, metavar="FILE", callback=_check_output,
                     help="Report file: .pdf (PDF/A-3b, evidence.json attached) or .html."),
        click.option("--as-of", "as_of", default=None, metavar="TIME",
                     help="Generation time shown in the report (ISO 8601). Default: $SOURCE_DATE_EPOCH, "
                     "then now. Same inputs and --as-of give a byte-identical PDF."),
        click.option("--templates", default=None, metavar="DIR",
                     help="Folder whose templates (and report.css) override the packaged ones."),
        click.option("--fields", "fields_file", default=None, metavar="FILE",
                     help="YAML/JSON file with the user-supplied fields (purpose, creditor, …)."),
    )):
        func = option(func)
    return func


def _finish(ctx_obj: Any, output: str, templates: str | None) -> None:
    from ..reports import evidence_sha256, write_report

    path = write_report(ctx_obj, output, templates=templates)
    click.echo(f"wrote {path} ({ctx_obj.kind} report, evidence sha256 {evidence_sha256(ctx_obj)})")


@cli.group()
def report() -> None:
    """Write an audit report as PDF (PDF/A-3b, evidence attached) or HTML.

    \b
    Example:
      auditkit report experiment credit-risk --store sample_data/mlflow.db -o experiment.pdf
      auditkit report inventory --store sample_data/mlflow.db -o inventory.html
    """


@report.command("experiment")
@click.argument("name")
@store_option
@click.option("--minimize", multiple=True, metavar="METRIC",
              help="A metric where lower is better, beyond names holding loss, error, … (repeatable).")
@report_options
def report_experiment(name: str, store_uri: str | None, minimize: tuple[str, ...], output: str,
                      as_of: str | None, templates: str | None, fields_file: str | None) -> None:
    """Compare the runs of one experiment: params, metrics, who, when, commit, best run per
    metric, charts, and which runs became registered versions.

    \b
    Example:
      auditkit report experiment credit-risk --store sample_data/mlflow.db -o experiment.pdf
    """
    from ..connectors import open_store
    from ..reports import build_experiment_report, load_fields

    fields = load_fields(fields_file)
    with open_store(store_uri) as store:
        ctx = build_experiment_report(store, name, as_of=as_of, fields=fields, minimize=minimize)
    _finish(ctx, output, templates)


@report.command("inventory")
@store_option
@click.option("--policy", default=None, metavar="FILE", help="Policy file whose findings the report lists.")
@report_options
def report_inventory(store_uri: str | None, policy: str | None, output: str, as_of: str | None,
                     templates: str | None, fields_file: str | None) -> None:
    """Every registered model and version: stage and aliases, owner, approval status, last
    activity, and policy findings when a policy is given.

    \b
    Example:
      auditkit report inventory --store sample_data/mlflow.db -o inventory.pdf
    """
    from ..connectors import open_store
    from ..reports import build_inventory_report, load_fields
    from ..reports.policy_view import policy_findings

    fields = load_fields(fields_file)
    with open_store(store_uri) as store:
        findings = policy_findings(store, policy) if policy else None
        ctx = build_inventory_report(store, as_of=as_of, fields=fields, policy_findings=findings,
                                     policy_source=policy)
    _finish(ctx, output, templates)


@report.command("model")
@click.argument("name")
@click.option("--version", "version", default=None, metavar="N", help="The model version.")
@click.option("--alias", default=None, metavar="ALIAS", help="The alias naming the version (e.g. champion).")
@store_option
@click.option("--ledger", default=None, metavar="FILE", help="Registry ledger: stage/alias history.")
@click.option("--predictions", default=None, metavar="SOURCE",
              help="Prediction log (.csv/.parquet/.jsonl or TABLE@URL) for the fairness section.")
@click.option("--column", "column_options", multiple=True, metavar="ROLE=NAME",
              help="Map a column role to the log's column name (repeatable).")
@click.option("--sensitive", default=None, metavar="COL[,COL…]", help="Sensitive feature columns.")
@click.option("--positive", default=None, metavar="VALUE", help="The favourable decision value.")
@report_options
def report_model(name: str, version: str | None, alias: str | None, store_uri: str | None, ledger: str | None,
                 predictions: str | None, column_options: tuple[str, ...], sensitive: str | None,
                 positive: str | None, output: str, as_of: str | None, templates: str | None,
                 fields_file: str | None) -> None:
    """Audit report of one registered model version: identity, owner, approval, training run,
    datasets, history, fairness, gaps.

    \b
    Example:
      auditkit report model credit-risk --alias champion --store sample_data/mlflow.db -o model.pdf
    """
    from ..connectors import open_store
    from ..reports import build_model_report, load_fields
    from ..reports.extras import model_extras

    if (version is None) == (alias is None):
        raise errors.UsageError(errors.REPORT_VERSION_OR_ALIAS.format(name=name))
    if (predictions is None) != (sensitive is None):
        raise errors.UsageError(errors.REPORT_PREDICTIONS_AND_SENSITIVE)
    fields = load_fields(fields_file)
    with open_store(store_uri) as store:
        extras = model_extras(store, name, version=version, alias=alias, ledger=ledger, predictions=predictions,
                              columns=column_options, sensitive=sensitive, positive=positive)
        ctx = build_model_report(store, name, version=version, alias=alias, as_of=as_of, fields=fields, **extras)
    _finish(ctx, output, templates)

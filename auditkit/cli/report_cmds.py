"""``report experiment|inventory|model|decision`` and ``demo``: audit reports as PDF or HTML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .. import errors
from ..connectors import open_store
from ..reports import (
    build_decision_report,
    build_diff_report,
    build_experiment_report,
    build_impact_report,
    build_inventory_report,
    build_model_report,
    evidence_sha256,
    load_fields,
    write_report,
)
from ..reports.demo import run_demo
from ..reports.extras import model_extras, parse_sensitive
from ..reports.messages import REPORT_VERSION_OR_ALIAS
from .impact_cmds import target_options, window_options
from .options import (
    accept_option,
    as_of_option,
    explain_options,
    explain_settings,
    ledger_option,
    open_log,
    predictions_options,
    report_options,
    store_option,
)

REPORT_PREDICTIONS_AND_SENSITIVE = "--predictions and --sensitive go together: the fairness section needs both"


def _finish(ctx_obj: Any, output: str, templates: str | None) -> None:
    path = write_report(ctx_obj, output, templates=templates)
    click.echo(f"wrote {path} ({ctx_obj.kind} report, evidence sha256 {evidence_sha256(ctx_obj)})")


@click.group()
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
    fields = load_fields(fields_file)
    with open_store(store_uri) as store:
        ctx = build_experiment_report(store, name, as_of=as_of, fields=fields, minimize=minimize)
    _finish(ctx, output, templates)


@report.command("inventory")
@store_option
@click.option("--policy", default=None, metavar="FILE",
              help="Policy file whose findings the report lists. Default: auditkit's default policy (as `check`).")
@report_options
def report_inventory(store_uri: str | None, policy: str | None, output: str, as_of: str | None,
                     templates: str | None, fields_file: str | None) -> None:
    """Every registered model and version: stage and aliases, owner, approval status, last
    activity, and the findings of --policy FILE, else of auditkit's default policy (the report
    says which).

    \b
    Example:
      auditkit report inventory --store sample_data/mlflow.db -o inventory.pdf
    """
    fields = load_fields(fields_file)
    with open_store(store_uri) as store:
        ctx = build_inventory_report(store, as_of=as_of, fields=fields, policy=policy, check_policy=True)
    _finish(ctx, output, templates)


def fairness_options(func: Callable) -> Callable:
    """The options of the fairness section (model and decision reports)."""
    for option in reversed((
        click.option("--sensitive", default=None, metavar="COL[,COL…]",
                     help="Sensitive columns of the log: adds the fairness section."),
        click.option("--positive", default=None, metavar="VALUE", help="The favourable decision (e.g. approve)."),
        click.option("--label-positive", "label_positive", default=None, metavar="VALUE",
                     help="The favourable outcome label when coded differently (e.g. good)."),
    )):
        func = option(func)
    return func


@report.command("model")
@click.argument("name")
@click.option("--version", "version", default=None, metavar="N", help="The model version.")
@click.option("--alias", default=None, metavar="ALIAS", help="The alias naming the version (e.g. champion).")
@store_option
@ledger_option(help="Registry ledger: stage/alias history.")
@predictions_options(required=False)
@fairness_options
@accept_option
@report_options
def report_model(name: str, version: str | None, alias: str | None, store_uri: str | None, ledger: str | None,
                 predictions: str | None, column_options: tuple[str, ...], time_unit: str | None,
                 sensitive: str | None,
                 positive: str | None, label_positive: str | None, accept: str | None, output: str,
                 as_of: str | None, templates: str | None, fields_file: str | None) -> None:
    """Audit report of one registered model version: identity, owner, approval, training run,
    datasets, history (with --ledger), fairness of its decisions (with --predictions and
    --sensitive), gaps.

    \b
    Example:
      auditkit report model credit-risk --alias champion --store sample_data/mlflow.db \\
        --predictions sample_data/predictions.csv --sensitive sex,age_band \\
        --positive approve --label-positive good -o model.pdf
    """
    if (version is None) == (alias is None):
        raise errors.UsageError(REPORT_VERSION_OR_ALIAS.format(name=name))
    if (predictions is None) != (sensitive is None):
        raise errors.UsageError(REPORT_PREDICTIONS_AND_SENSITIVE)
    fields = load_fields(fields_file)
    with open_store(store_uri) as store:
        extras = model_extras(store, name, version=version, alias=alias, ledger=ledger, predictions=predictions,
                              columns=column_options, time_unit=time_unit, sensitive=sensitive, positive=positive,
                              label_positive=label_positive)
        ctx = build_model_report(store, name, version=version, alias=alias, as_of=as_of, fields=fields,
                                 accept=accept, **extras)
    _finish(ctx, output, templates)


@report.command("decision")
@click.argument("prediction_id", metavar="ID")
@store_option
@predictions_options()
@ledger_option(help="Registry ledger: which alias the version held at the decision's time.")
@fairness_options
@click.option("--explain", "explain", is_flag=True,
              help="Re-perform the decision (\"Logic applied\": replay, contributions, reasons, counterfactuals).")
@explain_options
@accept_option
@report_options
def report_decision(prediction_id: str, store_uri: str | None, predictions: str, column_options: tuple[str, ...],
                    time_unit: str | None, ledger: str | None, sensitive: str | None, positive: str | None,
                    label_positive: str | None, explain: bool, artifact_roots: tuple[str, ...], trust_pickle: bool,
                    reason_map: str | None, background: str | None, accept: str | None, output: str,
                    as_of: str | None, templates: str | None, fields_file: str | None) -> None:
    """The regulator's question about one automated decision: outcome, score, cutoff, inputs,
    the version that decided and why it was serving, lineage with sources, reasons, that
    version's fairness (with --sensitive), the decision re-performed (with --explain), gaps.

    \b
    Example:
      auditkit report decision APP-004711 --store sample_data/mlflow.db \\
        --predictions sample_data/predictions.csv --sensitive sex,age_band \\
        --positive approve --label-positive good -o decision.pdf
      auditkit report decision APP-004711 --store sample_data/mlflow.db \\
        --predictions sample_data/predictions.csv --ledger sample_data/registry-ledger.jsonl \\
        --explain --artifact-root mlflow-artifacts:/=sample_data/artifacts \\
        --reason-map sample_data/reason_codes.yaml -o decision.pdf
    """
    fields = load_fields(fields_file)
    log = open_log(predictions, column_options, time_unit)
    try:
        with open_store(store_uri) as store:
            ctx = build_decision_report(store, log, prediction_id, ledger=ledger, as_of=as_of, fields=fields,
                                        sensitive=parse_sensitive(sensitive), positive=positive,
                                        label_positive=label_positive, accept=accept,
                                        explain=explain_settings(artifact_roots, trust_pickle, reason_map, background)
                                        if explain else None)
    finally:
        log.close()
    _finish(ctx, output, templates)


@report.command("diff")
@click.argument("reference_a", metavar="REF_A")
@click.argument("reference_b", metavar="REF_B")
@store_option
@predictions_options(required=False)
@ledger_option(help="Registry ledger: attributes alias references in the log at each decision's time.")
@report_options
def report_diff(reference_a: str, reference_b: str, store_uri: str | None, predictions: str | None,
                column_options: tuple[str, ...], time_unit: str | None, ledger: str | None, output: str,
                as_of: str | None, templates: str | None, fields_file: str | None) -> None:
    """Two model versions or runs side by side, differences first: params, metrics, datasets,
    commit, environment (with the artifact files' SHA-256), signature, tags, approvals, and with
    --predictions each side's own decisions.

    \b
    Example:
      auditkit report diff models:/credit-risk/2 models:/credit-risk/3 --store sample_data/mlflow.db \\
        -o comparison.pdf
    """
    fields = load_fields(fields_file)
    log = open_log(predictions, column_options, time_unit) if predictions else None
    try:
        with open_store(store_uri) as store:
            ctx = build_diff_report(store, reference_a, reference_b, log=log, ledger=ledger, as_of=as_of,
                                    fields=fields)
    finally:
        if log is not None:
            log.close()
    _finish(ctx, output, templates)


@report.command("impact")
@target_options
@store_option
@predictions_options(required=False)
@ledger_option(help="Registry ledger (auditkit snapshot): serving windows, aliases at each decision's time, "
                    "rollback targets.")
@window_options
@report_options
def report_impact(commit: str | None, dataset: str | None, run_id: str | None, version: str | None,
                  store_uri: str | None, predictions: str | None, column_options: tuple[str, ...],
                  time_unit: str | None, ledger: str | None, since: str | None, until: str | None, output: str,
                  as_of: str | None, templates: str | None, fields_file: str | None) -> None:
    """An incident file: what a commit, dataset, run or model version touched (runs, versions,
    serving windows with their snapshots, decision counts by outcome and month) and where each
    alias can be rolled back to.

    \b
    Example:
      auditkit report impact --commit 85010da2 --store sample_data/mlflow.db \\
        --predictions sample_data/predictions.csv --ledger sample_data/registry-ledger.jsonl -o incident.pdf
    """
    fields = load_fields(fields_file)
    log = open_log(predictions, column_options, time_unit) if predictions else None
    try:
        with open_store(store_uri) as store:
            ctx = build_impact_report(store, commit=commit, dataset=dataset, run=run_id, version=version, log=log,
                                      ledger=ledger, since=since, until=until, as_of=as_of, fields=fields)
    finally:
        if log is not None:
            log.close()
    _finish(ctx, output, templates)


@click.command()
@click.option("-o", "--output", "out_dir", default="auditkit-demo", show_default=True, metavar="DIR",
              help="Folder for the reports (created if missing).")
@click.option("--sample-data", "sample_dir", default=None, metavar="DIR",
              help="The sample_data folder. Default: ./sample_data, then the one next to the auditkit package.")
@as_of_option("Generation time shown in the reports (ISO 8601). Default: $SOURCE_DATE_EPOCH, then now.")
def demo(out_dir: str, sample_dir: str | None, as_of: str | None) -> None:
    """Write all four reports, as PDF and HTML, from the bundled sample data.

    \b
    Example:
      auditkit demo -o demo-reports
    """
    for path in run_demo(out_dir, sample_dir=sample_dir, as_of=as_of):
        click.echo(f"wrote {path}")

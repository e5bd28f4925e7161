"""``explain``: re-perform one decision (replay, contributions, reasons, counterfactuals), or every
decision of a log to a file with summary counts."""

from __future__ import annotations

import sys
from typing import Any

import click

from .. import errors
from ..connectors import open_store
from .options import (
    explain_options,
    explain_settings,
    format_option,
    ledger_option,
    open_log,
    predictions_options,
    store_option,
)
from .output import cell, render_json
from .tables import check_output, write_table

EXPLAIN_ID_OR_ALL = "give a prediction ID or --all (with -o OUT), not {what}"
EXPLAIN_BAD_OUTPUT = "output {path!r} has no table extension; expected one of: .csv, .parquet, .jsonl"


@click.command()
@click.argument("prediction_id", required=False, metavar="[ID]")
@click.option("--all", "all_decisions", is_flag=True, help="Every decision of the log (needs -o OUT).")
@store_option
@predictions_options()
@ledger_option()
@click.option("--threshold", type=float, default=None, metavar="X",
              help="Decision cutoff (score >= X is favourable). Default: the version's decision_threshold tag.")
@click.option("--tolerance", type=float, default=1e-6, show_default=True, metavar="EPS",
              help="Largest score difference that still reproduces (a score logged with fewer decimals is "
              "compared to half a unit of its last decimal).")
@explain_options
@click.option("--immutable", default=None, metavar="COL[,COL…]",
              help="Features counterfactuals never change. Default: protected attributes (age, sex, …).")
@click.option("--actionable", default=None, metavar="COL[,COL…]",
              help="The only features counterfactuals may change.")
@format_option(["table", "json"])
@click.option("-o", "--output", default=None, metavar="OUT",
              help="With --all: write one row per decision to OUT (.csv, .parquet or .jsonl).")
def explain(prediction_id: str | None, all_decisions: bool, store_uri: str | None, predictions: str,
            column_options: tuple[str, ...], time_unit: str | None, ledger: str | None, threshold: float | None,
            tolerance: float, artifact_roots: tuple[str, ...], trust_pickle: bool, reason_map: str | None,
            background: str | None, immutable: str | None, actionable: str | None, fmt: str,
            output: str | None) -> None:
    """Re-perform a decision: replay the registered model on the logged inputs, compare the score,
    recompute the principal reasons and find the smallest changes that would have flipped it.

    Models are loaded only from formats that are data (skops with the trusted types the MLmodel
    lists, ONNX, native XGBoost/LightGBM); a pickled model is a gap unless --trust-pickle.

    \b
    Example:
      auditkit explain APP-004711 --store sample_data/mlflow.db \\
          --predictions sample_data/predictions.csv --ledger sample_data/registry-ledger.jsonl \\
          --artifact-root mlflow-artifacts:/=sample_data/artifacts \\
          --reason-map sample_data/reason_codes.yaml --background sample_data/datasets/credit_train.csv
      auditkit explain --all --store mlruns --predictions decisions.csv -o explained.csv
    """
    if all_decisions == (prediction_id is not None):
        raise errors.UsageError(EXPLAIN_ID_OR_ALL.format(what="both" if all_decisions else "neither"))
    if all_decisions and not output:
        raise errors.UsageError("--all writes a file: give -o OUT (.csv, .parquet or .jsonl)")
    if output and not all_decisions:
        raise errors.UsageError("-o is for --all; one decision is printed (use --format json > FILE)")
    from .. import reperform  # heavy: numpy and pandas

    options: dict[str, Any] = {"ledger": ledger, "threshold": threshold, "tolerance": tolerance,
                               **explain_settings(artifact_roots, trust_pickle, reason_map, background)}
    log = open_log(predictions, column_options, time_unit)
    try:
        with open_store(store_uri) as store:
            if all_decisions:
                _write_all(store, log, options, output)
                return
            doc = reperform.explain(store, log, prediction_id, immutable=_names(immutable),
                                    actionable=_names(actionable), **options)
    finally:
        log.close()
    click.echo(render_json(doc) if fmt == "json" else render_explain(doc))


def _names(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def render_explain(doc: dict[str, Any]) -> str:
    """The explain document as labelled lines."""
    lines: list[str] = []

    def add(label: str, text: str) -> None:
        lines.append(f"{label:<16}{text}")

    p, mv, art, rp = doc["prediction"], doc["model_version"], doc["artifact"], doc["replay"]
    add("decision", f"{p['id']}  {cell(p['decision'])}  at {p['timestamp']}  score {cell(p['score'])}")
    add("model", f"{mv['name']}/{mv['version']}" if mv else "(not known)")
    if art["uri"]:
        add("artifact", f"{art['uri']}  {art['flavor'] or '?'} ({art['format'] or '?'})"
                        + ("  loaded with --trust-pickle" if art.get("pickle_used") else ""))
        for name, digest in art["sha256"].items():
            add("", f"sha256 {digest}  {name}")
    verdict = rp["status"]
    if rp.get("replayed_score") is not None:
        verdict += f": replayed {rp['replayed_score']:.6g}"
        if rp.get("logged_score") is not None:
            verdict += f", logged {rp['logged_score']:.6g}, difference {rp['difference']:+.3g}"
        if rp.get("replayed_decision") is not None:
            verdict += f"; {rp['replayed_decision']} at threshold {rp['threshold']:g}"
    add("replay", verdict)
    if doc.get("method"):
        add("method", doc["method"])
    for i, c in enumerate(doc["contributions"][:8]):
        add("contributions" if i == 0 else "", f"{c['contribution']:+.4f}  {c['feature']} = {cell(c['value'])}")
    for i, r in enumerate(doc["reasons"]):
        add("reasons" if i == 0 else "", f"{r['rank']}. {r['text']} ({r['feature']}, {r['contribution']:+.4f})")
    for i, r in enumerate(doc["logged_reasons"]):
        mark = {True: "supported", False: "NOT supported", None: "not checked"}[r["supported"]]
        add("logged reasons" if i == 0 else "", f"{r['rank']}. {r['text']}  [{mark}]")
    for i, c in enumerate(doc["counterfactuals"]):
        change = ", ".join(f"{ch['feature']} {cell(ch['from'])} -> {cell(ch['to'])}" for ch in c["changes"])
        add("would flip" if i == 0 else "", f"{change}: score {c['score']:.4f} ({c['decision']})")
    search = doc.get("counterfactual_search")
    if search:
        add("immutable", ", ".join(search["immutable"]) or "(none)")
    if doc["gaps"]:
        lines.append(f"gaps ({len(doc['gaps'])})")
        lines += [f"  - {g}" for g in doc["gaps"]]
    else:
        lines.append(f"{'gaps':<16}none")
    return "\n".join(lines)


def _write_all(store: Any, log: Any, options: dict[str, Any], output: str) -> None:
    from .. import reperform  # heavy: numpy and pandas

    kind = check_output(output, bad_extension=EXPLAIN_BAD_OUTPUT, store=store, log=log, ledger=options.get("ledger"))
    bar = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=log.count() or 0, label="explain", file=sys.stderr)
        bar.__enter__()
    try:
        frame = reperform.explain_frame(store, log, progress=bar.update if bar is not None else None, **options)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    write_table([frame], output, kind)
    s = reperform.summary(frame)
    click.echo(f"wrote {s['decisions']} decision(s) to {output}: {s['reproduced']} reproduced, {s['mismatch']} "
               f"mismatch, {s['not_replayed']} not replayed; reasons consistent {s['reasons_consistent']}, "
               f"inconsistent {s['reasons_inconsistent']}; {s['with_gaps']} with gaps")

"""``lineage``: one decision's lineage, or every decision's key facts to a file."""

from __future__ import annotations

import sys
from typing import Any

import click

from .. import errors
from ..accountability import DEFAULT_APPROVAL_KEYS
from ..connectors import open_store
from ..provenance import iter_lineage_frames, load_accepted
from ..provenance import lineage as lineage_of
from .options import accept_option, format_option, ledger_option, open_log, predictions_options, store_option
from .output import cell, render_json
from .tables import check_output, write_table

LINEAGE_BAD_OUTPUT = "output {path!r} has no lineage table extension; expected one of: .csv, .parquet, .jsonl"
LINEAGE_ID_OR_ALL = "give a prediction ID or --all (with -o OUT), not {what}"


@click.command()
@click.argument("prediction_id", required=False, metavar="[ID]")
@click.option("--all", "all_decisions", is_flag=True, help="Every decision of the log (needs -o OUT).")
@store_option
@predictions_options()
@ledger_option()
@accept_option
@click.option("--approval-tags", "approval_tags", multiple=True, metavar="BY,AT",
              help="Version tags holding who approved and when (repeatable). Default: approved_by,approved_at.")
@format_option(["table", "json"])
@click.option("-o", "--output", default=None, metavar="OUT",
              help="With --all: write one row per decision to OUT (.csv, .parquet or .jsonl).")
def lineage(prediction_id: str | None, all_decisions: bool, store_uri: str | None, predictions: str,
            column_options: tuple[str, ...], time_unit: str | None, ledger: str | None, accept: str | None,
            approval_tags: tuple[str, ...], fmt: str, output: str | None) -> None:
    """Trace a decision to the model version, run, data, code, owner and approval behind it.

    Every fact names the record it comes from; what is missing or cannot be proven is listed
    under gaps. Without --ledger an alias (models:/NAME@ALIAS) or stage resolves to no version
    (model_version null); a gap names today's target.

    \b
    Example:
      auditkit lineage APP-004711 --store sample_data/mlflow.db \\
          --predictions sample_data/predictions.csv
      auditkit lineage APP-004711 --store sample_data/mlflow.db \\
          --predictions sample_data/predictions.csv --format json
      auditkit lineage --all --store sample_data/mlflow.db \\
          --predictions sample_data/predictions.csv -o lineage.parquet
      auditkit lineage APP-004711 --store sample_data/mlflow.db \\
          --predictions sample_data/predictions.csv --accept accepted-gaps.yaml
      auditkit lineage REQ-77 --store postgresql://audit@db/mlflow \\
          --predictions 'decisions@postgresql://audit@db/serving' --column prediction_id=request_ref
    """
    if all_decisions == (prediction_id is not None):
        what = "both" if all_decisions else "neither"
        raise errors.UsageError(LINEAGE_ID_OR_ALL.format(what=what))
    if all_decisions and not output:
        raise errors.UsageError("--all writes a file: give -o OUT (.csv, .parquet or .jsonl)")
    if output and not all_decisions:
        raise errors.UsageError("-o is for --all; one decision is printed (use --format json > FILE)")
    keys = _approval_keys(approval_tags) if approval_tags else DEFAULT_APPROVAL_KEYS
    accepted = load_accepted(accept)
    log = open_log(predictions, column_options, time_unit)
    try:
        with open_store(store_uri) as store:
            if all_decisions:
                _write_all(store, log, ledger, keys, output, accepted)
                return
            doc = lineage_of(store, log, prediction_id, ledger=ledger, approval_keys=keys, accept=accepted)
    finally:
        log.close()
    click.echo(render_json(doc) if fmt == "json" else render_lineage(doc))


def _approval_keys(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        by, comma, at = value.partition(",")
        if not comma or not by.strip() or not at.strip():
            raise errors.UsageError(f"--approval-tags {value!r} is not BY,AT (e.g. approved_by,approved_at)")
        pairs.append((by.strip(), at.strip()))
    return pairs


def render_lineage(doc: dict[str, Any]) -> str:
    """The lineage document as labelled lines, each fact with its evidence in brackets."""
    lines: list[str] = []

    def add(label: str, text: str, evidence: str | None = None) -> None:
        lines.append(f"{label:<12}{text}" + (f"  [{evidence}]" if evidence else ""))

    p = doc["prediction"]
    extra = "".join(f"  {k} {cell(p[k])}" for k in ("score", "label") if p.get(k) is not None)
    add("decision", f"{p['id']}  {cell(p['decision'])}  at {p['timestamp']}{extra}", p.get("evidence"))
    ref = doc.get("model_reference") or {}
    if ref.get("logged"):
        add("logged as", ref["logged"], ref.get("evidence"))
    mv = doc["model_version"]
    if mv:
        state = ", ".join(x for x in [f"stage {mv['stage']}" if mv.get("stage") not in (None, "None") else "",
                                      f"aliases today {', '.join(mv['aliases'])}" if mv.get("aliases") else "",
                                      "deleted" if mv.get("deleted") else ""] if x)
        add("model", f"{mv['name']}/{mv['version']}  created {mv['created'] or '?'}"
                     + (f"  ({state})" if state else ""), mv.get("evidence"))
        if "aliases_at_decision" in mv:
            held = mv["aliases_at_decision"]
            for i, a in enumerate(held):
                add("serving" if i == 0 else "", f"alias {a['alias']} at the decision time", a["evidence"])
            if not held:
                add("serving", "(the ledger proves no alias pointing to this version at the decision time)")
    else:
        add("model", "(not attributed to a model version: see the gaps)" if ref.get("logged") else "(not known)")
    run = doc["run"]
    if run:
        add("run", f"{run['id']}  {run['name'] or ''}  experiment {run['experiment'] or '?'}  "
                   f"user {run['user'] or '?'}  {run['status'] or ''}", run.get("evidence"))
    else:
        add("run", "(not known)")
    code = doc["code"]
    if run:
        add("code", "  ".join(f"{k} {code[k] or '(none)'}" for k in ("git_commit", "git_branch", "repo_url", "source")),
            code.get("evidence"))
    for i, d in enumerate(doc["datasets"]):
        rows = f"  {d['rows']} rows" if d.get("rows") is not None else ""
        add("datasets" if i == 0 else "", f"{d['context'] or '(no context)'}: {d['name']}  digest "
                                          f"{d['digest'] or '(none)'}{rows}", d.get("evidence"))
    owner = doc["owner"]
    add("owner", owner["user"] or "(not known)", owner.get("evidence"))
    if doc["approvals"]:
        for i, a in enumerate(doc["approvals"]):
            add("approval" if i == 0 else "", f"{a['by']} at {a['at'] or '(time not recorded)'}", a.get("evidence"))
    else:
        add("approval", "(none on record)")
    for i, r in enumerate(doc["reasons"]):
        feature = f" ({r['feature']})" if r.get("feature") else ""
        add("reasons" if i == 0 else "", f"{r['rank']}. {r['text']}{feature}", r.get("source"))
    if doc["gaps"]:
        lines.append(f"gaps ({len(doc['gaps'])})")
        lines += [f"  - {g}" for g in doc["gaps"]]
    else:
        lines.append("gaps        none")
    if doc.get("accepted_gaps"):
        lines.append(f"accepted gaps ({len(doc['accepted_gaps'])}, not counted as open)")
        lines += [f"  - {a['gap']}  [accepted by {a['accepted_by']} at {a['accepted_at']}: {a['why']}]"
                  for a in doc["accepted_gaps"]]
    return "\n".join(lines)


def _write_all(store: Any, log: Any, ledger: str | None, keys: Any, output: str, accepted: Any = None) -> None:
    kind = check_output(output, bad_extension=LINEAGE_BAD_OUTPUT, store=store, log=log, ledger=ledger)
    bar = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=log.count() or 0, label="lineage", file=sys.stderr)
        bar.__enter__()
    counts = {"total": 0, "with_gaps": 0, "unattributed": 0}

    def count(chunk: Any) -> None:
        counts["total"] += len(chunk)
        counts["with_gaps"] += int((chunk["gap_count"] > 0).sum())
        counts["unattributed"] += int(chunk["model_version"].isna().sum())

    try:
        chunks = iter_lineage_frames(store, log, ledger=ledger, approval_keys=keys, accept=accepted,
                                     progress=bar.update if bar is not None else None)
        write_table(chunks, output, kind, each=count)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    total, with_gaps, unattributed = counts["total"], counts["with_gaps"], counts["unattributed"]
    click.echo(f"wrote lineage of {total} decision(s) to {output}; {with_gaps} with {'open ' if accepted else ''}gaps; "
               f"{unattributed} attributed to no model version" + (" (their gaps say why)" if unattributed else ""))

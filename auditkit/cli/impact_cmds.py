"""``impact``, ``diff`` and ``reproduce``: forward from a commit, dataset, run or version; two
models side by side; the recipe to retrain one."""

from __future__ import annotations

from typing import Any

import click

from .. import errors
from ..connectors import open_store
from ..impact import diff as diff_of
from ..impact import impact as impact_of
from ..impact import reproduce as reproduce_of
from ..impact import write_decisions, write_script
from .options import format_option, ledger_option, open_log, predictions_options, store_option
from .output import render_json, render_table

IMPACT_DECISIONS_NEED_LOG = "-o writes the affected decisions: give --predictions too"


def target_options(func: Any) -> Any:
    """The one target of ``impact`` (and ``report impact``)."""
    for option in reversed((
        click.option("--commit", default=None, metavar="SHA", help="A git commit (4 to 40 hex characters, a prefix)."),
        click.option("--dataset", default=None, metavar="NAME[@DIGEST]", help="A dataset runs trained on."),
        click.option("--run", "run_id", default=None, metavar="ID", help="A run."),
        click.option("--version", "version", default=None, metavar="NAME/V", help="A model version."),
    )):
        func = option(func)
    return func


def window_options(func: Any) -> Any:
    """``--since``/``--until``: the decisions counted."""
    for option in reversed((
        click.option("--since", default=None, metavar="TIME", help="Count decisions from this time (ISO 8601)."),
        click.option("--until", default=None, metavar="TIME", help="Count decisions up to this time (ISO 8601)."),
    )):
        func = option(func)
    return func


@click.command()
@target_options
@store_option
@predictions_options(required=False)
@ledger_option(help="Registry ledger (auditkit snapshot): dates the serving windows, resolves aliases at each "
                    "decision's time and names rollback targets.")
@window_options
@format_option(["table", "json"])
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write every affected decision (id, time, decision, version) to FILE (.csv or .jsonl).")
def impact(commit: str | None, dataset: str | None, run_id: str | None, version: str | None,
           store_uri: str | None, predictions: str | None, column_options: tuple[str, ...], time_unit: str | None,
           ledger: str | None, since: str | None, until: str | None, fmt: str, output: str | None) -> None:
    """Everything downstream of a commit, dataset, run or model version: the runs trained from
    it, the versions registered from them, when each served under which alias or stage, the
    decisions they made, and for each alias the version to roll back to (or a gap).

    \b
    Example:
      auditkit impact --commit 85010da2 --store sample_data/mlflow.db \\
          --predictions sample_data/predictions.csv --ledger sample_data/registry-ledger.jsonl
      auditkit impact --dataset german-credit-train --store sample_data/mlflow.db --format json
      auditkit impact --version credit-risk/3 --store sample_data/mlflow.db \\
          --predictions sample_data/predictions.csv --ledger sample_data/registry-ledger.jsonl -o affected.csv
    """
    if output and not predictions:
        raise errors.UsageError(IMPACT_DECISIONS_NEED_LOG)
    log = open_log(predictions, column_options, time_unit) if predictions else None
    try:
        with open_store(store_uri) as store:
            doc = impact_of(store, commit=commit, dataset=dataset, run=run_id, version=version, log=log,
                            ledger=ledger, since=since, until=until, keep_decisions=bool(output))
    finally:
        if log is not None:
            log.close()
    if output:
        rows = doc["decisions"].pop("rows", [])
        write_decisions(rows, output)
        click.echo(f"wrote {output} ({len(rows)} affected decisions)", err=True)
    click.echo(render_json(doc) if fmt == "json" else render_impact(doc))


def render_impact(doc: dict[str, Any]) -> str:
    """The impact document as text: runs, versions and windows, decisions, rollback, gaps."""
    lines = [f"Impact of {doc['target_text']}", "", f"Runs trained from it ({len(doc['runs'])}):"]
    lines.append(render_table(doc["runs"], ["id", "name", "experiment", "git_commit", "start_time"]))
    lines += ["", f"Versions registered from them ({len(doc['versions'])}):"]
    rows = []
    for v in doc["versions"]:
        windows = [f"{s.get('alias') or s.get('stage')} {s['from'] or '?'} → {s['to'] or 'now'}" for s in v["served"]]
        rows.append({"version": f"{v['name']}/{v['version']}", "run_id": v["run_id"],
                     "approved_by": v["approved_by"], "served": "; ".join(windows) or "never on record"})
    lines.append(render_table(rows, ["version", "run_id", "approved_by", "served"], max_width=90))
    d = doc["decisions"]
    lines += ["", f"Decisions made by them: {d['count'] if d['count'] is not None else 'not counted (no --predictions)'}"]
    for key in ("by_outcome", "by_month", "by_version"):
        if d.get(key):
            lines.append(f"  {key.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in d[key].items()))
    lines += ["", "Rollback targets:"]
    for r in doc["rollback"]:
        target = f"version {r['version']}" if r["version"] else "none qualifies"
        lines.append(f"  {r['name']}@{r['alias']}: {target}" + (f" — {r['evidence']}" if r["evidence"] else ""))
    if not doc["rollback"]:
        lines.append("  (no alias held by an affected version)")
    if doc["gaps"]:
        lines += ["", "Gaps:"] + [f"  - {g}" for g in doc["gaps"]]
    return "\n".join(lines)


@click.command()
@click.argument("reference_a", metavar="REF_A")
@click.argument("reference_b", metavar="REF_B")
@store_option
@predictions_options(required=False)
@ledger_option(help="Registry ledger: attributes alias references in the log at each decision's time.")
@format_option(["table", "json"])
def diff(reference_a: str, reference_b: str, store_uri: str | None, predictions: str | None,
         column_options: tuple[str, ...], time_unit: str | None, ledger: str | None, fmt: str) -> None:
    """Two model versions or runs side by side, differences first: params, metrics, datasets and
    digests, code, environment (from the model artifacts), signature, tags and approvals.
    References: models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/STAGE, runs:/RUN_ID or a run id.
    With --predictions each side's own decisions are counted and their outcome rates compared.

    \b
    Example:
      auditkit diff models:/credit-risk/2 models:/credit-risk/3 --store sample_data/mlflow.db
      auditkit diff models:/credit-risk@champion runs:/fcc494f3d0ba4dcca66050fa93f51009 --store sample_data/mlflow.db --format json
    """
    log = open_log(predictions, column_options, time_unit) if predictions else None
    try:
        with open_store(store_uri) as store:
            doc = diff_of(store, reference_a, reference_b, log=log, ledger=ledger)
    finally:
        if log is not None:
            log.close()
    click.echo(render_json(doc) if fmt == "json" else render_diff(doc))


def render_diff(doc: dict[str, Any]) -> str:
    a, b = doc["a"], doc["b"]
    lines = [f"A: {a['reference']} ({a['resolved']})", f"B: {b['reference']} ({b['resolved']})", ""]
    lines.append(f"Differences ({len(doc['differences'])}):")
    if doc["differences"]:
        lines.append(render_table(doc["differences"], ["field", "a", "b"], max_width=60))
    else:
        lines.append("  none")
    compared = ["params", "metrics"]
    same = [f"{k}.{n}" for k in compared for n in sorted(set(a[k]) & set(b[k])) if a[k][n] == b[k][n]]
    if same:
        lines += ["", "Same on both: " + ", ".join(same)]
    for key, side in (("A", a), ("B", b)):
        if "decisions" in side:
            d = side["decisions"]
            rates = ", ".join(f"{k} {v:.1%}" for k, v in d["rates"].items() if v is not None) or "none"
            lines.append(f"{key} decisions: {d['count']} ({rates})")
    if doc["gaps"]:
        lines += ["", "Gaps:"] + [f"  - {g}" for g in doc["gaps"]]
    return "\n".join(lines)


@click.command()
@click.argument("reference", metavar="REF")
@store_option
@click.option("--script", "script", default=None, metavar="FILE",
              help="Write a shell script that would retrain (clone, check out, environment, run with the "
                   "params). auditkit never runs it.")
@format_option(["table", "json"])
def reproduce(reference: str, store_uri: str | None, script: str | None, fmt: str) -> None:
    """The recipe to retrain a model version or run: repository and commit, entry point, params,
    datasets with digests (verified where the file is at hand), environment, hardware and seeds,
    and each missing element as a gap.

    \b
    Example:
      auditkit reproduce models:/credit-risk/3 --store sample_data/mlflow.db
      auditkit reproduce models:/credit-risk/3 --store sample_data/mlflow.db --script retrain.sh
    """
    with open_store(store_uri) as store:
        doc = reproduce_of(store, reference)
    if script:
        write_script(doc, script)
        click.echo(f"wrote {script} (not run)", err=True)
    click.echo(render_json(doc) if fmt == "json" else render_recipe(doc))


def render_recipe(doc: dict[str, Any]) -> str:
    code, env = doc["code"], doc["environment"]
    lines = [f"Recipe for {doc['reference']} ({doc['resolved']}): {doc['verdict']}", ""]
    rows = [("repository", code["repo_url"]), ("commit", code["git_commit"]), ("branch", code["git_branch"]),
            ("dirty", code["dirty"]), ("entry point", code["entry_point"]), ("python", env["python"])]
    lines += [f"  {k:<12} {v if v is not None else '—'}" for k, v in rows]
    lines += ["", "Parameters:"] + ([f"  {k} = {v}" for k, v in doc["params"].items()] or ["  none"])
    lines += ["", "Datasets:"]
    for d in doc["datasets"] or [{"name": "none", "digest": None, "source": None, "verified": None}]:
        lines.append(f"  {d['name']} digest {d['digest']} from {d['source']} verified: {d['verified']}")
    lines += ["", "Environment: " + (", ".join(env["requirements"]) or "none recorded")]
    lines += ["Hardware: " + (", ".join(f"{k}={v}" for k, v in doc["hardware"].items()) or "none recorded")]
    lines += ["Seeds: " + (", ".join(f"{k}={v}" for k, v in doc["seeds"].items()) or "none recorded")]
    if doc["gaps"]:
        lines += ["", "Gaps:"] + [f"  - {g}" for g in doc["gaps"]]
    return "\n".join(lines)

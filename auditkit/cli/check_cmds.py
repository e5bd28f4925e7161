"""``check``: policy findings on the serving model versions, as a table or JSON (a CI gate)."""

from __future__ import annotations

import click

from ..connectors import open_store
from ..policy import evaluate_policy, load_policy
from .options import accept_option, as_of_option, format_option, store_option
from .output import render_json, render_table

TABLE_COLUMNS = ["severity", "rule", "model", "version", "missing"]


@click.command()
@store_option
@click.option("--policy", "policy_file", default=None, metavar="FILE",
              help="Policy file (YAML, see docs/policy.md). Default: the built-in default policy "
              "(the same as sample_data/policy.yaml).")
@as_of_option("Judge approval ages at this time (ISO 8601, e.g. 2026-11-26T12:00:00Z). Default: now.")
@accept_option
@format_option(["table", "json"])
@click.pass_context
def check(ctx: click.Context, store_uri: str | None, policy_file: str | None, as_of: str | None,
          accept: str | None, fmt: str) -> None:
    """Check every serving model version (a stage or alias the policy names) against a policy.

    Lists one finding per unmet requirement: severity, rule, model, version, what is missing
    and, on the line below, the evidence (the record and field looked at). Exit 1 when any finding has severity error, 0
    otherwise, 2 on a bad policy file or store.

    \b
    Example:
      auditkit check --store sample_data/mlflow.db
      auditkit check --store sample_data/mlflow.db --policy sample_data/policy.yaml \\
          --as-of 2026-07-01T00:00:00Z --format json
      auditkit check --store sample_data/mlflow.db --accept accepted-gaps.yaml
    """
    policy = load_policy(policy_file) if policy_file else None
    with open_store(store_uri) as store:
        result = evaluate_policy(store, policy=policy, as_of=as_of, accept=accept)
    if fmt == "json":
        click.echo(render_json(result.to_dict()))
    else:
        click.echo(_table(result))
    if result.failed:
        ctx.exit(1)


def _table(result) -> str:
    summary = result.summary()
    counts = summary["by_severity"]
    head = (f"policy: {result.policy.name or '(unnamed)'} ({result.policy.source}); as of {summary['as_of']}; "
            f"{summary['serving_versions']} serving version(s)")
    if not result.serving:
        return head + "\nno model version is in a serving stage or alias the policy names; nothing to check"
    accepted = [f"accepted  {f.rule}  {f.model} {f.version}: {f.missing}\n          accepted by {a['accepted_by']} "
                f"at {a['accepted_at']}: {a['why']}" for f, a in result.accepted]
    if not result.findings:
        return "\n".join([head + "\nno open findings: every serving version meets the policy"
                          + (f" ({len(accepted)} accepted)" if accepted else ""), *([""] + accepted if accepted else [])])
    rows = [f.to_dict() for f in result.findings]
    lines = render_table(rows, TABLE_COLUMNS, max_width=400).splitlines()
    indent = " " * lines[0].index("missing")
    table = lines[:2]
    for line, finding in zip(lines[2:], result.findings):
        table += [line, f"{indent}evidence: {finding.evidence}"]
    tail = (f"{summary['findings']} finding(s): {counts['error']} error, {counts['warning']} warning, "
            f"{counts['info']} info" + (f"; {len(accepted)} accepted (not counted)" if accepted else ""))
    return "\n".join([head, "", *table, *([""] + accepted if accepted else []), "", tail])

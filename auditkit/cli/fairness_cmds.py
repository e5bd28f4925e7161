"""``fairness``: group metrics, disparities and adverse impact of a prediction log."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import errors
from ..errors import FairnessError
from .options import format_option, ledger_option, open_log, predictions_options
from .output import render_json, render_table

if TYPE_CHECKING:  # type names only: the fairness package loads numpy and pandas
    from ..fairness import FairnessResult

FAIRNESS_BAD_BIN_OPTION = "--bin {value!r} is not COLUMN=EDGE,EDGE,… (e.g. age_years=0,25,40,60,120)"
FAIRNESS_BAD_REFERENCE_OPTION = (
    "--reference-group {value!r} is not VALUE or FEATURE=VALUE[,FEATURE=VALUE…]"
)
FAIRNESS_BAD_SEED = "--seed {value!r} must be an integer (e.g. 0)"
CHART_NOT_WRITTEN = "cannot write chart {path!r}: {reason}; expected a writable .svg file path"

SHORT = {
    "selection_rate": "selection", "accuracy": "accuracy", "true_positive_rate": "TPR",
    "false_positive_rate": "FPR", "false_negative_rate": "FNR", "precision": "precision",
}


def parse_bins(values: tuple[str, ...]) -> dict[str, list[float]]:
    """``("age_years=0,25,40,60,120", …)`` → ``{"age_years": [0, 25, 40, 60, 120]}``.

    Raises FairnessError (FAIRNESS_BAD_BIN_OPTION) for anything else."""
    out: dict[str, list[float]] = {}
    for value in values:
        column, eq, edges = value.partition("=")
        try:
            parsed = [float(e) for e in edges.split(",")]
        except ValueError:
            parsed = []
        if not eq or not column.strip() or not parsed:
            raise FairnessError(FAIRNESS_BAD_BIN_OPTION.format(value=value))
        out[column.strip()] = parsed
    return out


def parse_value_labels(values: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``("0=refer", "sex:2=female")`` → ``{"decision": {"0": "refer"}, "sex": {"2": "female"}}``.

    Raises FairnessError (FAIRNESS_BAD_VALUE_LABEL) for anything else."""
    from ..fairness.messages import FAIRNESS_BAD_VALUE_LABEL  # heavy (the fairness package): with the command

    out: dict[str, dict[str, str]] = {}
    for value in values:
        head, eq, text = value.partition("=")
        column, colon, code = head.rpartition(":") if ":" in head else ("decision", "", head)
        if not eq or not code.strip() or not text.strip() or (colon and not column.strip()):
            raise FairnessError(FAIRNESS_BAD_VALUE_LABEL.format(value=value))
        out.setdefault(column.strip(), {})[code.strip()] = text.strip()
    return out


def parse_reference(value: str | None, features: list[str]) -> Any:
    """``VALUE`` (one sensitive feature) or ``FEATURE=VALUE[,FEATURE=VALUE…]``; a comma only
    separates pairs when a feature name and ``=`` follow (bin labels such as ``[25, 40)`` hold
    commas). Raises FairnessError (FAIRNESS_BAD_REFERENCE_OPTION)."""
    if value is None:
        return None
    names = "|".join(re.escape(f) for f in sorted(features, key=len, reverse=True))
    if not re.match(rf"^\s*(?:{names})=", value):
        if len(features) == 1:
            return value
        raise FairnessError(FAIRNESS_BAD_REFERENCE_OPTION.format(value=value))
    pairs = re.split(rf",(?=\s*(?:{names})=)", value)
    out = {}
    for pair in pairs:
        feature, _, val = pair.partition("=")
        out[feature.strip()] = val
    return out


def _integer(value: str, template: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise FairnessError(template.format(value=value)) from None


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value):.{digits}f}"


def _pvalue(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.4f}"


def render_result(result: "FairnessResult", source: str) -> str:
    """The plain-text form: a header, one row per group, intervals, disparities."""
    from ..fairness import DISPARITIES, METRICS  # heavy (numpy): loaded when a result is shown

    doc = result.to_dict()
    features = result.sensitive_features
    ref = ", ".join(f"{k}={v}" for k, v in doc["reference_group"].items())
    lines = [f"predictions        {source}"]
    selected = doc.get("selection")
    if selected:
        what = ", ".join(x for x in [
            f"model {selected['model']}" + (f" version {selected['version']}" if selected.get("version") else "")
            if selected.get("model") else "",
            f"from {selected['since']}" if selected.get("since") else "",
            f"before {selected['until']}" if selected.get("until") else "",
            f"through ledger {selected['ledger']}" if selected.get("ledger") else ""] if x)
        lines.append(f"selected           {selected['decisions_selected']} of {selected['decisions_in_log']} "
                     f"decisions ({what})")
        if selected.get("unattributed"):
            lines.append(f"not attributed     {selected['unattributed']} (see the warning)")
    lines += [
        f"records            {doc['n']}",
        f"sensitive          {', '.join(features)}",
        f"favourable         {doc['positive']!r}",
        f"reference group    {ref}",
        f"missing sensitive  {doc['missing_sensitive']}",
        "",
    ]
    rows = []
    for entry in doc["by_group"]:
        row = {f: entry["group"][f] for f in features}
        row["count"] = str(entry["count"])
        row.update({SHORT[m]: _num(entry[m]) for m in METRICS})
        row["AIR"] = _num(entry["adverse_impact_ratio"], 3)
        row["p"] = _pvalue(entry["adverse_impact_p_value"])
        row["test"] = entry["adverse_impact_test"] or "-"
        row["<0.8"] = "FLAG" if entry["adverse_impact_flag"] else ""
        rows.append(row)
    columns = [*features, "count", *(SHORT[m] for m in METRICS), "AIR", "p", "test", "<0.8"]
    lines.append(render_table(rows, columns))
    overall = doc["overall"]
    lines.append("overall  " + "  ".join(f"{SHORT[m]}={_num(overall[m])}" for m in METRICS))
    if "bootstrap" in doc:
        boot = doc["bootstrap"]
        lines += ["", f"{boot['level'] * 100:g}% bootstrap intervals ({boot['n_boot']} resamples)"]
        ci_rows = []
        for entry in doc["by_group"]:
            row = {f: entry["group"][f] for f in features}
            for m in [*METRICS, "adverse_impact_ratio"]:
                low, high = entry["ci"][m]
                row[SHORT.get(m, "AIR")] = "-" if low is None else f"[{_num(low, 3)}, {_num(high, 3)}]"
            ci_rows.append(row)
        lines.append(render_table(ci_rows, [*features, *(SHORT[m] for m in METRICS), "AIR"]))
    lines.append("")
    for name in DISPARITIES:
        text = f"{name:<30} {_num(doc['disparities'][name])}"
        if "bootstrap" in doc:
            low, high = doc["bootstrap"]["disparities"][name]
            if low is not None:
                text += f"  [{_num(low)}, {_num(high)}]"
        lines.append(text)
    return "\n".join(lines)


@click.command()
@predictions_options()
@click.option("--model", "model", default=None, metavar="NAME|models:/NAME/V",
              help="Only the decisions of this registered model (a name, models:/NAME or models:/NAME/VERSION).")
@click.option("--version", "version", default=None, metavar="N",
              help="With --model: only the decisions of this version (alias-logged ones through --ledger).")
@ledger_option(help="Registry ledger (auditkit snapshot): attributes decisions logged by alias or stage to "
               "the version it named at each decision's time (with --model).")
@click.option("--since", default=None, metavar="TIME", help="Only decisions at or after TIME (ISO 8601).")
@click.option("--until", default=None, metavar="TIME", help="Only decisions before TIME (ISO 8601).")
@click.option("--sensitive", required=True, metavar="COL[,COL…]",
              help="Sensitive attribute column(s); several give intersectional groups.")
@click.option("--positive", default=None, metavar="VALUE",
              help="The favourable decision: needed unless decisions are words that say it (approve among decline/deny/refer…); codes such as 0/1 and booleans always need it.")
@click.option("--label-positive", default=None, metavar="VALUE",
              help="The positive label, when labels are coded unlike decisions (default: --positive, or 1).")
@click.option("--label", "label_opts", multiple=True, metavar="[COL:]CODE=TEXT",
              help="Show a code as a word in tables, JSON and charts: 0=refer (a decision), sex:2=female "
              "(a sensitive column). Repeatable; --positive may name the code or the word.")
@click.option("--bin", "bin_opts", multiple=True, metavar="COL=EDGES",
              help="Group a numeric column into [a, b) bands, e.g. age_years=0,25,40,60,120. Repeatable.")
@click.option("--reference-group", default=None, metavar="VALUE|F=V,…",
              help="Group adverse impact is measured against (default: highest selection rate).")
@click.option("--ci", default=None, metavar="LEVEL", help="Bootstrap interval level, e.g. 0.95.")
@click.option("--bootstrap", "n_boot", default=None, metavar="N", help="Bootstrap resamples (default 1000).")
@click.option("--seed", default="0", show_default=True, metavar="INT", help="Seed of the bootstrap.")
@click.option("--min-group-size", default="30", show_default=True, metavar="INT",
              help="Warn about groups smaller than this; they get Fisher's exact test.")
@click.option("--chart", "chart_path", default=None, metavar="FILE.svg",
              help="Also write a chart of the group rates (SVG).")
@format_option(["table", "json"])
def fairness(predictions: str, column_options: tuple[str, ...], time_unit: str | None, model: str | None,
             version: str | None, ledger: str | None, since: str | None, until: str | None,
             sensitive: str, positive: str | None,
             label_positive: str | None, label_opts: tuple[str, ...], bin_opts: tuple[str, ...],
             reference_group: str | None,
             ci: str | None, n_boot: str | None, seed: str, min_group_size: str,
             chart_path: str | None, fmt: str) -> None:
    """Group metrics, disparities and adverse impact of a model's decisions.

    Metrics and disparities follow fairlearn's definitions; undefined rates are shown as "-"
    (null in JSON). Records without a sensitive value form a "(missing)" group that is left out
    of the disparities. SQL logs are counted in the database (one GROUP BY).

    \b
    Example:
      auditkit fairness --predictions decisions.parquet --sensitive sex,age_years \\
          --bin age_years=0,25,40,60,120 --positive approve --ci 0.95 --bootstrap 1000
      auditkit fairness --predictions 'decisions@postgresql://127.0.0.1/credit' \\
          --sensitive sex --column decision=approved --format json
      auditkit fairness --predictions served.csv --sensitive sex --positive approve \\
          --model credit-risk --version 3 --ledger registry-ledger.jsonl --since 2026-04-01
      auditkit fairness --predictions scores.parquet --sensitive sex --positive 1 \\
          --label 0=refer --label 1=approve --label sex:1=male --label sex:2=female
    """
    from ..fairness import assess_fairness  # heavy (numpy, pandas): loaded when the command runs
    from ..fairness.messages import FAIRNESS_BAD_CI, FAIRNESS_BAD_MIN_GROUP, FAIRNESS_BAD_N_BOOT  # (the same)

    features = [s.strip() for s in sensitive.split(",") if s.strip()]
    level = None
    if ci is not None or n_boot is not None:
        try:
            level = float(ci) if ci is not None else 0.95
        except ValueError:
            raise FairnessError(FAIRNESS_BAD_CI.format(value=ci)) from None
    resamples = _integer(n_boot, FAIRNESS_BAD_N_BOOT) if n_boot is not None else 1000
    seed_value = _integer(seed, FAIRNESS_BAD_SEED)
    min_size = _integer(min_group_size, FAIRNESS_BAD_MIN_GROUP)

    with open_log(predictions, column_options, time_unit) as log:
        result = assess_fairness(
            log=log, sensitive_features=features, pos_label=positive, label_pos_label=label_positive,
            bins=parse_bins(bin_opts), reference_group=parse_reference(reference_group, features),
            ci=level, n_boot=resamples, random_state=seed_value, min_group_size=min_size,
            model=model, version=version, since=since, until=until, ledger=ledger,
            value_labels=parse_value_labels(label_opts),
        )
        shown_source = log.source
    if chart_path:
        from ..fairness.charts import fairness_chart  # heavy (matplotlib): only for --chart

        svg = fairness_chart(result)
        try:
            Path(chart_path).write_text(svg, encoding="utf-8")
        except OSError as exc:
            raise errors.UsageError(CHART_NOT_WRITTEN.format(path=chart_path, reason=exc.strerror or exc)) from None
    if fmt == "json":
        click.echo(render_json(result.to_dict()))
    else:
        click.echo(render_result(result, shown_source))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)

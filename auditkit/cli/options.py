"""Options shared by several commands, each defined once: the store, the prediction log and its
columns, the ledger, ``--as-of``, ``--format`` and report output.

Each ``*_option`` returns a decorator; decorators that add several options keep their order in
``--help``. Values are parsed by the library (times by :mod:`auditkit.times`, column roles by
:mod:`auditkit.logs`), never here, so the CLI and the Python API accept the same things.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from .. import errors
from ..logs import PredictionLog, open_predictions, parse_column_options
from ..reports.fields import list_fields
from ..reports.messages import REPORT_BAD_OUTPUT

BAD_FORMAT = "format {value!r} is not supported here; choose one of: {choices}"
#: Report files by extension: PDF (PDF/A-3b, evidence.json attached) or HTML.
REPORT_SUFFIXES = (".pdf", ".html", ".htm")

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _stack(*options: Decorator) -> Decorator:
    """Apply several option decorators so that they appear in ``--help`` in the order given."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


#: ``--store URI`` (optional: the library falls back to $AUDITKIT_STORE, then $MLFLOW_TRACKING_URI).
store_option: Decorator = click.option(
    "--store", "store_uri", default=None, metavar="URI",
    help="Tracking store: sqlite:///…/mlflow.db, a .db path, postgresql://…, mysql+pymysql://…, "
    "file:///…/mlruns, an mlruns or wandb folder, an MLflow tracking server http(s)://host:port, "
    "comet:///…, neptune:///…, mlmd:///…. Default: $AUDITKIT_STORE, then $MLFLOW_TRACKING_URI.",
)


def predictions_options(*, required: bool = True) -> Decorator:
    """``--predictions SOURCE``, the repeatable ``--column ROLE=NAME`` and ``--time-unit``."""
    return _stack(
        click.option("--predictions", "predictions", required=required, default=None, metavar="SOURCE",
                     help="Prediction log: a .csv, .parquet or .jsonl file, or TABLE@SQLALCHEMY_URL."),
        click.option("--column", "column_options", multiple=True, metavar="ROLE=NAME",
                     help="Name the log's column for a role (repeatable): prediction_id, timestamp, decision, "
                     "model_name, model_version, model_uri, score, label, reasons, reason_N."),
        click.option("--time-unit", "time_unit", default=None, metavar="s|ms|us|ns",
                     help="Unit of epoch-number timestamps. Default: the one unit that places every "
                     "timestamp between 1990 and 2100 (an error when none or several do)."),
    )


def ledger_option(*, required: bool = False, help: str | None = None) -> Decorator:
    """``--ledger FILE``: the registry ledger written by ``auditkit snapshot``."""
    return click.option(
        "--ledger", "ledger", required=required, default=None, metavar="FILE",
        help=help or "Registry ledger (auditkit snapshot): resolves models:/NAME@ALIAS and stages at each "
        "decision's time.",
    )


#: ``--accept FILE``: known gaps accepted by a person (who, when, why); docs/accepted-gaps.md.
accept_option: Decorator = click.option(
    "--accept", "accept", default=None, metavar="FILE",
    help="Accepted gaps (YAML: gap pattern, model/version scope, by, at, why): listed with who and why, "
    "not counted as open.")


def as_of_option(help: str) -> Decorator:
    """``--as-of TIME`` (ISO 8601 with Z, z or an offset; a date alone is midnight UTC)."""
    return click.option("--as-of", "as_of", default=None, metavar="TIME", help=help)


def format_option(choices: Sequence[str], default: str = "table") -> Decorator:
    """The ``--format`` option with the given choices (checked by auditkit, not click, so the
    error message names the valid choices the auditkit way)."""

    def check(ctx: click.Context, param: click.Parameter, value: str) -> str:
        if value not in choices:
            raise errors.UsageError(BAD_FORMAT.format(value=value, choices=", ".join(choices)))
        return value

    return click.option(
        "--format", "fmt", default=default, show_default=True, callback=check,
        help=f"Output form: {' | '.join(choices)}.",
    )


def _check_report_output(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if Path(value).suffix.lower() not in REPORT_SUFFIXES:
        raise errors.UsageError(REPORT_BAD_OUTPUT.format(path=value))
    return value


def _list_fields(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--list-fields``: print the report's user-supplied fields and stop."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(list_fields(ctx.command.name or ""))
    ctx.exit(0)


#: Options every report takes: output, time of generation, templates, user fields.
report_options: Decorator = _stack(
    click.option("-o", "--output", required=True, metavar="FILE", callback=_check_report_output,
                 help="Report file: .pdf (PDF/A-3b, evidence.json attached) or .html."),
    as_of_option("Generation time shown in the report (ISO 8601). Default: $SOURCE_DATE_EPOCH, then now. "
                 "Same inputs and --as-of give a byte-identical PDF."),
    click.option("--templates", default=None, metavar="DIR",
                 help="Folder whose templates (and report.css) override the packaged ones."),
    click.option("--fields", "fields_file", default=None, metavar="FILE",
                 help="YAML/JSON file with the user-supplied fields (purpose, creditor, …); --list-fields "
                 "lists them (docs/fields.md)."),
    click.option("--list-fields", is_flag=True, is_eager=True, expose_value=False, callback=_list_fields,
                 help="Print this report's user-supplied fields (key, label, provision) and exit."),
)


def open_log(predictions: str, column_options: Sequence[str], time_unit: str | None) -> PredictionLog:
    """Open the prediction log the shared options name (the library checks every value)."""
    return open_predictions(predictions, columns=parse_column_options(list(column_options)),
                            time_unit=time_unit)  # type: ignore[arg-type]


#: How a decision is re-performed (``explain``, ``report decision --explain``): artifact roots,
#: pickle trust, reason-code map, background data.
explain_options: Decorator = _stack(
    click.option("--artifact-root", "artifact_roots", multiple=True, metavar="OLD=NEW",
                 help="Rewrite an artifact location prefix, for stores whose artifacts moved (repeatable)."),
    click.option("--trust-pickle", is_flag=True,
                 help="Also load pickle/cloudpickle models (runs code from the artifact; the output says so)."),
    click.option("--reason-map", default=None, metavar="FILE",
                 help="Reason-code map (YAML: feature or feature=value -> text); its SHA-256 goes in the evidence."),
    click.option("--background", default=None, metavar="FILE",
                 help="Background data (.csv/.parquet/.jsonl) for contributions and counterfactuals. Default: the "
                 "run's training dataset when readable, else the log's decisions by the same version."),
)


def explain_settings(artifact_roots: Sequence[str], trust_pickle: bool, reason_map: str | None,
                     background: str | None) -> dict[str, Any]:
    """The :func:`auditkit.explain` options :data:`explain_options` collected."""
    return {"artifact_roots": list(artifact_roots), "trust_pickle": trust_pickle, "reason_map": reason_map,
            "background": background}

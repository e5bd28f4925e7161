"""Printing helpers shared by the commands: table, JSON and CSV forms of rows."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Sequence

import click

from .. import errors
from ..records import _jsonable


def format_option(choices: Sequence[str], default: str = "table"):
    """The ``--format`` option with the given choices (checked by auditkit, not click, so the
    error message names the valid choices the auditkit way)."""

    def check(ctx: click.Context, param: click.Parameter, value: str) -> str:
        if value not in choices:
            raise errors.UsageError(errors.BAD_FORMAT.format(value=value, choices=", ".join(choices)))
        return value

    return click.option(
        "--format", "fmt", default=default, show_default=True, callback=check,
        help=f"Output form: {' | '.join(choices)}.",
    )


def cell(value: Any) -> str:
    """A value as one line of table/CSV text."""
    value = _jsonable(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def table_cell(value: Any) -> str:
    """A value as table text: lists of names read as ``a, b`` rather than JSON."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ", ".join(" ".join(v.split()) for v in value)
    return cell(value)


def render_table(rows: list[dict[str, Any]], columns: Sequence[str], max_width: int = 40) -> str:
    """Plain-text table with a header row; long cells are cut with an ellipsis."""
    texts = [[_clip(table_cell(r.get(c)), max_width) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(t[i]) for t in texts]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(t.ljust(w) for t, w in zip(row, widths)).rstrip() for row in texts]
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([cell(r.get(c)) for c in columns])
    return buf.getvalue()


def render_json(document: Any) -> str:
    return json.dumps(_jsonable(document), indent=2, sort_keys=False, ensure_ascii=False)

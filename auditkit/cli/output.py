"""Printing helpers shared by the commands: table, JSON and CSV forms of rows."""

from __future__ import annotations

import io
import json
from typing import Any, Iterable, Sequence

from ..csvout import write_rows
from ..records import jsonable


def cell(value: Any) -> str:
    """A value as one line of table/CSV text."""
    value = jsonable(value)
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
    texts = [[_clip(safe_text(table_cell(r.get(c))), max_width) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(t[i]) for t in texts]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(t.ljust(w) for t, w in zip(row, widths)).rstrip() for row in texts]
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV text by auditkit's one CSV writer (:mod:`auditkit.csvout`: quoted, formulas
    neutralised)."""
    buf = io.StringIO(newline="")
    write_rows(buf, columns, ([cell(r.get(c)) for c in columns] for r in rows), line_end="\n")
    return buf.getvalue()


def render_json(document: Any) -> str:
    return json.dumps(jsonable(document), indent=2, sort_keys=False, ensure_ascii=False)


# Control characters (C0 but newline and tab, DEL, C1) and bidirectional overrides could let a
# tag or name typed by anyone on the ML team rewrite a compliance officer's terminal or disguise
# text. Everything the CLI prints passes through SafeStream, which shows them as escapes.
_UNSAFE = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
_UNSAFE.update({c: f"\\u{c:04x}" for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]})


def safe_text(text: str) -> str:
    """``text`` with control and bidi-override characters written as ``\\xNN``/``\\uNNNN``."""
    return text.translate(_UNSAFE)


class SafeStream:
    """A text stream wrapper that writes :func:`safe_text` of everything to ``stream``."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("SafeStream writes text")
        return self._stream.write(safe_text(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)

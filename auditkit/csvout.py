"""The one CSV writer of auditkit: every CSV file or stream auditkit writes goes through here.

Values in a CSV come from stores and prediction logs that anyone on an ML team can type into
(run names, tags, git commits, reasons). Two rules keep such a value one cell of one row, and
keep it from running as a formula when the file is opened in a spreadsheet:

- **Quoting** (RFC 4180): fields are separated by commas, files' rows end with CRLF (``\\n`` on
  a terminal), and a field holding a comma, a double quote, a CR or an LF is quoted (quotes
  doubled). A stored ``\\r`` can no longer end a row early.
- **Formula neutralising** (OWASP, *CSV Injection*): a text cell starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a CR gets a single quote (``'``) in front, so a spreadsheet shows it as
  text. Text that is a plain number (``-0.5``, ``+1e-3``) is left as it is: a spreadsheet reads it
  as that number, never as a formula. Non-text values (numbers, ``None``) are never changed.

:func:`write_rows` writes rows of cells; :func:`write_frame` writes a pandas DataFrame (used in
chunks by ``lineage --all``) with the same two rules, vectorised.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

__all__ = ["FORMULA_PREFIX", "LINE_END", "neutralise", "write_frame", "write_rows"]

#: What is put in front of a text cell that a spreadsheet would read as a formula.
FORMULA_PREFIX = "'"
#: Rows end with CRLF (RFC 4180), which also makes the csv module quote a field holding CR or LF.
LINE_END = "\r\n"
#: First characters that make a spreadsheet evaluate a cell (OWASP), plus tab and CR.
_TRIGGER = re.compile(r"[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TRIGGER_PATTERN = r"^[=+\-@\t\r]"
_NUMBER_PATTERN = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
#: Characters that make a field quoted.
_SPECIAL = (",", '"', "\r", "\n")


def neutralise(value: Any) -> Any:
    """``value`` with :data:`FORMULA_PREFIX` in front when it is text a spreadsheet would take for
    a formula (starts with ``= + - @``, tab or CR and is not a plain number); anything else as is."""
    if isinstance(value, str) and value and _TRIGGER.match(value) and not _NUMBER.fullmatch(value):
        return FORMULA_PREFIX + value
    return value


def _field(value: Any) -> str:
    text = "" if value is None else str(neutralise(value))
    if any(c in text for c in _SPECIAL):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_rows(fh: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]], *, header: bool = True,
               line_end: str = LINE_END) -> int:
    """Write a header (``columns``) and ``rows`` (sequences of cells, ``None`` as empty) to the
    text stream ``fh`` (a file opened with ``newline=""``). A field holding a comma, a double
    quote, CR or LF is quoted whatever ``line_end`` is (``"\\n"`` for a terminal). Returns the
    number of rows written."""
    if header:
        fh.write(",".join(_field(c) for c in columns) + line_end)
    n = 0
    for row in rows:
        fh.write(",".join(_field(v) for v in row) + line_end)
        n += 1
    return n


def write_frame(fh: IO[str], frame: Any, *, header: bool = True) -> None:
    """Write a pandas DataFrame (no index) to ``fh`` by the same rules as :func:`write_rows`;
    text columns are neutralised column by column, not cell by cell."""
    out = frame
    for name in frame.columns:
        column = frame[name]
        if str(column.dtype) == "category":  # neutralise each category once
            cats = list(column.cat.categories)
            renamed = [neutralise(c) for c in cats]
            if renamed != cats:
                if out is frame:
                    out = frame.copy()
                if len(set(renamed)) == len(renamed):
                    out[name] = column.cat.rename_categories(renamed)
                else:
                    out[name] = column.astype(object).map(neutralise)
            continue
        if column.dtype != object and str(column.dtype) not in ("string", "str"):
            continue
        text = column.where(column.map(type) == str) if column.dtype == object else column
        flag = text.str.contains(_TRIGGER_PATTERN, regex=True, na=False)
        if flag.any():
            flag &= ~text.str.contains(_NUMBER_PATTERN, regex=True, na=False)
            if out is frame:
                out = frame.copy()
            out[name] = column.where(~flag, FORMULA_PREFIX + text.where(flag, ""))
    columns = [neutralise(str(c)) for c in out.columns]
    out.to_csv(fh, index=False, header=columns if header else False, lineterminator=LINE_END,
               quoting=csv.QUOTE_MINIMAL)

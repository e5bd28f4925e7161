"""The one time grammar of auditkit, and its one formatter.

Every time a user or a store gives goes through :func:`parse_time` (one value) or
:func:`epoch_unit` (which unit a column of epoch numbers is in):

- ISO 8601 text with ``Z``, ``z`` or a ``±HH:MM`` offset (``2026-01-01T12:00:00z``);
- ISO 8601 text without a zone, taken as UTC (stores such as MLflow write UTC);
- a date alone (``2026-01-01``): midnight UTC of that day;
- an epoch number, only with an explicit unit (``s``, ``ms``, ``us`` or ``ns``), or where
  :func:`epoch_unit` finds exactly one unit that puts every value between 1990 and 2100;
- an aware or naive :class:`~datetime.datetime` (naive = UTC).

Results are aware UTC datetimes. :func:`format_time` writes the contract's ISO 8601 UTC form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from . import errors

__all__ = [
    "EPOCH_UNITS",
    "EpochUnit",
    "epoch_unit",
    "format_time",
    "from_epoch",
    "parse_time",
    "try_parse_time",
]

EpochUnit = Literal["s", "ms", "us", "ns"]
#: Epoch units and how many of them make one second.
EPOCH_UNITS: dict[str, int] = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
#: The window an inferred epoch unit must put every value in (1990-01-01 .. 2100-01-01, UTC).
PLAUSIBLE_SECONDS = (631_152_000, 4_102_444_800)

BAD_TIME = ("{what} {value!r} is not a date/time; expected ISO 8601 such as 2026-11-26T12:00:00Z "
            "(Z, z or an offset; no zone means UTC; a date alone means midnight UTC)")
BAD_EPOCH = "{what} {value!r} is not an epoch number in unit {unit!r}: {reason}"
OUT_OF_RANGE = "{what} {value!r} is outside the years 1-9999 once converted to UTC"
BAD_UNIT = "time unit {unit!r} is not one of: s, ms, us, ns"

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$")


def _check_unit(unit: str) -> int:
    try:
        return EPOCH_UNITS[unit]
    except KeyError:
        raise errors.UsageError(BAD_UNIT.format(unit=unit)) from None


def from_epoch(value: Any, unit: EpochUnit = "ms", *, what: str = "time") -> datetime:
    """An aware UTC datetime from an epoch number in ``unit``.

    Raises :class:`~auditkit.errors.UsageError` for a value that is not a finite number or lies
    outside the years datetime can hold.
    """
    per_second = _check_unit(unit)
    try:
        number = float(value) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise errors.UsageError(BAD_EPOCH.format(what=what, value=value, unit=unit,
                                                 reason="not a number")) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise errors.UsageError(BAD_EPOCH.format(what=what, value=value, unit=unit, reason="not finite"))
    try:
        if isinstance(number, int):
            seconds, rest = divmod(number, per_second)
            micro = rest * 1_000_000 // per_second
            return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds, microseconds=micro)
        return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=number / per_second)
    except (OverflowError, ValueError):
        raise errors.UsageError(OUT_OF_RANGE.format(what=what, value=value)) from None


def try_parse_time(value: Any, *, unit: EpochUnit | None = None) -> datetime | None:
    """:func:`parse_time`, but ``None`` for a value the grammar does not read."""
    try:
        return parse_time(value, unit=unit)
    except errors.UsageError:
        return None


def parse_time(value: Any, *, what: str = "time", unit: EpochUnit | None = None) -> datetime:
    """One time, by the grammar in this module's docstring, as an aware UTC datetime.

    Parameters
    ----------
    value
        A datetime, a date, ISO 8601 text, or (with ``unit``) an epoch number or digit text.
    what
        How the error message names the value (``"--as-of"``, ``"ledger taken_at"`` …).
    unit
        The epoch unit of a number; without one a number is refused (its unit would be a guess).

    Raises
    ------
    auditkit.errors.UsageError
        The value is not a time by this grammar, or lies outside the years 1-9999.
    """
    if isinstance(value, datetime):
        return _utc(value, what=what, shown=value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, bool) or value is None:
        raise errors.UsageError(BAD_TIME.format(what=what, value=value))
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.match(value.strip())):
        if unit is None:
            raise errors.UsageError(BAD_TIME.format(what=what, value=value))
        return from_epoch(value.strip() if isinstance(value, str) else value, unit, what=what)
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if _DATE_ONLY.match(text):
        text += "T00:00:00+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise errors.UsageError(BAD_TIME.format(what=what, value=value)) from None
    return _utc(parsed, what=what, shown=value)


def _utc(value: datetime, *, what: str, shown: Any) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise errors.UsageError(OUT_OF_RANGE.format(what=what, value=str(shown))) from None


def epoch_unit(values: Iterable[float]) -> EpochUnit | None:
    """The one epoch unit that puts every value between 1990 and 2100, or ``None`` when no unit
    or more than one does (the caller then asks the user for the unit)."""
    lo = hi = None
    for v in values:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            continue
        lo = v if lo is None or v < lo else lo
        hi = v if hi is None or v > hi else hi
    if lo is None:
        return None
    fits = [u for u, per in EPOCH_UNITS.items()
            if PLAUSIBLE_SECONDS[0] <= lo / per and hi / per <= PLAUSIBLE_SECONDS[1]]
    return fits[0] if len(fits) == 1 else None  # type: ignore[return-value]


def format_time(value: datetime | None, *, timespec: Literal["seconds", "milliseconds", "microseconds"]
                = "milliseconds") -> str | None:
    """ISO 8601 UTC text ending in ``Z`` (the contract's JSON form); ``None`` for none."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")

"""A shifted clock for fixture writers: MLflow stamps runs and versions with ``time.time``, so a
fixture that must be dated (a version registered before its approval) runs MLflow under it."""

from __future__ import annotations

import calendar
import contextlib
import time
from typing import Iterator


@contextlib.contextmanager
def clock(iso: str) -> Iterator[None]:
    """Run the block with ``time.time``/``time.time_ns`` shifted so that now is ``iso``
    (``YYYY-MM-DDTHH:MM:SSZ``) when the block starts."""
    off = calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")) - time.time()
    real, real_ns = time.time, time.time_ns
    time.time = lambda: real() + off  # type: ignore[assignment]
    time.time_ns = lambda: real_ns() + int(off * 1e9)  # type: ignore[assignment]
    try:
        yield
    finally:
        time.time, time.time_ns = real, real_ns  # type: ignore[assignment]

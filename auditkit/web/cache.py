"""Store reads kept for a short time: pages and downloads of the same subject share one read
(so a downloaded PDF carries the evidence fingerprint the page showed), and a refresh reads
again."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class ReadCache:
    """At most ``size`` results, each kept ``seconds`` (0: nothing is kept). Thread-safe; two
    requests for the same missing key may both read (reads have no side effect)."""

    def __init__(self, *, seconds: float, size: int = 256) -> None:
        self.seconds = seconds
        self.size = size
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T], *, refresh: bool = False) -> T:
        now = time.monotonic()
        if not refresh and self.seconds > 0:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and now - hit[0] < self.seconds:
                    self._items.move_to_end(key)
                    return hit[1]
        value = build()  # errors are not kept: the next request reads again
        if self.seconds > 0:
            with self._lock:
                self._items[key] = (time.monotonic(), value)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

"""The access log: one JSON line per view of a person's decision (reading personal data is
itself auditable): time, user, client address, what was viewed and the answer's status."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

from ..times import format_time


class AccessLog:
    """Appends JSON lines to ``path`` (created when missing; never truncated)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        with open(self.path, "a", encoding="utf-8"):
            pass  # fail at start-up, not on the first view, when the file cannot be written

    def record(self, *, user: str, client: str | None, what: str, subject: str, status: int) -> None:
        line = json.dumps({"time": format_time(datetime.now(timezone.utc), timespec="milliseconds"),
                           "user": user, "client": client, "what": what, "id": subject, "status": status},
                          ensure_ascii=False)
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

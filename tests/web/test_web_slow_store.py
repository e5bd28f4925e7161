"""A store that does not answer gives an error page within ``--timeout``, not a hung worker: the
server answers again as soon as the store does."""

from __future__ import annotations

import shutil
import sqlite3

import httpx
from web_server import SAMPLE, serve


def test_a_locked_store_gives_a_504_page_and_the_server_recovers(tmp_path):
    db = tmp_path / "mlflow.db"
    shutil.copy(SAMPLE / "mlflow.db", db)
    with serve(["--store", str(db), "--timeout", "3", "--cache-seconds", "0"]) as base:
        writer = sqlite3.connect(db, isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")  # another process writing: readers wait
        writer.execute("UPDATE experiments SET name = name")
        try:
            r = httpx.get(base + "/", timeout=120)
            assert r.status_code == 504
            assert "the store did not answer within 3 seconds; try again later" in r.text
            assert "Traceback" not in r.text and "script-src 'none'" in r.headers["content-security-policy"]
            api = httpx.get(base + "/models/credit-risk", timeout=120)
            assert api.status_code == 504
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        r = httpx.get(base + "/", timeout=120)
        assert r.status_code == 200 and "Model inventory" in r.text

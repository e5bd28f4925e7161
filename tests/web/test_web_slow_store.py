"""A store that does not answer gives an error page within ``--timeout``, not a hung worker: the
server answers again as soon as the store does.

The store is the MLflow scenario on PostgreSQL with its registry tables held under an exclusive
lock by another session (a migration or a stuck writer): readers wait on the server. (A sqlite
file held by a writer no longer makes auditkit wait: it reads the last committed state from a
private copy, see docs/stores.md.)
"""

from __future__ import annotations

import httpx
import psycopg
from conftest import PG_HOST, PG_PORT, PG_USER
from web_server import serve


def test_a_locked_store_gives_a_504_page_and_the_server_recovers(pg_scenario):
    uri, _ = pg_scenario
    dbname = uri.rsplit("/", 1)[1]
    with serve(["--store", uri, "--timeout", "3", "--cache-seconds", "0"]) as base:
        holder = psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname)
        try:
            holder.execute("LOCK TABLE registered_models, model_versions, experiments, runs IN ACCESS EXCLUSIVE MODE")
            r = httpx.get(base + "/", timeout=120)
            assert r.status_code == 504
            assert "the store did not answer within 3 seconds; try again later" in r.text
            assert "Traceback" not in r.text and "script-src 'none'" in r.headers["content-security-policy"]
            page = httpx.get(base + "/models/credit-risk", timeout=120)
            assert page.status_code == 504
        finally:
            holder.rollback()
            holder.close()
        r = httpx.get(base + "/", timeout=120)
        assert r.status_code == 200 and "Model inventory" in r.text

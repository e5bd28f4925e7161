"""Server stores that do not answer (issue 18, case 4): connect and statement time limits.

A listener on 127.0.0.1 that accepts and never answers stands for a hung server or a port
forwarded to nothing; a table lock held by another session stands for a statement that never
ends. Each command runs in a fresh process with its own timeout: the test asserts that it
finished, with exit 2 and one `error:` line, never how long it took.
"""

from __future__ import annotations

import pytest
from conftest import MYSQL_HOST, MYSQL_PORT, MYSQL_USER, PG_HOST, PG_PORT, PG_USER
from hostile_support import (
    SilentServer,
    assert_clean,
    assert_one_line_error,
    auditkit,
    auditkit_here,
    auditkit_many,
)


def test_default_limits_are_ones_a_person_would_accept(monkeypatch):
    from auditkit.connectors.sql_engine import timeouts

    monkeypatch.delenv("AUDITKIT_CONNECT_TIMEOUT", raising=False)
    monkeypatch.delenv("AUDITKIT_STATEMENT_TIMEOUT", raising=False)
    assert timeouts() == (10.0, 300.0)  # seconds: connect, statement
    monkeypatch.setenv("AUDITKIT_CONNECT_TIMEOUT", "0")  # 0: no limit
    assert timeouts() == (0.0, 300.0)


@pytest.fixture(scope="module")
def silent():
    """Every command against the silent listener, run at once (each in its own process with
    its own timeout): {case: (Ran, port)}."""
    with SilentServer() as server:
        port = server.port
        cases = {
            "postgresql": (("inspect", "--store", f"postgresql://auditor:secret@127.0.0.1:{port}/mlflow"),
                           {"AUDITKIT_CONNECT_TIMEOUT": "2"}),
            "mysql": (("runs", "--store", f"mysql+pymysql://auditor:secret@127.0.0.1:{port}/mlflow"),
                      {"AUDITKIT_CONNECT_TIMEOUT": "1"}),
            "postgresql-url": (("inspect", "--store", f"postgresql://u@127.0.0.1:{port}/db?connect_timeout=2"),
                               {"AUDITKIT_CONNECT_TIMEOUT": "600"}),
            "mysql-url": (("inspect", "--store", f"mysql+pymysql://u@127.0.0.1:{port}/db?connect_timeout=1"),
                          {"AUDITKIT_CONNECT_TIMEOUT": "600"}),
        }
        results = auditkit_many(list(cases.values()), timeout=60)
        assert server.accepted >= len(cases)  # each did connect: the wait was for an answer
    return {name: (ran, port) for name, ran in zip(cases, results)}


def test_silent_postgresql_server_ends_at_the_connect_limit(silent):
    ran, port = silent["postgresql"]
    line = assert_one_line_error(
        ran, f"cannot connect to postgresql://auditor:***@127.0.0.1:{port}/mlflow: connection timeout expired",
        "no answer within the time limits: connect 2 s, statement 300 s",
        "AUDITKIT_CONNECT_TIMEOUT / AUDITKIT_STATEMENT_TIMEOUT")
    assert "secret" not in line


def test_silent_mysql_server_ends_at_the_configured_connect_limit(silent):
    """PyMySQL's own connect_timeout covers only the TCP connect: the handshake read is bounded too."""
    ran, port = silent["mysql"]
    assert_one_line_error(ran, f"cannot connect to mysql+pymysql://auditor:***@127.0.0.1:{port}/mlflow:",
                          "timed out", "connect 1 s, statement 300 s")


@pytest.mark.parametrize("case", ["postgresql-url", "mysql-url"])
def test_connect_limit_in_the_url_wins_over_the_environment(silent, case):
    """AUDITKIT_CONNECT_TIMEOUT=600 would outlast the 60 s the fixture allows each process."""
    ran, _ = silent[case]
    assert_one_line_error(ran, "cannot connect to", "time")


@pytest.mark.parametrize("value", ["soon", "-5", "nan"])
def test_a_bad_time_limit_is_one_error_line(value):
    ran = auditkit_here("inspect", "--store", "postgresql://u@127.0.0.1:1/db", env={"AUDITKIT_STATEMENT_TIMEOUT": value})
    assert_one_line_error(ran, f"AUDITKIT_STATEMENT_TIMEOUT {value!r} is not a number of seconds; expected e.g. 300 "
                               "(0 for no limit)")


def _pg_admin(dbname: str):
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname)


def _mysql_admin(dbname: str):
    import pymysql

    return pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, database=dbname)


@pytest.mark.server
@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_a_statement_blocked_by_a_lock_ends_at_the_statement_limit(backend, request):
    """Another session holds the runs table locked (a migration, a stuck transaction): the read
    that waits for it ends at AUDITKIT_STATEMENT_TIMEOUT with one error line."""
    uri, _ = request.getfixturevalue("pg_scenario" if backend == "postgresql" else "mysql_scenario")
    dbname = uri.rsplit("/", 1)[1]
    holder = _pg_admin(dbname) if backend == "postgresql" else _mysql_admin(dbname)
    try:
        cur = holder.cursor()
        cur.execute("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE" if backend == "postgresql" else "LOCK TABLES runs WRITE")
        ran = auditkit("runs", "--store", uri, "--format", "json", env={"AUDITKIT_STATEMENT_TIMEOUT": "2"}, timeout=60)
    finally:
        holder.rollback() if backend == "postgresql" else holder.cursor().execute("UNLOCK TABLES")
        holder.close()
    assert_one_line_error(ran, "cannot read", "statement 2 s")
    assert_clean(auditkit("runs", "--store", uri, "--format", "json", env={"AUDITKIT_STATEMENT_TIMEOUT": "30"}))

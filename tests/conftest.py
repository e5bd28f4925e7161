"""Shared fixtures: fresh server databases, scenario stores written by real MLflow, a CLI runner.

Server addresses come from the environment (defaults are this kind of machine's services):
AUDITKIT_PG_HOST/PORT/USER (127.0.0.1, 5432, postgres) and AUDITKIT_MYSQL_HOST/PORT/USER
(127.0.0.1, 3306, root, empty password). Each test session creates uniquely named databases and
drops them afterwards.
"""

from __future__ import annotations

import hashlib
import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
# Fixture writers (tests/fixtures) and shared helpers (tests/support) are imported by name.
sys.path.insert(0, str(FIXTURES))
sys.path.insert(0, str(ROOT / "tests" / "support"))

PG_HOST = os.environ.get("AUDITKIT_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("AUDITKIT_PG_PORT", "5432"))
PG_USER = os.environ.get("AUDITKIT_PG_USER", "postgres")
MYSQL_HOST = os.environ.get("AUDITKIT_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("AUDITKIT_MYSQL_PORT", "3306"))
MYSQL_USER = os.environ.get("AUDITKIT_MYSQL_USER", "root")


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class ServerDatabases:
    """Creates fresh, uniquely named databases on a server and drops them at the end of the
    session. ``connect`` opens an autocommit admin connection; ``quote`` quotes a name."""

    def __init__(self, *, url_prefix: str, connect, quote: str, drop_suffix: str = "") -> None:
        self.url_prefix, self._connect, self._quote, self._drop_suffix = url_prefix, connect, quote, drop_suffix
        self.created: list[str] = []

    def _execute(self, statements: list[str]) -> None:
        conn = self._connect()
        try:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
        finally:
            conn.close()

    def create(self, prefix: str = "auditkit") -> str:
        name = _unique(prefix)
        self._execute([f"CREATE DATABASE {self._quote}{name}{self._quote}"])
        self.created.append(name)
        return self.url_prefix + name

    def drop_all(self) -> None:
        self._execute([f"DROP DATABASE IF EXISTS {self._quote}{name}{self._quote}{self._drop_suffix}"
                       for name in self.created])


def _pg_admin():
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


def _mysql_admin():
    import pymysql

    return pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, password="", autocommit=True)


def pg_server() -> ServerDatabases:
    return ServerDatabases(url_prefix=f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/",
                           connect=_pg_admin, quote='"', drop_suffix=" WITH (FORCE)")


def mysql_server() -> ServerDatabases:
    return ServerDatabases(url_prefix=f"mysql+pymysql://{MYSQL_USER}@{MYSQL_HOST}:{MYSQL_PORT}/",
                           connect=_mysql_admin, quote="`")


@pytest.fixture(scope="session")
def pg_databases():
    dbs = pg_server()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def mysql_databases():
    dbs = mysql_server()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def scenario_workdir(tmp_path_factory):
    """MLflow writes artifacts relative to the working directory: keep them in a temp folder."""
    path = tmp_path_factory.mktemp("mlflow-work")
    return path


def build_scenario(uri: str, workdir: Path) -> dict:
    """Write the shared scenario with the installed MLflow into ``uri``; return the oracle
    (MLflow's own client reading the store back) with ``written`` (run ids etc.)."""
    import scenario  # tests/fixtures/scenario.py

    old = Path.cwd()
    os.chdir(workdir)
    try:
        written = scenario.write_scenario(uri)
        oracle = scenario.read_oracle(uri)
    finally:
        os.chdir(old)
    oracle["written"] = written
    return oracle


@pytest.fixture(scope="session")
def sqlite_scenario(tmp_path_factory, scenario_workdir):
    """(uri, oracle) of the scenario written by MLflow into a fresh sqlite store."""
    path = tmp_path_factory.mktemp("sqlite-store") / "mlflow.db"
    uri = f"sqlite:///{path}"
    return uri, build_scenario(uri, scenario_workdir)


@pytest.fixture(scope="session")
def pg_scenario(pg_databases, scenario_workdir):
    uri = pg_databases.create("auditkit_scn")
    return uri, build_scenario(uri, scenario_workdir)


@pytest.fixture(scope="session")
def mysql_scenario(mysql_databases, scenario_workdir):
    uri = mysql_databases.create("auditkit_scn")
    return uri, build_scenario(uri, scenario_workdir)


@pytest.fixture(scope="session")
def mlruns_scenario(tmp_path_factory, scenario_workdir):
    """(root, oracle) of the scenario written by the installed MLflow into a fresh mlruns folder."""
    root = tmp_path_factory.mktemp("file-store") / "mlruns"
    old = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # lifts MLflow 3's maintenance-mode refusal
    try:
        oracle = build_scenario(root.as_uri(), scenario_workdir)
    finally:
        if old is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = old
    return root, oracle


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree_sha256(root: Path) -> str:
    """Hash of every file's relative path and bytes under ``root`` (and every folder's name)."""
    digest = hashlib.sha256()
    for path in sorted(Path(root).rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def cli_run():
    """Run the auditkit CLI in-process: returns click's Result (stdout, stderr, exit_code)."""
    from click.testing import CliRunner

    from auditkit.cli import cli

    def run(*args: str, env: dict | None = None, color: bool = False):
        # color=True: click keeps ANSI sequences, as it does when writing to a terminal
        runner = CliRunner()
        return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False, color=color)

    return run


@pytest.fixture(scope="session")
def incident(tmp_path_factory):
    """The incident scenario of tests/fixtures/impact_scenario.py (git, real MLflow, a ledger and
    a prediction log), built once per session for the impact, diff and reproduce tests."""
    import impact_scenario  # tests/fixtures/impact_scenario.py

    return impact_scenario.build(tmp_path_factory.mktemp("incident"))

"""The MLflow REST connector against real `mlflow server` processes: one on a sqlite store (behind
a recording proxy, so every request the connector makes is seen), one on PostgreSQL with MLflow's
basic-auth app. Both serve the shared scenario written by real MLflow; the connector must give
the SQL connector's records for the database behind the server."""

from __future__ import annotations

import json
import shutil
import urllib.parse

import pytest
import scenario  # tests/fixtures/scenario.py
from conftest import file_sha256
from mlflow_server_support import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    READER_PASSWORD,
    READER_USER,
    LoginWall,
    RecordingProxy,
    create_reader,
    free_port,
    self_signed_cert,
    start_mlflow_server,
)
from oracle import compare_all

import auditkit
from auditkit import errors
from auditkit.connectors import mlflow_rest

#: The only requests the connector may make: any GET, and POST to the searches MLflow offers
#: only as POST (they read).
READ_POSTS = {"/api/2.0/mlflow/runs/search", "/api/2.0/mlflow/logged-models/search"}
CLEAN_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_SERVER_CERT_PATH", "AUDITKIT_STORE", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
             "MLFLOW_TRACKING_PASSWORD", "DATABRICKS_HOST", "DATABRICKS_TOKEN", "AUDITKIT_HTTP_RETRIES",
             "AUDITKIT_HTTP_TIMEOUT", "AUDITKIT_HTTP_BACKOFF")


@pytest.fixture(autouse=True)
def _no_ambient_store(monkeypatch):
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def sqlite_server(sqlite_scenario, tmp_path_factory):
    """A server on a copy of the sqlite scenario store, with a recording proxy in front."""
    uri, oracle = sqlite_scenario
    work = tmp_path_factory.mktemp("rest-sqlite")
    db = work / "mlflow.db"
    shutil.copy(uri[len("sqlite:///"):], db)
    server = start_mlflow_server(f"sqlite:///{db}", work / "server")
    proxy = RecordingProxy(server.url)
    yield {"url": proxy.url, "direct": server.url, "proxy": proxy, "sql": f"sqlite:///{db}", "db": db,
           "oracle": oracle}
    proxy.stop()
    server.stop()


@pytest.fixture(scope="module")
def pg_auth_server(pg_scenario, tmp_path_factory):
    """A basic-auth server on the PostgreSQL scenario store, with a plain (READ-only) user."""
    uri, oracle = pg_scenario
    server = start_mlflow_server(uri, tmp_path_factory.mktemp("rest-pg"), basic_auth=True)
    create_reader(server.url)
    yield {"url": server.url, "sql": uri, "oracle": oracle}
    server.stop()


@pytest.fixture(scope="module")
def login_wall():
    wall = LoginWall()
    yield wall
    wall.stop()


@pytest.fixture(params=["sqlite", "postgresql+basic-auth"])
def served(request, monkeypatch):
    """Each server, with the credentials it needs set the way MLflow users set them: on the
    basic-auth server a user with MLflow's READ permission and no admin rights."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_server")
    # the server (and the session's scenario store) first: MLflow writing the scenario would take
    # MLFLOW_TRACKING_USERNAME as the runs' user
    server = request.getfixturevalue("pg_auth_server")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", READER_USER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", READER_PASSWORD)
    return server


def _assert_same_records(rest, sql) -> None:
    assert rest.experiments() == sql.experiments()
    assert rest.runs() == sql.runs()
    assert rest.runs("credit-risk") == sql.runs("credit-risk")
    assert rest.registered_models() == sql.registered_models()
    # The REST API serves no soft-deleted versions (MLflow filters its Deleted_Internal stage).
    assert rest.model_versions() == [v for v in sql.model_versions() if not v.deleted]
    assert rest.model_versions("credit-risk") == [v for v in sql.model_versions("credit-risk") if not v.deleted]
    assert rest.logged_models() == sql.logged_models()
    for run in sql.runs():
        assert rest.get_run(run.run_id) == run
    for read in (lambda s: s.runs("credit-riks"), lambda s: s.model_versions("credit"),
                 lambda s: s.get_model_version("credit-risk", 9)):
        with pytest.raises(errors.RecordNotFoundError) as from_rest:
            read(rest)
        with pytest.raises(errors.RecordNotFoundError) as from_sql:
            read(sql)
        assert str(from_rest.value) == str(from_sql.value).replace(", '4'", "")  # 4: soft-deleted


def test_records_equal_the_sql_connector_over_the_same_database(served):
    import pandas as pd

    with auditkit.open_store(served["url"]) as rest, auditkit.open_store(served["sql"]) as sql:
        assert rest.backend == "mlflow-rest"
        _assert_same_records(rest, sql)
        compare_all(rest, served["oracle"])
        champion = rest.get_model_version("credit-risk", 1)
        assert champion.aliases == ("champion",) and champion.stage == "Production"
        assert {d.context for d in rest.get_run(champion.run_id).datasets} == {"training", "evaluation"}
        pd.testing.assert_frame_equal(rest.runs_frame("credit-risk"), sql.runs_frame("credit-risk"), check_dtype=False)
        rest_info, sql_info = rest.info(), sql.info()
        deleted = sql_info.counts["deleted_model_versions"]
        assert deleted == len(served["oracle"]["written"]["deleted_versions"])
        want = {k: v for k, v in sql_info.counts.items() if k != "deleted_model_versions"}
        want["model_versions"] -= deleted
        assert dict(rest_info.counts) == want
        assert rest_info.schema_revision is None
        assert any("soft-deleted model versions" in w for w in rest_info.warnings)


def test_metric_history_lists_every_logged_point(sqlite_server):
    rid = sqlite_server["oracle"]["written"]["run_ids"]["gbm-d3"]
    logged = dict((r[0], r[3]) for r in scenario.RUNS)["gbm-d3"]
    with auditkit.open_store(sqlite_server["url"]) as rest:
        points = rest.metric_history(rid, "auc")
        assert sorted((step, value) for _, value, step in points) == sorted(logged["auc"])
        with pytest.raises(errors.RecordNotFoundError, match="no metric 'nope'"):
            rest.metric_history(rid, "nope")
        with pytest.raises(errors.RecordNotFoundError, match="run '0123' is not in the store"):
            rest.get_run("0123")


def test_every_list_is_paginated_with_the_servers_page_token(sqlite_server, monkeypatch):
    proxy = sqlite_server["proxy"]
    with auditkit.open_store(sqlite_server["sql"]) as sql:
        for name in ("EXPERIMENTS_PAGE", "RUNS_PAGE", "REGISTERED_MODELS_PAGE", "MODEL_VERSIONS_PAGE",
                     "LOGGED_MODELS_PAGE"):
            monkeypatch.setattr(mlflow_rest, name, 1)
        proxy.clear()
        with auditkit.open_store(sqlite_server["url"]) as rest:
            _assert_same_records(rest, sql)
    requests = proxy.requests
    paged = set()
    for r in requests:
        path, _, query = r.path.partition("?")
        token = urllib.parse.parse_qs(query).get("page_token") or (
            [json.loads(r.body).get("page_token")] if r.body else [None])
        if token[0]:
            paged.add(path)
    assert paged == {"/api/2.0/mlflow/experiments/search", "/api/2.0/mlflow/runs/search",
                     "/api/2.0/mlflow/registered-models/search", "/api/2.0/mlflow/model-versions/search",
                     "/api/2.0/mlflow/logged-models/search"}


def _assert_only_reads(requests) -> None:
    assert requests, "no request was recorded"
    writes = [(r.method, r.path) for r in requests
              if not (r.method == "GET" or (r.method == "POST" and r.path.split("?")[0] in READ_POSTS))]
    assert writes == []


def test_every_request_is_a_read_and_the_database_is_unchanged(sqlite_server, cli_run, tmp_path):
    proxy, url = sqlite_server["proxy"], sqlite_server["url"]
    before = file_sha256(sqlite_server["db"])
    proxy.clear()
    with auditkit.open_store(url) as rest:
        rest.info()
        _ = (rest.experiments(), rest.runs(), rest.runs_frame(), rest.registered_models(), rest.model_versions(),
             rest.logged_models(), rest.get_model_version("credit-risk", 2))
        rid = rest.runs()[0].run_id
        rest.get_run(rid)
        rest.metric_history(rid, next(iter(rest.get_run(rid).metrics)))
    log = _decisions(tmp_path)
    for args in (["inspect"], ["runs"], ["models"], ["check"], ["lineage", "D-1", "--predictions", log],
                 ["snapshot", "--ledger", tmp_path / "ledger.jsonl"],
                 ["report", "inventory", "-o", tmp_path / "inv.html"]):
        # `check` exits 1 when it finds violations (the scenario has some): still a completed read
        assert cli_run(*args, "--store", url).exit_code in ((0, 1) if args == ["check"] else (0,)), args
    requests = proxy.requests
    _assert_only_reads(requests)
    seen = {r.path.split("?")[0] for r in requests}
    assert {"/api/2.0/mlflow/runs/get", "/api/2.0/mlflow/metrics/get-history", "/api/2.0/mlflow/runs/search",
            "/api/2.0/mlflow/model-versions/search", "/api/2.0/mlflow/logged-models/search"} <= seen
    assert file_sha256(sqlite_server["db"]) == before


def _decisions(tmp_path) -> str:
    path = tmp_path / "decisions.csv"
    path.write_text(
        "prediction_id,timestamp,model_name,model_version,decision,score,sex\n"
        "D-1,2026-03-01T10:00:00Z,credit-risk,1,approve,0.81,f\n"
        "D-2,2026-03-02T10:00:00Z,credit-risk,2,deny,0.22,m\n"
        "D-3,2026-03-03T10:00:00Z,credit-risk,1,deny,0.31,m\n"
        "D-4,2026-03-04T10:00:00Z,credit-risk,1,approve,0.77,f\n",
        encoding="utf-8",
    )
    return str(path)


def _neutral(path, store: str) -> str:
    """Report HTML without the store's name, backend and evidence hashes."""
    import re

    text = path.read_text(encoding="utf-8").replace(store, "STORE").replace(store[len("sqlite:///"):], "STORE")
    text = text.replace("mlflow-rest", "BACKEND").replace("mlflow-sql", "BACKEND")
    return re.sub(r"[0-9a-f]{16,64}…?", "HASH", text)


def _same_json(cli_run, args, rest_url, sql_uri):
    rest = cli_run(*args, "--store", rest_url, "--format", "json")
    sql = cli_run(*args, "--store", sql_uri, "--format", "json")
    assert rest.exit_code == sql.exit_code, (args, rest.stderr, sql.stderr)
    return json.loads(rest.stdout), json.loads(sql.stdout)


def test_json_commands_answer_as_from_the_database_behind_the_server(served, cli_run, tmp_path):
    url, sql_uri = served["url"], served["sql"]
    runs_rest, runs_sql = _same_json(cli_run, ["runs"], url, sql_uri)
    assert runs_rest == runs_sql and len(runs_rest["runs"]) == len(served["oracle"]["runs"])
    models_rest, models_sql = _same_json(cli_run, ["models"], url, sql_uri)
    assert models_rest["model_versions"] == [v for v in models_sql["model_versions"] if not v["deleted"]]
    inspect_rest, _ = _same_json(cli_run, ["inspect"], url, sql_uri)
    assert inspect_rest["backend"] == "mlflow-rest" and inspect_rest["uri"] == url
    check_rest, check_sql = _same_json(cli_run, ["check", "--as-of", "2026-06-01T00:00:00Z"], url, sql_uri)
    assert check_rest == check_sql
    log = _decisions(tmp_path)
    for pid in ("D-1", "D-2"):
        lin_rest, lin_sql = _same_json(cli_run, ["lineage", pid, "--predictions", log], url, sql_uri)
        assert lin_rest == lin_sql
        assert lin_rest["run"]["name"] == ("logreg-c1" if pid == "D-1" else "gbm-d3")


def test_store_reading_commands_work_through_the_server(sqlite_server, cli_run, tmp_path):
    url, sql_uri = sqlite_server["url"], sqlite_server["sql"]
    log = _decisions(tmp_path)
    out_rest, out_sql = tmp_path / "all-rest.jsonl", tmp_path / "all-sql.jsonl"
    assert cli_run("lineage", "--all", "--store", url, "--predictions", log, "-o", out_rest).exit_code == 0
    assert cli_run("lineage", "--all", "--store", sql_uri, "--predictions", log, "-o", out_sql).exit_code == 0
    assert out_rest.read_text() == out_sql.read_text()

    ledger = tmp_path / "ledger.jsonl"
    snap = cli_run("snapshot", "--store", url, "--ledger", ledger)
    assert snap.exit_code == 0, snap.stderr
    assert json.loads(ledger.read_text().splitlines()[0])["store"] == url
    assert cli_run("verify", "--ledger", ledger).exit_code == 0
    history = json.loads(cli_run("history", "--ledger", ledger, "--format", "json").stdout)
    assert "champion" in json.dumps(history)

    short_commit = dict((r[0], r[4]) for r in scenario.RUNS)["logreg-c1"]["mlflow.source.git.commit"][:12]
    reports = {
        "model.html": ["report", "model", "credit-risk", "--alias", "champion", "--ledger", ledger],
        "decision.html": ["report", "decision", "D-1", "--predictions", log],
        "experiment.html": ["report", "experiment", "credit-risk"],
        "inventory.html": ["report", "inventory"],
        "model.pdf": ["report", "model", "credit-risk", "--version", "1", "--predictions", log,
                      "--sensitive", "sex", "--positive", "approve"],
    }
    env = {"SOURCE_DATE_EPOCH": "1780000000"}  # the same "generated at" for both stores
    for name, args in reports.items():
        res = cli_run(*args, "--store", url, "-o", tmp_path / name, env=env)
        assert res.exit_code == 0, (name, res.stderr)
    for name in ("model.html", "decision.html", "experiment.html"):
        assert short_commit in (tmp_path / name).read_text(encoding="utf-8"), name
    assert "champion" in (tmp_path / "inventory.html").read_text(encoding="utf-8")
    assert (tmp_path / "model.pdf").read_bytes().startswith(b"%PDF")
    # Reports that show no soft-deleted version read the same from the server as from the database,
    # but for the backend's name and the evidence hash (which covers it).
    for name in ("experiment.html", "decision.html"):
        sql_out = tmp_path / f"sql-{name}"
        assert cli_run(*reports[name], "--store", sql_uri, "-o", sql_out, env=env).exit_code == 0
        assert _neutral(sql_out, sql_uri) == _neutral(tmp_path / name, url), name

    import pandas as pd

    rid = sqlite_server["oracle"]["written"]["run_ids"]["logreg-c1"]
    data = tmp_path / "train.parquet"
    scenario._frame(40, 1).to_parquet(data)
    rest_vd = cli_run("verify-data", "--store", url, "--run", rid, "--format", "json", data)
    sql_vd = cli_run("verify-data", "--store", sql_uri, "--run", rid, "--format", "json", data)
    assert rest_vd.exit_code == sql_vd.exit_code
    assert json.loads(rest_vd.stdout) == json.loads(sql_vd.stdout)
    assert isinstance(pd.read_parquet(data), pd.DataFrame)


def test_env_store_uri_is_read_and_named_in_errors(sqlite_server, cli_run, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", sqlite_server["url"])
    doc = json.loads(cli_run("inspect", "--format", "json").stdout)
    assert doc["backend"] == "mlflow-rest"
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", dead)
    res = cli_run("runs")
    assert res.exit_code == 2
    line = res.stderr.strip()
    assert len(line.splitlines()) == 1 and line.startswith("error:")
    assert dead in line and "$MLFLOW_TRACKING_URI" in line
    monkeypatch.setenv("AUDITKIT_STORE", dead)
    with pytest.raises(errors.StoreNotFoundError, match=r"\$AUDITKIT_STORE"):
        auditkit.open_store()
    with pytest.raises(errors.StoreNotFoundError) as exc:
        auditkit.open_store(dead)
    assert "store URI from" not in str(exc.value) and dead in str(exc.value)


def test_unknown_non_http_form_from_env_names_the_variable(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "ftp://example.com/mlflow")
    with pytest.raises(errors.NotAStoreError, match=r"http://host:port.*\(store URI from \$MLFLOW_TRACKING_URI\)"):
        auditkit.open_store()


@pytest.mark.parametrize("how", ["no credentials", "wrong password"])
def test_wrong_credentials_are_a_one_line_401(pg_auth_server, cli_run, monkeypatch, how):
    if how == "wrong password":
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", READER_USER)
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "not-the-password")
    res = cli_run("models", "--store", pg_auth_server["url"])
    assert res.exit_code == 2
    line = res.stderr.strip()
    assert len(line.splitlines()) == 1 and line.startswith("error:"), line
    assert pg_auth_server["url"] in line and "HTTP 401" in line
    assert "not-the-password" not in line and READER_PASSWORD not in line


def test_credentials_in_the_url_are_used_and_never_shown(pg_auth_server, cli_run):
    host = pg_auth_server["url"].split("://", 1)[1]
    url = f"http://{ADMIN_USER}:{urllib.parse.quote(ADMIN_PASSWORD)}@{host}"
    res = cli_run("inspect", "--store", url, "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert ADMIN_PASSWORD not in res.stdout + res.stderr
    assert json.loads(res.stdout)["uri"] == f"http://{ADMIN_USER}:***@{host}"


def test_redirect_and_login_page_are_errors(login_wall, cli_run):
    with pytest.raises(errors.NotAStoreError) as exc:
        auditkit.open_store(login_wall.url + "/redirect")
    text = str(exc.value)
    assert "redirect (HTTP 302)" in text and "https://sso.example.com/login" in text
    assert "s3cr3t" not in text and login_wall.url in text
    res = cli_run("runs", "--store", login_wall.url + "/mlflow")
    assert res.exit_code == 2
    line = res.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "HTML page titled 'Sign in - Example SSO'" in line and login_wall.url in line


def test_slow_server_times_out_with_the_configured_limit(login_wall, monkeypatch):
    monkeypatch.setenv("AUDITKIT_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("AUDITKIT_HTTP_RETRIES", "0")
    with pytest.raises(errors.StoreError, match=r"/slow did not answer GET /api/2.0/mlflow/experiments/search within 0.5 s"):
        auditkit.open_store(login_wall.url + "/slow")
    monkeypatch.setenv("AUDITKIT_HTTP_TIMEOUT", "soon")
    with pytest.raises(errors.UsageError, match="AUDITKIT_HTTP_TIMEOUT='soon' is not a non-negative number"):
        auditkit.open_store(login_wall.url + "/slow")


def test_503_is_retried_with_backoff_then_reported(sqlite_server, monkeypatch):
    proxy = sqlite_server["proxy"]
    proxy.clear()
    proxy.fail_next(2)
    with auditkit.open_store(sqlite_server["url"]) as rest:
        assert len(rest.runs()) == len(sqlite_server["oracle"]["runs"])
    statuses = [r.status for r in proxy.requests]
    assert statuses[:3] == [503, 503, 200]
    monkeypatch.setenv("AUDITKIT_HTTP_RETRIES", "1")
    proxy.clear()
    proxy.fail_next(5)
    with pytest.raises(errors.StoreError) as exc:
        auditkit.open_store(sqlite_server["url"])
    proxy.fail_next(0)
    assert [r.status for r in proxy.requests] == [503, 503]
    assert str(exc.value) == (
        f"MLflow server {sqlite_server['url']} answered GET /api/2.0/mlflow/experiments/search with HTTP 503 "
        "Service Unavailable: TEMPORARILY_UNAVAILABLE: upstream restarting")


def test_databricks_uri_maps_to_the_same_rest_api(sqlite_server, monkeypatch, tmp_path):
    proxy = sqlite_server["proxy"]
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "none.cfg"))
    with pytest.raises(errors.StoreError, match="no workspace host is set; expected DATABRICKS_HOST"):
        auditkit.open_store("databricks")
    monkeypatch.setenv("DATABRICKS_HOST", sqlite_server["url"])
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-test-token")
    proxy.clear()
    with auditkit.open_store("databricks") as rest, auditkit.open_store(sqlite_server["sql"]) as sql:
        assert rest.runs() == sql.runs()
    assert {r.authorization for r in proxy.requests} == {"Bearer dapi-test-token"}
    monkeypatch.delenv("DATABRICKS_HOST")
    cfg = tmp_path / "databrickscfg"
    cfg.write_text(f"[audit]\nhost = {sqlite_server['url']}\ntoken = dapi-profile-token\n", encoding="utf-8")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    proxy.clear()
    with auditkit.open_store("databricks://audit") as rest:
        assert len(rest.registered_models()) == len(sqlite_server["oracle"]["registered_models"])
    assert {r.authorization for r in proxy.requests} == {"Bearer dapi-profile-token"}


def test_https_gateway_needs_its_ca_or_insecure_tls(sqlite_server, monkeypatch, tmp_path):
    cert, key = self_signed_cert(tmp_path / "tls")
    gateway = RecordingProxy(sqlite_server["direct"], tls=(cert, key))
    try:
        assert gateway.url.startswith("https://")
        with pytest.raises(errors.StoreError) as exc:
            auditkit.open_store(gateway.url)
        assert "TLS with MLflow server " + gateway.url in str(exc.value)
        assert "MLFLOW_TRACKING_SERVER_CERT_PATH" in str(exc.value)
        with auditkit.open_store(sqlite_server["sql"]) as sql:
            want = sql.registered_models()
        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(cert))
        with auditkit.open_store(gateway.url) as rest:
            assert rest.registered_models() == want
        monkeypatch.delenv("MLFLOW_TRACKING_SERVER_CERT_PATH")
        monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-123")
        gateway.clear()
        with auditkit.open_store(gateway.url) as rest:
            assert rest.registered_models() == want
        assert {r.authorization for r in gateway.requests} == {"Bearer tok-123"}
        _assert_only_reads(gateway.requests)
    finally:
        gateway.stop()

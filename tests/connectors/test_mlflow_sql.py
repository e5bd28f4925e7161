"""The MLflow SQL connector against stores written by real MLflow (sqlite, PostgreSQL, MariaDB),
compared with MLflow's own client field by field."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3

import pytest
import sqlalchemy as sa
from conftest import ROOT, file_sha256
from oracle import compare_all

import auditkit
from auditkit import errors


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def scenario_store(request):
    """(uri, oracle) for each SQL backend the scenario was written into by MLflow."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else request.param}_scenario")


def test_records_equal_mlflow_client(scenario_store):
    uri, oracle = scenario_store
    with auditkit.open_store(uri) as store:
        compare_all(store, oracle)


def test_soft_deleted_records_are_reported_not_hidden(scenario_store):
    uri, oracle = scenario_store
    with auditkit.open_store(uri) as store:
        deleted = [v for v in store.model_versions("credit-risk") if v.deleted]
        assert [v.version for v in deleted] == oracle["written"]["deleted_versions"]
        # MLflow overwrote these with REDACTED-…: no fact is left, so none is claimed.
        assert deleted[0].source is None and deleted[0].run_id is None and deleted[0].aliases == ()
        deleted_runs = [r for r in store.runs() if r.deleted]
        assert [r.run_id for r in deleted_runs] == [oracle["written"]["run_ids"]["scratch"]]
        exps = {e.experiment_id: e for e in store.experiments()}
        assert exps[oracle["written"]["deleted_experiment_id"]].deleted


def test_datasets_carry_context_digest_and_rows(sqlite_scenario):
    uri, oracle = sqlite_scenario
    rid = oracle["written"]["run_ids"]["logreg-c1"]
    with auditkit.open_store(uri) as store:
        run = store.get_run(rid)
    by_context = {d.context: d for d in run.datasets}
    assert set(by_context) == {"training", "evaluation"}
    assert by_context["training"].name == "credit-train" and by_context["training"].rows == 40
    assert by_context["evaluation"].rows == 15
    want = {d["context"]: d["digest"] for r in oracle["runs"] if r["run_id"] == rid for d in r["datasets"]}
    assert {c: d.digest for c, d in by_context.items()} == want


def test_version_links_to_logged_model_and_run(sqlite_scenario):
    uri, oracle = sqlite_scenario
    with auditkit.open_store(uri) as store:
        v1 = store.get_model_version("credit-risk", 1)
        logged = {m.model_id: m for m in store.logged_models()}
    assert v1.source.startswith("models:/m-") and v1.model_id == v1.source[len("models:/"):]
    assert logged[v1.model_id].source_run_id == v1.run_id == oracle["written"]["versions"]["1"]
    assert logged[v1.model_id].status == "READY"


def test_runs_frame_matches_mlflow_search_runs(sqlite_scenario):
    import mlflow
    from mlflow.entities import ViewType

    uri, oracle = sqlite_scenario
    theirs = mlflow.search_runs(experiment_ids=[oracle["written"]["experiment_id"]], run_view_type=ViewType.ALL,
                                tracking_uri=uri) if "tracking_uri" in mlflow.search_runs.__code__.co_varnames else None
    if theirs is None:
        mlflow.set_tracking_uri(uri)
        theirs = mlflow.search_runs(experiment_ids=[oracle["written"]["experiment_id"]], run_view_type=ViewType.ALL)
    with auditkit.open_store(uri) as store:
        ours = store.runs_frame("credit-risk")
    value_cols = [c for c in theirs.columns if c.split(".")[0] in ("params", "metrics", "tags")]
    assert sorted(value_cols) == sorted(c for c in ours.columns if c.split(".")[0] in ("params", "metrics", "tags"))
    theirs = theirs.set_index("run_id").sort_index()
    ours = ours.set_index("run_id").sort_index()
    assert list(ours.index) == list(theirs.index)
    for col in value_cols:
        for rid in ours.index:
            a, b = ours.at[rid, col], theirs.at[rid, col]
            if col.startswith("metrics."):
                assert (math.isnan(a) and math.isnan(b)) or a == b, (rid, col)
            else:
                assert (a is None or a != a) == (b is None or b != b), (rid, col)
                if a == a and a is not None:
                    assert a == b, (rid, col)
    assert list(ours["status"]) == list(theirs["status"])
    assert (ours["start_time"] == theirs["start_time"]).all()


def test_filters_by_experiment_and_model(sqlite_scenario):
    uri, oracle = sqlite_scenario
    with auditkit.open_store(uri) as store:
        assert {r.experiment for r in store.runs("credit-risk")} == {"credit-risk"}
        assert len(store.runs("credit-risk")) == 4
        assert [v.version for v in store.model_versions("credit-risk")] == ["1", "2", "3", "4"]
        assert store.model_versions("fraud-score") == []
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.runs("no-such-exp")
        assert str(exc.value) == (
            "experiment 'no-such-exp' is not in the store; experiments: 'Default', 'credit-risk', 'scratch-area'"
        )
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.model_versions("nope")
        assert str(exc.value) == "registered model 'nope' is not in the store; models: 'credit-risk', 'fraud-score'"
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.get_model_version("credit-risk", 9)
        assert str(exc.value) == "model 'credit-risk' has no version '9'; versions: '1', '2', '3', '4'"
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.get_run("0" * 32)
        assert str(exc.value) == f"run '{'0' * 32}' is not in the store"


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_server_session_refuses_writes(backend, request):
    uri, _ = request.getfixturevalue("pg_scenario" if backend == "postgresql" else "mysql_scenario")
    with auditkit.open_store(uri) as store:
        with pytest.raises(sa.exc.DBAPIError) as exc:
            with store._engine.begin() as conn:
                conn.execute(sa.text("UPDATE runs SET status = 'KILLED'"))
        assert "read-only" in str(exc.value).lower() or "read only" in str(exc.value).lower()
        assert all(r.status != "KILLED" for r in store.runs())


def test_sqlite_is_opened_read_only(sqlite_scenario):
    uri, _ = sqlite_scenario
    with auditkit.open_store(uri) as store:
        with pytest.raises(sa.exc.OperationalError, match="readonly"):
            with store._engine.begin() as conn:
                conn.execute(sa.text("UPDATE runs SET status = 'KILLED'"))


def test_unknown_schema_revision_is_read_with_a_warning(sqlite_scenario, tmp_path):
    uri, oracle = sqlite_scenario
    copy = tmp_path / "future.db"
    shutil.copy(uri[len("sqlite:///"):], copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'fffffffffff0'")
    with pytest.warns(UserWarning, match="schema revision 'fffffffffff0' .* unknown to auditkit"):
        store = auditkit.open_store(str(copy))
    with store:
        assert store.info().schema_revision == "fffffffffff0"
        assert store.info().warnings and "best-effort" in store.info().warnings[0]
        compare_all(store, oracle)


LEGACY = sorted((ROOT / "tests" / "fixtures" / "legacy").glob("mlflow-*/mlflow.db"))


@pytest.mark.parametrize("path", LEGACY, ids=[p.parent.name for p in LEGACY])
def test_stores_written_by_older_mlflow_read_like_their_own_client(path):
    """Committed stores from MLflow 2.9.2 (no logged_models, no workspace) and 3.1.4 (logged
    models, no workspace), compared with what that release's own client read (oracle.json)."""
    oracle = json.loads((path.parent / "oracle.json").read_text())
    before = file_sha256(path)
    with auditkit.open_store(str(path)) as store:
        info = store.info()
        assert info.warnings == ()  # a known revision
        assert info.schema_revision == {"mlflow-2.9.2": "acf3f17fdcc7", "mlflow-3.1.4": "bda7b8c39065"}[path.parent.name]
        compare_all(store, oracle)
        deleted = [v for v in store.model_versions() if v.deleted]
        assert [v.version for v in deleted] == oracle["written"]["deleted_versions"]
        v1 = store.get_model_version("credit-risk", "1")
        assert v1.run_id == oracle["written"]["versions"]["1"]
        if path.parent.name == "mlflow-2.9.2":
            assert store.logged_models() == [] and v1.model_id is None
            assert v1.source.endswith("/artifacts/model")
        else:
            assert v1.model_id and {m.model_id for m in store.logged_models()} >= {v1.model_id}
    assert file_sha256(path) == before


def test_legacy_fixtures_are_present():
    """Guards the parametrized test above against silently running on nothing."""
    assert [p.parent.name for p in LEGACY] == ["mlflow-2.9.2", "mlflow-3.1.4"]

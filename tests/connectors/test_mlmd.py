"""ML Metadata (Kubeflow Pipelines v2 + Kubeflow Model Registry) read by auditkit's mlmd connector.

The stores are written by Google's real ``ml-metadata`` client (tests/fixtures/mlmd/
make_mlmd_store.py, in the throwaway venv of scripts/mlmd_venv.sh: its protobuf<5 pin cannot
share .venv with wandb 0.31): the committed sqlite store, and at test time fresh MariaDB and
PostgreSQL databases. Every expected value comes from what the ml-metadata API read back right
after writing (the "oracle" JSON), never from auditkit.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from urllib.parse import urlparse

import pytest
from conftest import FIXTURES, ROOT, file_sha256

import auditkit
from auditkit.connectors.mlmd import KFP_CANNOT_CARRY, KFP_V1_CANNOT_CARRY, MLMD_CANNOT_CARRY, REGISTRY_CANNOT_CARRY
from auditkit.provenance.gaps import GAP_CANNOT_CARRY

MLMD = FIXTURES / "mlmd"
SQLITE_STORE = MLMD / "kubeflow.sqlite"
BACKENDS = ("sqlite", "mariadb", "postgresql")


def mlmd_python() -> str:
    out = subprocess.run(["bash", str(ROOT / "scripts" / "mlmd_venv.sh")], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def write_server_store(url: str, flag: str, user: str, parts: str = "pipelines,registry,experiments") -> dict:
    """Write the scenario into the fresh database at SQLAlchemy ``url`` with the real client."""
    parsed = urlparse(url)
    target = f"{parsed.hostname}:{parsed.port}/{parsed.path.lstrip('/')}"
    out = subprocess.run([mlmd_python(), str(MLMD / "make_mlmd_store.py"), flag, target, "--user", user,
                          "--parts", parts], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module", params=BACKENDS)
def case(request):
    """``(uri, oracle)`` of one MLMD store written by ml-metadata."""
    if request.param == "sqlite":
        oracle = json.loads((MLMD / "kubeflow.oracle.json").read_text(encoding="utf-8"))
        return "mlmd://" + str(SQLITE_STORE), oracle
    if request.param == "mariadb":
        url = request.getfixturevalue("mysql_databases").create("mlmd")
        return "mlmd+" + url, write_server_store(url, "--mysql", "root")
    url = request.getfixturevalue("pg_databases").create("mlmd")
    return "mlmd+" + url, write_server_store(url, "--postgresql", "postgres")


@pytest.fixture(scope="module")
def store(case):
    with auditkit.open_store(case[0]) as s:
        yield s


# -- oracle helpers: the facts as the ml-metadata API returned them -----------------------------
def contexts(oracle: dict, type_name: str) -> dict[str, dict]:
    return {cid: c for cid, c in oracle["contexts"].items() if c["type"] == type_name}


def executions_of(oracle: dict, cid: str) -> list[dict]:
    return [oracle["executions"][str(e)] | {"id": e} for e in oracle["associations"][cid]]


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def as_param(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return str(value)


# -- Kubeflow Pipelines runs --------------------------------------------------------------------
def test_pipeline_runs_params_metrics_status(store, case):
    _, oracle = case
    pipeline_runs = contexts(oracle, "system.PipelineRun")
    runs = {r.run_id: r for r in store.runs()}
    assert pipeline_runs
    for cid, ctx in pipeline_runs.items():
        run = runs[ctx["name"]]
        [pipeline] = [oracle["contexts"][str(p)] for p in oracle["parents"][cid]]
        assert run.experiment == pipeline["name"] == "credit-risk-training"
        execs = executions_of(oracle, cid)
        [root] = [e for e in execs if e["type"] == "system.DAGExecution"]
        want = {k: as_param(v) for k, v in root["custom_properties"]["inputs"].items()}
        for e in execs:
            if e["type"] == "system.ContainerExecution":
                task = e["custom_properties"]["task_name"]
                want |= {f"{task}.{k}": as_param(v) for k, v in e["custom_properties"]["inputs"].items()}
        assert dict(run.params) == want
        assert run.params["learning_rate"] in ("0.1", "0.3") and run.params["n_estimators"] in ("100", "50")
        assert run.status == {"COMPLETE": "FINISHED", "FAILED": "FAILED"}[root["state"]]
        assert run.start_time == ms(min([ctx["create"]] + [e["create"] for e in execs]))  # run context created first
        assert run.end_time == ms(max(e["update"] for e in execs))
        metric_ids = {ev["artifact"] for ev in oracle["events"] if ev["type"] == "OUTPUT"
                      and ev["execution"] in {e["id"] for e in execs}
                      and oracle["artifacts"][str(ev["artifact"])]["type"] == "system.Metrics"}
        want_metrics = {k: v for a in metric_ids for k, v in oracle["artifacts"][str(a)]["custom_properties"].items()
                        if k not in ("display_name", "store_session_info")}
        assert dict(run.metrics) == want_metrics
        images = {e["custom_properties"]["image"] for e in execs if e["type"] == "system.ContainerExecution"}
        assert run.tags["mlflow.source.name"] == ", ".join(sorted(images))
        assert run.tags["kfp.namespace"] == ctx["custom_properties"]["namespace"]
    statuses = {runs[c["name"]].status for c in pipeline_runs.values()}
    assert statuses == {"FINISHED", "FAILED"}
    assert any(runs[c["name"]].metrics for c in pipeline_runs.values())


def test_pipeline_run_datasets(store, case):
    _, oracle = case
    for cid, ctx in contexts(oracle, "system.PipelineRun").items():
        run = store.get_run(ctx["name"])
        exec_ids = {e["id"] for e in executions_of(oracle, cid)}
        read = [ev["artifact"] for ev in oracle["events"] if ev["type"] == "INPUT" and ev["execution"] in exec_ids]
        datasets = [oracle["artifacts"][str(a)] for a in read if oracle["artifacts"][str(a)]["type"] == "system.Dataset"]
        assert len(datasets) == 1 == len(run.datasets)
        [want], [got] = datasets, run.datasets
        assert got.source == want["uri"] and got.digest == want["custom_properties"]["digest"]
        assert got.rows == want["custom_properties"]["num_rows"]
        assert (got.name, got.context, got.source_type) == (want["custom_properties"]["display_name"], "input", "minio")
        assert got.tags["kfp.producer_task"] == "load-data" and got.tags["kfp.input_name"] == "train_data"


def test_runs_frame_and_experiment_filter(store, case):
    _, oracle = case
    frame = store.runs_frame("credit-risk-training")
    assert set(frame["run_id"]) == {c["name"] for c in contexts(oracle, "system.PipelineRun").values()}
    assert {"params.learning_rate", "metrics.accuracy", "metrics.auc"} <= set(frame.columns)
    with pytest.raises(auditkit.errors.RecordNotFoundError):
        store.runs("no-such-pipeline")


# -- Model Registry -----------------------------------------------------------------------------
def test_registered_model_and_versions(store, case):
    _, oracle = case
    [(rm_id, rm)] = contexts(oracle, "kf.RegisteredModel").items()
    [model] = store.registered_models()
    assert model.name == rm["name"] and model.description == rm["properties"]["description"]
    assert model.tags["owner"] == rm["properties"]["owner"] and model.aliases == {}
    assert model.creation_time == ms(rm["create"])
    versions = {v.version: v for v in store.model_versions(rm["name"])}
    want = contexts(oracle, "kf.ModelVersion")
    assert set(versions) == {c["name"].split(":", 1)[1] for c in want.values()}
    pipeline_run_ids = {c["name"] for c in contexts(oracle, "system.PipelineRun").values()}
    linked = 0
    for cid, ctx in want.items():
        assert oracle["parents"][cid] == [int(rm_id)]
        got = versions[ctx["name"].split(":", 1)[1]]
        [art] = [oracle["artifacts"][str(a)] for a in oracle["attributions"][cid]]
        assert (got.creator, got.status, got.description) == (
            ctx["properties"]["author"], ctx["properties"]["state"], ctx["properties"]["description"])
        assert got.source == art["uri"] and got.creation_time == ms(ctx["create"])
        assert {k: got.tags[k] for k in ctx["custom_properties"]} == ctx["custom_properties"]
        source_id = art["properties"].get("model_source_id")
        assert got.run_id == source_id
        if source_id is not None:
            assert art["properties"]["model_source_class"] == "pipelinerun" and source_id in pipeline_run_ids
            assert store.get_run(got.run_id).metrics  # the version's run is readable, with its metrics
            linked += 1
    assert linked == 1


def test_inference_services_are_serving_evidence_on_versions(store, case):
    _, oracle = case
    isvcs = contexts(oracle, "kf.InferenceService")
    assert isvcs
    want: dict[str, list[str]] = {}
    for cid, isvc in isvcs.items():
        [env] = [oracle["contexts"][str(p)] for p in oracle["parents"][cid]]
        mv = oracle["contexts"][str(isvc["properties"]["model_version_id"])]
        want.setdefault(mv["name"].split(":", 1)[1], []).append(
            f"{env['name']}/{isvc['name'].split(':', 1)[1]} ({isvc['properties']['desired_state']})")
    got = {v.version: v.tags.get("kf.inference_services") for v in store.model_versions("credit-risk")}
    assert {k: v for k, v in got.items() if v} == {k: ", ".join(sorted(v)) for k, v in want.items()}


def test_registry_experiment_runs(store, case):
    _, oracle = case
    [(cid, ctx)] = contexts(oracle, "kf.ExperimentRun").items()
    [exp] = [oracle["contexts"][str(p)] for p in oracle["parents"][cid]]
    run = store.get_run(cid)
    assert (run.experiment, run.run_name, run.user, run.status) == (
        exp["name"], ctx["name"].split(":", 1)[1], ctx["properties"]["owner"], ctx["properties"]["status"])
    assert "start_time_since_epoch" not in ctx["properties"] and run.start_time is None
    arts = [oracle["artifacts"][str(a)] for a in oracle["attributions"][cid]]
    name = lambda a: a["name"].split(":", 1)[1]  # noqa: E731
    assert dict(run.params) == {name(a): a["properties"]["value"] for a in arts if a["type"] == "kf.Parameter"}
    assert dict(run.metrics) == {name(a): a["properties"]["value"] for a in arts if a["type"] == "kf.Metric"}
    [ds] = [a for a in arts if a["type"] == "kf.DataSet"]
    [got] = run.datasets
    assert (got.name, got.digest, got.source, got.source_type) == (
        name(ds), ds["properties"]["digest"], ds["properties"]["source"], ds["properties"]["source_type"])
    assert got.rows == json.loads(ds["properties"]["profile"])["num_rows"]


def test_inspect_counts(store, case):
    _, oracle = case
    info = store.info()
    assert info.backend == "mlmd" and info.schema_revision == "10" and info.warnings == ()
    assert info.counts["pipeline_runs"] == len(contexts(oracle, "system.PipelineRun"))
    assert info.counts["runs"] == info.counts["pipeline_runs"] + len(contexts(oracle, "kf.ExperimentRun"))
    assert info.counts["artifacts"] == len(oracle["artifacts"])
    assert info.counts["model_versions"] == len(contexts(oracle, "kf.ModelVersion"))


# -- lineage: a decision by a registry version, back to the pipeline run's inputs ---------------
@pytest.fixture(scope="module")
def decision_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("mlmd-predictions") / "decisions.csv"
    path.write_text("prediction_id,timestamp,model_name,model_version,decision,score,income\n"
                    "loan-1,2099-01-05T10:00:00Z,credit-risk,v1,approve,0.82,52000\n"
                    "loan-3,2099-01-06T10:00:00Z,credit-risk,v3,deny,0.31,18000\n", encoding="utf-8")
    return path


def test_lineage_cli_from_registry_version_to_run_inputs(case, decision_log, cli_run):
    uri, oracle = case
    result = cli_run("lineage", "loan-1", "--store", uri, "--predictions", decision_log, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    [(cid, mv)] = [(c, x) for c, x in contexts(oracle, "kf.ModelVersion").items() if x["name"].endswith(":v1")]
    [art] = [oracle["artifacts"][str(a)] for a in oracle["attributions"][cid]]
    run_id = art["properties"]["model_source_id"]
    assert doc["model_version"]["creator"] == mv["properties"]["author"]
    assert doc["run"]["id"] == run_id and doc["run"]["status"] == "FINISHED"
    assert doc["run"]["params"]["learning_rate"] == "0.1"
    run_cid = next(c for c, x in contexts(oracle, "system.PipelineRun").items() if x["name"] == run_id)
    exec_ids = {e["id"] for e in executions_of(oracle, run_cid)}
    [input_art] = [oracle["artifacts"][str(ev["artifact"])] for ev in oracle["events"]
                   if ev["type"] == "INPUT" and ev["execution"] in exec_ids]
    [ds] = doc["datasets"]
    assert (ds["source"], ds["digest"], ds["context"]) == (input_art["uri"], input_art["custom_properties"]["digest"], "input")
    assert doc["approvals"][0]["by"] == mv["custom_properties"]["approved_by"]
    assert doc["owner"]["user"] == mv["properties"]["author"]


def test_pipeline_model_outputs_are_logged_models_linking_versions_by_uri(store, case, decision_log, cli_run):
    uri, oracle = case
    outputs = {ev["artifact"]: ev["execution"] for ev in oracle["events"] if ev["type"] == "OUTPUT"
               and oracle["artifacts"][str(ev["artifact"])]["type"] == "system.Model"}
    logged = {lm.model_id: lm for lm in store.logged_models()}
    assert set(logged) == {f"m-kfp-{a}" for a in outputs} and logged
    run_of = {e: oracle["contexts"][c]["name"] for c, es in oracle["associations"].items() for e in es
              if oracle["contexts"][c]["type"] == "system.PipelineRun"}
    for art_id, exec_id in outputs.items():
        lm = logged[f"m-kfp-{art_id}"]
        assert (lm.source_run_id, lm.artifact_location) == (run_of[exec_id], oracle["artifacts"][str(art_id)]["uri"])
    by_uri = {lm.artifact_location: lm.model_id for lm in logged.values()}
    versions = store.model_versions("credit-risk")
    assert {v.version: v.model_id for v in versions} == {v.version: by_uri.get(v.source) for v in versions}
    [hand] = [v for v in versions if v.run_id is None and v.model_id]  # no model_source_*, URI of a run's output
    doc = json.loads(cli_run("lineage", "loan-3", "--store", uri, "--predictions", decision_log, "--format", "json").stdout)
    assert doc["model_version"]["version"] == hand.version == "v3"
    assert doc["run"]["id"] == logged[hand.model_id].source_run_id
    assert doc["run"]["evidence"].startswith(f"logged model {hand.model_id} (source_run_id)")
    assert doc["datasets"] and not any("names run" in g for g in doc["gaps"])


def _facts_absent(doc: dict) -> dict[str, bool]:
    """Per cannot-carry fact: the lineage document indeed holds no value for it."""
    run, code, mv = doc["run"], doc["code"], doc["model_version"]
    return {
        "the run's name": run["name"] is None,
        "the user who started the run": run["user"] is None,
        "the run's KFP experiment": not any(k.startswith("kfp.experiment") for k in run["tags"]),
        "run tags": all(k.startswith(("kfp.", "mlflow.source.")) for k in run["tags"]),
        "git commit": code["git_commit"] is None,
        "git branch": code["git_branch"] is None,
        "repository URL": code["repo_url"] is None,
        "metric steps": all(isinstance(v, float) for v in run["metrics"].values()),
        "dataset context (training or evaluation)": {d["context"] for d in doc["datasets"]} <= {"input", "output"},
        "run deletion": run["lifecycle_stage"] == "active",
        "Python version and packages": not any("python" in k.lower() or "package" in k.lower() for k in run["tags"]),
        "model version aliases": mv["aliases"] == [],
        "model version stages": mv["stage"] is None,
    }


def test_cannot_carry_facts_are_gaps(case, decision_log, cli_run):
    uri, _ = case
    doc = json.loads(cli_run("lineage", "loan-1", "--store", uri, "--predictions", decision_log,
                             "--format", "json").stdout)
    absent = _facts_absent(doc)
    assert list(absent) == list(KFP_CANNOT_CARRY + REGISTRY_CANNOT_CARRY)
    assert set(MLMD_CANNOT_CARRY) == set(absent) | set(KFP_V1_CANNOT_CARRY)
    for fact in absent:
        assert absent[fact], fact
        assert GAP_CANNOT_CARRY.format(backend="mlmd", fact=fact) in doc["gaps"], fact


def test_registry_run_gaps_do_not_claim_what_it_records(store):
    """A Model Registry experiment run records its owner and name: no gap says otherwise."""
    [mr_run] = [r for r in store.runs() if r.experiment == "credit-risk-notebooks"]
    facts = store.unrecorded(mr_run)
    assert mr_run.user and mr_run.run_name
    assert "the user who started the run" not in facts and "the run's name" not in facts
    assert "git commit" in facts


# -- read-only, detection and refusals ----------------------------------------------------------
def test_sqlite_store_is_opened_read_only_and_detected_by_path(cli_run, tmp_path):
    copy = tmp_path / "metadata.sqlite"
    shutil.copy(SQLITE_STORE, copy)
    before = file_sha256(copy)
    result = cli_run("inspect", "--store", str(copy), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["backend"] == "mlmd"
    with auditkit.open_store("mlmd://" + str(copy)) as s:
        assert s.runs() and s.model_versions()
    assert file_sha256(copy) == before


def _error(cli_run, uri: str) -> str:
    result = cli_run("runs", "--store", uri)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_corrupt_and_foreign_databases_are_refused_in_one_line(cli_run, tmp_path):
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database" * 100)
    assert "is not an SQLite database" in _error(cli_run, "mlmd://" + str(corrupt))

    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    assert "is not an ML Metadata database" in _error(cli_run, "mlmd://" + str(foreign))

    kfp_api = tmp_path / "mlpipeline.sqlite"  # KFP's API server database: runs, tasks, artifacts
    with sqlite3.connect(kfp_api) as conn:
        for table in ("run_details", "pipelines", "pipeline_versions", "tasks", "artifacts", "artifact_tasks"):
            conn.execute(f"CREATE TABLE {table} (UUID TEXT)")
    assert "Kubeflow Pipelines API server database" in _error(cli_run, "mlmd://" + str(kfp_api))

    old = tmp_path / "old.sqlite"
    shutil.copy(SQLITE_STORE, old)
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE MLMDEnv SET schema_version = 4")
    assert "schema version 4" in _error(cli_run, "mlmd://" + str(old))

    assert "does not exist" in _error(cli_run, "mlmd://" + str(tmp_path / "missing.sqlite"))


def test_foreign_server_database_is_refused(cli_run, mysql_databases):
    url = mysql_databases.create("notmlmd")
    line = _error(cli_run, "mlmd+" + url)
    assert "is not an ML Metadata database" in line and "no tables" in line


def test_newer_schema_version_is_read_with_a_warning(tmp_path):
    newer = tmp_path / "newer.sqlite"
    shutil.copy(SQLITE_STORE, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE MLMDEnv SET schema_version = 11")
    with pytest.warns(auditkit.connectors.mlmd.MlmdStoreWarning, match="schema version 11 is newer"):
        store = auditkit.open_store("mlmd://" + str(newer))
    with store, auditkit.open_store("mlmd://" + str(SQLITE_STORE)) as reference:
        assert store.info().schema_revision == "11" and len(store.info().warnings) == 1
        assert {r.run_id for r in store.runs()} == {r.run_id for r in reference.runs()}


def test_registry_and_pipelines_in_separate_databases(mysql_databases, pg_databases, decision_log, cli_run):
    """The usual deployment: the Model Registry's own database (here PostgreSQL) and KFP's metadb
    (here MariaDB), read as one store through ``?pipelines=``."""
    kfp_url, mr_url = mysql_databases.create("metadb"), pg_databases.create("registry")
    kfp = write_server_store(kfp_url, "--mysql", "root", parts="pipelines")
    registry = write_server_store(mr_url, "--postgresql", "postgres", parts="registry")
    assert not contexts(kfp, "kf.ModelVersion") and not contexts(registry, "system.PipelineRun")
    alone = cli_run("lineage", "loan-1", "--store", "mlmd+" + mr_url, "--predictions", decision_log, "--format", "json")
    [art] = [a for a in registry["artifacts"].values() if a["properties"].get("model_source_id")]
    run_id = art["properties"]["model_source_id"]
    assert f"run {run_id} named by model version credit-risk/v1 is not in the store" in json.loads(alone.stdout)["gaps"]

    both = f"mlmd+{mr_url}?pipelines=mlmd+{kfp_url}"
    doc = json.loads(cli_run("lineage", "loan-1", "--store", both, "--predictions", decision_log, "--format", "json").stdout)
    assert doc["run"]["id"] == run_id and doc["run"]["metrics"]
    [ds] = doc["datasets"]
    [want] = [a for a in kfp["artifacts"].values() if a["uri"] == ds["source"]]
    assert ds["digest"] == want["custom_properties"]["digest"]
    with auditkit.open_store(both) as store:
        assert store.info().counts["pipeline_runs"] == len(contexts(kfp, "system.PipelineRun"))
        assert store.info().counts["model_versions"] == len(contexts(registry, "kf.ModelVersion"))


def test_registry_claim_contradicting_the_pipeline_output_is_a_gap(tmp_path, decision_log, cli_run):
    """A version whose model_source_id names another run than the one whose output its URI is."""
    oracle = json.loads((MLMD / "kubeflow.oracle.json").read_text(encoding="utf-8"))
    [(art_id, art)] = [(a, x) for a, x in oracle["artifacts"].items() if x["properties"].get("model_source_id")]
    producer = art["properties"]["model_source_id"]
    [other] = [c["name"] for c in contexts(oracle, "system.PipelineRun").values() if c["name"] != producer]
    edited = tmp_path / "edited.sqlite"
    shutil.copy(SQLITE_STORE, edited)
    with sqlite3.connect(edited) as conn:
        conn.execute("UPDATE ArtifactProperty SET string_value = ? WHERE artifact_id = ? AND name = 'model_source_id'",
                     (other, int(art_id)))
    doc = json.loads(cli_run("lineage", "loan-1", "--store", "mlmd://" + str(edited), "--predictions", decision_log,
                             "--format", "json").stdout)
    [model_art] = [a for a, x in oracle["artifacts"].items() if x["type"] == "system.Model" and x["uri"] == art["uri"]]
    assert doc["run"]["id"] == other
    assert (f"model version credit-risk/v1 names run {other} but its logged model m-kfp-{model_art} names run "
            f"{producer}") in doc["gaps"]


def test_kubeflow_pipelines_v1_runs(tmp_path, cli_run):
    """Runs recorded by KFP v1's metadata-writer (KfpRun contexts), written by ml-metadata."""
    path = tmp_path / "kfp-v1.sqlite"
    out = subprocess.run([mlmd_python(), str(MLMD / "make_mlmd_store.py"), "--sqlite", str(path),
                          "--parts", "pipelines-v1"], check=True, capture_output=True, text=True)
    oracle = json.loads(out.stdout)
    with auditkit.open_store(str(path)) as store:  # detected by path
        runs = {r.run_id: r for r in store.runs()}
        assert store.info().counts["kfp_v1_runs"] == len(runs) == len(contexts(oracle, "KfpRun")) == 2
        for cid, ctx in contexts(oracle, "KfpRun").items():
            run = runs[ctx["name"]]
            execs = executions_of(oracle, cid)
            want = {f"{e['properties']['component_id']}.{k[len('input:'):]}": as_param(v)
                    for e in execs for k, v in e["custom_properties"].items() if k.startswith("input:")}
            assert dict(run.params) == want and "train-model.max_depth" in want
            assert {e["state"] for e in execs} == {"UNKNOWN"} and run.status is None and run.metrics == {}
            read = [(ev["key"], oracle["artifacts"][str(ev["artifact"])]) for ev in oracle["events"]
                    if ev["type"] == "INPUT" and ev["execution"] in {e["id"] for e in execs}]
            assert [(d.name, d.source, d.context) for d in run.datasets] == [(k, a["uri"], "input") for k, a in read]
            assert store.unrecorded(run) == KFP_V1_CANNOT_CARRY + REGISTRY_CANNOT_CARRY
    log = tmp_path / "v1.csv"
    run_id = next(iter(runs))
    log.write_text(f"prediction_id,timestamp,model_uri,decision\nd1,2099-01-01T00:00:00Z,runs:/{run_id}/model,deny\n",
                   encoding="utf-8")
    doc = json.loads(cli_run("lineage", "d1", "--store", str(path), "--predictions", log, "--format", "json").stdout)
    assert doc["run"]["id"] == run_id and doc["datasets"]
    for fact in ("the run's status", "metrics", "the pipeline's name"):
        assert GAP_CANNOT_CARRY.format(backend="mlmd", fact=fact) in doc["gaps"]


def test_reports_and_ledger_work_on_an_mlmd_store(tmp_path, decision_log, cli_run):
    oracle = json.loads((MLMD / "kubeflow.oracle.json").read_text(encoding="utf-8"))
    [art] = [a for a in oracle["artifacts"].values() if a["properties"].get("model_source_id")]
    run_id = art["properties"]["model_source_id"]
    uri = "mlmd://" + str(SQLITE_STORE)
    report = tmp_path / "model.html"
    result = cli_run("report", "model", "credit-risk", "--version", "v1", "--store", uri, "-o", report)
    assert result.exit_code == 0, result.stderr
    assert run_id in report.read_text(encoding="utf-8")
    decision = tmp_path / "decision.html"
    result = cli_run("report", "decision", "loan-1", "--store", uri, "--predictions", decision_log, "-o", decision)
    assert result.exit_code == 0, result.stderr
    assert "the mlmd store cannot carry git commit" in decision.read_text(encoding="utf-8")
    ledger = tmp_path / "ledger.jsonl"
    assert cli_run("snapshot", "--store", uri, "--ledger", ledger).exit_code == 0
    history = cli_run("history", "--ledger", ledger, "--format", "json")
    versions = {c["name"].split(":", 1)[1] for c in contexts(oracle, "kf.ModelVersion").values()}
    registered = {c["subject"] for c in json.loads(history.stdout)["changes"] if c["kind"] == "version"}
    assert registered == {f"version {v} registered" for v in versions}

"""The MLflow file-store connector (mlruns folders) against folders written by real MLflow,
compared with MLflow's own client field by field; corrupt folders; nothing written."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import stat
import warnings
from pathlib import Path

import pytest
from conftest import FIXTURES
from oracle import compare_all

import auditkit
from auditkit import errors
from auditkit.connectors.messages import (
    MLRUNS_BAD_META,
    MLRUNS_BAD_METRIC_LINE,
    MLRUNS_NOT_A_FOLDER,
    MLRUNS_SKIPPED,
    MLRUNS_VERSION_RUN_MISSING,
    MLRUNS_WARNING_SUMMARY,
    STORE_PATH_MISSING,
    UNKNOWN_EXPERIMENT,
    UNKNOWN_MODEL,
    UNKNOWN_RUN,
    UNKNOWN_VERSION,
)
from auditkit.connectors.mlflow_file import MlflowFileConnector
from auditkit.connectors.mlflow_file_io import MlrunsWarning

LEGACY_MLRUNS = FIXTURES / "legacy" / "mlflow-2.9.2" / "mlruns"
LEGACY_ORACLE = FIXTURES / "legacy" / "mlflow-2.9.2" / "oracle-mlruns.json"


def _stores() -> list[str]:
    return ["current"] + (["mlflow-2.9.2"] if LEGACY_ORACLE.exists() else [])


@pytest.fixture(params=_stores())
def any_mlruns(request):
    """(root, oracle) for the folder written by the installed MLflow and by older releases."""
    if request.param == "current":
        return request.getfixturevalue("mlruns_scenario")
    return LEGACY_MLRUNS, json.loads(LEGACY_ORACLE.read_text(encoding="utf-8"))


@pytest.fixture
def mlflow_uri_restored():
    """Tests that point MLflow's global tracking URI somewhere put it back afterwards."""
    import mlflow

    before = mlflow.get_tracking_uri()
    yield
    mlflow.set_tracking_uri(before)


@pytest.fixture
def corrupt_copy(mlruns_scenario, tmp_path):
    """A private copy of the scenario folder that a test may damage."""
    root, oracle = mlruns_scenario
    copy = tmp_path / "mlruns"
    shutil.copytree(root, copy)
    return copy, oracle


def _run_dir(root: Path, run_id: str) -> Path:
    (found,) = [p for p in root.glob(f"*/{run_id}") if p.is_dir()]
    return found


def _open(root: Path) -> MlflowFileConnector:
    store = auditkit.open_store(str(root))
    assert isinstance(store, MlflowFileConnector)
    return store


# -- equal to MLflow's own client ---------------------------------------------------------------
def test_open_store_routes_file_uris_and_paths(mlruns_scenario):
    root, _ = mlruns_scenario
    for uri in (root.as_uri(), str(root)):
        with auditkit.open_store(uri) as store:
            assert isinstance(store, MlflowFileConnector)
            assert store.backend == "mlflow-file" and store.info().uri == str(root)


def test_records_equal_mlflow_client(any_mlruns):
    root, oracle = any_mlruns
    with warnings.catch_warnings():
        warnings.simplefilter("error", MlrunsWarning)  # a clean folder reads without a warning
        with _open(root) as store:
            compare_all(store, oracle)
            assert store.info().warnings == ()


def test_model_ids_and_logged_models(any_mlruns):
    root, oracle = any_mlruns
    with _open(root) as store:
        versions = {(v.name, v.version): v for v in store.model_versions()}
        logged = {m.model_id: m for m in store.logged_models()}
    for want in oracle["model_versions"]:
        got = versions[(want["name"], want["version"])]
        assert got.model_id == want["model_id"]
        if want["model_id"]:  # MLflow 3: the version's source is the logged model, made by its run
            assert got.source == f"models:/{want['model_id']}"
            assert logged[want["model_id"]].source_run_id == want["run_id"]
            assert logged[want["model_id"]].status == "READY"
            assert logged[want["model_id"]].experiment_id == oracle["written"]["experiment_id"]
    if not any(v["model_id"] for v in oracle["model_versions"]):
        assert logged == {}  # MLflow 2.x had no logged models


def test_deleted_records_are_present_and_flagged(any_mlruns):
    root, oracle = any_mlruns
    written = oracle["written"]
    with _open(root) as store:
        deleted_versions = [v for v in store.model_versions("credit-risk") if v.deleted]
        runs = store.runs()
        experiments = {e.experiment_id: e for e in store.experiments()}
        info = store.info()
    assert [v.version for v in deleted_versions] == written["deleted_versions"]
    (gone,) = deleted_versions
    # Unlike the SQL store, MLflow's file store does not redact a deleted version: what it kept
    # is reported as stored. Its alias went with it.
    assert gone.stage is None and gone.deleted and gone.aliases == ()  # Deleted_Internal is no stage
    assert gone.run_id == written["versions"][gone.version]
    assert [r.run_id for r in runs if r.deleted] == [written["run_ids"]["scratch"]]
    assert experiments[written["deleted_experiment_id"]].deleted
    assert (root / ".trash" / written["deleted_experiment_id"]).is_dir()
    assert info.counts["deleted_runs"] == 1 and info.counts["deleted_model_versions"] == 1
    assert info.counts["model_versions"] == len(oracle["model_versions"]) + 1
    assert info.counts["runs"] == len(oracle["runs"]) and info.counts["experiments"] == len(oracle["experiments"])


def test_datasets_carry_context_digest_and_rows(any_mlruns):
    root, oracle = any_mlruns
    with _open(root) as store:
        runs = {r.run_id: r for r in store.runs()}
    seen = 0
    for want in oracle["runs"]:
        got = runs[want["run_id"]]
        for ref, ds in zip(got.datasets, want["datasets"]):
            assert ref.context == ds["context"] and ref.digest == ds["digest"]
            assert ref.rows == json.loads(ds["profile"])["num_rows"]
            assert ref.tags["mlflow.data.context"] == ds["context"]
            seen += 1
    assert seen == 2 * sum(1 for r in oracle["runs"] if r["datasets"])


def test_input_run_comes_from_the_folder_not_destination_id(mlruns_scenario):
    root, oracle = mlruns_scenario
    rid = oracle["written"]["run_ids"]["logreg-c1"]
    metas = sorted((_run_dir(root, rid) / "inputs").glob("*/meta.yaml"))
    assert len(metas) == 2
    import yaml

    links = [yaml.safe_load(p.read_text()) for p in metas]
    assert all(link["destination_id"] != rid for link in links)  # MLflow writes the dataset id there
    with _open(root) as store:
        assert {d.context for d in store.get_run(rid).datasets} == {"training", "evaluation"}


def test_latest_metric_and_deduplicated_history_match_mlflow(mlruns_scenario, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root, oracle = mlruns_scenario
    client = MlflowClient(tracking_uri=root.as_uri())
    with _open(root) as store:
        for want in oracle["runs"]:
            for key in want["metrics"]:
                theirs = client.get_metric_history(want["run_id"], key)
                ours = store.metric_history(want["run_id"], key)
                assert ours == list(dict.fromkeys((m.timestamp, m.value, m.step) for m in theirs))
    # The file holds repeated points (MLflow logs a point again when it re-sends a batch).
    rid = oracle["written"]["run_ids"]["gbm-d5"]
    lines = (_run_dir(root, rid) / "metrics" / "auc").read_text().splitlines()
    with _open(root) as store:
        assert len(store.metric_history(rid, "auc")) == len(set(lines)) < len(lines)


def test_metric_points_with_a_dataset_keep_their_step(tmp_path, monkeypatch, mlflow_uri_restored):
    """MLflow 3 writes ``timestamp value step dataset digest`` when a metric names a dataset.
    MLflow's own file-store reader then drops the step (it parses one only on 3-field lines), so
    its client picks the latest timestamp instead of the greatest step. auditkit keeps the step
    and so agrees with the SQL store (and with the rule the file store uses for other lines)."""
    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.chdir(tmp_path)
    values = {}
    for uri in ((tmp_path / "mlruns").as_uri(), f"sqlite:///{tmp_path / 'mlflow.db'}"):
        mlflow.set_tracking_uri(uri)
        data = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), name="holdout")
        with mlflow.start_run() as run:
            mlflow.log_metric("auc", 0.9, step=3, dataset=data, timestamp=1000)
            mlflow.log_metric("auc", 0.1, step=1, dataset=data, timestamp=2000)
        values[uri.split(":")[0]] = (run.info.run_id, MlflowClient(uri).get_run(run.info.run_id).data.metrics["auc"])
    file_id, file_client_value = values["file"]
    assert values["sqlite"][1] == 0.9 and file_client_value == 0.1
    with _open(tmp_path / "mlruns") as store:
        assert store.get_run(file_id).metrics["auc"] == values["sqlite"][1]
        assert store.metric_history(file_id, "auc") == [(1000, 0.9, 3), (2000, 0.1, 1)]


def test_runs_frame_matches_mlflow_search_runs(mlruns_scenario, monkeypatch, mlflow_uri_restored):
    import mlflow
    from mlflow.entities import ViewType

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root, oracle = mlruns_scenario
    mlflow.set_tracking_uri(root.as_uri())
    theirs = mlflow.search_runs(experiment_ids=[oracle["written"]["experiment_id"]], run_view_type=ViewType.ALL)
    with _open(root) as store:
        ours = store.runs_frame("credit-risk")
    value_cols = sorted(c for c in theirs.columns if c.split(".")[0] in ("params", "metrics", "tags"))
    assert value_cols == sorted(c for c in ours.columns if c.split(".")[0] in ("params", "metrics", "tags"))
    theirs, ours = theirs.set_index("run_id").sort_index(), ours.set_index("run_id").sort_index()
    assert list(ours.index) == list(theirs.index)
    for col in value_cols:
        for rid in ours.index:
            a, b = ours.at[rid, col], theirs.at[rid, col]
            missing_a, missing_b = a is None or a != a, b is None or b != b
            assert missing_a == missing_b, (rid, col)
            if not missing_a:
                assert a == b or (isinstance(a, float) and math.isclose(a, b)), (rid, col)
    assert list(ours["status"]) == list(theirs["status"])
    assert (ours["start_time"] == theirs["start_time"]).all()


def test_unknown_names_get_one_line_errors(mlruns_scenario):
    root, _ = mlruns_scenario
    with _open(root) as store:
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.runs("no-such-exp")
        assert str(exc.value) == UNKNOWN_EXPERIMENT.format(
            name="no-such-exp", choices="'Default', 'credit-risk', 'scratch-area'")
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.model_versions("nope")
        assert str(exc.value) == UNKNOWN_MODEL.format(name="nope", choices="'credit-risk', 'fraud-score'")
        assert store.model_versions("fraud-score") == []
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.get_model_version("credit-risk", 9)
        assert str(exc.value) == UNKNOWN_VERSION.format(name="credit-risk", version="9",
                                                               choices="'1', '2', '3', '4'")
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.get_run("0" * 32)
        assert str(exc.value) == UNKNOWN_RUN.format(run_id="0" * 32)


def test_a_path_that_is_not_a_folder_is_refused(tmp_path):
    file = tmp_path / "mlruns"
    file.write_text("not a folder")
    with pytest.raises(errors.NotAStoreError) as exc:
        MlflowFileConnector(str(file))
    assert str(exc.value) == MLRUNS_NOT_A_FOLDER.format(path=str(file))
    with pytest.raises(errors.StoreNotFoundError) as exc:
        MlflowFileConnector((tmp_path / "missing").as_uri())
    assert str(exc.value) == STORE_PATH_MISSING.format(path=str(tmp_path / "missing"))


# -- corrupt folders: one-line errors, the rest still read --------------------------------------
def _read_with_warning(root: Path) -> tuple[MlflowFileConnector, list, str]:
    store = _open(root)
    with pytest.warns(MlrunsWarning) as caught:
        runs = store.runs()
        store.model_versions()
    (warning,) = [w for w in caught if issubclass(w.category, MlrunsWarning)]
    return store, runs, str(warning.message)


def test_truncated_run_meta_yaml_skips_only_that_run(corrupt_copy):
    root, oracle = corrupt_copy
    rid = oracle["written"]["run_ids"]["gbm-d3"]
    meta = _run_dir(root, rid) / "meta.yaml"
    text = meta.read_text()
    cut = text[: text.index("experiment_id:") + len("experiment_id: '3")]  # mid-value, quote open
    meta.write_text(cut)
    message = MLRUNS_BAD_META.format(
        path=str(meta), what="run meta.yaml",
        problem=f"invalid YAML at line {cut.count(chr(10)) + 1} (found unexpected end of stream)",
        expected="a YAML mapping with run_id/run_uuid, experiment_id")
    store, runs, warned = _read_with_warning(root)
    assert {r.run_id for r in runs} == {r["run_id"] for r in oracle["runs"]} - {rid}
    skipped = MLRUNS_SKIPPED.format(problem=message, what=f"run {rid!r}")
    assert store.info().warnings == (skipped,)
    assert warned == MLRUNS_WARNING_SUMMARY.format(root=str(root), count=1, items=skipped)
    with pytest.raises(errors.RecordNotFoundError) as exc:
        store.get_run(rid)
    assert str(exc.value) == message and "\n" not in message


def test_run_meta_yaml_cut_at_a_line_end_is_caught_by_its_missing_keys(corrupt_copy):
    root, oracle = corrupt_copy
    rid = oracle["written"]["run_ids"]["logreg-c1"]
    meta = _run_dir(root, rid) / "meta.yaml"
    meta.write_text("".join(meta.read_text().splitlines(keepends=True)[:3]))
    store, runs, _ = _read_with_warning(root)
    assert rid not in {r.run_id for r in runs} and len(runs) == len(oracle["runs"]) - 1
    with pytest.raises(errors.RecordNotFoundError) as exc:
        store.get_run(rid)
    assert str(exc.value) == MLRUNS_BAD_META.format(
        path=str(meta), what="run meta.yaml", problem="it has no run_id or run_uuid (cut short?)",
        expected="a YAML mapping with run_id/run_uuid, experiment_id")


def test_empty_experiment_meta_yaml_keeps_its_runs_without_a_name(corrupt_copy):
    root, oracle = corrupt_copy
    exp_id = oracle["written"]["experiment_id"]
    meta = root / exp_id / "meta.yaml"
    meta.write_bytes(b"")
    store, runs, warned = _read_with_warning(root)
    message = MLRUNS_BAD_META.format(path=str(meta), what="experiment meta.yaml", problem="the file is empty",
                                            expected="a YAML mapping with experiment_id, name")
    assert message in warned
    assert exp_id not in {e.experiment_id for e in store.experiments()}
    assert {r.run_id for r in runs} == {r["run_id"] for r in oracle["runs"]}
    assert {r.experiment for r in runs} == {None}


def test_non_numeric_metric_line_leaves_out_that_metric_only(corrupt_copy):
    root, oracle = corrupt_copy
    rid = oracle["written"]["run_ids"]["gbm-d3"]
    path = _run_dir(root, rid) / "metrics" / "auc"
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(1, "1760000000009 n/a 4\n")
    path.write_text("".join(lines))
    store, runs, warned = _read_with_warning(root)
    message = MLRUNS_BAD_METRIC_LINE.format(path=str(path), line=2, text="1760000000009 n/a 4")
    assert warned.endswith(MLRUNS_SKIPPED.format(problem=message, what=f"metric 'auc' of run {rid!r}"))
    want = {r["run_id"]: r for r in oracle["runs"]}[rid]
    got = {r.run_id: r for r in runs}[rid]
    assert dict(got.metrics) == {k: v for k, v in want["metrics"].items() if k != "auc"}
    assert dict(got.params) == want["params"] and len(runs) == len(oracle["runs"])
    with pytest.raises(errors.StoreError) as exc:
        store.metric_history(rid, "auc")
    assert str(exc.value) == message


def test_version_naming_a_missing_run_folder(corrupt_copy, cli_run):
    root, oracle = corrupt_copy
    version, rid = "3", oracle["written"]["versions"]["3"]
    shutil.rmtree(_run_dir(root, rid))
    store, runs, warned = _read_with_warning(root)
    message = MLRUNS_VERSION_RUN_MISSING.format(
        name="credit-risk", version=version, path=str(root / "models" / "credit-risk" / "version-3" / "meta.yaml"),
        run_id=rid, root=str(root))
    assert warned.endswith(MLRUNS_SKIPPED.format(
        problem=message, what="reading that run (the version is still listed)"))
    assert store.get_model_version("credit-risk", version).run_id == rid  # still listed, as stored
    assert len(runs) == len(oracle["runs"]) - 1
    with pytest.raises(errors.RecordNotFoundError) as exc:
        store.get_run(rid)
    assert str(exc.value) == message
    result = cli_run("inspect", "--store", str(root))
    assert result.exit_code == 0
    assert f"warning: {MLRUNS_SKIPPED.format(problem=message, what='reading that run (the version is still listed)')}" in result.stderr


def test_broken_version_meta_skips_only_that_version(corrupt_copy):
    root, _ = corrupt_copy
    meta = root / "models" / "credit-risk" / "version-2" / "meta.yaml"
    meta.write_text("current_stage: Staging\nversion: [2\n")
    store, _, warned = _read_with_warning(root)
    assert [v.version for v in store.model_versions("credit-risk")] == ["1", "3", "4"]
    with pytest.raises(errors.RecordNotFoundError) as exc:
        store.get_model_version("credit-risk", 2)
    assert str(exc.value).startswith(f"{str(meta)!r} is not a valid model version meta.yaml: invalid YAML at line 3")
    assert str(exc.value).endswith("; expected a YAML mapping with version, current_stage")
    assert str(exc.value) in warned
    assert store.registered_models()[0].aliases["challenger"] == "2"  # the alias file is intact


def test_missing_dataset_folder_drops_only_that_input(corrupt_copy):
    root, oracle = corrupt_copy
    exp = root / oracle["written"]["experiment_id"]
    import yaml

    (train,) = [p.parent for p in (exp / "datasets").glob("*/meta.yaml")
                if yaml.safe_load(p.read_text())["name"] == "credit-train"]
    shutil.rmtree(train)
    store, runs, warned = _read_with_warning(root)
    for run in runs:
        assert [d.name for d in run.datasets] in ([], ["credit-eval"])
    assert f"names dataset {train.name!r}, but {str(train / 'meta.yaml')!r} does not exist" in warned


def test_broken_registered_model_and_logged_model_meta(corrupt_copy):
    root, oracle = corrupt_copy
    model_meta = root / "models" / "credit-risk" / "meta.yaml"
    model_meta.write_text("name: credit-risk\ndescription: 'PD model\n")  # quote never closed
    logged_metas = sorted((root / oracle["written"]["experiment_id"] / "models").glob("m-*/meta.yaml"))
    store = _open(root)
    with pytest.warns(MlrunsWarning) as caught:
        models = store.registered_models()
        versions = store.model_versions("credit-risk")
        logged = store.logged_models()
    warned = " ".join(str(w.message) for w in caught)
    assert [m.name for m in models] == ["fraud-score"]
    assert f"{str(model_meta)!r} is not a valid registered model meta.yaml: invalid YAML" in warned
    assert "skipped registered model 'credit-risk' (its versions are still listed)" in warned
    assert len(versions) == len(oracle["model_versions"]) + len(oracle["written"]["deleted_versions"])
    if logged_metas:  # MLflow 3 folders: an unreadable logged model is skipped, the rest listed
        logged_metas[0].write_bytes(b"\xff\xfe not yaml")
        with pytest.warns(MlrunsWarning, match="is not a valid logged model meta.yaml"):
            assert len(_open(root).logged_models()) == len(logged) - 1


def test_tag_that_is_not_utf8_is_left_out_with_its_file_named(corrupt_copy):
    root, oracle = corrupt_copy
    rid = oracle["written"]["run_ids"]["gbm-d5"]
    path = _run_dir(root, rid) / "tags" / "note"
    path.write_bytes("café".encode("latin-1"))
    store, runs, warned = _read_with_warning(root)
    run = {r.run_id: r for r in runs}[rid]
    assert "note" not in run.tags and run.tags["team"] == "credit"
    assert f"{str(path)!r} cannot be read as UTF-8 text (" in warned
    assert warned.endswith(f"expected the stored value as text; skipped tag 'note' of run {rid!r}")


# -- nothing is written ------------------------------------------------------------------------
def _snapshot(root: Path) -> dict[str, tuple]:
    """Every file's bytes hash, size, mode and mtime, and every folder, under ``root``."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            st = os.stat(os.path.join(dirpath, d))
            out[os.path.relpath(os.path.join(dirpath, d), root)] = ("dir", stat.S_IMODE(st.st_mode), st.st_mtime_ns)
        for f in filenames:
            path = os.path.join(dirpath, f)
            st = os.stat(path)
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            out[os.path.relpath(path, root)] = (digest, st.st_size, stat.S_IMODE(st.st_mode), st.st_mtime_ns)
    return out


def _exercise_everything(root: Path, cli_run) -> None:
    """Call every connector method and every store CLI command on ``root``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MlrunsWarning)
        for uri in (str(root), root.as_uri()):
            with auditkit.open_store(uri) as store:
                store.info()
                experiments = store.experiments()
                runs = store.runs()
                store.runs_frame()
                store.registered_models()
                versions = store.model_versions()
                store.logged_models()
                for run in runs:
                    store.get_run(run.run_id)
                    for key in run.metrics:
                        store.metric_history(run.run_id, key)
                for mv in versions:
                    store.get_model_version(mv.name, mv.version)
                for name in {e.name for e in experiments}:
                    store.runs(name)
                for name in {mv.name for mv in versions}:
                    store.model_versions(name)
                    store.runs_frame()
        for args in (
            ["inspect"], ["inspect", "--format", "json"],
            ["runs"], ["runs", "--format", "json"], ["runs", "--format", "csv"],
            ["models"], ["models", "--format", "json"], ["models", "--format", "csv", "--name", "credit-risk"],
        ):
            for store_arg in (str(root), root.as_uri()):
                result = cli_run(*args, "--store", store_arg)
                assert result.exit_code == 0, (args, result.stderr)


@pytest.mark.parametrize("damaged", [False, True])
def test_nothing_is_written_inside_the_store(corrupt_copy, cli_run, damaged):
    root, oracle = corrupt_copy
    if damaged:  # the skip-and-warn paths must not write either
        shutil.rmtree(_run_dir(root, oracle["written"]["versions"]["3"]))
        (root / oracle["written"]["experiment_id"] / "meta.yaml").write_text("name: [\n")
    before = _snapshot(root)
    assert len(before) > 100
    _exercise_everything(root, cli_run)
    assert _snapshot(root) == before


def test_reading_a_committed_older_folder_in_place_writes_nothing(any_mlruns, cli_run):
    root, _ = any_mlruns  # the legacy folder is read where it lies in the repository
    before = _snapshot(root)
    _exercise_everything(root, cli_run)
    assert _snapshot(root) == before


def test_cli_lists_runs_and_models_from_an_mlruns_folder(mlruns_scenario, cli_run):
    root, oracle = mlruns_scenario
    doc = json.loads(cli_run("runs", "--store", root.as_uri(), "--format", "json").stdout)
    assert {r["run_id"] for r in doc["runs"]} == {r["run_id"] for r in oracle["runs"]}
    doc = json.loads(cli_run("models", "--store", str(root), "--format", "json").stdout)
    got = {(v["version"], v["stage"], v["deleted"]) for v in doc["model_versions"]}
    want = {(v["version"], v["stage"], False) for v in oracle["model_versions"]}
    assert got == want | {(v, None, True) for v in oracle["written"]["deleted_versions"]}
    doc = json.loads(cli_run("inspect", "--store", str(root), "--format", "json").stdout)
    assert doc["backend"] == "mlflow-file" and doc["counts"]["runs"] == len(oracle["runs"])


# -- the fast meta.yaml reader agrees with yaml.safe_load ----------------------------------------
def _all_meta_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("meta.yaml") if "artifacts" not in p.relative_to(root).parts]


def test_fast_meta_reader_equals_yaml_safe_load_on_real_files(any_mlruns):
    import yaml

    from auditkit.connectors.mlflow_file_io import simple_yaml

    root, _ = any_mlruns
    files = _all_meta_files(root)
    fast = 0
    for path in files:
        data = path.read_bytes()
        got = simple_yaml(data)
        if got is not None:
            fast += 1
            assert got == yaml.safe_load(data), path
    assert fast >= len(files) * 0.8  # the fast path is the common one (dataset schemas are wrapped)


@pytest.mark.parametrize("value", [
    "plain", "None", "null", "~", "", "yes", "No", "on", "true", "1e5", "1.5", ".inf", "0x1F", "017", "1_000",
    "12:30", "2026-01-01", "-5", "+5", "0", "1760000000000", "a: b", "a #b", "a#b", "trailing:", "it's", "'quoted'",
    "\"dq\"", "[1]", "{a}", "a[1]", "&anchor", "*alias", "!tag", "|", ">", "@x", "`x", "%x", "- item", "? q",
    " lead", "trail ", "tab\there", "ünïcode ✓ <b>", "line\nbreak", "cr\rreturn", "\ufeffbom", "x" * 200,
    "file:///tmp/mlruns/1/abc/artifacts", "models:/m-0123abcd", "s3://bucket/key with space", "a ' b", "''",
    "a  b", "=", "<<", "0aa7c783988347158baff0606c846432", "1e10", "1E10", "3.", "0o17", "0b101", "\x07bell",
])
def test_fast_meta_reader_equals_yaml_safe_load_on_tricky_values(value):
    import yaml

    from auditkit.connectors.mlflow_file_io import simple_yaml

    for doc in ({"name": value, "version": 3}, {"tags": {"mlflow.data.context": value}, "z": value},
                {"aliases": {}, "run_name": value, "tags": []}, {value if value.isidentifier() else "k": value}):
        data = yaml.safe_dump(doc, default_flow_style=False, allow_unicode=True).encode("utf-8")
        got = simple_yaml(data)
        assert got is None or got == yaml.safe_load(data), (doc, data)
    for text in (f"name: {value}\n", f"name: '{value}'\n", f"tags:\n  k: {value}\n", f"{value}: 1\n"):
        data = text.encode("utf-8")
        got = simple_yaml(data)
        if got is not None:
            assert got == yaml.safe_load(data), text

"""ML Metadata against the connector contract: the scenario of tests/fixtures/scenario.py, written
by MLflow into sqlite (conftest ``sqlite_scenario``) and, from MLflow's own reading of it, by the
real ``ml-metadata`` client into an MLMD store shaped like Kubeflow Pipelines v2 runs and Model
Registry versions (tests/fixtures/mlmd/scenario_mlmd.py, in .venv-mlmd), both read back with
:func:`auditkit.open_store`.

Every fact MLMD can hold must be equal: runs (by id) and their experiment (the pipeline), status,
params (the pipeline parameters), latest metrics, datasets (name, digest, source URI), the
registered models (description, owner) and versions (number, description, tags, source and the
run each came from). Each fact of :data:`~auditkit.connectors.mlmd.KFP_CANNOT_CARRY` and
:data:`~auditkit.connectors.mlmd.REGISTRY_CANNOT_CARRY` that the scenario writes has a check
that MLflow's store holds it and the MLMD store does not, so the list goes stale loudly.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import FIXTURES
from test_mlmd import mlmd_python

import auditkit
from auditkit.connectors.mlmd import KFP_CANNOT_CARRY, REGISTRY_CANNOT_CARRY


@pytest.fixture(scope="module")
def stores(sqlite_scenario, tmp_path_factory):
    import scenario

    uri, oracle = sqlite_scenario
    folder = tmp_path_factory.mktemp("mlmd-scenario")
    (folder / "oracle.json").write_text(json.dumps(oracle), encoding="utf-8")
    out = subprocess.run([mlmd_python(), str(FIXTURES / "mlmd" / "scenario_mlmd.py"), str(folder / "oracle.json"),
                          str(folder / "metadata.sqlite")], check=True, capture_output=True, text=True)
    written = json.loads(out.stdout)
    with auditkit.open_store(uri) as ml, auditkit.open_store("mlmd://" + str(folder / "metadata.sqlite")) as kf:
        sides = [{"runs": {r.run_id: r for r in s.runs()}, "models": {m.name: m for m in s.registered_models()},
                  "versions": {v.version: v for v in s.model_versions(scenario.MODEL)},
                  "experiments": {e.name: e for e in s.experiments()}, "backend": s.backend,
                  "unrecorded": s.unrecorded(next(iter(s.runs())))} for s in (ml, kf)]
    assert (sides[0]["backend"], sides[1]["backend"]) == ("mlflow-sql", "mlmd")
    return sides[0], sides[1], written


# -- what MLMD carries --------------------------------------------------------------------------
def test_runs_params_metrics_and_status_match(stores):
    ml, kf, _ = stores
    assert kf["runs"].keys() == ml["runs"].keys() and len(ml["runs"]) > 1
    for run_id, want in ml["runs"].items():
        got = kf["runs"][run_id]
        assert got.experiment == want.experiment, run_id
        assert got.status == want.status, run_id
        assert dict(got.params) == dict(want.params), run_id
        assert dict(got.metrics) == dict(want.metrics), run_id
    assert {r.status for r in ml["runs"].values()} == {"FINISHED", "FAILED"}
    assert all(r.params and r.metrics for r in ml["runs"].values())


def test_datasets_match_by_name_digest_and_source(stores):
    ml, kf, _ = stores
    for run_id, want in ml["runs"].items():
        expected = sorted((d.name, d.digest, json.loads(d.source)["uri"]) for d in want.datasets)
        got = sorted((d.name, d.digest, d.source) for d in kf["runs"][run_id].datasets)
        assert got == expected, run_id
    assert sum(len(r.datasets) for r in ml["runs"].values()) > 0


def test_registered_models_and_versions_match(stores):
    ml, kf, _ = stores
    assert kf["models"].keys() == ml["models"].keys()
    for name, want in ml["models"].items():
        got = kf["models"][name]
        assert got.description == want.description, name
        assert got.tags.get("owner") == want.tags.get("owner"), name
    live = {n: v for n, v in ml["versions"].items() if not v.deleted}
    assert kf["versions"].keys() == live.keys() and live
    for number, want in live.items():
        got = kf["versions"][number]
        assert (got.run_id, got.description, got.source) == (want.run_id, want.description, want.source), number
        assert dict(got.tags) == {**want.tags, **{k: v for k, v in got.tags.items() if k.startswith("kf.")}}
        assert got.tags["kf.model_source_class"] == "pipelinerun" and got.run_id in kf["runs"]


# -- what MLMD cannot carry ---------------------------------------------------------------------
def _run_name(ml, kf):
    assert all(r.run_name for r in ml["runs"].values())
    assert {r.run_name for r in kf["runs"].values()} == {None}


def _user(ml, kf):
    assert all(r.user for r in ml["runs"].values())
    assert {r.user for r in kf["runs"].values()} == {None}


def _kfp_experiment(ml, kf):
    # MLflow's experiment is carried as the pipeline; a KFP experiment (an API server record) never is.
    assert set(kf["experiments"]) == {r.experiment for r in ml["runs"].values()}
    assert all(e.tags == {"kfp.type": "system.Pipeline"} for e in kf["experiments"].values())


def _run_tags(ml, kf):
    user_tags = {k for r in ml["runs"].values() for k in r.tags if not k.startswith("mlflow.")}
    assert user_tags and not user_tags & {k for r in kf["runs"].values() for k in r.tags}


def _git(tag):
    def check(ml, kf):
        assert any(tag in r.tags for r in ml["runs"].values())
        assert not any(tag in r.tags for r in kf["runs"].values())
    return check


def _metric_steps(ml, kf):
    import scenario

    assert any(len(series) > 1 for _, _, _, metrics, _, _ in scenario.RUNS for series in metrics.values())
    assert all(isinstance(v, float) for r in kf["runs"].values() for v in r.metrics.values())


def _dataset_context(ml, kf):
    assert {d.context for r in ml["runs"].values() for d in r.datasets} == {"training", "evaluation"}
    assert {d.context for r in kf["runs"].values() for d in r.datasets} == {"input"}


def _run_deletion(ml, kf):
    deleted = [i for i, r in ml["runs"].items() if r.deleted]
    assert deleted and all(kf["runs"][i].lifecycle_stage == "active" for i in deleted)


def _environment(ml, kf):
    assert not any("python" in k.lower() or "requirements" in k.lower() for r in kf["runs"].values() for k in r.tags)


def _aliases(ml, kf):
    assert any(v.aliases for v in ml["versions"].values())
    assert all(v.aliases == () for v in kf["versions"].values()) and all(m.aliases == {} for m in kf["models"].values())


def _stages(ml, kf):
    assert {v.stage for v in ml["versions"].values()} - {"None", None}
    assert {v.stage for v in kf["versions"].values()} == {None}


CHECKS = {
    "the run's name": _run_name,
    "the user who started the run": _user,
    "the run's KFP experiment": _kfp_experiment,
    "run tags": _run_tags,
    "git commit": _git("mlflow.source.git.commit"),
    "git branch": _git("mlflow.source.git.branch"),
    "repository URL": _git("mlflow.source.git.repoURL"),
    "metric steps": _metric_steps,
    "dataset context (training or evaluation)": _dataset_context,
    "run deletion": _run_deletion,
    "Python version and packages": _environment,
    "model version aliases": _aliases,
    "model version stages": _stages,
}


def test_every_listed_fact_has_a_check(stores):
    _, kf, _ = stores
    assert list(CHECKS) == list(KFP_CANNOT_CARRY + REGISTRY_CANNOT_CARRY) == list(kf["unrecorded"])


@pytest.mark.parametrize("fact", KFP_CANNOT_CARRY + REGISTRY_CANNOT_CARRY)
def test_mlmd_cannot_carry(fact, stores):
    ml, kf, _ = stores
    CHECKS[fact](ml, kf)

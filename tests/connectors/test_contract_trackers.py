"""Comet and Neptune against the connector contract: the scenario of tests/fixtures/scenario.py,
written by MLflow into sqlite at test time (conftest ``sqlite_scenario``) and by the REAL clients
into the committed fixtures (tests/fixtures/make_comet_fixtures.py: comet-ml 3.58.8 and 3.33.12;
tests/fixtures/make_neptune_fixtures.py: neptune 1.x and neptune-scale, offline), read back with
:func:`auditkit.open_store`.

Every fact a backend can express must equal MLflow's: run names, params, latest metrics, the
key/value tags, and the code facts (source file, git branch and repository URL where MLflow has
them; the git commit is the real one the generator's repository made — ``written.json`` — since
the scenario's commit ids are invented). Users, statuses, experiments, datasets and model versions
are compared where the backend carries them.

Each backend's connector lists what it cannot carry (``cannot_carry``). Each listed fact has a
check below that MLflow's store (or, for the git dirty state, the generator) really has the fact
and the backend's store really lacks it, so the lists go stale loudly; and each one is a gap of
``auditkit lineage`` naming the backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

import auditkit
from auditkit.provenance.gaps import GAP_CANNOT_CARRY

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: backend label -> (store path, what the generator wrote)
STORES = {
    "comet-current": FIXTURES / "comet" / "current",
    "comet-old": FIXTURES / "comet" / "old",
    "neptune-v1": FIXTURES / "neptune" / "v1",
    "neptune-scale": FIXTURES / "neptune" / "scale",
}
CODE_TAGS = ("mlflow.source.git.branch", "mlflow.source.git.repoURL", "mlflow.source.name")


@dataclass
class Side:
    backend: str
    store: object
    experiments: dict
    runs: dict  # run name -> Run
    names: dict  # run id -> run name
    models: dict
    versions: dict  # version -> ModelVersion (the scenario's model only)
    logged_models: list
    counts: dict


def side(store, model: str) -> Side:
    runs = {r.run_name: r for r in store.runs()}
    assert len(runs) == len(store.runs()), "run names are unique in the scenario"
    return Side(backend=store.backend, store=store, experiments={e.name: e for e in store.experiments()}, runs=runs,
                names={r.run_id: r.run_name for r in runs.values()},
                models={m.name: m for m in store.registered_models()},
                versions={v.version: v for v in store.model_versions() if v.name == model},
                logged_models=store.logged_models(), counts=dict(store.info().counts))


@pytest.fixture(scope="module")
def mlflow_side(sqlite_scenario):
    import scenario

    uri, oracle = sqlite_scenario
    with auditkit.open_store(uri) as store:
        return side(store, scenario.MODEL), oracle


@pytest.fixture(scope="module", params=sorted(STORES))
def pair(request, mlflow_side):
    import scenario

    ml, oracle = mlflow_side
    path = STORES[request.param]
    written = json.loads((path / "written.json").read_text(encoding="utf-8"))
    store = auditkit.open_store(f"{request.param.split('-')[0]}://{path}")
    tr = side(store, scenario.MODEL)
    yield request.param, ml, tr, written, oracle
    store.close()


def comet_version(number: str) -> str:
    """MLflow version ``"N"`` → the Comet registry version the generator registered (``"N.0.0"``)."""
    return f"{number}.0.0"


# -- what each backend carries --------------------------------------------------------------------------
def test_same_runs_params_and_metrics(pair):
    label, ml, tr, written, _ = pair
    assert tr.runs.keys() == ml.runs.keys() == written["runs"].keys()
    assert tr.counts["runs"] == ml.counts["runs"] == len(ml.runs)
    for name, want in ml.runs.items():
        got = tr.runs[name]
        assert got.run_id == written["runs"][name].get("key", written["runs"][name].get("id")), name
        assert dict(got.params) == dict(want.params), name
        assert dict(got.metrics) == dict(want.metrics), name
        assert got.start_time is not None, name
    assert all(r.params and r.metrics for r in ml.runs.values())


def test_user_status_and_experiment_where_carried(pair):
    label, ml, tr, _, _ = pair
    for name, want in ml.runs.items():
        got = tr.runs[name]
        if label.startswith("comet"):
            assert (got.user, got.status, got.experiment) == (want.user, want.status, want.experiment), name
            assert ("diverged" in got.tags.get("comet.crash", "")) == (want.status == "FAILED"), name
            assert got.end_time is not None
        elif label == "neptune-v1":  # 1.x marks failures only (with the traceback); no project offline
            assert got.status == ("FAILED" if want.status == "FAILED" else None), name
            assert ("diverged" in got.tags.get("neptune.traceback", "")) == (want.status == "FAILED"), name
            assert got.experiment is None
        else:
            assert got.experiment == want.experiment, name
    assert {r.status for r in ml.runs.values()} == {"FINISHED", "FAILED"}


def test_key_value_tags_keep_their_values(pair):
    _, ml, tr, _, _ = pair
    for name, want in ml.runs.items():
        user_tags = {k: v for k, v in want.tags.items() if not k.startswith("mlflow.")}
        got = {k: v for k, v in tr.runs[name].tags.items() if k in user_tags}
        assert got == user_tags, name
    assert any(not k.startswith("mlflow.") for r in ml.runs.values() for k in r.tags)


def test_code_facts_match_on_the_subset_carried(pair):
    """Source file, branch and repository URL equal MLflow's wherever MLflow has them (neptune 1.x
    keeps only the source file offline); the commit is the generator repository's real one."""
    label, ml, tr, written, _ = pair
    tags = ("mlflow.source.name",) if label == "neptune-v1" else CODE_TAGS
    compared = 0
    for name, want in ml.runs.items():
        got = tr.runs[name].tags
        for tag in tags:
            if tag in want.tags:
                assert got.get(tag) == want.tags[tag], (name, tag)
                compared += 1
        if label != "neptune-v1":
            commit = written["runs"][name]["commit"]
            assert got.get("mlflow.source.git.commit") == commit, name
            assert (commit is not None) == ("mlflow.source.git.commit" in want.tags), name
        if label.startswith("neptune") and written["runs"][name]["commit"]:  # Neptune keeps the dirty state
            dirty = written["runs"][name]["dirty"]
            if label == "neptune-v1":  # 1.x uploads a diff when there is one, and says nothing otherwise
                assert got.get("neptune.git_dirty") == ("true" if dirty else None), name
            else:
                assert got.get("neptune.git_dirty") == str(dirty).lower(), name
    assert compared >= (2 if label == "neptune-v1" else 4)
    assert any(w["dirty"] for w in written["runs"].values())


def test_datasets_match_by_name_and_source(pair):
    label, ml, tr, _, _ = pair
    for name, want in ml.runs.items():
        training = sorted((d.name, json.loads(d.source)["uri"]) for d in want.datasets if d.context == "training")
        got = sorted((d.name, d.source) for d in tr.runs[name].datasets)
        assert got == training, name
    if label.startswith("comet"):  # comet-ml's own hash of what was logged as the dataset
        assert all(d.digest for r in tr.runs.values() for d in r.datasets)


def test_comet_model_versions_match_mlflow(pair):
    """Every registration, in the run MLflow registered it from (``N`` ↔ ``N.0.0``); the one
    registered by re-opening an earlier run comes from that run's continued experiment (a second
    zip with the same key, read as the same run); description, stage and tag keys as MLflow's."""
    label, ml, tr, _, oracle = pair
    if not label.startswith("comet"):
        assert tr.versions == {} and tr.counts["model_versions"] == 0
        return
    registered = oracle["written"]["versions"]  # number -> MLflow run id
    assert set(tr.versions) == {comet_version(n) for n in registered}
    assert tr.counts["model_versions"] == len(registered)
    assert len({rid for rid in registered.values()}) < len(registered)  # one run registered twice
    for number, run_id in registered.items():
        got = tr.versions[comet_version(number)]
        assert tr.names[got.run_id] == ml.names[run_id], number
        assert got.creator == tr.runs[tr.names[got.run_id]].user
        want = ml.versions[number]
        if want.deleted:  # MLflow lists no facts of a deleted version
            continue
        assert (got.description, got.stage) == (want.description, None if want.stage == "None" else want.stage)
        assert {k for k in got.tags if not k.startswith("comet.")} == set(want.tags), number


# -- what each backend cannot carry ---------------------------------------------------------------------
def _ml_datasets(ml):
    datasets = [d for r in ml.runs.values() for d in r.datasets]
    assert datasets
    return datasets


def _tr_datasets(tr):
    datasets = [d for r in tr.runs.values() for d in r.datasets]
    assert datasets
    return datasets


def _experiment_tags(ml, tr, written):
    assert any(e.tags for e in ml.experiments.values())
    assert all(k.split(".")[0] in ("comet", "neptune") for e in tr.experiments.values() for k in e.tags)


def _experiments_without_runs(ml, tr, written):
    with_runs = {r.experiment for r in ml.runs.values()}
    assert [n for n, e in ml.experiments.items() if n not in with_runs and not e.deleted]
    assert set(tr.experiments) == {r.experiment for r in tr.runs.values() if r.experiment}


def _deleted_experiments(ml, tr, written):
    assert [n for n, e in ml.experiments.items() if e.deleted]
    assert {e.lifecycle_stage for e in tr.experiments.values()} <= {"active"}


def _deleted_runs(ml, tr, written):
    deleted = [n for n, r in ml.runs.items() if r.deleted]
    assert deleted and all(tr.runs[n].lifecycle_stage == "active" for n in deleted)


def _git_dirty_state(ml, tr, written):
    dirty = [n for n, w in written["runs"].items() if w["dirty"]]
    assert dirty  # the generator left uncommitted changes in that run's repository
    assert not any(k in tr.runs[n].tags for n in dirty for k in ("comet.git_patch", "neptune.git_dirty"))


def _dataset_context(ml, tr, written):
    assert {d.context for d in _ml_datasets(ml)} == {"training", "evaluation"}
    assert {d.context for d in _tr_datasets(tr)} == {None}


def _dataset_schema(ml, tr, written):
    assert all(d.schema for d in _ml_datasets(ml))
    assert {d.schema for d in _tr_datasets(tr)} == {None}


def _dataset_digest(ml, tr, written):
    assert all(d.digest for d in _ml_datasets(ml))
    assert {d.digest for d in _tr_datasets(tr)} == {None}


def _more_than_one_dataset(ml, tr, written):
    assert any(len(r.datasets) > 1 for r in ml.runs.values())
    assert all(len(r.datasets) <= 1 for r in tr.runs.values())


def _model_description(ml, tr, written):
    assert any(m.description for m in ml.models.values())
    assert {m.description for m in tr.models.values()} <= {None}


def _model_tags(ml, tr, written):
    assert any(m.tags for m in ml.models.values())
    assert not any(m.tags for m in tr.models.values())


def _models_without_versions(ml, tr, written):
    import scenario

    empty = [n for n in ml.models if n != scenario.MODEL]
    assert empty and not set(empty) & set(tr.models)


def _model_aliases(ml, tr, written):
    assert any(m.aliases for m in ml.models.values()) and any(v.aliases for v in ml.versions.values())
    assert not any(m.aliases for m in tr.models.values()) and not any(v.aliases for v in tr.versions.values())


def _version_tag_values(ml, tr, written):
    assert any(v for mv in ml.versions.values() for v in mv.tags.values())
    assert all(v == "" for mv in tr.versions.values() for k, v in mv.tags.items() if not k.startswith("comet."))


def _version_times(ml, tr, written):
    assert all(v.creation_time for v in ml.versions.values())
    assert {(v.creation_time, v.last_updated_time) for v in tr.versions.values()} <= {(None, None)}


def _deleted_versions(ml, tr, written):
    deleted = [n for n, v in ml.versions.items() if v.deleted]
    assert deleted and all(not tr.versions[comet_version(n)].deleted for n in deleted)  # kept, live


def _logged_models(ml, tr, written):
    assert ml.logged_models and tr.logged_models == []


def _registered_models(ml, tr, written):
    assert ml.models and tr.models == {} and tr.counts["registered_models"] == 0


def _model_versions(ml, tr, written):
    assert ml.versions and tr.versions == {} and tr.counts["model_versions"] == 0


def _run_user(ml, tr, written):
    assert all(r.user for r in ml.runs.values())
    assert {r.user for r in tr.runs.values()} == {None}


def _run_end_time(ml, tr, written):
    assert all(r.end_time for r in ml.runs.values())
    assert {r.end_time for r in tr.runs.values()} == {None}


def _finished_status(ml, tr, written):
    finished = [n for n, r in ml.runs.items() if r.status == "FINISHED"]
    assert finished and {tr.runs[n].status for n in finished} == {None}


def _run_status(ml, tr, written):
    assert {r.status for r in ml.runs.values()} == {"FINISHED", "FAILED"}
    assert {r.status for r in tr.runs.values()} == {None}


def _experiment_name(ml, tr, written):
    assert all(r.experiment for r in ml.runs.values())
    assert tr.experiments == {} and {r.experiment for r in tr.runs.values()} == {None}


def _code_tag(tag):
    def check(ml, tr, written):
        assert any(tag in r.tags for r in ml.runs.values())
        assert not any(tag in r.tags for r in tr.runs.values())
    return check


CHECKS = {
    "experiment tags": _experiment_tags,
    "experiments without runs": _experiments_without_runs,
    "deleted experiments": _deleted_experiments,
    "deleted runs": _deleted_runs,
    "git dirty state": _git_dirty_state,
    "dataset context": _dataset_context,
    "dataset schema": _dataset_schema,
    "dataset digest": _dataset_digest,
    "more than one dataset per run": _more_than_one_dataset,
    "registered model description": _model_description,
    "registered model tags": _model_tags,
    "registered models without versions": _models_without_versions,
    "model aliases": _model_aliases,
    "version tag values": _version_tag_values,
    "version times": _version_times,
    "deleted versions": _deleted_versions,
    "logged models": _logged_models,
    "registered models": _registered_models,
    "model versions": _model_versions,
    "run user": _run_user,
    "run end time": _run_end_time,
    "finished run status": _finished_status,
    "run status": _run_status,
    "experiment (project) name": _experiment_name,
    "git commit": _code_tag("mlflow.source.git.commit"),
    "git branch": _code_tag("mlflow.source.git.branch"),
    "git repository URL": _code_tag("mlflow.source.git.repoURL"),
}


def test_every_listed_fact_has_a_check_and_holds(pair):
    label, ml, tr, written, _ = pair
    facts = tr.store.cannot_carry
    assert facts and len(set(facts)) == len(facts)
    missing = [f for f in facts if f not in CHECKS]
    assert missing == [], f"{label}: no check for {missing}"
    for fact in facts:
        CHECKS[fact](ml, tr, written)


# -- each cannot-carry fact is a lineage gap naming the backend ---------------------------------------------
def test_lineage_names_each_fact_the_backend_cannot_carry(pair, cli_run, tmp_path):
    label, ml, tr, _, _ = pair
    run = tr.runs["logreg-c1"]
    if tr.versions:  # Comet: the decision names the registered version
        ref = f"credit-risk,{comet_version('1')},"
    else:  # Neptune keeps no registry offline: the decision names the run
        ref = f",,runs:/{run.run_id}/model"
    log = tmp_path / "decisions.csv"
    log.write_text("prediction_id,timestamp,model_name,model_version,model_uri,decision\n"
                   f"D-1,2026-03-01T10:00:00Z,{ref},approve\n", encoding="utf-8")
    result = cli_run("lineage", "D-1", "--store", f"{label.split('-')[0]}://{STORES[label]}",
                     "--predictions", str(log), "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["run"]["id"] == run.run_id and doc["run"]["params"] == dict(run.params)
    for fact in tr.store.cannot_carry:
        assert GAP_CANNOT_CARRY.format(backend=tr.backend, fact=fact) in doc["gaps"], fact
    assert doc["code"]["source"] == "train.py"


def test_environment_as_recorded(pair):
    """The client's own record of the environment: python, the client's version, packages (Comet)."""
    label, _, tr, written, _ = pair
    for run in tr.runs.values():
        if label.startswith("comet"):
            packages = run.tags["comet.installed_packages"].splitlines()
            assert {p.replace("-", "_").lower() for p in packages} >= {f"comet_ml=={written['comet_ml']}"}
            assert run.tags["comet.python_version"].count(".") == 2
        elif label == "neptune-v1":
            assert run.tags["neptune.client_version"] == written["neptune"]
            assert run.tags["neptune.python_version"].split()[0].count(".") == 2
        else:
            assert run.tags["neptune.client"] == "neptune-scale" and written["neptune_scale"]

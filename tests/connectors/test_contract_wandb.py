"""W&B against the connector contract: the scenario of tests/fixtures/scenario.py, written by MLflow
into sqlite (conftest ``sqlite_scenario``) and by real wandb 0.31 offline into a wandb folder
(tests/fixtures/scenario_wandb.py, at test time, from MLflow's own reading of that sqlite store),
read back with :func:`auditkit.open_store`.

Every fact W&B can express must be equal: experiment name, run names, users, statuses, params,
latest metrics, the run facts W&B records itself (name, user, git commit and remote, program), the
keys of key/value tags, datasets (name, source URI, profile, rows), model versions (the run that
logged each, description, aliases) and the registered model's aliases. Version numbers map by
order: MLflow's ``"1", "2", …`` are W&B's ``"v0", "v1", …`` (the W&B server numbers an artifact's
versions from v0 in logging order; MLflow's fourth version came from re-opening an earlier run,
which W&B does by resuming it, so that version's artifact is logged last). W&B's own ``latest`` alias has no MLflow counterpart and is
left out of alias comparisons (checked to sit on the newest version).

:data:`WANDB_CANNOT_CARRY` lists the scenario's facts W&B cannot hold. Each entry has a check that
MLflow's store really has the fact and the W&B store really lacks it (absent, ``None`` or the
default), so the list goes stale loudly: a fact W&B starts to carry, or one the scenario stops
writing, fails its check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from scenario_wandb import RECORDED_TAGS, SYSTEM_TAG_SETTINGS, write_wandb_scenario

import auditkit
from auditkit.connectors.wandb import WANDB_CANNOT_CARRY  # each a lineage gap on W&B stores

#: MLflow tags W&B records as facts of its own (run name, user, git commit/remote, program).
CARRIED_SYSTEM_TAGS = frozenset(RECORDED_TAGS) | frozenset(SYSTEM_TAG_SETTINGS)


@dataclass
class Side:
    """One store's records, keyed the way the comparison needs them."""

    backend: str
    experiments: dict
    runs: dict  # run name -> Run
    names: dict  # run id -> run name
    models: dict
    versions: dict  # version -> ModelVersion (model "credit-risk" only)
    logged_models: list
    counts: dict


def side(store, model: str) -> Side:
    runs = {r.run_name: r for r in store.runs()}
    assert len(runs) == len(store.runs()), "run names are unique in the scenario"
    return Side(
        backend=store.backend, experiments={e.name: e for e in store.experiments()}, runs=runs,
        names={r.run_id: r.run_name for r in runs.values()},
        models={m.name: m for m in store.registered_models()},
        versions={v.version: v for v in store.model_versions() if v.name == model},
        logged_models=store.logged_models(), counts=dict(store.info().counts),
    )


def wandb_version(number: str) -> str:
    """MLflow version ``"N"`` → the W&B version of the same registration (``"v{N-1}"``)."""
    return f"v{int(number) - 1}"


@pytest.fixture(scope="module")
def stores(sqlite_scenario, tmp_path_factory):
    import scenario

    uri, oracle = sqlite_scenario
    folder = tmp_path_factory.mktemp("wandb-scenario")
    written = write_wandb_scenario(folder, oracle=oracle)
    with auditkit.open_store(uri) as ml_store, auditkit.open_store(str(folder / "wandb")) as wb_store:
        ml, wb = side(ml_store, scenario.MODEL), side(wb_store, scenario.MODEL)
    assert (ml.backend, wb.backend) == ("mlflow-sql", "wandb")
    return ml, wb, oracle, written


# -- what W&B carries -----------------------------------------------------------------------------
def test_experiment_and_runs_match(stores):
    ml, wb, oracle, written = stores
    assert set(wb.experiments) == {r.experiment for r in ml.runs.values()} == {r.experiment for r in wb.runs.values()}
    assert wb.runs.keys() == ml.runs.keys() == written["run_ids"].keys()
    assert len(wb.runs) == len(oracle["runs"]) == wb.counts["runs"] == ml.counts["runs"]
    for name, want in ml.runs.items():
        got = wb.runs[name]
        assert got.run_id == written["run_ids"][name]
        assert (got.user, got.status) == (want.user, want.status), name
        assert dict(got.params) == dict(want.params), name
        assert dict(got.metrics) == dict(want.metrics), name
        assert (got.start_time is not None, got.end_time is not None) == (
            want.start_time is not None, want.end_time is not None), name
    # The comparison has substance: every run has params and metrics, and both statuses occur.
    assert all(r.params and r.metrics for r in ml.runs.values())
    assert {r.status for r in ml.runs.values()} == {"FINISHED", "FAILED"}


def test_run_tags_w_and_b_can_carry_match(stores):
    """System facts W&B records itself keep their values; key/value tags keep their keys (W&B tags
    are labels, read as keys with empty values); W&B adds only ``wandb.*`` tags of its own."""
    ml, wb, _, _ = stores
    for name, want in ml.runs.items():
        expected = {k: v for k, v in want.tags.items() if k in CARRIED_SYSTEM_TAGS}
        expected.update({k: "" for k in want.tags if not k.startswith("mlflow.")})
        got = {k: v for k, v in wb.runs[name].tags.items() if not k.startswith("wandb.")}
        assert got == expected, name
    carried = {k for r in ml.runs.values() for k in r.tags if k in CARRIED_SYSTEM_TAGS}
    assert carried == CARRIED_SYSTEM_TAGS  # each mapped system tag occurs in the scenario


def test_datasets_match_by_name_source_profile_and_rows(stores):
    ml, wb, _, _ = stores
    for name, want in ml.runs.items():
        expected = sorted((d.name, json.loads(d.source)["uri"], json.loads(d.profile), d.rows) for d in want.datasets)
        got = sorted((d.name, d.source, json.loads(d.profile), d.rows) for d in wb.runs[name].datasets)
        assert got == expected, name
    assert sum(len(r.datasets) for r in ml.runs.values()) > 0
    assert wb.counts["datasets"] == ml.counts["datasets"]


def test_model_versions_match_by_registration_order(stores):
    """``"N"`` ↔ ``"vN-1"``: same logging run, description and aliases (W&B's ``latest`` aside)."""
    ml, wb, oracle, _ = stores
    registered = oracle["written"]["versions"]  # version -> MLflow run id, as registered
    assert sorted(wb.versions, key=lambda v: int(v[1:])) == [wandb_version(n) for n in sorted(registered, key=int)]
    assert wb.counts["model_versions"] == ml.counts["model_versions"] == len(registered)
    for number, run_id in registered.items():
        got = wb.versions[wandb_version(number)]
        # W&B numbers in logging order: a version logged later by a resumed run comes after the
        # versions other runs logged in between, not next to its run's first one.
        assert wb.names[got.run_id] == ml.names[run_id], f"MLflow {number} / W&B {wandb_version(number)}"
        want = ml.versions[number]
        if not want.deleted:  # MLflow's SQL store redacts a deleted version's run and description
            assert got.run_id == wb.runs[ml.names[want.run_id]].run_id, number
            assert got.description == want.description, number
        assert tuple(a for a in got.aliases if a != "latest") == want.aliases, number
        assert got.creator == wb.runs[wb.names[got.run_id]].user  # W&B: the logging run's user
    newest = max(wb.versions, key=lambda v: int(v[1:]))
    assert [v for v, mv in wb.versions.items() if "latest" in mv.aliases] == [newest]


def test_registered_model_aliases_match(stores):
    import scenario

    ml, wb, _, _ = stores
    want = ml.models[scenario.MODEL].aliases
    got = {a: v for a, v in wb.models[scenario.MODEL].aliases.items() if a != "latest"}
    assert want and got == {alias: wandb_version(number) for alias, number in want.items()}


# -- what W&B cannot carry ------------------------------------------------------------------------
def _experiment_tags(ml: Side, wb: Side) -> None:
    assert any(e.tags for e in ml.experiments.values())
    assert all(k.startswith("wandb.") for e in wb.experiments.values() for k in e.tags)


def _experiments_without_runs(ml: Side, wb: Side) -> None:
    with_runs = {r.experiment for r in ml.runs.values()}
    assert [n for n, e in ml.experiments.items() if n not in with_runs and not e.deleted]  # e.g. Default
    assert set(wb.experiments) == {r.experiment for r in wb.runs.values()}


def _deleted_experiments(ml: Side, wb: Side) -> None:
    deleted = [n for n, e in ml.experiments.items() if e.deleted]
    assert deleted and not set(deleted) & set(wb.experiments)
    assert {e.lifecycle_stage for e in wb.experiments.values()} == {"active"}


def _deleted_runs(ml: Side, wb: Side) -> None:
    deleted = [n for n, r in ml.runs.items() if r.deleted]
    assert deleted and all(wb.runs[n].lifecycle_stage == "active" for n in deleted)  # kept, not deleted


def _run_tag_values(ml: Side, wb: Side) -> None:
    user_tags = [(n, k, v) for n, r in ml.runs.items() for k, v in r.tags.items() if not k.startswith("mlflow.")]
    assert user_tags and all(v for _, _, v in user_tags)
    assert all(wb.runs[n].tags[k] == "" for n, k, _ in user_tags)


def _git_branch(ml: Side, wb: Side) -> None:
    uncarried = {k for r in ml.runs.values() for k in r.tags if k.startswith("mlflow.") and k not in CARRIED_SYSTEM_TAGS}
    assert uncarried == {"mlflow.source.git.branch"}  # any other uncarried system tag must be listed
    assert not any(k in r.tags for r in wb.runs.values() for k in uncarried)


def _ml_datasets(ml: Side) -> list:
    datasets = [d for r in ml.runs.values() for d in r.datasets]
    assert datasets
    return datasets


def _wb_datasets(wb: Side) -> list:
    datasets = [d for r in wb.runs.values() for d in r.datasets]
    assert datasets
    return datasets


def _dataset_context(ml: Side, wb: Side) -> None:
    assert {d.context for d in _ml_datasets(ml)} == {"training", "evaluation"}
    # Offline W&B has logged artifacts only ("output"); wandb refuses use_artifact ("input").
    assert {d.context for d in _wb_datasets(wb)} == {"output"}


def _dataset_schema(ml: Side, wb: Side) -> None:
    assert all(d.schema for d in _ml_datasets(ml))
    assert {d.schema for d in _wb_datasets(wb)} == {None}


def _dataset_source_type(ml: Side, wb: Side) -> None:
    assert {d.source_type for d in _ml_datasets(ml)} == {"s3"}
    assert {d.source_type for d in _wb_datasets(wb)} == {"wandb-artifact"}


def _dataset_digest(ml: Side, wb: Side) -> None:
    """MLflow hashes a data sample, W&B hashes the artifact manifest: never the same value."""
    ml_digests = {d.digest for d in _ml_datasets(ml)}
    wb_digests = {d.digest for d in _wb_datasets(wb)}
    assert None not in ml_digests and None not in wb_digests and not ml_digests & wb_digests


def _model_description(ml: Side, wb: Side) -> None:
    assert any(m.description for m in ml.models.values())
    assert {m.description for m in wb.models.values()} == {None}


def _model_tags(ml: Side, wb: Side) -> None:
    assert any(m.tags for m in ml.models.values())
    assert all(k.startswith("wandb.") for m in wb.models.values() for k in m.tags)


def _models_without_versions(ml: Side, wb: Side) -> None:
    import scenario

    empty = [n for n in ml.models if n != scenario.MODEL]
    assert empty and not set(empty) & set(wb.models)


def _version_stages(ml: Side, wb: Side) -> None:
    assert {v.stage for v in ml.versions.values()} >= {"Production", "Staging"}
    assert {v.stage for v in wb.versions.values()} == {None}


def _version_tags(ml: Side, wb: Side) -> None:
    """wandb refuses artifact tags offline ("used prior to logging artifact or while in offline mode")."""
    assert any(v.tags for v in ml.versions.values())
    assert all(k.startswith("wandb.") for v in wb.versions.values() for k in v.tags)


def _version_status(ml: Side, wb: Side) -> None:
    assert {v.status for v in ml.versions.values()} == {"READY"}
    assert {v.status for v in wb.versions.values()} == {None}


def _version_times(ml: Side, wb: Side) -> None:
    assert all(v.creation_time and v.last_updated_time for v in ml.versions.values())
    assert {(v.creation_time, v.last_updated_time) for v in wb.versions.values()} == {(None, None)}


def _deleted_versions(ml: Side, wb: Side) -> None:
    deleted = [n for n, v in ml.versions.items() if v.deleted]
    assert deleted and ml.counts["deleted_model_versions"] == len(deleted)
    assert all(not wb.versions[wandb_version(n)].deleted for n in deleted)  # kept, live
    assert "deleted_model_versions" not in wb.counts


def _logged_models(ml: Side, wb: Side) -> None:
    assert ml.logged_models and all(v.model_id for v in ml.versions.values() if not v.deleted)
    assert wb.logged_models == [] and {v.model_id for v in wb.versions.values()} == {None}


CHECKS = {
    "experiment tags": _experiment_tags,
    "experiments without runs": _experiments_without_runs,
    "deleted experiments": _deleted_experiments,
    "deleted runs": _deleted_runs,
    "run tag values": _run_tag_values,
    "git branch": _git_branch,
    "dataset context": _dataset_context,
    "dataset schema": _dataset_schema,
    "dataset source type": _dataset_source_type,
    "dataset digest": _dataset_digest,
    "registered model description": _model_description,
    "registered model tags": _model_tags,
    "registered models without versions": _models_without_versions,
    "version stages": _version_stages,
    "version tags": _version_tags,
    "version status": _version_status,
    "version times": _version_times,
    "deleted versions": _deleted_versions,
    "logged models": _logged_models,
}


def test_every_listed_fact_has_a_check():
    assert list(CHECKS) == list(WANDB_CANNOT_CARRY)


@pytest.mark.parametrize("fact", WANDB_CANNOT_CARRY)
def test_wandb_cannot_carry(fact, stores):
    ml, wb, _, _ = stores
    CHECKS[fact](ml, wb)

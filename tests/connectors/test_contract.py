"""The connector contract: one scenario (tests/fixtures/scenario.py) written by MLflow into
different stores must give equal records from every connector, ids aside.

Ids (experiment, run and logged-model ids) and storage locations differ between two stores by
construction, and so do the wall-clock times MLflow stamped while writing. Everything else must be
equal: names, users, statuses, lifecycle stages, params, latest metrics, tags, datasets (digest,
source, schema, profile, rows, context), registered models, versions (stage, aliases, tags,
status, description, the run and logged model behind them) and logged models. Ids inside values
(a tag naming a run, a ``models:/m-…`` source) are compared by what they point at.

One documented difference: MLflow's SQL store redacts a deleted model version (source, run id,
description and creator overwritten), its file store keeps them; deleted versions are therefore
compared on what both keep, and the test shows each side as stored.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import FIXTURES

import auditkit

LEGACY = FIXTURES / "legacy"
_ID = re.compile(r"\b(?:m-)?[0-9a-f]{32}\b")
#: Wall-clock times MLflow writes into values (e.g. ``utc_time_created`` in mlflow.log-model.history).
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?")


def _labels(store) -> tuple[dict[str, str], dict[str, str]]:
    """Experiment id -> name, and run/logged-model id -> a label naming what it is."""
    exp_name = {e.experiment_id: e.name for e in store.experiments()}
    labels = {r.run_id: f"<run {exp_name.get(r.experiment_id)}/{r.run_name}>" for r in store.runs()}
    per_run: dict[str, int] = {}
    for m in sorted(store.logged_models(), key=lambda m: (m.creation_time, m.model_id)):
        owner = labels.get(m.source_run_id or "", "<no run>")
        n = per_run[owner] = per_run.get(owner, 0) + 1
        labels[m.model_id] = f"<model {owner} {m.name} #{n}>"
    return exp_name, labels


def _sub(value, labels: dict[str, str]):
    """``value`` with every run/model id in its text replaced by the label of what it names."""
    if isinstance(value, str):
        return _TIME.sub("<time>", _ID.sub(lambda m: labels.get(m.group(0), "<unknown id>"), value))
    if isinstance(value, dict):
        return {k: _sub(v, labels) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sub(v, labels) for v in value]
    return value


def _location_free(source: str | None) -> str | None:
    """A version source without the store's own location (from the run or model it names on)."""
    if source is None:
        return None
    starts = [source.index(m) for m in ("<run ", "<model ") if m in source]
    return source[min(starts):] if starts else source


def normalized(store) -> dict:
    """Everything the contract compares, keyed and labelled without ids or locations."""
    exp_name, labels = _labels(store)
    out: dict = {
        "experiments": {e.name: {"lifecycle_stage": e.lifecycle_stage, "tags": dict(e.tags)}
                        for e in store.experiments()},
        "runs": {},
        "registered_models": {m.name: {"description": m.description, "tags": dict(m.tags), "aliases": dict(m.aliases)}
                              for m in store.registered_models()},
        "model_versions": {},
        "logged_models": {},
    }
    for r in store.runs():
        out["runs"][labels[r.run_id]] = {
            "experiment": r.experiment, "run_name": r.run_name, "user": r.user, "status": r.status,
            "lifecycle_stage": r.lifecycle_stage, "has_start": r.start_time is not None,
            "has_end": r.end_time is not None, "params": dict(r.params), "metrics": dict(r.metrics),
            "tags": _sub(dict(r.tags), labels), "datasets": [d.to_dict() for d in r.datasets],
        }
    for v in store.model_versions():
        out["model_versions"][(v.name, v.version)] = {
            "stage": v.stage, "aliases": list(v.aliases), "tags": dict(v.tags), "status": v.status,
            "deleted": v.deleted, "creator": v.creator, "description": v.description,
            "run": labels.get(v.run_id) if v.run_id else None,
            "model": labels.get(v.model_id) if v.model_id else None,
            "source": _location_free(_sub(v.source, labels)), "run_link": v.run_link,
        }
    for m in store.logged_models():
        out["logged_models"][labels[m.model_id]] = {
            "name": m.name, "status": m.status, "lifecycle_stage": m.lifecycle_stage,
            "experiment": exp_name.get(m.experiment_id or ""), "source_run": labels.get(m.source_run_id or ""),
            "tags": _sub(dict(m.tags), labels), "params": dict(m.params),
        }
    return out


#: What MLflow's SQL store overwrites when a version is deleted (its file store keeps them).
REDACTED_BY_SQL = ("source", "run", "model", "description", "creator", "run_link")


def assert_same_records(sql_store, file_store) -> None:
    a, b = normalized(sql_store), normalized(file_store)
    assert a["experiments"] == b["experiments"]
    assert a["registered_models"] == b["registered_models"]
    assert a["logged_models"] == b["logged_models"]
    assert a["runs"].keys() == b["runs"].keys()
    for key in a["runs"]:
        assert a["runs"][key] == b["runs"][key], key
    assert a["model_versions"].keys() == b["model_versions"].keys()
    for key, want in a["model_versions"].items():
        got = b["model_versions"][key]
        if want["deleted"]:
            kept = {k: v for k, v in want.items() if k not in REDACTED_BY_SQL}
            assert kept == {k: v for k, v in got.items() if k not in REDACTED_BY_SQL}, key
            assert want["source"] is None and want["run"] is None  # redacted by MLflow's SQL store
            assert got["run"] is not None and got["source"]  # kept, as stored, by its file store
        else:
            assert want == got, key
    counts_a, counts_b = sql_store.info().counts, file_store.info().counts
    shared = sorted(set(counts_a) & set(counts_b))
    assert {k: counts_a[k] for k in shared} == {k: counts_b[k] for k in shared}
    assert {"runs", "model_versions", "deleted_model_versions", "experiments"} <= set(shared)


@pytest.mark.parametrize("sql_fixture", ["sqlite_scenario", "pg_scenario"])
def test_sql_and_mlruns_stores_give_equal_records(sql_fixture, request, mlruns_scenario):
    sql_uri, sql_oracle = request.getfixturevalue(sql_fixture)
    root, file_oracle = mlruns_scenario
    assert sql_oracle["mlflow_version"] == file_oracle["mlflow_version"]
    with auditkit.open_store(sql_uri) as sql_store, auditkit.open_store(str(root)) as file_store:
        assert (sql_store.backend, file_store.backend) == ("mlflow-sql", "mlflow-file")
        assert_same_records(sql_store, file_store)
        # The comparison has substance: the scenario's facts are all there.
        runs = normalized(file_store)["runs"]
        assert sum(len(r["datasets"]) for r in runs.values()) == sum(len(r["datasets"]) for r in file_oracle["runs"])
        assert len(runs) == len(file_oracle["runs"]) and all(r["params"] for r in runs.values())


def _legacy_pairs() -> list[str]:
    return sorted(p.name for p in LEGACY.glob("mlflow-*") if (p / "mlflow.db").exists() and (p / "mlruns").is_dir())


@pytest.mark.parametrize("release", _legacy_pairs())
def test_older_mlflow_sqlite_and_mlruns_give_equal_records(release):
    folder = LEGACY / release
    oracle_sql = json.loads((folder / "oracle.json").read_text(encoding="utf-8"))
    oracle_file = json.loads((folder / "oracle-mlruns.json").read_text(encoding="utf-8"))
    assert oracle_sql["mlflow_version"] == oracle_file["mlflow_version"] == release.split("-", 1)[1]
    with auditkit.open_store(str(folder / "mlflow.db")) as sql_store, \
            auditkit.open_store(str(folder / "mlruns")) as file_store:
        assert_same_records(sql_store, file_store)


def test_normalization_keeps_what_ids_point_at(mlruns_scenario):
    """Guard the guard: ids inside values become labels of the record they name, so a tag that
    named the wrong run would still differ."""
    root, oracle = mlruns_scenario
    with auditkit.open_store(str(root)) as store:
        norm = normalized(store)
    v1 = norm["model_versions"][("credit-risk", "1")]
    assert v1["run"] == "<run credit-risk/logreg-c1>"
    if v1["model"]:  # MLflow 3: the version's source is its logged model
        assert v1["source"] == v1["model"] and v1["model"].startswith("<model <run credit-risk/logreg-c1> model #")
    assert not any(_ID.search(json.dumps(r)) for r in norm["runs"].values())
    assert len(norm["runs"]) == len(oracle["runs"])

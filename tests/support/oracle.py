"""Compare a connector's records with MLflow's own client reading the same store (the oracle,
see tests/fixtures/scenario.py ``read_oracle``). Used by every MLflow backend's tests."""

from __future__ import annotations

import math
from datetime import datetime


def _ms(value: datetime | None) -> int | None:
    return None if value is None else round(value.timestamp() * 1000)


def _metrics_equal(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    return all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


def compare_runs(runs, oracle: dict) -> None:
    """Assert every run MLflow's client sees equals the connector's record, field by field."""
    ours = {r.run_id: r for r in runs}
    theirs = {r["run_id"]: r for r in oracle["runs"]}
    assert set(ours) == set(theirs), "run ids differ"
    for rid, want in theirs.items():
        got = ours[rid]
        assert got.experiment_id == want["experiment_id"], rid
        assert got.run_name == want["run_name"], rid
        assert got.user == want["user"], rid
        assert got.status == want["status"], rid
        assert _ms(got.start_time) == want["start_time"], rid
        assert _ms(got.end_time) == want["end_time"], rid
        assert got.lifecycle_stage == want["lifecycle_stage"], rid
        assert got.artifact_uri == want["artifact_uri"], rid
        assert dict(got.params) == want["params"], rid
        assert _metrics_equal(dict(got.metrics), want["metrics"]), (rid, got.metrics, want["metrics"])
        assert dict(got.tags) == want["tags"], rid
        got_ds = sorted(
            ({"name": d.name, "digest": d.digest, "source_type": d.source_type, "source": d.source,
              "schema": d.schema, "profile": d.profile, "context": d.context} for d in got.datasets),
            key=lambda d: (d["name"], d["context"] or ""),
        )
        assert got_ds == want["datasets"], rid


def compare_registry(versions, registered, oracle: dict) -> None:
    """Assert registered models and (non-deleted) versions equal MLflow's reading. MLflow's
    client hides soft-deleted versions; the connector reports them flagged ``deleted``."""
    live = {(v.name, v.version): v for v in versions if not v.deleted}
    want_versions = {(v["name"], v["version"]): v for v in oracle["model_versions"]}
    assert set(live) == set(want_versions)
    for key, want in want_versions.items():
        got = live[key]
        assert got.stage == want["stage"], key
        assert list(got.aliases) == want["aliases"], key
        assert dict(got.tags) == want["tags"], key
        assert got.source == want["source"], key
        assert got.run_id == want["run_id"], key
        assert got.creator == want["creator"], key
        assert _ms(got.creation_time) == want["creation_time"], key
        assert _ms(got.last_updated_time) == want["last_updated_time"], key
        assert got.description == want["description"], key
        assert got.status == want["status"], key
    got_models = {m.name: m for m in registered}
    want_models = {m["name"]: m for m in oracle["registered_models"]}
    assert set(got_models) == set(want_models)
    for name, want in want_models.items():
        assert got_models[name].description == want["description"]
        assert dict(got_models[name].tags) == want["tags"]
        assert dict(got_models[name].aliases) == {k: str(v) for k, v in want["aliases"].items()}


def compare_experiments(experiments, oracle: dict) -> None:
    got = {e.experiment_id: (e.name, e.lifecycle_stage, dict(e.tags)) for e in experiments}
    want = {e["experiment_id"]: (e["name"], e["lifecycle_stage"], e["tags"]) for e in oracle["experiments"]}
    assert got == want


def compare_all(store, oracle: dict) -> None:
    compare_experiments(store.experiments(), oracle)
    compare_runs(store.runs(), oracle)
    compare_registry(store.model_versions(), store.registered_models(), oracle)

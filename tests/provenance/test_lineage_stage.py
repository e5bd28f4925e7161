"""``models:/NAME/STAGE`` references (how MLflow 2.x deployments name their model) resolved at the
decision's time through the ledger — never with today's stage, never guessed."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pandas as pd

import auditkit
from auditkit.ledger import snapshot

T = datetime(2026, 2, 1, 9, 0, tzinfo=timezone.utc)


def _at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def test_stage_reference_resolves_through_the_ledger(tmp_path, scenario_workdir):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'stages.db'}"
    ledger = tmp_path / "ledger.jsonl"
    old = os.getcwd()
    os.chdir(scenario_workdir)
    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        exp = client.create_experiment("stages")
        runs = [client.create_run(exp, run_name=f"train-{i}").info.run_id for i in (1, 2)]
        client.create_registered_model("scorer")
        for rid in runs:
            client.create_model_version("scorer", f"s3://bucket/scorer/{rid}", run_id=rid)
        client.transition_model_version_stage("scorer", 1, "Production")
        with auditkit.open_store(uri) as store:
            snapshot(store, ledger, now=_at(0))
            snapshot(store, ledger, now=_at(10))
        client.transition_model_version_stage("scorer", 2, "Production", archive_existing_versions=True)
        with auditkit.open_store(uri) as store:
            snapshot(store, ledger, now=_at(20))
            snapshot(store, ledger, now=_at(30))
    finally:
        os.chdir(old)

    log_path = tmp_path / "log.csv"
    rows = [("D-0", -5), ("D-1", 5), ("D-2", 15), ("D-3", 25), ("D-4", 35)]
    log_path.write_text("prediction_id,timestamp,model_uri,decision\n" + "".join(
        f"{pid},{_at(h).isoformat()},models:/scorer/Production,approve\n" for pid, h in rows), encoding="utf-8")
    log = auditkit.open_predictions(str(log_path))
    with auditkit.open_store(uri) as store:
        docs = {pid: auditkit.lineage(store, log, pid, ledger=str(ledger)) for pid, _ in rows}
        frame = auditkit.lineage_frame(store, log, ledger=str(ledger)).set_index("prediction_id")
        today = auditkit.lineage(store, log, "D-1")  # no ledger: today's stage, said in a gap

    def version(pid):
        mv = docs[pid]["model_version"]
        return mv["version"] if mv else None

    assert version("D-1") == "1" and docs["D-1"]["run"]["id"] == runs[0]  # between #1 and #2: proven
    assert version("D-3") == "2" and docs["D-3"]["run"]["id"] == runs[1]  # between #3 and #4: proven
    assert version("D-0") is None  # before the first snapshot
    assert version("D-2") is None  # the stage moved between #2 and #3: candidates, not a guess
    assert any("models:/scorer/Production moved between snapshot #2" in g and "version 1 or version 2" in g
               for g in docs["D-2"]["gaps"])
    assert version("D-4") is None  # after the last snapshot a later move is not on record
    assert today["model_version"] is None  # without a ledger: no version, today's target named
    assert ("model stage reference models:/scorer/Production cannot be resolved at the decision's time because "
            "no ledger was given (--ledger FILE); today it resolves to version 2, which is not proven to be the "
            "version that decided") in today["gaps"]
    for pid, _ in rows:  # the batch path answers exactly as the one-decision path
        got = frame.at[pid, "model_version"]
        assert (None if pd.isna(got) else got) == version(pid), pid
        assert tuple(frame.at[pid, "gaps"]) == tuple(docs[pid]["gaps"]), pid

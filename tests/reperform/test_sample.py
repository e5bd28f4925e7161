"""The bundled sample replays: the re-created skops artifacts of versions 1–3
(sample_data/make_sample_artifacts.py) reproduce every logged score but the one the sample logs
wrong on purpose (APP-005332), and for the logistic versions the recomputed reasons agree with the
ones the sample lender logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import auditkit

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
OPTIONS = {"artifact_roots": [f"mlflow-artifacts:/={SAMPLE / 'artifacts'}"],
           "reason_map": SAMPLE / "reason_codes.yaml", "background": SAMPLE / "datasets" / "credit_train.csv"}


@pytest.fixture(scope="module")
def frame():
    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store, \
            auditkit.open_predictions(str(SAMPLE / "predictions.csv")) as log:
        yield auditkit.explain_frame(store, log, ledger=SAMPLE / "registry-ledger.jsonl", **OPTIONS)


def test_every_decision_replays_and_the_planted_wrong_score_is_a_mismatch(frame):
    assert len(frame) == 2400
    assert (frame["replayed_decision"] == frame["logged_decision"]).all()
    wrong = frame[frame["replay_status"] != "reproduced"]
    assert wrong["prediction_id"].tolist() == ["APP-005332"]
    row = wrong.iloc[0]
    assert row["replay_status"] == "mismatch" and row["model_version"] == "3"
    assert row["logged_score"] == 0.6796 and round(row["replayed_score"], 4) == 0.6296


def test_logistic_versions_reasons_agree_with_the_logged_ones(frame):
    logistic = frame[frame["model_version"].isin(["1", "3"])]
    assert len(logistic) == 1545
    denied = logistic[logistic["logged_decision"] == "deny"]
    assert len(denied) > 100
    assert denied["reasons_consistent"].all() and (denied["logged_unsupported"] == 0).all()
    assert all(len(json.loads(r)) >= 1 for r in denied["recomputed_reasons"])


def test_one_sample_decision_is_explained_with_the_sample_map():
    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store, \
            auditkit.open_predictions(str(SAMPLE / "predictions.csv")) as log:
        doc = auditkit.explain(store, log, "APP-004711", ledger=SAMPLE / "registry-ledger.jsonl", **OPTIONS)
    assert doc["model_version"]["version"] == "2"
    assert doc["replay"]["status"] == "reproduced" and doc["artifact"]["format"] == "skops"
    assert doc["replay"]["tolerance"] == pytest.approx(5e-5)
    assert doc["method"].startswith("TreeSHAP")
    assert doc["reasons"] and all(r["contribution"] < 0 for r in doc["reasons"])
    for cf in doc["counterfactuals"]:
        assert cf["decision"] == "approve"
        assert not {"age_years", "personal_status_sex", "foreign_worker"} & {c["feature"] for c in cf["changes"]}


def test_without_artifact_root_the_servers_location_is_a_gap_naming_the_option():
    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store, \
            auditkit.open_predictions(str(SAMPLE / "predictions.csv")) as log:
        doc = auditkit.explain(store, log, "APP-004711")
    location = "mlflow-artifacts:/1/models/m-5ead379261dc47b4b2e49be5e0da5c82/artifacts"
    assert doc["replay"]["status"] == "not_replayed"
    assert doc["gaps"] == [f"the artifacts of credit-risk/2 are at {location}, which auditkit cannot read from "
                           "this store; map it to a local folder with --artifact-root mlflow-artifacts:/=FOLDER"]
    assert [r["supported"] for r in doc["logged_reasons"]] == [None] * 4

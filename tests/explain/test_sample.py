"""The bundled sample replays: the logistic-regression versions' re-created skops artifacts
(sample_data/make_sample_artifacts.py) reproduce every logged score, and the recomputed reasons
agree with the ones the sample lender logged; the gradient-boosting version has no artifact."""

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


def test_logistic_versions_reproduce_and_their_reasons_agree(frame):
    logistic = frame[frame["model_version"].isin(["1", "3"])]
    assert len(logistic) == 1545
    assert (logistic["replay_status"] == "reproduced").all()
    assert (logistic["replayed_decision"] == logistic["logged_decision"]).all()
    denied = logistic[logistic["logged_decision"] == "deny"]
    assert len(denied) > 100
    assert denied["reasons_consistent"].all() and (denied["logged_unsupported"] == 0).all()
    assert all(len(json.loads(r)) >= 1 for r in denied["recomputed_reasons"])


def test_the_boosting_version_without_artifact_is_a_gap(frame):
    gbm = frame[frame["model_version"] == "2"]
    assert len(gbm) == 855 and (gbm["replay_status"] == "not_replayed").all()
    gap = gbm["gaps"].iloc[0]
    assert any("/models/m-" in g and "does not exist here" in g for g in gap)


def test_one_sample_decision_is_explained_with_the_sample_map():
    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store, \
            auditkit.open_predictions(str(SAMPLE / "predictions.csv")) as log:
        doc = auditkit.explain(store, log, "APP-003309", **OPTIONS)
    assert doc["replay"]["status"] == "reproduced" and doc["artifact"]["format"] == "skops"
    assert doc["replay"]["tolerance"] == pytest.approx(5e-5)
    assert doc["method"].startswith("exact linear attribution")

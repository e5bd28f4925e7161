"""Policy rules ``replay`` and ``reasons_consistent`` on the sample: the serving version 3's
decisions are re-performed from the sample's re-created artifacts; its one planted wrong score
(APP-005332) is a replay finding, and a stale logged reason planted in a copy of the log is a
reasons finding (the sample's own logged reasons are all supported)."""

from __future__ import annotations

from pathlib import Path

import pytest

import auditkit
from auditkit.errors import PolicyError
from auditkit.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"

POLICY = """
auditkit_policy: 1
serving:
  aliases: [champion, challenger]
rules:
  replay:
    severity: error
    predictions: {log}
    artifact_roots:
      "mlflow-artifacts:/": {sample}/artifacts
  reasons_consistent:
    severity: warning
    predictions: {log}
    artifact_roots:
      "mlflow-artifacts:/": {sample}/artifacts
    reason_map: {sample}/reason_codes.yaml
    background: {sample}/datasets/credit_train.csv
"""


def test_replay_and_reasons_rules_on_the_sample(tmp_path):
    import pandas as pd

    frame = pd.read_csv(SAMPLE / "predictions.csv", dtype=str, keep_default_na=False)
    denial = frame[(frame["model_version"] == "3") & (frame["decision"] == "deny")
                   & (frame["reason_4"] != "")].index[0]
    stale = f"Age of {frame.at[denial, 'age_years']} years"
    frame.at[denial, "reason_4"] = stale
    log = tmp_path / "predictions.csv"
    frame.to_csv(log, index=False)
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(sample=SAMPLE, log=log))
    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store:
        findings = auditkit.check_policy(store, str(path), as_of="2026-07-01T00:00:00Z")
    replay = [f for f in findings if f.rule == "replay"]
    assert [(f.model, f.version, f.severity) for f in replay] == [("credit-risk", "3", "error")]
    assert replay[0].missing == (
        f"1 of 745 decisions by model version credit-risk/3 in prediction log {log} do not reproduce when "
        "re-performed from its artifact (1 mismatch, 0 not replayed; e.g. APP-005332); the policy requires "
        "all to reproduce")
    reasons = [f for f in findings if f.rule == "reasons_consistent"]
    assert [(f.version, f.severity) for f in reasons] == [("3", "warning")]
    n = int(((frame["model_version"] == "3") & (frame["reason_1"] != "")).sum())
    assert reasons[0].missing == (
        f"1 of {n} decisions by model version credit-risk/3 with logged reasons carry a reason its model does "
        f"not support when re-performed (e.g. {frame.at[denial, 'prediction_id']}); the policy requires all "
        "consistent")


def test_min_rate_must_be_a_share(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(sample=SAMPLE, log=SAMPLE / "predictions.csv").replace("  replay:\n    severity: error\n",
                                                         "  replay:\n    severity: error\n    min_rate: 2\n"))
    with pytest.raises(PolicyError, match="min_rate"):
        load_policy(path)

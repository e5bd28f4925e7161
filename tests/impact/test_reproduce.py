"""``reproduce``: the recipe of a version, and its script, run by the test, retrains a model that
predicts the same on the evaluation data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import impact_scenario as sc
import mlflow
import pandas as pd
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

import auditkit
from auditkit.cli import cli
from auditkit.impact import reproduce


def test_recipe_holds_what_the_run_recorded_and_names_what_is_missing(incident):
    run_id = incident["runs"]["a1"]["run_id"]
    run = MlflowClient(incident["uri"]).get_run(run_id)
    with auditkit.open_store(incident["uri"]) as store:
        doc = reproduce(store, "models:/credit/1")
    assert doc["code"]["git_commit"] == incident["commits"]["good"]
    assert doc["code"]["repo_url"] == str(incident["origin"])
    assert doc["code"]["git_branch"] == "main" and doc["code"]["entry_point"].endswith("train.py")
    assert doc["params"] == run.data.params
    assert doc["seeds"] == {"seed": run.data.params["seed"]}
    [ds] = doc["datasets"]
    assert (ds["name"], ds["digest"], ds["verified"]) == ("credit-train", run.inputs.dataset_inputs[0].dataset.digest,
                                                          True)
    assert ds["source"] == str(incident["data"] / "train.csv")
    assert any(r.startswith("scikit-learn==") for r in doc["environment"]["requirements"])
    # the run records no hardware: that is the one missing element
    assert doc["gaps"] == [f"run {run_id} records no hardware (no GPU, CPU, machine or instance tag or param)"]
    assert doc["verdict"] == "incomplete"


def test_a_changed_data_file_is_not_verified(incident, tmp_path):
    with auditkit.open_store(incident["uri"]) as store:
        doc = reproduce(store, f"runs:/{incident['runs']['b2']['run_id']}")
    assert doc["datasets"][0]["verified"] is True and doc["model_version"] is None
    assert "numpy" in doc["environment"]["packages"]  # found through the run's logged model


def test_script_retrains_a_model_with_the_same_predictions(incident, tmp_path):
    script = tmp_path / "retrain.sh"
    result = CliRunner().invoke(cli, ["reproduce", "models:/credit/1", "--store", incident["uri"],
                                      "--script", str(script), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "incomplete"
    workdir = tmp_path / "checkout"
    assert script.exists() and not workdir.exists()  # written, never run by auditkit
    text = script.read_text()
    assert incident["commits"]["good"] in text and "--C 1.0" in text
    new_uri = f"sqlite:///{tmp_path / 'retrained.db'}"
    env = {**os.environ, "WORKDIR": str(workdir), "SKIP_ENV": "1", "PYTHON": sys.executable,
           "MLFLOW_TRACKING_URI": new_uri, "GIT_PYTHON_REFRESH": "quiet"}
    done = subprocess.run(["sh", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    retrained = json.loads(done.stdout.strip().splitlines()[-1])
    assert MlflowClient(new_uri).get_run(retrained["run_id"]).data.tags["mlflow.source.git.commit"] == \
        incident["commits"]["good"]
    evaluation = pd.read_csv(incident["data"] / "eval.csv")[list(sc.FEATURES)].astype("float64")
    mlflow.set_tracking_uri(incident["uri"])
    original = mlflow.sklearn.load_model("models:/credit/1")
    mlflow.set_tracking_uri(new_uri)
    again = mlflow.sklearn.load_model(retrained["model_uri"])
    assert (original.predict(evaluation) == again.predict(evaluation)).all()
    assert (original.predict_proba(evaluation) == again.predict_proba(evaluation)).all()
    # and the bad commit's model does not: the comparison can fail
    mlflow.set_tracking_uri(incident["uri"])
    assert not (mlflow.sklearn.load_model("models:/credit/3").predict(evaluation) == original.predict(evaluation)).all()

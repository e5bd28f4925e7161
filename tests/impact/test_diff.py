"""``diff``: two versions side by side show their real differences and nothing else (store,
artifacts and git written by real MLflow)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlparse

import impact_scenario as sc
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

import auditkit
from auditkit.cli import cli
from auditkit.impact import diff


def _run(incident, version: str):
    client = MlflowClient(incident["uri"])
    mv = client.get_model_version(sc.MODEL, version)
    return mv, client.get_run(mv.run_id)


def _metric_differences(incident, a: str, b: str) -> set[str]:
    ra, rb = _run(incident, a)[1], _run(incident, b)[1]
    keys = set(ra.data.metrics) | set(rb.data.metrics)
    return {f"metrics.{k}" for k in keys if ra.data.metrics.get(k) != rb.data.metrics.get(k)}


def test_versions_from_both_commits_differ_in_params_data_commit_environment(incident):
    with auditkit.open_store(incident["uri"]) as store:
        doc = diff(store, "models:/credit/2", "models:/credit/4")
    fields = [d["field"] for d in doc["differences"]]
    # a2: good commit, C=0.5 on train.csv, not approved; b2: bad commit, C=1.0 on train-b.csv, pins numpy
    expected = {"params.C", "params.data", "datasets", "code.git_commit", "environment.numpy", "approvals"}
    assert set(fields) == expected | _metric_differences(incident, "2", "4")
    assert len(fields) == len(set(fields))
    by_field = {d["field"]: d for d in doc["differences"]}
    assert (by_field["params.C"]["a"], by_field["params.C"]["b"]) == ("0.5", "1.0")
    assert by_field["code.git_commit"]["a"] == incident["commits"]["good"]
    assert by_field["code.git_commit"]["b"] == incident["commits"]["bad"]
    assert by_field["environment.numpy"]["a"] is None and by_field["environment.numpy"]["b"].startswith("==")
    digests = {}
    for key in ("a2", "b2"):
        ds = MlflowClient(incident["uri"]).get_run(incident["runs"][key]["run_id"]).inputs.dataset_inputs[0].dataset
        digests[key] = f"{ds.name}@{ds.digest} (training)"
    assert by_field["datasets"] == {"field": "datasets", "a": [digests["a2"]], "b": [digests["b2"]]}
    # differences come in the documented order: params, metrics, datasets, code, environment, approvals
    assert fields.index("params.C") < fields.index("datasets") < fields.index("code.git_commit") \
        < fields.index("environment.numpy") < fields.index("approvals")
    assert doc["gaps"] == []


def test_environment_is_read_from_the_logged_artifacts_with_their_sha256(incident):
    with auditkit.open_store(incident["uri"]) as store:
        doc = diff(store, "models:/credit/1", "models:/credit/3")
    client = MlflowClient(incident["uri"])
    mv = client.get_model_version(sc.MODEL, "3")
    folder = Path(urlparse(client.get_logged_model(mv.source.rsplit("/", 1)[1]).artifact_location).path)
    env = doc["b"]["environment"]
    assert env["files"] == {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                            for name in ("MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml")}
    assert env["requirements"] == (folder / "requirements.txt").read_text().split()
    assert env["python"] in (folder / "python_env.yaml").read_text()
    assert [c["name"] for c in doc["b"]["signature"]["inputs"]] == list(sc.FEATURES)
    # same params and data; the bad commit also pins numpy; both approved, at different times
    fields = {d["field"] for d in doc["differences"]}
    assert fields == {"code.git_commit", "environment.numpy", "approvals"} | _metric_differences(incident, "1", "3")


def test_a_version_against_itself_and_against_its_own_run_has_no_difference(incident):
    run_id = incident["runs"]["a1"]["run_id"]
    with auditkit.open_store(incident["uri"]) as store:
        same = diff(store, "models:/credit/1", "models:/credit@champion")  # champion is 3 today
        itself = diff(store, "models:/credit/1", "models:/credit/1")
        run_side = diff(store, f"runs:/{run_id}", run_id)
    assert itself["differences"] == [] and run_side["differences"] == []
    assert "code.git_commit" in {d["field"] for d in same["differences"]}
    assert run_side["a"]["environment"]["files"] == itself["a"]["environment"]["files"]


def test_cli_prints_differences_first_and_json_matches(incident):
    runner = CliRunner()
    table = runner.invoke(cli, ["diff", "models:/credit/2", "models:/credit/4", "--store", incident["uri"]])
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[3].startswith("Differences (")
    assert "params.C" in table.stdout and "environment.numpy" in table.stdout
    js = runner.invoke(cli, ["diff", "models:/credit/2", "models:/credit/4", "--store", incident["uri"],
                             "--format", "json"])
    with auditkit.open_store(incident["uri"]) as store:
        assert json.loads(js.stdout) == diff(store, "models:/credit/2", "models:/credit/4")
    bad = runner.invoke(cli, ["diff", "models:/credit/9", "models:/credit/1", "--store", incident["uri"]])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: ")


def test_with_the_log_each_side_has_its_own_decisions_and_outcome_rates(incident):
    with auditkit.open_store(incident["uri"]) as store:
        log = auditkit.open_predictions(str(incident["predictions"]))
        doc = diff(store, "models:/credit/2", "models:/credit/3", log=log, ledger=incident["ledger"])
    for side, version in (("a", "2"), ("b", "3")):
        rows = [r for r in incident["rows"] if sc.version_of(r) == version]
        d = doc[side]["decisions"]
        assert d["versions"] == [f"credit/{version}"] and d["count"] == len(rows)
        for outcome in ("approve", "decline"):
            n = sum(r["decision"] == outcome for r in rows)
            assert d["by_outcome"].get(outcome, 0) == n
            assert d["rates"].get(outcome, 0) == n / len(rows)
    rate_fields = {f["field"] for f in doc["differences"] if f["field"].startswith("decisions.rate.")}
    assert rate_fields == {f"decisions.rate.{k}" for k in ("approve", "decline")
                           if doc["a"]["decisions"]["rates"].get(k) != doc["b"]["decisions"]["rates"].get(k)}

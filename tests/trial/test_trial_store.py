"""A store built the way a first real trial built it, and every point of issue 11 checked on it
through the CLI, the Python API and the text of the rendered PDFs.

Real MLflow writes the store: a training script run twice from a git repository made in tmp
(autolog, log_input, a registered model each), approvals as version tags (one by its own run
user), an owner tag on the registered model, and the ``champion`` alias moved from version 1 to
version 2 with ``auditkit snapshot`` taken before, between and after. The serving log has its
own column names, names the model only as ``models:/credit-scorer@champion`` and stamps
decisions in epoch seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pypdf
import pytest

import auditkit
from auditkit.policy.findings import MISSING_SELF_APPROVAL
from auditkit.provenance.gaps import GAP_NO_OWNER

HERE = Path(__file__).parent
MODEL = "credit-scorer"
COLUMNS = ["--column", "prediction_id=request_ref", "--column", "timestamp=scored_at",
           "--column", "model_uri=served_model", "--column", "decision=outcome"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "Trial", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "Trial", "GIT_COMMITTER_EMAIL": "t@example.com"})


def _wait_past(t: float) -> int:
    """Sleep until the clock is past ``t`` by more than a second; return that whole second."""
    while time.time() < t + 1.2:
        time.sleep(0.1)
    return int(time.time())


@pytest.fixture(scope="module")
def trial(tmp_path_factory, cli_run_module):
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("trial")
    repo = root / "repo"
    repo.mkdir()
    (repo / "trial_train.py").write_text((HERE / "trial_train.py").read_text(encoding="utf-8"), encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", "https://git.example.com/credit/scorer.git")
    _git(repo, "add", "trial_train.py")
    _git(repo, "commit", "-q", "-m", "Scorer training")
    db = root / "mlflow.db"
    uri = f"sqlite:///{db}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_REGISTRY_URI": uri,  # other tests set both
           "LOGNAME": "j.ortiz", "USER": "j.ortiz", "GIT_PYTHON_REFRESH": "quiet"}
    for name, c in (("scorer-v1", "1.0"), ("scorer-v2", "0.3")):
        subprocess.run([sys.executable, "trial_train.py", name, c], cwd=repo, env=env, check=True,
                       capture_output=True)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.set_registered_model_tag(MODEL, "owner", "a.khan")
    for v in ("1", "2"):
        client.set_model_version_tag(MODEL, v, "approved_by", "j.ortiz")  # approved by its own run user
        client.set_model_version_tag(MODEL, v, "approved_at", time.strftime("%Y-%m-%d", time.gmtime()))
    ledger = root / "registry-ledger.jsonl"
    snap = lambda: cli_run_module("snapshot", "--store", uri, "--ledger", ledger)  # noqa: E731
    client.set_registered_model_alias(MODEL, "champion", "1")
    assert snap().exit_code == 0
    t1 = time.time()
    first = _wait_past(t1)
    early = [first, first + 1]
    _wait_past(early[-1])
    assert snap().exit_code == 0  # champion still 1: the early decisions are proven
    client.set_registered_model_alias(MODEL, "champion", "2")
    t2 = time.time()
    assert snap().exit_code == 0
    late = [_wait_past(t2)]
    late.append(late[0] + 1)
    _wait_past(late[-1])
    assert snap().exit_code == 0
    rows = []
    for i, at in enumerate(early * 20 + late * 20):
        sex = "female" if i % 3 == 0 else "male"
        outcome = "refer" if (sex == "female" and i % 2 == 0) else "approve"
        rows.append({"request_ref": f"REQ-{i:04d}", "scored_at": at, "served_model": f"models:/{MODEL}@champion",
                     "outcome": outcome, "applicant_sex": sex, "age": 20 + (i * 7) % 50, "income": 2000 + i})
    log = root / "served.csv"
    pd.DataFrame(rows).to_csv(log, index=False)
    frame = pd.DataFrame(rows)
    frame["version"] = ["1" if at in early else "2" for at in frame["scored_at"]]
    return {"uri": uri, "ledger": ledger, "log": log, "frame": frame, "root": root, "repo": repo}


@pytest.fixture(scope="module")
def cli_run_module():
    from click.testing import CliRunner

    from auditkit.cli import cli

    def run(*args):
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return run


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in pypdf.PdfReader(str(path)).pages).split())


def test_lineage_through_the_ledger_with_own_columns_and_epoch_seconds(trial, cli_run):
    f = trial["frame"]
    args = ["--store", trial["uri"], "--predictions", trial["log"], *COLUMNS]
    for pid in (f["request_ref"].iat[0], f["request_ref"].iat[-1]):
        row = f.set_index("request_ref").loc[pid]
        res = cli_run("lineage", pid, *args, "--ledger", trial["ledger"], "--format", "json")
        assert res.exit_code == 0, res.stderr
        doc = json.loads(res.stdout)
        assert doc["prediction"]["timestamp"] == pd.Timestamp(int(row["scored_at"]), unit="s", tz="UTC").strftime(
            "%Y-%m-%dT%H:%M:%S.000Z")  # epoch seconds read as seconds
        assert doc["model_version"]["version"] == row["version"]
        assert doc["code"]["git_commit"] and doc["code"]["repo_url"] == "https://git.example.com/credit/scorer.git"
        assert "training" in [d["context"] for d in doc["datasets"]]  # log_input (autolog adds its own)
        assert GAP_NO_OWNER not in doc["gaps"]  # the registered model's owner tag is read
        assert doc["owner"]["user"] == "j.ortiz"
    # without the ledger: no version, today's target named
    res = cli_run("lineage", f["request_ref"].iat[0], *args, "--format", "json")
    doc = json.loads(res.stdout)
    assert doc["model_version"] is None
    assert doc["gaps"][0].startswith(f"model alias {MODEL}@champion cannot be resolved at the decision's time "
                                     "because no ledger was given (--ledger FILE); today it points to version 2")
    # every decision at once agrees
    out = trial["root"] / "all.csv"
    res = cli_run("lineage", "--all", *args, "--ledger", trial["ledger"], "-o", out)
    assert res.exit_code == 0 and res.stdout.endswith("; 0 attributed to no model version\n")
    written = pd.read_csv(out, dtype=str)
    assert list(written["model_version"]) == list(f["version"])


def test_self_approval_is_a_finding_with_the_run_user_as_creator(trial, cli_run):
    res = cli_run("check", "--store", trial["uri"], "--format", "json")
    assert res.exit_code == 1
    findings = json.loads(res.stdout)["findings"]
    mine = [x for x in findings if x["rule"] == "approver_not_creator"]
    assert mine and mine[0]["severity"] == "error"
    assert mine[0]["missing"] == MISSING_SELF_APPROVAL.format(ref=f"{MODEL}/{mine[0]['version']}", user="j.ortiz")


def test_fairness_per_version_through_the_ledger_cli_and_api(trial, cli_run):
    f = trial["frame"]
    args = ["fairness", "--predictions", trial["log"], *COLUMNS, "--sensitive", "applicant_sex",
            "--model", MODEL, "--version", "1", "--ledger", trial["ledger"], "--format", "json"]
    res = cli_run(*args)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["n"] == int((f["version"] == "1").sum()) and doc["positive"] == "approve"
    mine = f[f["version"] == "1"]
    rates = mine.groupby("applicant_sex")["outcome"].apply(lambda s: (s == "approve").mean())
    assert {g["group"]["applicant_sex"]: g["selection_rate"] for g in doc["by_group"]} == pytest.approx(rates.to_dict())
    with auditkit.open_predictions(str(trial["log"]), columns={"prediction_id": "request_ref", "timestamp": "scored_at",
                                                               "model_uri": "served_model", "decision": "outcome"}) as log:
        api = auditkit.assess_fairness(log=log, sensitive_features="applicant_sex", model=f"models:/{MODEL}/1",
                                       ledger=trial["ledger"])
    assert api.to_dict()["by_group"] == doc["by_group"]
    res = cli_run("fairness", "--predictions", trial["log"], *COLUMNS, "--sensitive", "age", "--positive", "approve")
    assert len([w for w in res.stderr.splitlines() if "age" in w and "--bin age=" in w]) == 1


def test_reports_as_pdf_text(trial, cli_run):
    f = trial["frame"]
    pid = f["request_ref"].iat[0]
    out = trial["root"] / "decision.pdf"
    res = cli_run("report", "decision", pid, "--store", trial["uri"], "--predictions", trial["log"], *COLUMNS,
                  "--ledger", trial["ledger"], "--sensitive", "applicant_sex", "-o", out)
    assert res.exit_code == 0, res.stderr
    text = _pdf_text(out)
    assert f"Model that decided {MODEL} version 1" in text
    assert "alias champion pointed to version 1" in text
    assert "(this applicant's group)" in text
    assert "No fairness summary" not in text
    # inputs as scored: the signature's columns in its order, the rest apart
    assert "The model's inputs in its signature order (signature inputs of" in text
    sig = text.split("5. Inputs as scored")[1].split("6. Lineage")[0]
    assert sig.index("income") < sig.index("debt_ratio") < sig.index("age ") < sig.index("Logged, not model inputs")
    assert sig.index("applicant_sex") > sig.index("Logged, not model inputs")
    model_pdf = trial["root"] / "model.pdf"
    res = cli_run("report", "model", MODEL, "--version", "2", "--store", trial["uri"], "--ledger", trial["ledger"],
                  "--predictions", trial["log"], *COLUMNS, "--sensitive", "applicant_sex", "-o", model_pdf)
    assert res.exit_code == 0, res.stderr
    text = _pdf_text(model_pdf)
    assert f"Records {int((f['version'] == '2').sum())}" in text
    assert "stage set to 'None'" not in text and "version 1 registered" not in text  # its own history only
    inventory = trial["root"] / "inventory.pdf"
    assert cli_run("report", "inventory", "--store", trial["uri"], "-o", inventory).exit_code == 0
    assert "default policy was applied" in _pdf_text(inventory)


def test_history_has_no_stage_noise(trial, cli_run):
    out = cli_run("history", "--ledger", trial["ledger"]).stdout
    assert "alias champion 1 -> 2" in out and "stage" not in out.replace("stages", "")


def test_known_gaps_accepted_and_dataset_sources_readable(trial, cli_run):
    accept = trial["root"] / "accepted-gaps.yaml"
    accept.write_text(
        "accepted:\n"
        "  - gap: \"the model version records no creator; owner taken from run user\"\n"
        f"    model: {MODEL}\n    by: a.khan\n    at: 2026-01-15\n    why: no auth layer on this tracking server\n"
        f"  - gap: \"model version {MODEL}/2 was approved by its own creator*\"\n"
        f"    model: {MODEL}\n    version: \"2\"\n    by: a.khan\n    at: 2026-01-15\n    why: second approver on leave\n",
        encoding="utf-8")
    pid = trial["frame"]["request_ref"].iat[0]
    args = ["--store", trial["uri"], "--predictions", trial["log"], *COLUMNS, "--ledger", trial["ledger"]]
    doc = json.loads(cli_run("lineage", pid, *args, "--accept", accept, "--format", "json").stdout)
    assert [a["gap"] for a in doc["accepted_gaps"]] == ["the model version records no creator; owner taken from run user"]
    assert all("records no creator" not in g for g in doc["gaps"])
    res = cli_run("check", "--store", trial["uri"], "--accept", accept, "--format", "json")
    checked = json.loads(res.stdout)
    assert [(f["rule"], f["version"]) for f in checked["accepted_findings"]] == [("approver_not_creator", "2")]
    assert not [f for f in checked["findings"] if f["rule"] == "approver_not_creator"]
    assert checked["accepted_findings"][0]["accepted"]["why"] == "second approver on leave"
    out = trial["root"] / "decision-sources.pdf"
    assert cli_run("report", "decision", pid, *args, "-o", out).exit_code == 0
    text = _pdf_text(out)
    assert "data/applications.csv" in text and '{"uri"' not in text  # the location, not the raw JSON

"""`auditkit inspect / runs / models` as a user runs them: output, read-only, bad inputs."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys

import pytest

from conftest import ROOT, file_sha256


def test_every_command_leaves_the_sqlite_file_byte_identical(sqlite_scenario, cli_run):
    uri, _ = sqlite_scenario
    path = uri[len("sqlite:///"):]
    before = file_sha256(path)
    for args in (
        ["inspect"], ["inspect", "--format", "json"],
        ["runs"], ["runs", "--format", "json"], ["runs", "--format", "csv", "--experiment", "credit-risk"],
        ["models"], ["models", "--format", "json"], ["models", "--format", "csv", "--name", "credit-risk"],
    ):
        result = cli_run(*args, "--store", uri)
        assert result.exit_code == 0, (args, result.stderr)
    assert file_sha256(path) == before


def test_inspect_reports_backend_revision_and_counts(sqlite_scenario, cli_run):
    uri, oracle = sqlite_scenario
    doc = json.loads(cli_run("inspect", "--store", uri, "--format", "json").stdout)
    assert doc["schema_version"] == "1"
    assert doc["backend"] == "mlflow-sql"
    assert doc["schema_revision"] == "dc11669786a5"  # MLflow 3.17.2's head revision
    assert doc["counts"]["runs"] == len(oracle["runs"])
    assert doc["counts"]["model_versions"] == len(oracle["model_versions"]) + 1  # + the deleted one
    assert doc["counts"]["deleted_model_versions"] == 1
    text = cli_run("inspect", "--store", uri).stdout
    assert "mlflow-sql" in text and "dc11669786a5" in text


def test_runs_csv_has_one_row_per_run_with_values(sqlite_scenario, cli_run):
    uri, oracle = sqlite_scenario
    out = cli_run("runs", "--store", uri, "--experiment", "credit-risk", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(oracle["runs"])
    by_id = {r["run_id"]: r for r in rows}
    for want in oracle["runs"]:
        got = by_id[want["run_id"]]
        assert got["status"] == want["status"]
        for k, v in want["params"].items():
            assert got[f"params.{k}"] == v
        for k, v in want["metrics"].items():
            assert float(got[f"metrics.{k}"]) == v


def test_runs_json_carries_datasets_and_tags(sqlite_scenario, cli_run):
    uri, oracle = sqlite_scenario
    doc = json.loads(cli_run("runs", "--store", uri, "--format", "json").stdout)
    assert doc["schema_version"] == "1"
    runs = {r["run_id"]: r for r in doc["runs"]}
    rid = oracle["written"]["run_ids"]["logreg-c1"]
    assert runs[rid]["tags"]["mlflow.source.git.commit"] == "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"
    assert {d["context"] for d in runs[rid]["datasets"]} == {"training", "evaluation"}
    assert runs[rid]["start_time"].endswith("Z")


def test_models_table_and_json(sqlite_scenario, cli_run):
    uri, oracle = sqlite_scenario
    doc = json.loads(cli_run("models", "--store", uri, "--format", "json").stdout)
    versions = {(v["name"], v["version"]): v for v in doc["model_versions"]}
    assert versions[("credit-risk", "1")]["aliases"] == ["champion"]
    assert versions[("credit-risk", "1")]["stage"] == "Production"
    assert versions[("credit-risk", "4")]["deleted"] is True
    table = cli_run("models", "--store", uri, "--name", "credit-risk").stdout.splitlines()
    assert table[0].split()[:4] == ["name", "version", "stage", "aliases"]
    assert len(table) == 2 + 4


def _not_a_db(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are meeting notes, not a database\n" * 50)
    return str(path)


def _empty_sqlite(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    return str(path)


@pytest.mark.parametrize(
    "make, args, message",
    [
        (lambda t: str(t / "missing.db"), ["inspect"], "error: store '{t}/missing.db' does not exist"),
        (_not_a_db, ["runs"],
         "error: '{t}/notes.db' is not an SQLite database (expected an MLflow tracking store such as mlflow.db)"),
        (_empty_sqlite, ["models"],
         "error: {t}/other.db holds no MLflow tracking tables (expected tables experiments, runs; found 'customers')"),
        (lambda t: "redis://127.0.0.1/0", ["inspect"],
         "error: cannot tell which backend reads 'redis://127.0.0.1/0'; expected one of: sqlite:///abs/path/mlflow.db; "
         "a path to a .db file; postgresql://…; postgresql+psycopg://…; mysql+pymysql://…; file:///abs/path/mlruns; "
         "a path to an mlruns folder; wandb:///abs/path/wandb; a path to a wandb folder; http://host:port; "
         "https://…; databricks[://PROFILE]"),
    ],
)
def test_bad_store_gives_one_line_error_exit_2(tmp_path, cli_run, make, args, message):
    store = make(tmp_path)
    result = cli_run(*args, "--store", store)
    assert result.exit_code == 2
    assert result.stderr == message.format(t=tmp_path) + "\n"
    assert result.stdout == ""


def test_unknown_experiment_and_model_names(sqlite_scenario, cli_run):
    uri, _ = sqlite_scenario
    result = cli_run("runs", "--store", uri, "--experiment", "credit-riks")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: experiment 'credit-riks' is not in the store; experiments: 'Default', 'credit-risk', 'scratch-area'\n"
    )
    result = cli_run("models", "--store", uri, "--name", "credit")
    assert result.exit_code == 2
    assert result.stderr == "error: registered model 'credit' is not in the store; models: 'credit-risk', 'fraud-score'\n"


def test_bad_format_names_the_choices(sqlite_scenario, cli_run):
    uri, _ = sqlite_scenario
    result = cli_run("inspect", "--store", uri, "--format", "csv")
    assert result.exit_code == 2
    assert result.stderr == "error: format 'csv' is not supported here; choose one of: table, json\n"


def test_unreachable_server_is_one_line(cli_run):
    result = cli_run("inspect", "--store", "postgresql://nobody:secret@127.0.0.1:1/mlflow")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith("error: cannot connect to postgresql://nobody:***@127.0.0.1:1/mlflow: ")
    assert "secret" not in result.stderr


def test_no_store_given(cli_run, monkeypatch):
    monkeypatch.delenv("AUDITKIT_STORE", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    result = cli_run("runs")
    assert result.exit_code == 2
    assert result.stderr == "error: no store given: pass --store URI or set AUDITKIT_STORE or MLFLOW_TRACKING_URI\n"


def test_store_from_environment(sqlite_scenario, cli_run):
    uri, oracle = sqlite_scenario
    result = cli_run("runs", "--format", "json", env={"AUDITKIT_STORE": uri, "MLFLOW_TRACKING_URI": ""})
    assert len(json.loads(result.stdout)["runs"]) == len(oracle["runs"])


def test_python_m_auditkit_prints_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "auditkit", "runs", "--store", str(tmp_path / "nope.db")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"error: store '{tmp_path}/nope.db' does not exist\n"


def test_every_command_has_help_with_an_example():
    from auditkit.cli import cli

    def walk(group, prefix=()):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from walk(cmd, prefix + (name,))
            else:
                yield prefix + (name,), cmd

    for path, cmd in walk(cli):
        assert "Example" in (cmd.help or ""), " ".join(path)


def test_hostile_text_cannot_drive_the_terminal(tmp_path, cli_run, scenario_workdir):
    """A tag typed by anyone on the ML team must not rewrite a compliance officer's terminal:
    control characters and bidi overrides are printed as escapes, in tables, CSV and errors."""
    import os

    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'hostile.db'}"
    old = os.getcwd()
    os.chdir(scenario_workdir)
    try:
        client = MlflowClient(tracking_uri=uri)
        exp = client.create_experiment("evil")
        run = client.create_run(exp, run_name="\x1b[2J\x1b[31mAPPROVED\x1b[0m",
                                tags={"note": "clean\rOVERWRITTEN", "bidi": "abc\u202edcb"})
        client.set_terminated(run.info.run_id)
    finally:
        os.chdir(old)
    for fmt in ("table", "csv"):
        out = cli_run("runs", "--store", uri, "--format", fmt, color=True).stdout
        assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
        assert "\\x1b[2J\\x1b[31mAPPROVED\\x1b[0m" in out
    doc = json.loads(cli_run("runs", "--store", uri, "--format", "json").stdout)
    assert doc["runs"][0]["tags"]["note"] == "clean\rOVERWRITTEN"  # JSON keeps the exact value
    result = cli_run("runs", "--store", uri, "--experiment", "x\x1b]0;pwned\x07", color=True)
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\\x1b]0;pwned\\x07" in result.stderr


def test_every_store_reading_command_leaves_the_sqlite_file_byte_identical(sqlite_scenario, cli_run, tmp_path):
    """Not only inspect/runs/models: lineage, reports, check, snapshot and verify-data only read."""
    uri, oracle = sqlite_scenario
    path = uri[len("sqlite:///"):]
    log = tmp_path / "log.csv"
    log.write_text("prediction_id,timestamp,model_name,model_version,decision,sex\n"
                   "D-1,2026-03-01T10:00:00Z,credit-risk,1,approve,f\n"
                   "D-2,2026-03-01T11:00:00Z,credit-risk,1,deny,m\n", encoding="utf-8")
    import scenario

    data = tmp_path / "train.csv"
    scenario._frame(40, 1).to_csv(data, index=False)  # the training frame the scenario logged
    ledger = tmp_path / "ledger.jsonl"
    rid = oracle["written"]["run_ids"]["logreg-c1"]
    before = file_sha256(path)
    commands = [
        ["lineage", "D-1", "--store", uri, "--predictions", log, "--format", "json"],
        ["lineage", "--all", "--store", uri, "--predictions", log, "-o", tmp_path / "all.csv"],
        ["snapshot", "--store", uri, "--ledger", ledger],
        ["check", "--store", uri],
        ["verify-data", "--store", uri, "--run", rid, data],
        ["report", "inventory", "--store", uri, "-o", tmp_path / "inv.html"],
        ["report", "experiment", "credit-risk", "--store", uri, "-o", tmp_path / "exp.html"],
        ["report", "model", "credit-risk", "--alias", "champion", "--store", uri, "-o", tmp_path / "model.html"],
        ["report", "decision", "D-1", "--store", uri, "--predictions", log, "-o", tmp_path / "d.html"],
    ]
    for args in commands:
        result = cli_run(*args)
        # `check` exits 1: the scenario's challenger (version 2) has approved_by but no approved_at
        assert result.exit_code == (1 if args[0] == "check" else 0), (args, result.stderr)
        assert "error:" not in result.stderr, (args, result.stderr)
    assert file_sha256(path) == before

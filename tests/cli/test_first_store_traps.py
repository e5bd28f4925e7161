"""The traps a first real store hits, each now an error or one clear line: a --column whose role
another column shadows, a numeric sensitive column read as dozens of groups, a 378-character
runs table, the models table without the approval columns, an inventory that checked nothing."""

from __future__ import annotations

import pandas as pd
from conftest import ROOT

from auditkit.accountability import approvals_of
from auditkit.connectors import open_store

SAMPLE = ROOT / "sample_data"
STORE = str(SAMPLE / "mlflow.db")


def test_a_column_shadowed_by_model_uri_is_an_error_naming_both(cli_run, tmp_path):
    sample = pd.read_csv(SAMPLE / "predictions.csv", dtype=str)
    log = sample.rename(columns={"model_version": "served_version"}).drop(columns=["model_name"])
    log.insert(2, "model_uri", "models:/credit-risk@champion")
    path = tmp_path / "served.csv"
    log.to_csv(path, index=False)
    res = cli_run("lineage", sample["prediction_id"].iat[0], "--store", STORE, "--predictions", path,
                  "--column", "model_version=served_version")
    assert res.exit_code == 2
    assert res.stderr == ("error: --column model_version=served_version is shadowed by column 'model_uri': "
                          "model_version is read only together with model_name, which the log does not have, so "
                          "the model comes from 'model_uri'; map both (--column model_name=…) or neither\n")


def test_numeric_sensitive_column_gives_one_warning_with_a_bin_example(cli_run):
    res = cli_run("fairness", "--predictions", SAMPLE / "predictions.csv", "--sensitive", "age_years",
                  "--positive", "approve", "--label-positive", "good")
    assert res.exit_code == 0, res.stderr
    ages = pd.read_csv(SAMPLE / "predictions.csv")["age_years"]
    warnings = [line for line in res.stderr.splitlines() if line.startswith("warning: ")]
    hints = [w for w in warnings if "age_years" in w]
    assert len(hints) == 1 and f"numeric with {ages.nunique()} distinct values" in hints[0]
    assert "--bin age_years=" in hints[0] and not [w for w in warnings if w.startswith("warning: group ")]
    example = hints[0].split("--bin ")[1].split(" ")[0]  # the example works as given
    res = cli_run("fairness", "--predictions", SAMPLE / "predictions.csv", "--sensitive", "age_years",
                  "--positive", "approve", "--label-positive", "good", "--bin", example)
    assert res.exit_code == 0, res.stderr
    assert "distinct values" not in res.stderr


def test_runs_columns_pick_the_table(cli_run):
    res = cli_run("runs", "--store", STORE, "--columns", "run_id,run_name,params.C,metrics.eval_auc")
    assert res.exit_code == 0, res.stderr
    header = res.stdout.splitlines()[0].split()
    assert header == ["run_id", "run_name", "params.C", "metrics.eval_auc"]
    assert max(len(line) for line in res.stdout.splitlines()) < 120
    csv = cli_run("runs", "--store", STORE, "--columns", "run_id,metrics.eval_auc", "--format", "csv")
    assert csv.stdout.splitlines()[0] == "run_id,metrics.eval_auc"
    bad = cli_run("runs", "--store", STORE, "--columns", "run_id,params.nope")
    assert bad.exit_code == 2 and bad.stderr.startswith(
        "error: --columns names 'params.nope', which no run has; columns: 'run_id', 'experiment', ")


def test_models_table_has_the_approval_columns(cli_run):
    res = cli_run("models", "--store", STORE)
    lines = res.stdout.splitlines()
    assert "approved_by" in lines[0].split() and "approved_at" in lines[0].split()
    with open_store(STORE) as store:
        for v in store.model_versions("credit-risk"):
            given = [a for a in approvals_of(v) if a.by]
            row = next(line for line in lines[2:] if line.split()[1] == v.version)
            for a in given:
                assert a.by in row and a.at in row


def test_inventory_without_policy_applies_the_default_and_says_so(cli_run, tmp_path):
    out = tmp_path / "inventory.html"
    res = cli_run("report", "inventory", "--store", STORE, "-o", out, "--as-of", "2026-07-01")
    assert res.exit_code == 0, res.stderr
    html = out.read_text(encoding="utf-8")
    assert "no --policy FILE was given, so auditkit&#39;s default policy was applied" in html \
        or "no --policy FILE was given, so auditkit's default policy was applied" in html
    check = cli_run("check", "--store", STORE, "--as-of", "2026-07-01", "--format", "json")
    import json

    findings = json.loads(check.stdout)["findings"]
    assert findings  # the default policy finds something on the sample, and the inventory lists it
    for f in findings:
        assert f["missing"].replace("'", "&#39;") in html or f["missing"] in html

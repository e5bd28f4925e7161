"""``auditkit fairness`` over CSV, Parquet, JSONL and SQL prediction logs."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
from fairness_data import AGE_EDGES, german, watch_statements

from auditkit import open_predictions
from auditkit.fairness import assess_fairness


@pytest.fixture(scope="module")
def log_frame() -> pd.DataFrame:
    df = german()
    return pd.DataFrame({
        "prediction_id": [f"app-{i:04d}" for i in range(len(df))],
        "timestamp": "2026-03-01T12:00:00Z",
        "model_name": "credit-risk", "model_version": "3",
        "approved": df["approve"].map({1: "approve", 0: "decline"}),
        "label": df["good"],
        "sex": df["sex"], "age_years": df["age_years"], "foreign_worker": df["foreign_worker"],
        "credit_amount": df["credit_amount"],
    })


@pytest.fixture(scope="module")
def logs(tmp_path_factory, log_frame) -> dict[str, str]:
    root = tmp_path_factory.mktemp("fairness_logs")
    csv, parquet, jsonl, db = (root / "log.csv", root / "log.parquet", root / "log.jsonl", root / "log.db")
    log_frame.to_csv(csv, index=False)
    log_frame.to_parquet(parquet, index=False)
    log_frame.to_json(jsonl, orient="records", lines=True)
    with sqlite3.connect(db) as conn:
        log_frame.to_sql("decisions", conn, index=False)
    return {"csv": str(csv), "parquet": str(parquet), "jsonl": str(jsonl), "sql": f"decisions@sqlite:///{db}"}


ARGS = ["--sensitive", "sex,age_years", "--bin", "age_years=0,25,40,60,120", "--positive", "approve",
        "--column", "decision=approved", "--ci", "0.95", "--bootstrap", "500", "--seed", "3"]


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl", "sql"])
def test_every_log_form_gives_the_library_numbers(cli_run, logs, log_frame, kind):
    result = cli_run("fairness", "--predictions", logs[kind], *ARGS, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    expected = assess_fairness(
        data=log_frame, y_true="label", y_pred="approved", sensitive_features=["sex", "age_years"],
        bins={"age_years": AGE_EDGES}, pos_label="approve", ci=0.95, n_boot=500, random_state=3).to_dict()
    assert doc == expected
    assert doc["positive"] == "approve" and doc["label_positive"] == 1
    assert "warning: group {sex=female, age_years=[60, 120)} has 12 record(s)" in result.stderr


def test_sql_log_is_grouped_in_the_database(logs, log_frame):
    with open_predictions(logs["sql"], columns={"decision": "approved"}) as log:
        engine, _ = log.sql_source()
        statements, _ = watch_statements(engine)
        result = assess_fairness(log=log, sensitive_features=["sex", "foreign_worker"], pos_label="approve")
    on_table = [s for s, _ in statements if "FROM decisions" in s]
    assert len(on_table) == 1 and "GROUP BY" in on_table[0]
    assert result.n == len(log_frame)
    assert result.to_dict() == assess_fairness(
        data=log_frame, y_true="label", y_pred="approved", sensitive_features=["sex", "foreign_worker"],
        pos_label="approve").to_dict()


def test_table_output_and_chart(cli_run, logs, tmp_path):
    chart = tmp_path / "fairness.svg"
    result = cli_run("fairness", "--predictions", logs["csv"], *ARGS, "--chart", chart,
                     "--reference-group", "sex=male,age_years=[25, 40)")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "reference group    sex=male, age_years=[25, 40)" in out
    assert "95% bootstrap intervals (500 resamples)" in out
    for line in ["demographic_parity_difference", "equalized_odds_ratio"]:
        assert line in out
    rows = [line for line in out.splitlines() if line.startswith(("female", "male"))]
    assert len(rows) == 16  # 8 groups, in the metrics table and the intervals table
    assert chart.read_text().startswith("<?xml")


def test_cli_errors_are_one_line(cli_run, logs):
    cases = {
        ("--sensitive", "gender", "--column", "decision=approved"): (
            f"error: column 'gender' is not in prediction log '{logs['csv']}'; columns: 'prediction_id', "
            "'timestamp', 'model_name', 'model_version', 'approved', 'label', 'sex', 'age_years', "
            "'foreign_worker', 'credit_amount'"),
        ("--sensitive", "sex", "--column", "decision=label"): (
            "error: which decision is favourable is not said (values seen: 0, 1); codes and booleans do not say "
            "it themselves: name it with --positive VALUE (pos_label=…)"),
        ("--sensitive", "sex", "--column", "decision=approved", "--positive", "yes"): (
            "error: positive value 'yes' is not among the decision values seen: 'approve', 'decline'"),
        ("--sensitive", "age_years", "--bin", "age_years=0-25", "--column", "decision=approved"): (
            "error: --bin 'age_years=0-25' is not COLUMN=EDGE,EDGE,… (e.g. age_years=0,25,40,60,120)"),
        ("--sensitive", "sex", "--column", "decision=approved", "--positive", "approve", "--ci", "high"): (
            "error: confidence level 'high' must be a number between 0 and 1 (e.g. 0.95)"),
        ("--sensitive", "sex", "--column", "decision=approved", "--positive", "approve", "--seed", "x"): (
            "error: --seed 'x' must be an integer (e.g. 0)"),
        ("--sensitive", "sex", "--column", "decision=approved", "--positive", "approve",
         "--min-group-size", "many"): (
            "error: minimum group size 'many' must be a non-negative integer"),
        ("--sensitive", "sex,age_years", "--column", "decision=approved", "--positive", "approve",
         "--reference-group", "female"): (
            "error: --reference-group 'female' is not VALUE or FEATURE=VALUE[,FEATURE=VALUE…]"),
    }
    for args, message in cases.items():
        result = cli_run("fairness", "--predictions", logs["csv"], *args)
        assert result.exit_code == 2
        assert result.stderr.strip() == message
        assert result.stdout == ""


def test_help_has_an_example(cli_run):
    result = cli_run("fairness", "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "auditkit fairness --predictions" in result.stdout

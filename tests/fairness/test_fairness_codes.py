"""Decisions logged as codes: which one is favourable must be said (--positive), and codes can be
shown as words (--label) in the tables, the JSON and the charts. The log is the German credit
sample's, its decisions recoded the way a scoring service writes them (1 = refer, 0 = approve)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ROOT

import auditkit


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    sample = pd.read_csv(ROOT / "sample_data" / "predictions.csv")
    log = sample[["prediction_id", "timestamp", "model_name", "model_version", "decision", "sex"]].copy()
    log["decision"] = (sample["decision"] != "approve").astype(int)  # 1 means "refer"
    log["sex"] = log["sex"].map({"male": 1, "female": 2})
    path = tmp_path_factory.mktemp("coded") / "coded.csv"
    log.to_csv(path, index=False)
    return path, sample


def test_codes_need_positive_and_the_error_lists_the_values(coded, cli_run):
    path, _ = coded
    res = cli_run("fairness", "--predictions", path, "--sensitive", "sex")
    assert res.exit_code == 2
    assert res.stderr == ("error: which decision is favourable is not said (values seen: 0, 1); codes and booleans do "
                          "not say it themselves: name it with --positive VALUE (pos_label=…)\n")


def test_labels_show_codes_as_words_in_table_json_and_chart(coded, cli_run, tmp_path):
    path, sample = coded
    chart = tmp_path / "chart.svg"
    args = ["fairness", "--predictions", path, "--sensitive", "sex", "--positive", "0", "--label", "0=approve",
            "--label", "1=refer", "--label", "sex:1=male", "--label", "sex:2=female"]
    res = cli_run(*args, "--format", "json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["positive"] == "approve"
    rates = sample.groupby("sex")["decision"].apply(lambda d: (d == "approve").mean())
    assert {g["group"]["sex"]: g["selection_rate"] for g in doc["by_group"]} == pytest.approx(rates.to_dict())
    table = cli_run(*args, "--chart", chart)
    assert "favourable         'approve'" in table.stdout
    assert any(line.startswith("female ") for line in table.stdout.splitlines())
    svg = chart.read_text(encoding="utf-8")
    assert "female" in svg and "male" in svg  # the chart's group names are the labels
    # the same through the Python API, the favourable code given by its word
    with auditkit.open_predictions(str(path)) as log:
        result = auditkit.assess_fairness(log=log, sensitive_features="sex", pos_label="approve",
                                          value_labels={"decision": {0: "approve", 1: "refer"},
                                                        "sex": {1: "male", 2: "female"}})
    assert result.to_dict()["by_group"] == doc["by_group"]


def test_bad_labels_are_one_line_errors(coded, cli_run):
    path, _ = coded
    base = ["fairness", "--predictions", path, "--sensitive", "sex", "--positive", "0"]
    res = cli_run(*base, "--label", "refer")
    assert res.exit_code == 2 and res.stderr == (
        "error: --label 'refer' is not [COLUMN:]VALUE=TEXT (e.g. 0=refer, or sex:2=female)\n")
    res = cli_run(*base, "--label", "age:1=young")
    assert res.exit_code == 2 and res.stderr == (
        "error: --label names column 'age', which is neither the decision nor an unbinned sensitive feature; "
        "columns: 'decision', 'sex'\n")

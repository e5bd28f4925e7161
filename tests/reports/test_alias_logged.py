"""Decisions logged by alias (``models:/NAME@champion``, the pattern MLflow recommends) go through
the ledger in every command: lineage (one and all), the decision and model reports, ``fairness
--ledger`` and the Python API. The log is the sample's, with its model columns replaced by the
alias; the sample's own ``model_version`` column (written by the generator from the alias schedule)
is what each attributed decision must agree with."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ROOT

import auditkit
from auditkit.provenance import attribute_versions, attribution_columns
from auditkit.reports import build_decision_report, build_model_report, render_html
from auditkit.reports.extras import model_extras

SAMPLE = ROOT / "sample_data"
STORE = str(SAMPLE / "mlflow.db")
LEDGER = str(SAMPLE / "registry-ledger.jsonl")
NAME = "credit-risk"


@pytest.fixture(scope="module")
def alias_log(tmp_path_factory):
    """(path of the alias-logged log, the sample's log as read)."""
    sample = pd.read_csv(SAMPLE / "predictions.csv", dtype=str)
    alias = sample.drop(columns=["model_name", "model_version"])
    alias.insert(2, "model_uri", f"models:/{NAME}@champion")
    path = tmp_path_factory.mktemp("alias-log") / "served.csv"
    alias.to_csv(path, index=False)
    return path, sample


@pytest.fixture(scope="module")
def attributed(alias_log):
    path, sample = alias_log
    with auditkit.open_predictions(path) as log:
        frame = log.read(attribution_columns(log, ledger=LEDGER))
        found = attribute_versions(log, frame, ledger=LEDGER)
    return found, sample


def test_ledger_attribution_agrees_with_the_versions_the_generator_logged(attributed):
    found, sample = attributed
    got = pd.Series(found.versions)
    known = got.notna()
    assert known.sum() > 2000  # most decisions fall where the ledger proves the alias
    assert (got[known] == sample["model_version"][known]).all()
    assert found.unattributed == int((~known).sum()) > 0  # decisions in windows where champion moved
    assert found.sentence() == (f"{found.unattributed} of {len(sample)} decision(s) could not be attributed to "
                                f"a model version: {found.unattributed} named by alias or stage at a time the "
                                f"ledger cannot prove")


def _proven_id(found, sample, version):
    rows = [i for i, v in enumerate(found.versions) if v == version]
    return sample["prediction_id"].iat[rows[len(rows) // 2]]


def test_decision_report_on_an_alias_logged_decision(alias_log, attributed):
    path, sample = alias_log
    found, _ = attributed
    pid = _proven_id(found, sample, "2")
    with auditkit.open_store(STORE) as store, auditkit.open_predictions(path) as log:
        ctx = build_decision_report(store, log, pid, ledger=LEDGER, sensitive=["age_band"], positive="approve",
                                    label_positive="good", as_of="2026-07-01", charts=False)
        html = render_html(ctx)
    assert ctx.model["name"] == NAME and ctx.model["version"] == "2"
    assert "Model that decided" in html and f"{NAME} version 2" in html
    assert any(s.startswith("At ") and "alias champion pointed to version 2" in s for s in ctx.serving_evidence)
    by_two = int((pd.Series(found.versions) == "2").sum())
    assert ctx.fairness is not None and ctx.fairness.n == by_two  # the version's decisions, through the ledger
    assert any(f"{found.unattributed} of {len(sample)} decision(s) could not be attributed" in g for g in ctx.gaps)
    band = sample.set_index("prediction_id").at[pid, "age_band"]
    assert [g.group for g in ctx.fairness.groups if g.applicant] == [f"age_band={band}"]  # the applicant's own
    assert f"<strong>age_band={band}</strong> (this applicant&#39;s group)" in html \
        or f"<strong>age_band={band}</strong> (this applicant's group)" in html


def test_without_a_ledger_an_alias_names_no_version_in_one_and_all(alias_log):
    path, sample = alias_log
    pid = sample["prediction_id"].iat[0]
    with auditkit.open_store(STORE) as store, auditkit.open_predictions(path) as log:
        today = store.registered_models()[0].aliases["champion"]
        doc = auditkit.lineage(store, log, pid)
        frame = auditkit.lineage_frame(store, log)
        ctx = build_decision_report(store, log, pid, sensitive=["age_band"], positive="approve",
                                    label_positive="good", as_of="2026-07-01", charts=False)
        html = render_html(ctx)
    gap = (f"model alias {NAME}@champion cannot be resolved at the decision's time because no ledger was given "
           f"(--ledger FILE); today it points to version {today}, which is not proven to be the version that decided")
    assert doc["model_version"] is None and doc["gaps"][0] == gap
    assert frame["model_version"].isna().all() and all(g[0] == gap for g in frame["gaps"])
    assert ctx.fairness is None and "the records do not prove which version decided" in html
    assert gap in ctx.gaps


def test_model_report_fairness_counts_alias_logged_decisions(alias_log, attributed):
    path, _ = alias_log
    found, sample = attributed
    with auditkit.open_store(STORE) as store:
        extras = model_extras(store, NAME, version="3", alias=None, ledger=LEDGER, predictions=str(path),
                              sensitive="age_band", positive="approve", label_positive="good")
        ctx = build_model_report(store, NAME, version="3", as_of="2026-07-01", **extras)
    assert ctx.fairness.n == int((pd.Series(found.versions) == "3").sum()) == int((sample.model_version == "3").sum())
    assert any("could not be attributed" in g for g in ctx.gaps)


def test_fairness_cli_and_api_with_ledger_model_and_version(alias_log, attributed, cli_run):
    path, _ = alias_log
    found, sample = attributed
    args = ["fairness", "--predictions", path, "--sensitive", "age_band", "--positive", "approve",
            "--label-positive", "good", "--model", NAME, "--version", "3", "--ledger", LEDGER]
    res = cli_run(*args, "--format", "json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    by_three = int((pd.Series(found.versions) == "3").sum())
    assert doc["n"] == by_three
    assert doc["selection"] == {"model": NAME, "version": "3", "since": None, "until": None, "ledger": LEDGER,
                                "decisions_in_log": len(sample), "decisions_selected": by_three,
                                "unattributed": found.unattributed,
                                "unattributed_why": {"named by alias or stage at a time the ledger cannot prove":
                                                     found.unattributed}}
    assert f"warning: {found.sentence()}" in res.stderr
    table = cli_run(*args)
    assert f"selected           {by_three} of {len(sample)} decisions (model {NAME} version 3, through ledger " \
           f"{LEDGER})" in table.stdout
    with auditkit.open_predictions(path) as log:  # the Python API answers the same
        result = auditkit.assess_fairness(log=log, sensitive_features=["age_band"], pos_label="approve",
                                          label_pos_label="good", model=f"models:/{NAME}/3", ledger=LEDGER)
    assert result.to_dict()["selection"] == doc["selection"] and result.n == by_three
    # without the ledger nothing named by alias is attributed, and the error says why
    res = cli_run(*args[:-2])
    assert res.exit_code == 2
    assert res.stderr == (f"error: no decision of prediction log {path} is selected by model {NAME} version 3 "
                          f"({len(sample)} of {len(sample)} decision(s) could not be attributed to a model version: "
                          f"{len(sample)} named by alias or stage with no ledger given (--ledger FILE attributes "
                          f"alias- and stage-logged decisions)); nothing to assess\n")


def test_fairness_time_window_and_bad_model_references(cli_run):
    log = str(SAMPLE / "predictions.csv")
    sample = pd.read_csv(log)
    ts = pd.to_datetime(sample["timestamp"], utc=True)
    window = (ts >= "2026-05-01") & (ts < "2026-06-01") & (sample["model_version"] == 3)
    res = cli_run("fairness", "--predictions", log, "--sensitive", "sex", "--positive", "approve",
                  "--label-positive", "good", "--model", f"models:/{NAME}/3", "--since", "2026-05-01",
                  "--until", "2026-06-01", "--format", "json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["n"] == int(window.sum()) > 0
    assert doc["selection"]["decisions_in_window"] == int(((ts >= "2026-05-01") & (ts < "2026-06-01")).sum())
    res = cli_run("fairness", "--predictions", log, "--sensitive", "sex", "--positive", "approve",
                  "--model", f"models:/{NAME}@champion")
    assert res.exit_code == 2 and res.stderr.startswith(f"error: --model 'models:/{NAME}@champion' is not a model name")
    res = cli_run("fairness", "--predictions", log, "--sensitive", "sex", "--positive", "approve", "--ledger", LEDGER)
    assert res.exit_code == 2 and "--ledger attributes decisions to model versions" in res.stderr


def test_lineage_all_counts_decisions_attributed_to_no_version(alias_log, attributed, cli_run, tmp_path):
    path, _ = alias_log
    found, sample = attributed
    out = tmp_path / "all.csv"
    res = cli_run("lineage", "--all", "--store", STORE, "--predictions", path, "--ledger", LEDGER, "-o", out)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.endswith(f"; {found.unattributed} attributed to no model version (their gaps say why)\n")
    written = pd.read_csv(out, dtype=str)
    assert int(written["model_version"].isna().sum()) == found.unattributed

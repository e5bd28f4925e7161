"""Accepted gaps (--accept FILE): a known gap a person accepted is still listed, with who, when
and why, but not counted as open — in lineage (one decision and all), the reports and check."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

import auditkit
from auditkit.reports import build_decision_report, render_html

SAMPLE = ROOT / "sample_data"
STORE = str(SAMPLE / "mlflow.db")
LOG = str(SAMPLE / "predictions.csv")
LEDGER = str(SAMPLE / "registry-ledger.jsonl")
NO_CREATOR = "the model version records no creator; owner taken from run user"
ACCEPT = f"""\
accepted:
  - gap: "{NO_CREATOR}"
    model: credit-risk
    by: a.khan
    at: 2026-05-04
    why: MLflow runs without its auth layer here; creators are in the release tickets
  - gap: "model version credit-risk/4 lacks approval evidence*"
    model: credit-risk
    version: "4"
    by: l.fischer
    at: 2026-06-05T09:00:00Z
    why: challenger in shadow mode only; approval due with ticket MRM-2026-014
"""


@pytest.fixture(scope="module")
def accept_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("accept") / "accepted-gaps.yaml"
    path.write_text(ACCEPT, encoding="utf-8")
    return path


def test_lineage_moves_accepted_gaps_apart_with_who_and_why(accept_file, cli_run):
    with auditkit.open_store(STORE) as store, auditkit.open_predictions(LOG) as log:
        plain = auditkit.lineage(store, log, "APP-004711", ledger=LEDGER)
        doc = auditkit.lineage(store, log, "APP-004711", ledger=LEDGER, accept=accept_file)
        frame = auditkit.lineage_frame(store, log, ledger=LEDGER, accept=accept_file).set_index("prediction_id")
        plain_frame = auditkit.lineage_frame(store, log, ledger=LEDGER).set_index("prediction_id")
    assert NO_CREATOR in plain["gaps"] and NO_CREATOR not in doc["gaps"]
    assert doc["gaps"] == [g for g in plain["gaps"] if g != NO_CREATOR]
    assert doc["accepted_gaps"] == [{"gap": NO_CREATOR, "accepted_by": "a.khan", "accepted_at": "2026-05-04T00:00:00.000Z",
                                     "why": "MLflow runs without its auth layer here; creators are in the release tickets",
                                     "pattern": NO_CREATOR, "model": "credit-risk", "version": None}]
    assert tuple(frame.at["APP-004711", "gaps"]) == tuple(doc["gaps"])  # batch and one decision agree
    assert tuple(frame.at["APP-004711", "accepted_gaps"]) == (NO_CREATOR,)
    with_creator_gap = plain_frame["gaps"].map(lambda g: NO_CREATOR in g)
    assert (frame["gap_count"] == plain_frame["gap_count"] - with_creator_gap.astype(int)).all()
    out = cli_run("lineage", "APP-004711", "--store", STORE, "--predictions", LOG, "--ledger", LEDGER,
                  "--accept", accept_file)
    assert "accepted gaps (1, not counted as open)" in out.stdout
    assert f"  - {NO_CREATOR}  [accepted by a.khan at 2026-05-04T00:00:00.000Z: MLflow runs" in out.stdout


def test_check_does_not_fail_on_an_accepted_finding(accept_file, cli_run):
    plain = cli_run("check", "--store", STORE, "--as-of", "2026-07-01", "--format", "json")
    assert plain.exit_code == 1
    res = cli_run("check", "--store", STORE, "--as-of", "2026-07-01", "--format", "json", "--accept", accept_file)
    assert res.exit_code == 0, res.stdout
    doc = json.loads(res.stdout)
    before = json.loads(plain.stdout)["findings"]
    assert doc["findings"] == [f for f in before if not (f["version"] == "4" and f["rule"] == "approval")]
    (accepted,) = doc["accepted_findings"]
    assert accepted["version"] == "4" and accepted["accepted"]["accepted_by"] == "l.fischer"
    assert doc["summary"]["accepted"] == 1 and doc["summary"]["passed"] is True
    table = cli_run("check", "--store", STORE, "--as-of", "2026-07-01", "--accept", accept_file).stdout
    assert "accepted by l.fischer at 2026-06-05T09:00:00.000Z: challenger in shadow mode only" in table


def test_decision_report_lists_accepted_gaps_apart(accept_file):
    with auditkit.open_store(STORE) as store, auditkit.open_predictions(LOG) as log:
        ctx = build_decision_report(store, log, "APP-004711", ledger=LEDGER, accept=accept_file,
                                    as_of="2026-07-01", charts=False)
    assert NO_CREATOR not in ctx.gaps and [a["gap"] for a in ctx.accepted_gaps] == [NO_CREATOR]
    html = render_html(ctx)
    assert "Accepted gaps: known, accepted by a person, not counted as open" in html
    assert "accepted by a.khan at 2026-05-04" in html


@pytest.mark.parametrize("text, problem", [
    ("accepted:\n  - gap: x\n    by: a\n    why: y\n", "entry 1: no 'at'"),
    ("accepted:\n  - gap: x\n    by: a\n    at: soon\n    why: y\n", "entry 1: 'at' 'soon' is not a time"),
    ("accepted:\n  - gap: x\n    by: a\n    at: 2026-01-01\n    why: y\n    scope: all\n", "entry 1: unknown key 'scope'"),
])
def test_bad_accept_files_are_one_line_errors(text, problem, tmp_path, cli_run):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    res = cli_run("check", "--store", STORE, "--accept", path)
    assert res.exit_code == 2
    assert res.stderr == (f"error: accept file {str(path)!r} {problem}; expected keys gap, by, at, why "
                          "(and model, version)\n")

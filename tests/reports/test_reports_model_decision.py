"""Model and decision reports with a ledger and a prediction log; ``auditkit demo``.

The store is written by real MLflow, the ledger by ``auditkit.ledger.snapshot`` around a real
alias move, the decision log by the test; expected numbers are computed here from the log.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from report_stores import (
    AS_OF,
    make_store,
    pdf_text,
    set_alias,
    squash,
    write_prediction_log,
)

from auditkit import open_predictions, open_store
from auditkit.ledger import snapshot
from auditkit.reports import (
    build_decision_report,
    build_model_report,
    evidence_json,
    render_pdf,
)
from auditkit.reports.extras import model_extras

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model-decision")
    db, w = make_store(folder)
    ledger = folder / "ledger.jsonl"
    snapshot(str(db), ledger, now="2026-01-01T00:00:00Z")    # champion -> 1
    snapshot(str(db), ledger, now="2026-02-15T00:00:00Z")    # unchanged
    set_alias(db, w["model"], "champion", "2")
    snapshot(str(db), ledger, now="2026-03-01T00:00:00Z")    # champion -> 2
    log_path = folder / "decisions.csv"
    rows = write_prediction_log(log_path, model=w["model"], by_version={
        "1": ("2026-01-05", "2026-02-10", 120), "2": ("2026-03-05", "2026-04-30", 90)})
    return db, w, ledger, log_path, pd.DataFrame(rows)


def test_model_report_shows_ledger_history_and_fairness_of_its_own_decisions(world):
    db, w, ledger, log_path, frame = world
    with open_store(str(db)) as s:
        extras = model_extras(s, w["model"], version=None, alias="champion", ledger=str(ledger),
                              predictions=str(log_path), sensitive="sex", positive="approve", label_positive="good")
        ctx = build_model_report(s, w["model"], alias="champion", as_of=AS_OF, **extras)
    assert ctx.model.version == "2"  # the alias moved to 2 before the report
    mine = frame[frame.model_version == "2"]
    rates = mine.assign(ok=mine.decision == "approve").groupby("sex").ok.mean()
    f = ctx.fairness
    assert f.n == len(mine) and f.sensitive_features == ("sex",)
    by_group = {g.group: g for g in f.groups}
    for sex, rate in rates.items():
        assert by_group[f"sex={sex}"].selection_rate == pytest.approx(rate)
    best = rates.max()
    for sex, rate in rates.items():
        assert by_group[f"sex={sex}"].adverse_impact_ratio == pytest.approx(rate / best)
        assert by_group[f"sex={sex}"].flagged == (rate / best < 0.8)
    assert [c.key for c in f.charts] == ["fairness:selection", "fairness:error-rates"]
    data = render_pdf(ctx)
    text = pdf_text(data)
    flat = squash(text)
    for sex, rate in rates.items():
        assert f"sex={sex}" in flat and f"{rate:.4g}" in flat
    # the ledger's alias moves, placed between snapshots
    moves = [e for e in ctx.history if "champion" in e.what]
    assert moves and moves[-1].what == "alias champion 1 -> 2" and moves[-1].at.startswith("2026-03-01")
    assert "aliaschampion1->2" in flat
    assert "hash-chainedregistryledger" in flat
    assert not any("No ledger was given" in g for g in ctx.gaps)
    assert not any("No fairness assessment" in g for g in ctx.gaps)
    evidence = pypdf.PdfReader(io.BytesIO(data)).attachments["evidence.json"][0]
    assert evidence == evidence_json(ctx)


def test_decision_report_answers_the_regulators_question(world):
    db, w, ledger, log_path, frame = world
    row = frame[(frame.model_version == "1") & (frame.decision == "deny")].iloc[3]
    run = next(r for r in w["runs"] if r["run_id"] == w["versions"]["1"])
    log = open_predictions(str(log_path))
    try:
        with open_store(str(db)) as s:
            ctx = build_decision_report(s, log, row.prediction_id, ledger=ledger, as_of=AS_OF,
                                        sensitive=["sex"], positive="approve", label_positive="good")
    finally:
        log.close()
    text = pdf_text(render_pdf(ctx))
    flat = squash(text)
    assert row.prediction_id in flat and "deny" in text and f"{row.score:.6g}" in flat
    assert ctx.model["version"] == "1" and run["run_id"] in flat and run["commit"] in flat
    assert run["digest"] in flat
    assert [r["text"] for r in ctx.reasons] == [row.reason_1, row.reason_2]
    assert squash(row.reason_1) in flat
    # why version 1 was serving: the ledger proves champion pointed to it at the decision's time
    assert any("alias champion pointed to version 1" in s for s in ctx.serving_evidence)
    assert squash("alias champion pointed to version 1") in flat
    # fairness of version 1's decisions
    v1 = frame[frame.model_version == "1"]
    assert ctx.fairness.n == len(v1)
    assert str(row.income) in flat  # inputs as scored
    assert "Creditor name and address" in text and "Reg B 12 CFR 1002.9(a)(2)" in text
    assert any("decision_threshold" in g for g in ctx.gaps)  # the test store records no cutoff


def test_decision_report_cli_errors_are_one_line(world, cli_run, tmp_path):
    db, w, _ledger, log_path, _frame = world
    result = cli_run("report", "decision", "NOPE-1", "--store", db, "--predictions", log_path,
                     "-o", tmp_path / "d.pdf")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "NOPE-1" in result.stderr and result.stderr.count("\n") == 1
    result = cli_run("report", "model", w["model"], "--version", "1", "--store", db, "--predictions", log_path,
                     "-o", tmp_path / "m.pdf")
    assert result.exit_code == 2 and "--sensitive" in result.stderr


def test_demo_writes_all_four_reports_from_the_sample(cli_run, tmp_path):
    out = tmp_path / "demo"
    result = cli_run("demo", "-o", out, "--as-of", "2026-07-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{k}.{e}" for k in ("model", "decision", "experiment", "inventory") for e in ("pdf", "html"))
    sample = pd.read_csv(ROOT / "sample_data" / "predictions.csv", dtype=str)
    row = sample[sample.prediction_id == "APP-004711"].iloc[0]
    text = squash(pdf_text((out / "decision.pdf").read_bytes()))
    assert "APP-004711" in text and f"credit-riskversion{row.model_version}" in text
    for kind in ("model", "decision", "experiment", "inventory"):
        reader = pypdf.PdfReader(out / f"{kind}.pdf")
        assert list(reader.attachments) == ["evidence.json"]

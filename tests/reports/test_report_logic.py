"""The decision report's "Logic applied" section: the decision re-performed from the sample's
re-created artifacts (sample_data/make_sample_artifacts.py)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import auditkit
from auditkit.cli import cli
from auditkit.reports import render_html
from auditkit.reports.decision import build_decision_report

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
OPTIONS = {"artifact_roots": [f"mlflow-artifacts:/={SAMPLE / 'artifacts'}"],
           "reason_map": str(SAMPLE / "reason_codes.yaml"), "background": str(SAMPLE / "datasets" / "credit_train.csv")}


def build(pid: str, explain=OPTIONS):
    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store, \
            auditkit.open_predictions(str(SAMPLE / "predictions.csv")) as log:
        return build_decision_report(store, log, pid, ledger=SAMPLE / "registry-ledger.jsonl",
                                     as_of="2026-07-01T00:00:00Z", explain=explain, charts=False)


def test_the_demo_decision_is_re_performed_in_the_report():
    ctx = build("APP-004711")
    lg = ctx.logic
    assert lg.replay["status"] == "reproduced" and lg.replay["replayed_decision"] == "deny"
    assert lg.artifact["format"] == "skops" and "model.skops" in lg.artifact["sha256"]
    assert [r["text"] for r in lg.reasons] == [r["text"] for r in ctx.reasons]
    assert all(r["supported"] for r in lg.logged_reasons)
    html = render_html(ctx)
    assert "4. Logic applied: the decision re-performed" in html
    assert lg.artifact["sha256"]["model.skops"] in html
    for cf in lg.counterfactuals:
        assert f"Had {cf['changes'][0]['feature']} been" in html


def test_a_planted_wrong_score_is_a_gap_of_the_report_and_without_explain_nothing_is_re_performed():
    ctx = build("APP-005332")
    assert ctx.logic.replay["status"] == "mismatch"
    assert ctx.logic.replay["why"] in ctx.gaps
    plain = build("APP-005332", explain=None)
    assert plain.logic is None
    assert "The decision was not re-performed for this report" in render_html(plain)


def test_cli_report_decision_explain(tmp_path):
    out = tmp_path / "d.html"
    res = CliRunner().invoke(cli, ["report", "decision", "APP-004711", "--store", str(SAMPLE / "mlflow.db"),
                                   "--predictions", str(SAMPLE / "predictions.csv"), "--explain",
                                   "--artifact-root", f"mlflow-artifacts:/={SAMPLE / 'artifacts'}",
                                   "--reason-map", str(SAMPLE / "reason_codes.yaml"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "4. Logic applied" in text and "reproduced" in text


def test_model_report_replay_rate_and_global_importance():
    from auditkit.reperform import version_summary
    from auditkit.reports.model import build_model_report

    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store, \
            auditkit.open_predictions(str(SAMPLE / "predictions.csv")) as log:
        summary = version_summary(store, log, name="credit-risk", version="3", artifact_roots=OPTIONS["artifact_roots"],
                                  background=OPTIONS["background"])
        ctx = build_model_report(store, "credit-risk", version="3", as_of="2026-07-01T00:00:00Z", logic=summary)
        frame = auditkit.explain_frame(store, log, artifact_roots=OPTIONS["artifact_roots"],
                                       background=OPTIONS["background"])
    mine = frame[frame["model_version"] == "3"]
    assert (summary["decisions"], summary["reproduced"], summary["mismatch"]) == (
        len(mine), int((mine["replay_status"] == "reproduced").sum()), int((mine["replay_status"] == "mismatch").sum()))
    assert summary["replay_rate"] == summary["reproduced"] / summary["decisions"]
    values = [r["mean_abs_contribution"] for r in summary["importance"]]
    assert values == sorted(values, reverse=True) and len(values) == 18 and values[-1] >= 0
    assert summary["importance"][0]["feature"] == "checking_status"
    html = render_html(ctx)
    assert "5b. Logic applied" in html and "checking_status" in html

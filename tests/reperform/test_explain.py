"""auditkit.explain on models trained on German Credit and logged/registered by real MLflow
(tests/fixtures/explain_models.py): replay, safe loading, contributions, reasons, counterfactuals."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import auditkit
from auditkit.cli import cli
from auditkit.reperform import messages

ROOT = Path(__file__).resolve().parents[2]
REASON_MAP = ROOT / "sample_data" / "reason_codes.yaml"
TRAIN = ROOT / "sample_data" / "datasets" / "credit_train.csv"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    import explain_models  # tests/fixtures/explain_models.py

    return explain_models.build(tmp_path_factory.mktemp("explain-store"))


@pytest.fixture(scope="module")
def store(built):
    with auditkit.open_store(built["uri"]) as s:
        yield s


@pytest.fixture(scope="module")
def log(built):
    with auditkit.open_predictions(str(built["predictions"])) as lg:
        yield lg


def explain(store, log, pid, **kw):
    kw.setdefault("reason_map", REASON_MAP)
    kw.setdefault("background", TRAIN)
    return auditkit.explain(store, log, pid, **kw)


def rows_of(built, name):
    frame = built["log"]
    return frame[frame["model_name"] == name]


@pytest.mark.parametrize("name,flavor,fmt", [("credit-logreg", "sklearn", "skops"), ("credit-gbm", "sklearn", "skops"),
                                             ("credit-onnx", "onnx", "onnx")])
def test_replay_reproduces_the_logged_scores(built, store, log, name, flavor, fmt):
    pid = rows_of(built, name)["prediction_id"].iloc[3]
    logged = float(rows_of(built, name)["score"].iloc[3])
    doc = explain(store, log, pid)
    assert doc["artifact"]["flavor"] == flavor and doc["artifact"]["format"] == fmt
    assert doc["replay"]["status"] == "reproduced"
    assert doc["replay"]["logged_score"] == logged
    assert abs(doc["replay"]["replayed_score"] - logged) <= 1e-6
    assert doc["replay"]["replayed_decision"] == rows_of(built, name)["decision"].iloc[3]
    assert doc["replay"]["threshold"] == 0.6


def test_every_file_read_is_hashed_into_the_evidence(built, store, log):
    doc = explain(store, log, rows_of(built, "credit-logreg")["prediction_id"].iloc[0])
    folder = Path(doc["artifact"]["uri"].replace("file://", ""))
    on_disk = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in folder.rglob("*") if p.is_file()}
    assert doc["artifact"]["sha256"] == on_disk
    assert {"MLmodel", "model.skops", "requirements.txt", "python_env.yaml"} <= set(on_disk)
    assert doc["reason_map"]["sha256"] == hashlib.sha256(REASON_MAP.read_bytes()).hexdigest()


def test_a_tampered_logged_score_is_a_mismatch(built, store, tmp_path):
    frame = built["log"].copy()
    i = frame.index[frame["model_name"] == "credit-logreg"][5]
    true_score = float(frame.at[i, "score"])
    frame.at[i, "score"] = repr(round(true_score + 0.05, 6))
    path = tmp_path / "tampered.csv"
    frame.to_csv(path, index=False)
    with auditkit.open_predictions(str(path)) as lg:
        doc = explain(store, lg, frame.at[i, "prediction_id"], counterfactuals=False)
        every = auditkit.explain_frame(store, lg, background=TRAIN)
    rp = doc["replay"]
    assert rp["status"] == "mismatch"
    assert rp["logged_score"] == round(true_score + 0.05, 6)
    assert abs(rp["replayed_score"] - true_score) <= 1e-12
    assert rp["difference"] == pytest.approx(true_score - (true_score + 0.05), abs=1e-6)
    assert rp["why"] in doc["gaps"] and "the log says" in rp["why"]
    assert (every["replay_status"] == "mismatch").sum() == 1
    assert every.loc[every["prediction_id"] == frame.at[i, "prediction_id"], "replay_status"].item() == "mismatch"


def test_a_pickled_model_is_a_gap_unless_trusted(built, store, log):
    pid = rows_of(built, "credit-pickle")["prediction_id"].iloc[0]
    doc = explain(store, log, pid)
    gap = messages.GAP_PICKLE.format(flavor="sklearn", ref="credit-pickle/1", format="cloudpickle")
    assert doc["replay"]["status"] == "not_replayed" and doc["replay"]["why"] == gap
    assert doc["artifact"]["loaded"] is False and gap in doc["gaps"]
    trusted = explain(store, log, pid, trust_pickle=True)
    assert trusted["replay"]["status"] == "reproduced"
    assert trusted["artifact"]["pickle_used"] is True
    assert messages.GAP_PICKLE_USED.format(flavor="sklearn", ref="credit-pickle/1", format="cloudpickle") \
        in trusted["gaps"]


def test_skops_trusts_only_the_types_the_mlmodel_lists(built, store, log, tmp_path):
    # MLflow refuses to log trees without skops_trusted_types; an MLmodel edited afterwards to drop
    # them (a copy of the artifacts, mapped in with --artifact-root) must not load
    pid = rows_of(built, "credit-gbm")["prediction_id"].iloc[0]
    copy = tmp_path / "edited"
    shutil.copytree(built["artifacts"], copy)
    for mlmodel in copy.rglob("MLmodel"):
        text = mlmodel.read_text()
        if "skops_trusted_types:\n    - sklearn.tree._tree.Tree\n" in text:
            mlmodel.write_text(text.replace("skops_trusted_types:\n    - sklearn.tree._tree.Tree\n",
                                            "skops_trusted_types: null\n"))
    doc = explain(store, log, pid, artifact_roots=[f"{Path(built['artifacts']).as_uri()}={copy}"])
    assert doc["replay"]["status"] == "not_replayed"
    assert doc["replay"]["why"] == messages.GAP_UNTRUSTED_TYPES.format(ref="credit-gbm/1",
                                                                       types="sklearn.tree._tree.Tree")


def test_missing_and_moved_artifact_roots(built, store, log, tmp_path):
    pid = rows_of(built, "credit-logreg")["prediction_id"].iloc[0]
    old_root = Path(built["artifacts"]).as_uri()
    moved = tmp_path / "moved"
    shutil.copytree(built["artifacts"], moved)
    doc = explain(store, log, pid, artifact_roots=[f"{old_root}={moved}"], counterfactuals=False)
    assert doc["replay"]["status"] == "reproduced"
    assert doc["artifact"]["uri"].startswith(str(moved))
    assert "mapped by --artifact-root" in doc["artifact"]["evidence"]
    gone = tmp_path / "nowhere"
    doc = explain(store, log, pid, artifact_roots=[f"{old_root}={gone}"])
    assert doc["replay"]["status"] == "not_replayed"
    assert any(g.startswith(f"the artifact location {gone}/models/") and "does not exist here" in g
               for g in doc["gaps"])
    # a folder without its MLmodel (a half-copied store) is a gap too
    for mlmodel in moved.rglob("MLmodel"):
        mlmodel.unlink()
    doc = explain(store, log, pid, artifact_roots=[f"{old_root}={moved}"])
    assert doc["replay"]["status"] == "not_replayed"
    assert any("holds no MLmodel file" in g for g in doc["gaps"])


def test_linear_contributions_are_the_exact_formula_and_sum_to_the_logit(built, store, log):
    import explain_models

    lender = explain_models.sample_reasons_module()
    model = built["models"]["logreg"]
    rows = rows_of(built, "credit-logreg")
    for k in (0, 7):
        doc = explain(store, log, rows["prediction_id"].iloc[k], counterfactuals=False)
        x = rows[explain_models.FEATURES].iloc[[k]].reset_index(drop=True)
        expected = lender.logreg_contributions(model, x, built["train_x"], explain_models.NUMERIC,
                                               explain_models.CATEGORICAL)[0]
        got = {c["feature"]: c["contribution"] for c in doc["contributions"]}
        for j, f in enumerate(explain_models.FEATURES):
            assert got[f] == pytest.approx(expected[j], abs=1e-9)
        logit = float(model.decision_function(x)[0])
        assert sum(got.values()) + doc["base_value"] == pytest.approx(logit, abs=1e-9)
        assert doc["method"].startswith("exact linear attribution (LogisticRegression)")


def test_tree_contributions_are_treeshap_and_add_up(built, store, log):
    import shap

    model = built["models"]["gbm"]
    rows = rows_of(built, "credit-gbm")
    doc = explain(store, log, rows["prediction_id"].iloc[2], counterfactuals=False)
    got = {c["feature"]: c["contribution"] for c in doc["contributions"]}
    import explain_models

    x = rows[explain_models.FEATURES].iloc[[2]].reset_index(drop=True)
    enc = model.named_steps["pre"].transform(x)
    sv = shap.TreeExplainer(model.named_steps["clf"]).shap_values(enc)[0]
    names = model.named_steps["pre"].get_feature_names_out()
    for f in explain_models.FEATURES:
        owned = [j for j, n in enumerate(names) if n.split("__", 1)[1] == f or n.split("__", 1)[1].startswith(f + "_")]
        assert got[f] == pytest.approx(float(sv[owned].sum()), abs=1e-9)
    raw = float(model.decision_function(x)[0])
    assert sum(got.values()) + doc["base_value"] == pytest.approx(raw, abs=1e-9)
    assert doc["method"].startswith("TreeSHAP")


def test_logged_reasons_are_checked_against_the_recomputed_ones(built, store, log, tmp_path):
    rows = rows_of(built, "credit-logreg")
    denials = rows[rows["decision"] == "deny"]
    assert len(denials) >= 5
    for pid in denials["prediction_id"].iloc[:5]:
        doc = explain(store, log, pid, counterfactuals=False)
        assert doc["logged_reasons"] and all(r["supported"] for r in doc["logged_reasons"])
        assert [r["text"] for r in doc["reasons"]] == [r["text"] for r in doc["logged_reasons"]]
        assert len(doc["reasons"]) <= 4 and all(r["contribution"] < 0 for r in doc["reasons"])
    # a stale reason the model does not support for this applicant
    frame = built["log"].copy()
    i = denials.index[0]
    age = int(frame.at[i, "age_years"])
    frame.at[i, "reason_4"] = f"Age of {age} years"
    path = tmp_path / "stale.csv"
    frame.to_csv(path, index=False)
    with auditkit.open_predictions(str(path)) as lg:
        doc = explain(store, lg, frame.at[i, "prediction_id"], counterfactuals=False)
    stale = [r for r in doc["logged_reasons"] if r["rank"] == 4][0]
    assert stale["feature"] == "age_years" and stale["supported"] is False
    assert messages.GAP_UNSUPPORTED_REASON.format(rank=4, text=f"Age of {age} years") in doc["gaps"]


def test_counterfactuals_flip_the_decision_and_never_touch_immutable_features(built, store, log):
    import explain_models

    model = built["models"]["logreg"]
    rows = rows_of(built, "credit-logreg")
    denials = rows[rows["decision"] == "deny"]
    checked = 0
    for k in range(3):
        pid = denials["prediction_id"].iloc[k]
        doc = explain(store, log, pid)
        assert "age_years" in doc["counterfactual_search"]["immutable"]
        assert "age_years" not in doc["counterfactual_search"]["actionable"]
        for cf in doc["counterfactuals"]:
            x = denials[explain_models.FEATURES].iloc[[k]].reset_index(drop=True)
            for ch in cf["changes"]:
                assert ch["feature"] != "age_years"
                assert x.at[0, ch["feature"]] == ch["from"]
                x.at[0, ch["feature"]] = ch["to"]
            score = float(model.predict_proba(x)[0, 1])
            assert score == pytest.approx(cf["score"], abs=1e-12)
            assert score >= 0.6 and cf["decision"] == "approve"
            checked += 1
    assert checked > 0
    # sizes ascend: the smallest change comes first
    doc = explain(store, log, denials["prediction_id"].iloc[0])
    sizes = [cf["size"] for cf in doc["counterfactuals"]]
    assert sizes == sorted(sizes)
    only = explain(store, log, denials["prediction_id"].iloc[0], actionable=["credit_amount", "duration_months"])
    assert {ch["feature"] for cf in only["counterfactuals"] for ch in cf["changes"]} <= {"credit_amount",
                                                                                       "duration_months"}


def test_explain_frame_counts_and_reasons(built, store, log):
    frame = auditkit.explain_frame(store, log, reason_map=REASON_MAP, background=TRAIN)
    assert len(frame) == len(built["log"])
    status = frame.groupby("model_name")["replay_status"].agg(lambda s: sorted(set(s)))
    assert status["credit-logreg"] == ["reproduced"] and status["credit-gbm"] == ["reproduced"]
    assert status["credit-onnx"] == ["reproduced"] and status["credit-pickle"] == ["not_replayed"]
    logreg = frame[frame["model_name"] == "credit-logreg"]
    assert logreg["reasons_consistent"].all()
    one = logreg.iloc[0]
    doc = explain(store, log, one["prediction_id"], counterfactuals=False)
    assert json.loads(one["recomputed_reasons"]) == [r["feature"] for r in doc["reasons"]]
    assert one["replayed_score"] == pytest.approx(doc["replay"]["replayed_score"], abs=1e-15)


def test_cli_explain_one_and_all(built, tmp_path):
    runner = CliRunner()
    pid = rows_of(built, "credit-logreg")["prediction_id"].iloc[0]
    base = ["--store", built["uri"], "--predictions", str(built["predictions"]), "--reason-map", str(REASON_MAP),
            "--background", str(TRAIN)]
    res = runner.invoke(cli, ["explain", pid, *base, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["schema_version"] == "1" and doc["replay"]["status"] == "reproduced"
    assert set(doc) >= {"prediction", "model_version", "artifact", "replay", "method", "contributions", "reasons",
                        "logged_reasons", "counterfactuals", "gaps"}
    table = runner.invoke(cli, ["explain", pid, *base])
    assert table.exit_code == 0 and "reproduced" in table.output and "model.skops" in table.output
    out = tmp_path / "all.csv"
    res = runner.invoke(cli, ["explain", "--all", *base, "-o", str(out)])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out)
    n = len(built["log"])
    assert len(written) == n
    assert res.output.startswith(f"wrote {n} decision(s) to {out}: {3 * n // 4} reproduced, 0 mismatch, "
                                 f"{n // 4} not replayed")
    bad = runner.invoke(cli, ["explain", "--all", *base])
    assert bad.exit_code == 2 and bad.output.startswith("error: --all writes a file")
    bad = runner.invoke(cli, ["explain", pid, *base, "--artifact-root", "nothing"])
    assert bad.exit_code == 2 and "is not OLD=NEW" in bad.output


def test_threshold_option_overrides_the_tag(built, store, log):
    rows = rows_of(built, "credit-logreg")
    k = int(np.argmin(np.abs(rows["score"].astype(float).to_numpy() - 0.5)))
    doc = explain(store, log, rows["prediction_id"].iloc[k], threshold=0.99, counterfactuals=False)
    assert doc["replay"]["threshold"] == 0.99 and doc["replay"]["replayed_decision"] == "deny"
    assert doc["replay"]["threshold_source"] == "--threshold"

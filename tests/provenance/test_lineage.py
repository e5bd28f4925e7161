"""Lineage of decisions, checked against a store this test writes with real MLflow.

The world: experiment ``loan-scoring`` with three runs (full git tags and datasets; a run whose
user MLflow could not tell; a run with neither datasets nor code tags), registered model
``loan-approval`` versions 1-3 (MLflow 3 logged models), a logged model never registered,
approvals in tags, an alias moved between ledger snapshots, and a decision log that names its
models every supported way. Every expected value comes from what this file logged or from
MLflow's own client reading the store back.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pandas as pd
import pytest

import auditkit
from auditkit.provenance.gaps import GAP_NO_OWNER
from auditkit.errors import PredictionLogError
from auditkit.records import iso
from conftest import ROOT

MODEL = "loan-approval"
EXPERIMENT = "loan-scoring"


def _frame(n: int, seed: int) -> pd.DataFrame:
    return pd.DataFrame({"income": [1000 + (i * 37 + seed) % 5000 for i in range(n)],
                         "tenure": [(i * 7 + seed) % 30 for i in range(n)],
                         "default": [(i + seed) % 2 for i in range(n)]})


def write_world(uri: str, workdir) -> dict:
    import mlflow
    from mlflow.tracking import MlflowClient

    class _Model(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):  # pragma: no cover - never served
            return [0] * len(model_input)

    old = os.getcwd()
    os.chdir(workdir)
    try:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        exp = client.create_experiment(EXPERIMENT)
        train = mlflow.data.from_pandas(_frame(60, 3), source="s3://loans/train.parquet", name="loans-train",
                                        targets="default")
        evals = mlflow.data.from_pandas(_frame(20, 5), source="s3://loans/eval.parquet", name="loans-eval",
                                        targets="default")
        specs = {
            "rf-a": ({"mlflow.user": "p.ortiz", "mlflow.source.git.commit": "c0ffee" * 6 + "abcd",
                      "mlflow.source.git.branch": "release", "mlflow.source.git.repoURL": "https://git.example.org/loans.git",
                      "mlflow.source.name": "fit.py"}, {"n_trees": "200"},
                     [(train, "training"), (evals, "evaluation")]),
            "rf-b": ({"mlflow.user": "unknown", "mlflow.source.git.commit": "beef" * 10}, {"n_trees": "50"},
                     [(train, "training")]),
            "rf-c": ({"mlflow.user": "q.li"}, {"n_trees": "10"}, []),
        }
        runs, models = {}, {}
        for name, (tags, params, inputs) in specs.items():
            run = client.create_run(exp, run_name=name, tags=tags)
            rid = run.info.run_id
            runs[name] = rid
            for k, v in params.items():
                client.log_param(rid, k, v)
            client.log_metric(rid, "auc", 0.7 + len(name) / 100, step=0)
            with mlflow.start_run(run_id=rid):
                for ds, ctx in inputs:
                    mlflow.log_input(ds, context=ctx)
                info = mlflow.pyfunc.log_model(name="model", python_model=_Model(), pip_requirements=["mlflow"])
                models[name] = info.model_id
                if name == "rf-a":
                    spare = mlflow.pyfunc.log_model(name="spare", python_model=_Model(), pip_requirements=["mlflow"])
            client.set_terminated(rid)
        client.create_registered_model(MODEL, tags={"owner": "credit-ops"})
        for name in ("rf-a", "rf-b", "rf-c"):
            mlflow.register_model(f"models:/{models[name]}", MODEL)
        client.set_model_version_tag(MODEL, "1", "approved_by", "r.meyer")
        client.set_model_version_tag(MODEL, "1", "approved_at", "2020-01-15")
        client.set_model_version_tag(MODEL, "2", "signed_off_by", "s.khan")
        client.set_model_version_tag(MODEL, "2", "signed_off_at", "2020-02-01T10:00:00Z")
        client.set_model_version_tag(MODEL, "3", "approved_by", "r.meyer")
        client.set_model_version_tag(MODEL, "3", "approved_at", "2999-01-01")
        client.set_registered_model_alias(MODEL, "champion", "1")
        versions = {v: client.get_model_version(MODEL, v) for v in ("1", "2", "3")}
        created = max(pd.Timestamp(v.creation_timestamp, unit="ms", tz="UTC") for v in versions.values())
        # ledger: champion=1 at s1 and s2; moved to 2; champion=2 at s3 and s4
        ledger = workdir / "registry.ledger"
        times = [created + timedelta(hours=h) for h in (1, 2, 3, 4)]
        with auditkit.open_store(uri) as store:
            auditkit_ledger().snapshot(store, ledger, now=times[0].to_pydatetime())
            auditkit_ledger().snapshot(store, ledger, now=times[1].to_pydatetime())
        client.set_registered_model_alias(MODEL, "champion", "2")
        with auditkit.open_store(uri) as store:
            auditkit_ledger().snapshot(store, ledger, now=times[2].to_pydatetime())
            auditkit_ledger().snapshot(store, ledger, now=times[3].to_pydatetime())
        oracle = {  # MLflow's own reading of the final state
            "runs": {n: client.get_run(r) for n, r in runs.items()},
            "versions": {v: client.get_model_version(MODEL, v) for v in ("1", "2", "3")},
            "datasets": {"loans-train": train, "loans-eval": evals},
        }
    finally:
        os.chdir(old)
    return {"uri": uri, "runs": runs, "models": models, "spare": spare.model_id, "ledger": str(ledger),
            "created": created, "times": times, "oracle": oracle}


def auditkit_ledger():
    from auditkit import ledger

    return ledger


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("lineage-world")
    (root / "work").mkdir()
    w = write_world(f"sqlite:///{root / 'mlflow.db'}", root / "work")
    t0, t1, t2, t3 = (t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for t in w["times"])
    after = (w["created"] + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    between = lambda a, b: (a + (b - a) / 2).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    ts = w["times"]
    rows = [
        # id, timestamp, model_name, model_version, model_uri, decision, score, reason_1, reason_2
        ("L-1", after, MODEL, "1", None, "deny", 0.31, "income: 1200", "Short tenure"),
        ("L-2", after, MODEL, "2", None, "approve", 0.77, None, None),
        ("L-3", after, MODEL, "3", None, "deny", 0.12, "Too many open loans", None),
        ("L-4", between(ts[0], ts[1]), None, None, f"models:/{MODEL}@champion", "deny", 0.2, None, None),
        ("L-5", between(ts[1], ts[2]), None, None, f"models:/{MODEL}@champion", "deny", 0.2, None, None),
        ("L-6", between(ts[2], ts[3]), None, None, f"models:/{MODEL}@champion", "approve", 0.9, None, None),
        ("L-7", after, None, None, f"runs:/{w['runs']['rf-a']}/model", "approve", 0.8, None, None),
        ("L-8", after, None, None, f"models:/{w['models']['rf-b']}", "approve", 0.66, None, None),
        ("L-9", after, None, None, f"models:/{w['spare']}", "deny", 0.4, None, None),
        ("L-10", after, None, None, None, "deny", 0.4, None, None),
        ("L-11", after, None, None, f"models:/{MODEL}/2", "approve", 0.7, None, None),
    ]
    frame = pd.DataFrame(rows, columns=["prediction_id", "timestamp", "model_name", "model_version", "model_uri",
                                        "decision", "score", "reason_1", "reason_2"])
    frame["income"] = [1200, 3000, 800, 900, 950, 4000, 3900, 2500, 2000, 1000, 2800]
    frame["region"] = ["north", "south", "north", "east", "east", "west", "west", "north", "south", "east", "west"]
    log_path = root / "decisions.csv"
    frame.to_csv(log_path, index=False)
    w.update(log=str(log_path), frame=frame, snapshots=(t0, t1, t2, t3), root=root)
    with auditkit.open_store(w["uri"]) as store:
        w["store"] = store
        yield w


def doc(world, pid, **kw):
    log = auditkit.open_predictions(world["log"])
    return auditkit.lineage(world["store"], log, pid, **kw)


def run_id(world, name):
    return world["runs"][name]


def plain(column: pd.Series) -> list:
    """A frame column's values as a list, missing values as None."""
    return column.astype(object).where(column.notna(), None).tolist()


# -- one decision, every field ------------------------------------------------------------------
def test_version_reference_every_field(world):
    d = doc(world, "L-1")
    o = world["oracle"]
    mv, run = o["versions"]["1"], o["runs"]["rf-a"]
    row = world["frame"].set_index("prediction_id").loc["L-1"]
    assert d["schema_version"] == "1"
    assert d["prediction"] == {
        "id": "L-1", "timestamp": iso(pd.Timestamp(row["timestamp"]).to_pydatetime()), "decision": "deny",
        "score": 0.31, "label": None, "inputs": {"income": 1200, "region": "north"},
        "source": world["log"], "evidence": f"prediction log {world['log']} line 2",
    }
    assert d["model_reference"] == {"kind": "version", "logged": f"{MODEL}/1",
                                    "evidence": "prediction log columns model_name, model_version"}
    assert d["model_version"] == {
        "name": MODEL, "version": "1", "stage": mv.current_stage, "aliases": sorted(mv.aliases),
        "created": iso(pd.Timestamp(mv.creation_timestamp, unit="ms", tz="UTC").to_pydatetime()),
        "creator": mv.user_id or None, "source": mv.source, "tags": dict(mv.tags), "run_id": mv.run_id,
        "model_id": world["models"]["rf-a"], "deleted": False, "description": mv.description or None,
        "evidence": "prediction log columns model_name, model_version",
    }
    assert d["run"] == {
        "id": run.info.run_id, "name": "rf-a", "experiment": EXPERIMENT, "user": "p.ortiz",
        "status": "FINISHED",
        "start_time": iso(pd.Timestamp(run.info.start_time, unit="ms", tz="UTC").to_pydatetime()),
        "end_time": iso(pd.Timestamp(run.info.end_time, unit="ms", tz="UTC").to_pydatetime()),
        "params": dict(run.data.params), "metrics": dict(run.data.metrics), "tags": dict(run.data.tags),
        "lifecycle_stage": "active", "evidence": "model version loan-approval/1 (run_id)",
    }
    assert d["code"] == {"git_commit": "c0ffee" * 6 + "abcd", "git_branch": "release",
                         "repo_url": "https://git.example.org/loans.git", "source": "fit.py",
                         "evidence": f"run {run_id(world, 'rf-a')} tags mlflow.source.*"}
    ds = world["oracle"]["datasets"]
    assert d["datasets"] == [
        {"name": "loans-eval", "digest": ds["loans-eval"].digest, "source_type": "s3",
         "source": ds["loans-eval"].source.to_json(), "context": "evaluation", "rows": 20,
         "evidence": f"run {run_id(world, 'rf-a')} inputs (log_input)"},
        {"name": "loans-train", "digest": ds["loans-train"].digest, "source_type": "s3",
         "source": ds["loans-train"].source.to_json(), "context": "training", "rows": 60,
         "evidence": f"run {run_id(world, 'rf-a')} inputs (log_input)"},
    ]
    assert d["owner"] == {"user": "p.ortiz", "evidence": f"run {run_id(world, 'rf-a')} (user)"}
    assert d["reasons"] == [
        {"rank": 1, "text": "income: 1200", "feature": "income", "source": "prediction log column reason_1"},
        {"rank": 2, "text": "Short tenure", "feature": None, "source": "prediction log column reason_2"},
    ]
    assert d["approvals"] == [{"by": "r.meyer", "at": "2020-01-15",
                               "evidence": "model version loan-approval/1 tags approved_by, approved_at"}]
    assert d["gaps"] == ["the model version records no creator; owner taken from run user",
                         f"registered model {MODEL} tag owner names credit-ops as owner, not p.ortiz; which of them "
                         "owns the model is not recorded"]
    json.dumps(d)  # JSON-ready


def test_owner_from_registered_model_tag_and_custom_approval_keys(world):
    d = doc(world, "L-2")
    assert d["run"]["id"] == run_id(world, "rf-b") and d["model_version"]["version"] == "2"
    assert d["owner"] == {"user": "credit-ops", "evidence": "registered model loan-approval tag owner"}
    assert d["datasets"][0]["context"] == "training" and len(d["datasets"]) == 1
    assert d["gaps"] == [
        f"run {run_id(world, 'rf-b')} records no git branch (mlflow.source.git.branch)",
        f"run {run_id(world, 'rf-b')} records no repository URL (mlflow.source.git.repoURL)",
        f"run {run_id(world, 'rf-b')} records no source file (mlflow.source.name)",
        "the model version records no creator and the run no user; owner taken from registered model "
        "loan-approval tag owner",
        "model version loan-approval/2 has no approval tag (approved_by)",
    ]
    d = doc(world, "L-2", approval_keys=("signed_off_by", "signed_off_at"))
    assert d["approvals"] == [{"by": "s.khan", "at": "2020-02-01T10:00:00Z",
                               "evidence": "model version loan-approval/2 tags signed_off_by, signed_off_at"}]
    both = doc(world, "L-2", approval_keys=[("approved_by", "approved_at"), ("signed_off_by", "signed_off_at")])
    assert [a["by"] for a in both["approvals"]] == ["s.khan"]


def test_missing_data_code_and_late_approval_are_gaps(world):
    d = doc(world, "L-3")
    rid = run_id(world, "rf-c")
    assert d["datasets"] == [] and d["code"]["git_commit"] is None
    assert d["gaps"] == [
        f"run {rid} records no git commit (mlflow.source.git.commit)",
        f"run {rid} records no git branch (mlflow.source.git.branch)",
        f"run {rid} records no repository URL (mlflow.source.git.repoURL)",
        f"run {rid} records no source file (mlflow.source.name)",
        f"run {rid} logs no input datasets; the data it trained on cannot be identified",
        "the model version records no creator; owner taken from run user",
        f"registered model {MODEL} tag owner names credit-ops as owner, not q.li; which of them owns the model is "
        "not recorded",
        "the decision precedes the approval of model version loan-approval/3 recorded at 2999-01-01",
    ]


def test_alias_through_the_ledger_at_the_decision_time(world):
    s = world["snapshots"]
    d = doc(world, "L-4", ledger=world["ledger"])
    assert d["model_version"]["version"] == "1" and d["run"]["id"] == run_id(world, "rf-a")
    assert d["model_version"]["evidence"].startswith(
        f"prediction log column model_uri (models:/{MODEL}@champion); ledger {world['ledger']}: "
        f"alias champion of {MODEL} pointed to version 1 at both snapshot #1 ({s[0]}) and #2 ({s[1]})")
    assert d["gaps"][0] == "the model version records no creator; owner taken from run user"
    # the alias moved between snapshots 2 and 3: not resolved, candidates named
    d = doc(world, "L-5", ledger=world["ledger"])
    assert d["model_version"] is None and d["run"] is None
    at = pd.Timestamp(world["frame"].set_index("prediction_id").loc["L-5", "timestamp"]).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")
    assert d["gaps"][0] == (f"alias champion of {MODEL} moved between snapshot #2 ({s[1]}) and #3 ({s[2]}): "
                            f"it pointed to version 1 or version 2 at {at}; not resolved")
    assert d["gaps"][1:] == [
        "no training run is known for this decision; data, code and run owner cannot be shown",
        GAP_NO_OWNER,
        "no registered model version is known for this decision, so no approval can be shown",
    ]
    d = doc(world, "L-6", ledger=world["ledger"])
    assert d["model_version"]["version"] == "2" and d["run"]["id"] == run_id(world, "rf-b")


def test_version_reference_with_ledger_names_the_aliases_it_held(world, tmp_path):
    s, ts = world["snapshots"], world["times"]
    at = pd.Timestamp((ts[0] + (ts[1] - ts[0]) / 2).strftime("%Y-%m-%dT%H:%M:%SZ"))
    rows = world["frame"].iloc[[0, 10]].assign(timestamp=[at.strftime("%Y-%m-%dT%H:%M:%SZ")] * 2)
    path = tmp_path / "versions.csv"
    rows.to_csv(path, index=False)
    log = auditkit.open_predictions(path)
    d = auditkit.lineage(world["store"], log, "L-1", ledger=world["ledger"])
    at_text = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert d["model_version"]["aliases_at_decision"] == [{
        "alias": "champion",
        "evidence": f"ledger {world['ledger']}: alias champion of {MODEL} pointed to version 1 at both snapshot #1 "
                    f"({s[0]}) and #2 ({s[1]}), around {at_text}"}]
    assert auditkit.lineage(world["store"], log, "L-11", ledger=world["ledger"])["model_version"][
        "aliases_at_decision"] == []
    assert "aliases_at_decision" not in auditkit.lineage(world["store"], log, "L-1")["model_version"]


def test_alias_without_ledger_resolves_to_no_version_and_names_todays_target(world):
    d = doc(world, "L-4")
    assert d["model_version"] is None and d["run"] is None  # never today's version as the answer
    assert d["model_reference"]["logged"] == "models:/loan-approval@champion"
    assert d["gaps"][0] == ("model alias loan-approval@champion cannot be resolved at the decision's time because "
                            "no ledger was given (--ledger FILE); today it points to version 2, which is not "
                            "proven to be the version that decided")


def test_run_logged_model_and_missing_references(world):
    d = doc(world, "L-7")
    rid = run_id(world, "rf-a")
    assert d["model_version"] is None and d["run"]["id"] == rid and d["code"]["git_branch"] == "release"
    assert d["run"]["evidence"] == f"prediction log column model_uri (runs:/{rid}/model)"
    assert d["gaps"][0] == (f"the decision names run {rid} directly (runs:/{rid}/model), not a registered model "
                            f"version; versions registered from that run: {MODEL}/1")
    assert d["owner"] == {"user": "p.ortiz", "evidence": f"run {rid} (user)"}
    d = doc(world, "L-8")
    assert d["model_version"]["version"] == "2" and d["run"]["id"] == run_id(world, "rf-b")
    assert d["model_version"]["evidence"] == (
        f"prediction log column model_uri (models:/{world['models']['rf-b']}); the only model version registered "
        f"from logged model {world['models']['rf-b']}")
    d = doc(world, "L-9")
    assert d["model_version"] is None and d["run"]["id"] == rid
    assert d["run"]["evidence"] == f"logged model {world['spare']} (source_run_id)"
    assert d["gaps"][0] == (f"logged model {world['spare']} is registered as no model version; no version tags or "
                            "approvals apply")
    d = doc(world, "L-10")
    assert d["model_version"] is None and d["run"] is None
    assert d["gaps"][0] == ("the prediction log names no model for this decision (model_name, model_version, "
                            "model_uri empty)")
    d = doc(world, "L-11")
    assert d["model_reference"] == {"kind": "version", "logged": f"models:/{MODEL}/2",
                                    "evidence": "prediction log column model_uri"}
    assert d["model_version"]["version"] == "2"


# -- errors -------------------------------------------------------------------------------------
def _log_with(world, tmp_path, name, **changes):
    frame = world["frame"].copy()
    for col, (idx, value) in changes.items():
        frame.loc[idx, col] = value
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def test_unknown_id_and_bad_references_are_one_line_errors(world, tmp_path):
    log = auditkit.open_predictions(world["log"])
    cases = [
        ("L-404", world["log"],
         f"prediction id 'L-404' is not in prediction log {world['log']!r} (column 'prediction_id')"),
        ("L-11", _log_with(world, tmp_path, "a.csv", model_uri=(10, "models:/loan-approval/9")),
         "prediction 'L-11' names model 'models:/loan-approval/9', which the store does not hold: model "
         "'loan-approval' has no version '9'; versions: '1', '2', '3'"),
        ("L-11", _log_with(world, tmp_path, "b.csv", model_uri=(10, "models:/fraud/1")),
         "prediction 'L-11' names model 'models:/fraud/1', which the store does not hold: registered model "
         "'fraud' is not in the store; models: 'loan-approval'"),
        ("L-11", _log_with(world, tmp_path, "c.csv", model_uri=(10, "s3://bucket/model.pkl")),
         "model reference 's3://bucket/model.pkl' of prediction 'L-11' is not models:/NAME/VERSION, "
         "models:/NAME@ALIAS, models:/m-ID or runs:/RUN_ID/PATH"),
        ("L-11", _log_with(world, tmp_path, "d.csv", model_uri=(10, "runs:/0123abcd/model")),
         "prediction 'L-11' names model 'runs:/0123abcd/model', which the store does not hold: run '0123abcd' is "
         "not in the store"),
        ("L-11", _log_with(world, tmp_path, "e.csv", model_uri=(10, "models:/m-00000000")),
         "prediction 'L-11' names model 'models:/m-00000000', which the store does not hold: logged model "
         "'m-00000000' is not in the store"),
        ("L-1", _log_with(world, tmp_path, "f.csv", timestamp=(0, "last tuesday")),
         f"prediction log {str(tmp_path / 'f.csv')!r} has 1 unparseable timestamp(s) in column 'timestamp' at "
         "line 2 (e.g. 'last tuesday'); expected ISO 8601 (e.g. 2026-03-01T12:00:00Z) or epoch numbers (unit: --time-unit)"),
        ("L-2", _log_with(world, tmp_path, "g.csv", prediction_id=(0, "L-2")),
         f"prediction log {str(tmp_path / 'g.csv')!r} has 1 duplicated prediction id(s): 'L-2' at line 2 and "
         "line 3; expected each id once"),
    ]
    for pid, source, message in cases:
        with pytest.raises(PredictionLogError) as exc:
            auditkit.lineage(world["store"], auditkit.open_predictions(source), pid)
        assert str(exc.value) == message
    nomodel = tmp_path / "nomodel.csv"
    world["frame"].drop(columns=["model_name", "model_uri"]).to_csv(nomodel, index=False)
    with pytest.raises(PredictionLogError) as exc:
        auditkit.lineage(world["store"], auditkit.open_predictions(nomodel), "L-1")
    assert str(exc.value) == (
        f"prediction log {str(nomodel)!r} names no model: expected columns model_name and model_version, or "
        "model_uri; columns: 'prediction_id', 'timestamp', 'model_version', 'decision', 'score', 'reason_1', "
        "'reason_2', 'income', 'region'")
    with pytest.raises(auditkit.AuditkitError) as exc:
        auditkit.lineage(world["store"], log, "L-1", approval_keys="approved_by")
    assert str(exc.value) == ("approval keys 'approved_by' must be a pair of tag names (by, at) or a list of such "
                              "pairs, e.g. ('approved_by', 'approved_at')")


# -- every decision at once ---------------------------------------------------------------------
@pytest.mark.parametrize("with_ledger", [False, True])
def test_frame_rows_agree_with_single_lineage(world, with_ledger):
    ledger = world["ledger"] if with_ledger else None
    log = auditkit.open_predictions(world["log"])
    frame = auditkit.lineage_frame(world["store"], log, ledger=ledger)
    assert frame["prediction_id"].tolist() == world["frame"]["prediction_id"].tolist()
    for _, row in frame.iterrows():
        d = auditkit.lineage(world["store"], log, row["prediction_id"], ledger=ledger)
        mv, run = d["model_version"] or {}, d["run"] or {}
        train = [x for x in d["datasets"] if x["context"] == "training"]
        expect = {
            "timestamp": d["prediction"]["timestamp"], "decision": d["prediction"]["decision"],
            "score": d["prediction"]["score"], "model_name": mv.get("name"), "model_version": mv.get("version"),
            "model_version_evidence": mv.get("evidence"), "run_id": run.get("id"), "run_name": run.get("name"),
            "experiment": run.get("experiment"), "run_evidence": run.get("evidence"),
            "git_commit": d["code"]["git_commit"], "git_branch": d["code"]["git_branch"],
            "repo_url": d["code"]["repo_url"], "code_source": d["code"]["source"],
            "training_datasets": ", ".join(x["name"] for x in train) or None,
            "training_digests": ", ".join(x["digest"] for x in train) or None,
            "owner": d["owner"]["user"], "owner_evidence": d["owner"]["evidence"],
            "approved_by": ", ".join(a["by"] for a in d["approvals"]) or None,
            "gap_count": len(d["gaps"]), "gaps": d["gaps"],
        }
        if with_ledger:
            held = mv.get("aliases_at_decision")
            expect["aliases_at_decision"] = None if not mv else ", ".join(a["alias"] for a in held)
        else:
            assert "aliases_at_decision" not in frame.columns
        got = {k: row[k] for k in expect}
        got["timestamp"] = iso(got["timestamp"].to_pydatetime())
        got["gaps"] = list(got["gaps"])
        got = {k: (None if not isinstance(v, list) and pd.isna(v) else v) for k, v in got.items()}
        assert got == expect, row["prediction_id"]


def test_frame_of_a_large_log_resolves_each_reference_once(world, tmp_path):
    base = world["frame"]
    big = pd.concat([base.assign(prediction_id=base["prediction_id"] + f"-{i}") for i in range(500)],
                    ignore_index=True)
    path = tmp_path / "big.parquet"
    big.to_parquet(path, index=False)
    calls = []
    store = world["store"]
    original = store.get_run

    def counting(rid):
        calls.append(rid)
        return original(rid)

    store.get_run = counting
    try:
        frame = auditkit.lineage_frame(store, auditkit.open_predictions(path), ledger=world["ledger"])
    finally:
        del store.get_run
    assert len(frame) == len(big) == 5500
    assert len(calls) == len(set(calls)) <= 3
    small = auditkit.lineage_frame(store, auditkit.open_predictions(world["log"]), ledger=world["ledger"])
    for col in ("model_version", "run_id", "owner", "gap_count"):
        assert plain(frame[col]) == plain(small[col]) * 500


# -- CLI ----------------------------------------------------------------------------------------
def test_cli_table_json_and_all(world, cli_run, tmp_path):
    args = ["--store", world["uri"], "--predictions", world["log"]]
    res = cli_run("lineage", "L-1", *args, "--format", "json")
    assert res.exit_code == 0
    assert json.loads(res.stdout) == json.loads(json.dumps(doc(world, "L-1")))
    res = cli_run("lineage", "L-1", *args)
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0] == f"decision    L-1  deny  at {doc(world, 'L-1')['prediction']['timestamp']}  score 0.31  " \
                       f"[prediction log {world['log']} line 2]"
    assert f"owner       p.ortiz  [run {run_id(world, 'rf-a')} (user)]" in lines
    assert "  - the model version records no creator; owner taken from run user" in lines
    for ext in ("csv", "parquet", "jsonl"):
        out = tmp_path / f"all.{ext}"
        res = cli_run("lineage", "--all", *args, "--ledger", world["ledger"], "-o", out)
        assert res.exit_code == 0, res.stderr
        unattributed = sum(doc(world, f"L-{i}", ledger=world["ledger"])["model_version"] is None
                           for i in range(1, 12))
        assert unattributed  # the run reference and the alias times the ledger cannot prove
        assert res.stdout == (f"wrote lineage of 11 decision(s) to {out}; 11 with gaps; {unattributed} "
                              f"attributed to no model version (their gaps say why)\n")
        back = (pd.read_csv(out) if ext == "csv" else pd.read_parquet(out) if ext == "parquet"
                else pd.read_json(out, lines=True, dtype=False))
        assert back["prediction_id"].tolist() == world["frame"]["prediction_id"].tolist()
        gaps = back["gaps"].map(json.loads) if ext == "csv" else back["gaps"].map(list)
        assert gaps.tolist()[4] == doc(world, "L-5", ledger=world["ledger"])["gaps"]


def test_cli_errors_exit_2_one_line(world, cli_run, tmp_path):
    args = ["--store", world["uri"], "--predictions", world["log"]]
    cases = [
        (["lineage", "L-404", *args], f"error: prediction id 'L-404' is not in prediction log {world['log']!r} "
                                      "(column 'prediction_id')"),
        (["lineage", *args], "error: give a prediction ID or --all (with -o OUT), not neither"),
        (["lineage", "L-1", "--all", *args, "-o", tmp_path / "x.csv"],
         "error: give a prediction ID or --all (with -o OUT), not both"),
        (["lineage", "--all", *args, "-o", tmp_path / "x.xlsx"],
         f"error: output {str(tmp_path / 'x.xlsx')!r} has no lineage table extension; expected one of: .csv, "
         ".parquet, .jsonl"),
        (["lineage", "L-1", *args, "--column", "prediction_id"],
         "error: --column 'prediction_id' is not ROLE=NAME (e.g. prediction_id=request_ref)"),
    ]
    for argv, message in cases:
        res = cli_run(*argv)
        assert res.exit_code == 2
        assert res.stderr == message + "\n"
        assert res.stdout == ""


def test_cli_help_has_an_example(cli_run):
    res = cli_run("lineage", "--help")
    assert res.exit_code == 0 and "Example:" in res.stdout and "--column ROLE=NAME" in res.stdout


# -- the bundled sample data --------------------------------------------------------------------
SAMPLE = str(ROOT / "sample_data")


def test_sample_data_each_champion_version(tmp_path):
    """For decisions served by each champion version (sample_data/champion_schedule.json), the
    lineage names that version and MLflow's own record of its run, commit, datasets and owner."""
    import shutil

    import mlflow
    from mlflow.tracking import MlflowClient

    copy = tmp_path / "mlflow.db"  # MLflow's client reads a copy: the bundled store stays untouched
    shutil.copy(os.path.join(SAMPLE, "mlflow.db"), copy)
    client = MlflowClient(tracking_uri=f"sqlite:///{copy}", registry_uri=f"sqlite:///{copy}")
    with open(os.path.join(SAMPLE, "champion_schedule.json"), encoding="utf-8") as fh:
        schedule = json.load(fh)
    name = schedule["model_name"]
    train_digest = mlflow.data.from_pandas(
        pd.read_csv(os.path.join(SAMPLE, "datasets", "credit_train.csv")), targets="credit_risk").digest
    log = auditkit.open_predictions(os.path.join(SAMPLE, "predictions.csv"))
    decisions = log.read([log.roles["prediction_id"], log.roles["timestamp"]])
    times = pd.to_datetime(decisions["timestamp"], utc=True)
    checked = set()
    with auditkit.open_store(os.path.join(SAMPLE, "mlflow.db")) as store:
        for span in schedule["aliases"]:
            if span["alias"] != "champion":
                continue
            hi = pd.Timestamp(span["to"]) if span["to"] else pd.Timestamp.max.tz_localize("UTC")
            served = decisions[(times >= pd.Timestamp(span["from"])) & (times < hi)]["prediction_id"]
            assert len(served) > 0, span
            mv = client.get_model_version(name, span["version"])
            run = client.get_run(mv.run_id)
            inputs = {d.dataset.name: (d.dataset.digest, [t.value for t in d.tags if t.key == "mlflow.data.context"][0])
                      for d in run.inputs.dataset_inputs}
            for pid in (served.iloc[0], served.iloc[len(served) // 2], served.iloc[-1]):
                d = auditkit.lineage(store, log, pid)
                assert (d["model_version"]["name"], d["model_version"]["version"]) == (name, span["version"])
                assert d["run"]["id"] == mv.run_id and d["run"]["name"] == run.info.run_name
                assert d["code"]["git_commit"] == run.data.tags["mlflow.source.git.commit"]
                assert d["code"]["repo_url"] == run.data.tags["mlflow.source.git.repoURL"]
                assert {x["name"]: (x["digest"], x["context"]) for x in d["datasets"]} == inputs
                assert [x["digest"] for x in d["datasets"] if x["context"] == "training"] == [train_digest]
                assert d["owner"] == {"user": run.info.user_id, "evidence": f"run {mv.run_id} (user)"}
                approval = (mv.tags["approved_by"], mv.tags["approved_at"])
                assert [(a["by"], a["at"]) for a in d["approvals"]] == [approval]
                checked.add(span["version"])
        frame = auditkit.lineage_frame(store, log)
        # with the bundled ledger: the frame's rows equal lineage() of the same decisions, in and
        # around the window where the ledger cannot resolve champion
        ledger = os.path.join(SAMPLE, "registry-ledger.jsonl")
        with_ledger = auditkit.lineage_frame(store, log, ledger=ledger).set_index("prediction_id")
        unresolved = 0
        for pid in decisions["prediction_id"].iloc[::40].tolist() + ["APP-004071", "APP-004100", "APP-004172"]:
            d = auditkit.lineage(store, log, pid, ledger=ledger)
            row = with_ledger.loc[pid]
            assert list(row["gaps"]) == d["gaps"] and row["gap_count"] == len(d["gaps"])
            held = d["model_version"]["aliases_at_decision"]
            assert row["aliases_at_decision"] == ", ".join(a["alias"] for a in held)
            unresolved += any("not resolved" in g for g in d["gaps"])
        assert unresolved >= 3
    champions = {s["version"] for s in schedule["aliases"] if s["alias"] == "champion"}
    assert checked == champions and len(champions) >= 3
    assert len(frame) == len(decisions)
    by_version = frame.groupby("model_version", observed=True)["run_id"].unique()
    for version, run_ids in by_version.items():
        assert list(run_ids) == [client.get_model_version(name, version).run_id]


def test_public_names_survive_importing_the_modules():
    """`auditkit.lineage` stays the function even after `auditkit.lineage` (the module) and
    `auditkit.provenance` (the package behind it) is imported, and importing auditkit does not
    load pandas."""
    import subprocess
    import sys

    code = ("import sys, auditkit; light = 'pandas' not in sys.modules; "
            "import auditkit.provenance, auditkit.provenance.batch, auditkit.logs; "
            "print(light, callable(auditkit.lineage), auditkit.lineage_frame.__module__, "
            "auditkit.open_predictions.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "auditkit.provenance.batch", "auditkit.logs.source"]


def test_chunked_frames_equal_the_whole_frame(world):
    from auditkit.provenance import iter_lineage_frames

    log = auditkit.open_predictions(world["log"])
    seen: list[int] = []
    chunks = list(iter_lineage_frames(world["store"], log, ledger=world["ledger"], chunk_rows=4, progress=seen.append))
    assert seen == [4, 4, 3] and [len(c) for c in chunks] == seen
    whole = auditkit.lineage_frame(world["store"], log, ledger=world["ledger"])
    joined = pd.concat(chunks, ignore_index=True)
    for col in whole.columns:
        assert plain(joined[col]) == plain(whole[col]), col


def test_sql_log_gives_the_same_lineage(world, pg_databases):
    import sqlalchemy as sa

    url = pg_databases.create("auditkit_lineage_log")
    engine = sa.create_engine(url)
    world["frame"].to_sql("served", engine, index=False)
    engine.dispose()
    log = auditkit.open_predictions(f"served@{url}")
    for pid in ("L-1", "L-4", "L-8"):
        from_sql = auditkit.lineage(world["store"], log, pid, ledger=world["ledger"])
        from_csv = doc(world, pid, ledger=world["ledger"])
        assert from_sql["prediction"]["evidence"] == f"prediction log served@{url} WHERE prediction_id = '{pid}'"
        for part in (from_sql, from_csv):
            part["prediction"].pop("evidence")
            part["prediction"].pop("source")
        assert from_sql == from_csv
    frame = auditkit.lineage_frame(world["store"], log, ledger=world["ledger"])
    assert frame["prediction_id"].tolist() == world["frame"]["prediction_id"].tolist()
    log.close()


def test_decision_before_its_version_is_a_gap_naming_both_times(world, tmp_path):
    with auditkit.open_store(world["uri"]) as store:
        created = store.get_model_version(MODEL, "1").creation_time
    times = [created - timedelta(days=1), created - timedelta(hours=1, milliseconds=250)]
    path = tmp_path / "early.csv"
    pd.DataFrame({"prediction_id": ["E-1", "E-2"], "timestamp": [t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for t in times],
                  "model_name": [MODEL, MODEL], "model_version": ["1", "1"],
                  "decision": ["deny", "approve"]}).to_csv(path, index=False)
    log = auditkit.open_predictions(str(path))
    frame = auditkit.lineage_frame(world["store"], log).set_index("prediction_id")
    for pid, at in zip(["E-1", "E-2"], times):
        gap = (f"the decision at {auditkit.records.iso(at)} precedes the creation of model version {MODEL}/1 at "
               f"{auditkit.records.iso(created)}; the log's model reference cannot be right")
        one = auditkit.lineage(world["store"], log, pid)
        assert gap in one["gaps"]
        assert tuple(frame.at[pid, "gaps"]) == tuple(one["gaps"])  # the batch names the row's own time

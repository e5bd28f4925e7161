"""Decision log, champion schedule and read-back checks for ``make_sample.py``."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import make_sample as ms
import reasons as rs


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_json() -> dict:
    """Which version held which alias, from when to when (``to`` null = still holds it)."""
    open_: dict[str, tuple[str, str]] = {}
    spans = []
    for at, alias, version in ms.ALIAS_MOVES:
        if alias in open_:
            v, since = open_.pop(alias)
            spans.append({"alias": alias, "version": v, "from": since, "to": at})
        if version is not None:
            open_[alias] = (version, at)
    spans += [{"alias": a, "version": v, "from": since, "to": None}
              for a, (v, since) in open_.items()]
    spans.sort(key=lambda s: (s["from"], s["alias"]))
    return {"schema_version": "1", "model_name": ms.MODEL,
            "note": "Alias history of the sample registry as recorded by make_sample.py "
                    "(MLflow keeps only the current aliases). Times are UTC; 'to' is "
                    "exclusive; null means the alias still points there.",
            "aliases": spans}


def champion_at(schedule: dict, ts: pd.Series) -> pd.Series:
    out = pd.Series(None, index=ts.index, dtype=object)
    for s in schedule["aliases"]:
        if s["alias"] != "champion":
            continue
        lo = pd.Timestamp(s["from"])
        hi = pd.Timestamp(s["to"]) if s["to"] else pd.Timestamp.max.tz_localize("UTC")
        out[(ts >= lo) & (ts < hi)] = s["version"]
    assert out.notna().all(), "a decision falls outside every champion period"
    return out


def applicants(raw: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    """Resampled German Credit applicants with noise on duration, amount and age."""
    n = ms.N_DECISIONS
    days = pd.bdate_range(ms.DECISIONS_FROM, ms.DECISIONS_TO, tz="UTC")
    ts = (days[rng.integers(0, len(days), n)]
          + pd.to_timedelta(rng.integers(8 * 3600, 19 * 3600, n), unit="s"))
    app = raw.iloc[rng.integers(0, len(raw), n)].reset_index(drop=True).copy()
    shift = rng.choice([-6, -3, 3, 6], n) * (rng.random(n) < 0.3)
    app["duration_months"] = np.clip(app["duration_months"] + shift, 4, 72)
    amount = app["credit_amount"] * np.exp(rng.normal(0.0, 0.1, n))
    app["credit_amount"] = np.maximum(250, np.round(amount / 10) * 10).astype(int)
    app["age_years"] = np.clip(app["age_years"] + rng.integers(-2, 3, n), 19, 75)
    app["timestamp"] = pd.Series(ts)
    app = app.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return app, app.pop("timestamp")


def make_predictions(raw: pd.DataFrame, train_df: pd.DataFrame, models: dict,
                     schedule: dict) -> pd.DataFrame:
    rng = np.random.default_rng(ms.SEED)
    app, ts = applicants(raw, rng)
    version = champion_at(schedule, ts)
    score = pd.Series(np.nan, index=app.index)
    reasons: list[list[str]] = [[] for _ in range(len(app))]
    for v in sorted(version.unique()):
        rows = version == v
        x = app.loc[rows, ms.FEATURES]
        model = models[v]
        s = np.round(model.predict_proba(x)[:, 1], 4)
        score[rows] = s
        denied = x[s < ms.THRESHOLD]
        if isinstance(model.named_steps["clf"], LogisticRegression):
            contrib = rs.logreg_contributions(model, denied, train_df[ms.FEATURES],
                                              ms.NUMERIC, ms.CATEGORICAL)
        else:
            contrib = rs.perturbation_contributions(model, denied, train_df[ms.FEATURES],
                                                    ms.NUMERIC, ms.CATEGORICAL)
        for pos, texts in zip(denied.index, rs.principal_reasons(contrib, denied, ms.FEATURES)):
            reasons[pos] = texts
    decision = np.where(score >= ms.THRESHOLD, "approve", "deny")
    # one decision carries a score the model did not produce (a scoring-service defect): the first
    # version-3 approval of June 2026 scored below 0.9 is logged 0.05 higher, the decision unchanged;
    # `auditkit explain` (replay) finds it as a mismatch
    june = ((ts >= pd.Timestamp("2026-06-01T00:00:00Z")).to_numpy() & (version.astype(str) == "3").to_numpy()
            & (decision == "approve") & (score < 0.9).to_numpy())
    tampered = int(np.flatnonzero(june)[0])
    score.iloc[tampered] = round(score.iloc[tampered] + 0.05, 4)
    known = ts < pd.Timestamp(ms.LABELS_UNTIL)
    label = app["credit_risk"].where(known, "")

    # make "loan application 4711" a denial from the v2 (gradient boosting) era, outcome known
    doc = np.flatnonzero((ts >= pd.Timestamp("2026-04-14T00:00:00Z")).to_numpy()
                         & (decision == "deny") & known.to_numpy())[0]
    first = ms.DOC_ID - int(doc)
    out = pd.DataFrame({
        "prediction_id": [f"APP-{first + i:06d}" for i in range(len(app))],
        "timestamp": ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model_name": ms.MODEL,
        "model_version": version.astype(str),
        "score": score.map(lambda f: f"{f:.4f}"),
        "decision": decision,
        "label": label,
    })
    for k in range(rs.MAX_REASONS):
        out[f"reason_{k + 1}"] = [r[k] if len(r) > k else "" for r in reasons]
    out["sex"] = np.where(app["personal_status_sex"].isin(["A92", "A95"]), "female", "male")
    out["age_band"] = pd.cut(app["age_years"], [0, 24, 40, 60, 200],
                             labels=["<25", "25-40", "40-60", "60+"]).astype(str)
    out["foreign_worker"] = app["foreign_worker"].map({"A201": "yes", "A202": "no"})
    out["personal_status_sex"] = app["personal_status_sex"]
    for f in ms.FEATURES:
        out[f] = app[f]
    return out


def alias_log(preds: pd.DataFrame) -> pd.DataFrame:
    """The same decisions as a serving system that loads ``models:/credit-risk@champion`` logs
    them (MLflow's recommended pattern): one ``model_uri`` column naming the alias instead of
    ``model_name`` + ``model_version``. Which version decided is then only provable through the
    registry ledger at each decision's time."""
    out = preds.drop(columns=["model_name", "model_version"])
    out.insert(2, "model_uri", f"models:/{ms.MODEL}@champion")
    return out


def verify(results: dict, train_df: pd.DataFrame, preds: pd.DataFrame) -> None:
    """Read everything back with MLflow's own client and check the sample's promises
    (``train_df``: credit_train.csv as read back from disk)."""
    import mlflow
    from mlflow.entities import ViewType

    train_digest = mlflow.data.from_pandas(train_df, targets="credit_risk").digest
    client = mlflow.MlflowClient(tracking_uri=ms.DB_URI, registry_uri=ms.DB_URI)
    exp = client.get_experiment_by_name(ms.EXPERIMENT)
    runs = {r.info.run_name: r for r in client.search_runs([exp.experiment_id],
                                                          run_view_type=ViewType.ALL)}
    assert set(runs) == set(results), sorted(runs)
    for name, res in results.items():
        run = runs[name]
        t = run.data.tags
        assert t["mlflow.source.git.commit"] == res["commit"], (name, t)
        assert t["mlflow.source.git.branch"] == "main" and t["mlflow.source.git.repoURL"] == ms.REMOTE
        assert t["mlflow.source.name"] == "train_credit.py" and t["mlflow.user"] == res["user"]
        assert iso(run.info.start_time / 1000)[:13] == res["started"][:13], (name, run.info)
        ctx = {d.dataset.name: [x.value for x in d.tags if x.key == "mlflow.data.context"][0]
               for d in run.inputs.dataset_inputs}
        assert ctx == {"german-credit-train": "training", "german-credit-eval": "evaluation"}
        digest = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
        assert digest["german-credit-train"] == train_digest
        want = "deleted" if name == ms.DELETED_RUN[0] else "active"
        assert run.info.lifecycle_stage == want and run.info.status == "FINISHED"
        assert run.info.artifact_uri.startswith(ms.PORTABLE_ART)
        print(f"run {name:16} {res['user']:10} {iso(run.info.start_time / 1000)} "
              f"{run.info.lifecycle_stage:8} v{res['version'] or '-'} "
              f"commit {res['commit'][:8]} eval_auc={run.data.metrics['eval_auc']:.3f} "
              f"params {sorted((k, v) for k, v in run.data.params.items() if k not in ('seed', 'threshold', 'n_features', 'trainer_version'))}")
    rm = client.get_registered_model(ms.MODEL)
    # MLflow returns alias versions as int from the sqlite registry
    assert {a: str(v) for a, v in rm.aliases.items()} == {"champion": "3", "challenger": "4"}
    assert rm.tags["owner"] == "a.schmidt"
    by_run = {res["run_id"]: n for n, res in results.items()}
    for v, (desc, approval, _) in ms.VERSIONS.items():
        mv = client.get_model_version(ms.MODEL, v)
        assert mv.description == desc and by_run[mv.run_id] in results
        assert mv.tags["decision_threshold"] == str(ms.THRESHOLD)
        assert {k: mv.tags[k] for k in mv.tags if k.startswith("approv")} == (approval or {})
        print(f"version {v}: run {by_run[mv.run_id]}, created {iso(mv.creation_timestamp / 1000)}, "
              f"source {mv.source}, approval {approval or 'NONE'}")
    assert preds["prediction_id"].is_unique
    doc = preds.set_index("prediction_id").loc[f"APP-{ms.DOC_ID:06d}"]
    assert doc["decision"] == "deny" and doc["reason_1"]
    assert (preds.loc[preds["decision"] == "approve", "reason_1"] == "").all()
    assert (preds.loc[preds["decision"] == "deny", "reason_1"] != "").all()
    print(f"predictions: {len(preds)} rows, {preds['prediction_id'].iloc[0]}..{preds['prediction_id'].iloc[-1]}, "
          f"approve rate {(preds['decision'] == 'approve').mean():.3f}, by version "
          f"{preds['model_version'].value_counts().sort_index().to_dict()}, "
          f"no label: {(preds['label'] == '').sum()}")
    print("APP-004711:", doc.to_dict())


if __name__ == "__main__":  # rewrite predictions_alias.csv from predictions.csv (make_sample.py does too)
    import sys
    from pathlib import Path

    if sys.argv[1:] != ["--alias-log"]:
        raise SystemExit("usage: python sample_data/_predictions.py --alias-log")
    here = Path(__file__).parent
    alias_log(pd.read_csv(here / "predictions.csv", dtype=str, keep_default_na=False)).to_csv(
        here / "predictions_alias.csv", index=False)

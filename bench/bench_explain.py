"""Benchmark: explain (replay, contributions, reasons) of 100,000 decisions, against shap alone.

    .venv/bin/python bench/bench_explain.py [--rows 100000]

Trains on the sample's German Credit training split a logistic-regression pipeline and a
100-tree, depth-3 gradient-boosting pipeline (standardised / one-hot encoded), logs and
registers both with MLflow (sklearn flavor, skops) in a scratch sqlite store, and writes a
prediction log of ``--rows`` decisions (evaluation applicants resampled, scored by the models).

Then, each in a fresh process (peak RSS from ``getrusage``):

- ``explain-one``: ``auditkit explain ID`` (one decision with counterfactuals), wall time;
- ``frame-<model>``: ``auditkit.explain_frame`` over that model's decisions (load, replay every
  score, contributions, principal reasons, logged-reason checks); every decision must reproduce;
- ``shap-<model>``: shap alone on the same encoded rows (TreeExplainer for the trees,
  LinearExplainer with the training data for the logistic model), no replay, no reasons.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))


def build(workdir: Path, rows: int) -> dict:
    import explain_models as em
    import mlflow
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.ensemble import GradientBoostingClassifier

    train = pd.read_csv(em.DATA / "credit_train.csv")
    evald = pd.read_csv(em.DATA / "credit_eval.csv")
    x_tr, y_tr = train[em.FEATURES], (train["credit_risk"] == "good").astype(int)
    logreg = em.pipeline("logreg").fit(x_tr, y_tr)
    gbm = em.pipeline("gbm")
    gbm.set_params(clf=GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0))
    gbm.fit(x_tr, y_tr)
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    old = Path.cwd()
    os.chdir(workdir)
    mlflow.set_tracking_uri(uri)
    try:
        exp = mlflow.create_experiment("bench", artifact_location=(workdir / "artifacts").as_uri())
        for name, model, extra in (("bench-logreg", logreg, {}),
                                   ("bench-gbm", gbm, {"skops_trusted_types": ["sklearn.tree._tree.Tree"]})):
            with mlflow.start_run(experiment_id=exp):
                mlflow.sklearn.log_model(model, name="model", registered_model_name=name, serialization_format="skops",
                                         signature=infer_signature(x_tr, model.predict_proba(x_tr)[:, 1]),
                                         pip_requirements=["scikit-learn", "skops"], **extra)
            mlflow.MlflowClient(uri).set_model_version_tag(name, "1", "decision_threshold", "0.6")
    finally:
        os.chdir(old)
    rng = np.random.default_rng(0)
    frames = []
    for name, model in (("bench-logreg", logreg), ("bench-gbm", gbm)):
        x = evald[em.FEATURES].iloc[rng.integers(0, len(evald), rows // 2)].reset_index(drop=True)
        score = model.predict_proba(x)[:, 1]
        f = pd.DataFrame({"prediction_id": [f"{name}-{i:07d}" for i in range(len(x))],
                          "timestamp": "2026-03-02T09:00:00Z", "model_name": name, "model_version": "1",
                          "score": score, "decision": np.where(score >= 0.6, "approve", "deny")})
        frames.append(pd.concat([f, x], axis=1))
    log = pd.concat(frames, ignore_index=True)
    log.to_csv(workdir / "predictions.csv", index=False)
    log[log["model_name"] == "bench-logreg"].to_csv(workdir / "logreg.csv", index=False)
    log[log["model_name"] == "bench-gbm"].to_csv(workdir / "gbm.csv", index=False)
    return {"uri": uri, "train": str(em.DATA / "credit_train.csv")}


def child(kind: str, workdir: Path, train: str) -> dict:
    """One measurement in this (fresh) process."""
    import auditkit

    t0 = time.perf_counter()
    if kind.startswith("frame-"):
        model = kind.split("-", 1)[1]
        with auditkit.open_store(f"sqlite:///{workdir / 'mlflow.db'}") as store, \
                auditkit.open_predictions(str(workdir / f"{model}.csv")) as log:
            frame = auditkit.explain_frame(store, log, background=train)
        assert (frame["replay_status"] == "reproduced").all(), frame["replay_status"].value_counts()
        n = len(frame)
    else:
        import numpy as np
        import pandas as pd
        import shap
        import skops.io as sio

        model = kind.split("-", 1)[1]
        folder = next((workdir / "artifacts" / "models").glob("*/artifacts/MLmodel"))
        pipes = {}
        for mlmodel in (workdir / "artifacts" / "models").glob("*/artifacts/model.skops"):
            est = sio.load(mlmodel, trusted=["sklearn.tree._tree.Tree"])
            pipes["gbm" if hasattr(est.named_steps["clf"], "estimators_") else "logreg"] = est
        del folder
        est = pipes[model]
        rows = pd.read_csv(workdir / f"{model}.csv")
        pre, clf = est.named_steps["pre"], est.named_steps["clf"]
        enc = pre.transform(rows[list(est.feature_names_in_)])
        if model == "gbm":
            values = shap.TreeExplainer(clf).shap_values(enc)
        else:
            bg = pre.transform(pd.read_csv(train)[list(est.feature_names_in_)])
            values = shap.LinearExplainer(clf, bg).shap_values(enc)
        n = int(np.asarray(values).shape[0])
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"kind": kind, "rows": n, "seconds": round(wall, 2), "cpu": round(ru.ru_utime + ru.ru_stime, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--child", default=None)
    p.add_argument("--workdir", default=None)
    p.add_argument("--train", default=None)
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(a.child, Path(a.workdir), a.train)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        info = build(work, a.rows)
        print(f"# built store and {a.rows:,}-decision log in {time.perf_counter() - t0:.1f} s; "
              f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        pid = "bench-gbm-0000000"
        for label, args in (("--help", ["--help"]),
                            ("explain-one", ["explain", pid, "--store", info["uri"], "--predictions",
                                             str(work / "predictions.csv"), "--background", info["train"]])):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([str(Path(sys.executable).parent / "auditkit"), *args], check=True, capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            print(f"{label:<14} (fresh process; explain-one: gbm, with counterfactuals, {a.rows:,}-row log): "
                  f"wall {time.perf_counter() - t0:.2f} s, CPU {cpu:.2f} s")
        for kind in ("frame-logreg", "shap-logreg", "frame-gbm", "shap-gbm"):
            out = subprocess.run([sys.executable, __file__, "--child", kind, "--workdir", str(work),
                                  "--train", info["train"]], check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{r['kind']:<14} {r['rows']:>8,} rows  wall {r['seconds']:>7.2f} s  CPU {r['cpu']:>7.2f} s  "
                  f"peak RSS {r['peak_rss_mb']:>7.1f} MB")


if __name__ == "__main__":
    main()

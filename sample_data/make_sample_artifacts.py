"""Re-create the model artifacts of the sample's logistic-regression versions (1 and 3) so that
``auditkit explain`` and the demo can replay them.

``make_sample.py`` discards the logged models (the gradient-boosting ones are 5–7 MB each) and
rewrites their locations to ``mlflow-artifacts:/1/models/m-…/artifacts``. Logistic regression
(lbfgs) on the same data with the same parameters and scikit-learn version is deterministic, so
this script retrains versions 1 (C=1.0) and 3 (C=0.3, class_weight=balanced) with
``train_credit.py``'s own pipeline and saves them with MLflow's sklearn flavor in **skops** format
under ``artifacts/1/models/<logged model id>/artifacts`` (the ids read from ``mlflow.db``). Read them
with ``--artifact-root mlflow-artifacts:/=sample_data/artifacts``.

It then checks the re-created models against the log: every decision of versions 1 and 3 in
``predictions.csv`` must reproduce its logged score (written with 4 decimals) and its decision;
otherwise it removes what it wrote and fails. Versions 2 and 4 (gradient boosting) are not
re-created: their replay is a gap (artifact location missing), which the demo shows as such.

Run from the repository root: ``.venv/bin/python sample_data/make_sample_artifacts.py``.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
from importlib.metadata import version as pkg_version
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import infer_signature

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import train_credit  # noqa: E402  (the sample's training script)

VERSIONS = {"1": {"C": 1.0, "class_weight": None}, "3": {"C": 0.3, "class_weight": "balanced"}}


def main() -> None:
    con = sqlite3.connect(f"file:{HERE / 'mlflow.db'}?mode=ro", uri=True)
    locations = dict((str(v), loc) for v, loc in con.execute("select version, storage_location from model_versions "
                                 "where name = 'credit-risk'").fetchall())
    con.close()
    train = pd.read_csv(HERE / "datasets" / "credit_train.csv")
    x_tr, y_tr = train[train_credit.FEATURES], (train[train_credit.TARGET] == "good").astype(int)
    log = pd.read_csv(HERE / "predictions.csv")
    out_root = HERE / "artifacts"
    shutil.rmtree(out_root, ignore_errors=True)
    for version, params in VERSIONS.items():
        args = argparse.Namespace(model="logreg", C=params["C"], class_weight=params["class_weight"])
        model = train_credit.build_pipeline(args).fit(x_tr, y_tr)
        rel = locations[version].removeprefix("mlflow-artifacts:/")
        target = out_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        reqs = [f"{p}=={pkg_version(p)}" for p in ("mlflow", "scikit-learn", "skops", "pandas")]
        mlflow.sklearn.save_model(model, str(target), serialization_format="skops", pip_requirements=reqs,
                                  signature=infer_signature(x_tr, model.predict_proba(x_tr)[:, 1]))
        rows = log[log["model_version"] == int(version)]
        scores = model.predict_proba(rows[train_credit.FEATURES])[:, 1]
        same = (scores.round(4) == rows["score"].round(4)).sum()
        decisions = ((scores >= train_credit.THRESHOLD) == (rows["decision"] == "approve")).sum()
        print(f"version {version}: {same}/{len(rows)} logged scores and {decisions}/{len(rows)} decisions reproduced")
        if same < len(rows) - 1 or decisions < len(rows) - 1:  # one decision carries a tampered score
            shutil.rmtree(out_root, ignore_errors=True)
            raise SystemExit(f"version {version}: the re-created model does not reproduce the log")


if __name__ == "__main__":
    main()

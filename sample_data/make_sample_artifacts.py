"""Re-create the model artifacts of the sample's versions that made decisions (1, 2 and 3) so that
``auditkit explain`` and the demo can replay them.

``make_sample.py`` discards the logged models (the gradient-boosting ones are 5–7 MB each) and
rewrites their locations to ``mlflow-artifacts:/1/models/m-…/artifacts``. Training is deterministic
(lbfgs logistic regression; gradient boosting with ``random_state=42``) on the same data with the
same parameters and scikit-learn version, so this script retrains versions 1 (logistic, C=1.0),
2 (gradient boosting, 150 trees of depth 3, subsample 0.8) and 3 (logistic, C=0.3, balanced) with
``train_credit.py``'s own pipeline and saves them with MLflow's sklearn flavor in **skops** format
(version 2 with ``skops_trusted_types: [sklearn.tree._tree.Tree]`` as the generator logged it, and
its ``model.skops`` re-written zip-compressed) under ``artifacts/1/models/<logged model id>/artifacts``
(the ids read from ``mlflow.db``). Read them with ``--artifact-root mlflow-artifacts:/=sample_data/artifacts``.

It then checks the re-created models against the log: every decision of versions 1 and 3 in
``predictions.csv`` must reproduce its logged score (written with 4 decimals) and its decision;
otherwise it removes what it wrote and fails. Version 4 made no decision in the log and is not
re-created.

Run from the repository root: ``.venv/bin/python sample_data/make_sample_artifacts.py``.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import zipfile
from importlib.metadata import version as pkg_version
from pathlib import Path

import mlflow
import pandas as pd
import skops.io as sio
from mlflow.models import infer_signature

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import train_credit  # noqa: E402  (the sample's training script)

VERSIONS = {
    "1": {"model": "logreg", "C": 1.0, "class_weight": None},
    "2": {"model": "gbm", "n_estimators": 150, "learning_rate": 0.05, "max_depth": 3, "subsample": 0.8,
          "min_samples_leaf": 1},
    "3": {"model": "logreg", "C": 0.3, "class_weight": "balanced"},
}
TREE_TYPES = ["sklearn.tree._tree.Tree"]


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
        args = argparse.Namespace(**{"C": 1.0, "class_weight": None, **params})
        model = train_credit.build_pipeline(args).fit(x_tr, y_tr)
        extra = {"skops_trusted_types": TREE_TYPES} if params["model"] == "gbm" else {}
        rel = locations[version].removeprefix("mlflow-artifacts:/")
        target = out_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        reqs = [f"{p}=={pkg_version(p)}" for p in ("mlflow", "scikit-learn", "skops", "pandas")]
        mlflow.sklearn.save_model(model, str(target), serialization_format="skops", pip_requirements=reqs,
                                  signature=infer_signature(x_tr, model.predict_proba(x_tr)[:, 1]), **extra)
        if params["model"] == "gbm":  # the same objects, zip-compressed: 0.7 MB instead of 5 MB
            sio.dump(model, target / "model.skops", compression=zipfile.ZIP_DEFLATED)
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

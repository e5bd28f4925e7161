"""Train one credit-risk model and log it to MLflow.

This is the small training script that ``make_sample.py`` commits into a throwaway git
repository and runs from there, so MLflow records the git commit itself. It is an ordinary
MLflow training script: one invocation is one run.

Example:
    python train_credit.py --model logreg --C 1.0 --run-name logreg-baseline \
        --register credit-risk
"""

from __future__ import annotations

import argparse
import json
from importlib.metadata import version as pkg_version

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TRAINER_VERSION = "1.1"
SEED = 42
TARGET = "credit_risk"
NUMERIC = ["duration_months", "credit_amount", "installment_rate_pct", "residence_since",
           "age_years", "existing_credits", "people_liable"]
CATEGORICAL = ["checking_status", "credit_history", "purpose", "savings", "employment_since",
               "other_debtors", "property", "other_installment_plans", "housing", "job",
               "telephone"]
FEATURES = NUMERIC + CATEGORICAL  # personal_status_sex and foreign_worker are not used
THRESHOLD = 0.6  # approve when P(good) >= THRESHOLD
# Statlog cost matrix: approving a bad risk costs 5, denying a good risk costs 1.
COST_FALSE_APPROVE, COST_FALSE_DENY = 5.0, 1.0


def build_pipeline(args: argparse.Namespace) -> Pipeline:
    pre = ColumnTransformer([
        ("num", StandardScaler(), NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
    ])
    if args.model == "logreg":
        clf = LogisticRegression(C=args.C, class_weight=args.class_weight, max_iter=2000)
    else:
        clf = GradientBoostingClassifier(
            n_estimators=args.n_estimators, learning_rate=args.learning_rate,
            max_depth=args.max_depth, subsample=args.subsample,
            min_samples_leaf=args.min_samples_leaf, random_state=SEED)
    return Pipeline([("pre", pre), ("clf", clf)])


def model_params(args: argparse.Namespace) -> dict:
    common = {"model_type": args.model, "threshold": THRESHOLD, "seed": SEED,
              "n_features": len(FEATURES), "trainer_version": TRAINER_VERSION}
    if args.model == "logreg":
        return {**common, "C": args.C, "class_weight": args.class_weight or "none",
                "penalty": "l2", "solver": "lbfgs"}
    return {**common, "n_estimators": args.n_estimators, "learning_rate": args.learning_rate,
            "max_depth": args.max_depth, "subsample": args.subsample,
            "min_samples_leaf": args.min_samples_leaf}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", choices=["logreg", "gbm"], required=True)
    p.add_argument("--run-name", required=True)
    p.add_argument("--experiment", default="credit-risk")
    p.add_argument("--train", default="data/credit_train.csv")
    p.add_argument("--eval", default="data/credit_eval.csv")
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--class-weight", default=None)
    p.add_argument("--n-estimators", type=int, default=100)
    p.add_argument("--learning-rate", type=float, default=0.1)
    p.add_argument("--max-depth", type=int, default=3)
    p.add_argument("--subsample", type=float, default=1.0)
    p.add_argument("--min-samples-leaf", type=int, default=1)
    p.add_argument("--register", default=None, help="registered model name")
    p.add_argument("--no-model", action="store_true", help="do not log the model")
    p.add_argument("--tag", action="append", default=[], help="KEY=VALUE run tag")
    p.add_argument("--note", default=None, help="run description")
    p.add_argument("--result-file", default=None, help="write run id / version here (JSON)")
    args = p.parse_args()

    train = pd.read_csv(args.train)
    evald = pd.read_csv(args.eval)
    x_tr, y_tr = train[FEATURES], (train[TARGET] == "good").astype(int)
    x_ev, y_ev = evald[FEATURES], (evald[TARGET] == "good").astype(int)

    mlflow.set_experiment(args.experiment)
    tags = dict(t.split("=", 1) for t in args.tag)
    if args.note:
        tags["mlflow.note.content"] = args.note
    with mlflow.start_run(run_name=args.run_name, tags=tags) as run:
        mlflow.log_params(model_params(args))
        mlflow.log_input(mlflow.data.from_pandas(train, source=args.train, name="german-credit-train",
                                                 targets=TARGET), context="training")
        mlflow.log_input(mlflow.data.from_pandas(evald, source=args.eval, name="german-credit-eval",
                                                 targets=TARGET), context="evaluation")

        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
        cv = cross_val_score(build_pipeline(args), x_tr, y_tr, cv=folds, scoring="roc_auc")
        for step, auc in enumerate(cv):
            mlflow.log_metric("cv_auc", float(auc), step=step)
        mlflow.log_metric("cv_auc_mean", float(np.mean(cv)))

        model = build_pipeline(args).fit(x_tr, y_tr)
        if args.model == "gbm":  # evaluation AUC as the ensemble grows
            xt_ev = model.named_steps["pre"].transform(x_ev)
            checkpoints = set(np.linspace(args.n_estimators / 4, args.n_estimators, 4).astype(int))
            for i, proba in enumerate(model.named_steps["clf"].staged_predict_proba(xt_ev), 1):
                if i in checkpoints:
                    mlflow.log_metric("eval_auc_by_stage", float(roc_auc_score(y_ev, proba[:, 1])),
                                      step=i)

        p_tr = model.predict_proba(x_tr)[:, 1]
        p_ev = model.predict_proba(x_ev)[:, 1]
        approve = (p_ev >= THRESHOLD).astype(int)
        cost = (COST_FALSE_APPROVE * ((approve == 1) & (y_ev == 0)).sum()
                + COST_FALSE_DENY * ((approve == 0) & (y_ev == 1)).sum()) / len(y_ev)
        mlflow.log_metrics({
            "train_auc": float(roc_auc_score(y_tr, p_tr)),
            "eval_auc": float(roc_auc_score(y_ev, p_ev)),
            "eval_log_loss": float(log_loss(y_ev, p_ev)),
            "eval_accuracy": float(accuracy_score(y_ev, approve)),
            "eval_f1": float(f1_score(y_ev, approve)),
            "eval_approval_rate": float(approve.mean()),
            "eval_expected_cost": float(cost),
        })
        tp = int(((approve == 1) & (y_ev == 1)).sum())
        fp = int(((approve == 1) & (y_ev == 0)).sum())
        fn = int(((approve == 0) & (y_ev == 1)).sum())
        tn = int(((approve == 0) & (y_ev == 0)).sum())
        mlflow.log_dict({"threshold": THRESHOLD, "positive": "good",
                         "approve_good": tp, "approve_bad": fp, "deny_good": fn, "deny_bad": tn},
                        "evaluation/confusion_matrix.json")

        version = None
        if not args.no_model:
            extra = {"skops_trusted_types": ["sklearn.tree._tree.Tree"]} if args.model == "gbm" else {}
            # pinned serving requirements (skips MLflow's requirement inference)
            reqs = [f"{p}=={pkg_version(p)}" for p in ("mlflow", "scikit-learn", "skops", "pandas")]
            info = mlflow.sklearn.log_model(
                model, name="model", registered_model_name=args.register,
                signature=infer_signature(x_tr, p_tr), pip_requirements=reqs, **extra)
            version = info.registered_model_version
        result = {"run_id": run.info.run_id, "version": None if version is None else str(version)}
    print(json.dumps(result))
    if args.result_file:
        with open(args.result_file, "w") as fh:
            json.dump(result, fh)


if __name__ == "__main__":
    main()

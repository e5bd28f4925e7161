"""The training script of the trial store (tests/trial/test_trial_store.py): an ordinary MLflow
script as a team writes it — autolog, log_input, a registered model — run from a git checkout.

Usage: python trial_train.py RUN_NAME C
"""

from __future__ import annotations

import sys

import mlflow
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

run_name, c_value = sys.argv[1], float(sys.argv[2])
rng = np.random.default_rng(7)
n = 400
frame = pd.DataFrame({"income": rng.normal(3000, 800, n).round(0), "debt_ratio": rng.random(n).round(3),
                      "age": rng.integers(19, 75, n)})
frame["good"] = ((frame["income"] / 1000 - 3 * frame["debt_ratio"] + rng.normal(0, 1, n)) > 1).astype(int)
train = frame.iloc[:300]
mlflow.set_experiment("trial-credit")
mlflow.sklearn.autolog(log_models=False)  # params and metrics by autolog; the model is logged below
with mlflow.start_run(run_name=run_name):
    mlflow.log_input(mlflow.data.from_pandas(train, source="data/applications.csv", name="applications",
                                             targets="good"), context="training")
    model = LogisticRegression(C=c_value, max_iter=500).fit(train[["income", "debt_ratio", "age"]], train["good"])
    mlflow.sklearn.log_model(model, name="model", registered_model_name="credit-scorer",
                             input_example=train[["income", "debt_ratio", "age"]].head(3))

"""Shared data and fairlearn reference computations for the fairness tests (no tests here)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn.metrics as skm
import sqlalchemy as sa
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

GERMAN = Path("/work/shared/data/german_credit/german.data")
GERMAN_COLUMNS = [
    "checking_status", "duration_months", "credit_history", "purpose", "credit_amount", "savings",
    "employment_since", "installment_rate_pct", "personal_status_sex", "other_debtors",
    "residence_since", "property", "age_years", "other_installment_plans", "housing",
    "existing_credits", "job", "people_liable", "telephone", "foreign_worker", "credit_risk",
]
AGE_EDGES = [0, 25, 40, 60, 120]
AGE_NAMES = ["[0, 25)", "[25, 40)", "[40, 60)", "[60, 120)"]
TOL = 1e-12


def german() -> pd.DataFrame:
    """German Credit with ``sex`` (from field 9, A92/A95 female), ``age_band`` (pandas' own
    binning, left-closed, named like auditkit's bins), ``good`` (1 = good risk) and ``approve``
    from a quick logistic regression on the non-sensitive fields (1 = approve)."""
    from sklearn.linear_model import LogisticRegression

    df = pd.read_csv(GERMAN, sep=" ", header=None, names=GERMAN_COLUMNS)
    df["sex"] = np.where(df["personal_status_sex"].isin(["A92", "A95"]), "female", "male")
    df["age_band"] = pd.cut(df["age_years"], AGE_EDGES, right=False, labels=AGE_NAMES).astype(str)
    df["good"] = (df["credit_risk"] == 1).astype(int)
    features = pd.get_dummies(
        df[["checking_status", "credit_history", "savings", "duration_months", "credit_amount",
            "installment_rate_pct", "existing_credits"]], dtype=float)
    features = (features - features.mean()) / features.std()
    model = LogisticRegression(max_iter=1000).fit(features, df["good"])
    df["approve"] = model.predict(features).astype(int)
    return df


def fairlearn_frame(y_true, y_pred, sensitive, pos_label=1, **bootstrap) -> MetricFrame:
    """fairlearn's MetricFrame for auditkit's six metrics (precision undefined → NaN)."""
    metrics = {
        "selection_rate": functools.partial(selection_rate, pos_label=pos_label),
        "accuracy": skm.accuracy_score,
        "true_positive_rate": functools.partial(true_positive_rate, pos_label=pos_label),
        "false_positive_rate": functools.partial(false_positive_rate, pos_label=pos_label),
        "false_negative_rate": functools.partial(false_negative_rate, pos_label=pos_label),
        "precision": functools.partial(skm.precision_score, pos_label=pos_label, zero_division=np.nan),
    }
    return MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive,
                       **bootstrap)


def index_key(key) -> tuple[str, ...]:
    return tuple(str(k) for k in (key if isinstance(key, tuple) else (key,)))


def watch_statements(engine):
    """Record every statement sent through ``engine`` and the rows its cursor returned:
    ``(seen, stop)``, ``stop()`` removes the listener."""
    seen: list[tuple[str, int]] = []

    def after(_conn, cursor, statement, *_):
        seen.append((statement, cursor.rowcount))

    sa.event.listen(engine, "after_cursor_execute", after)
    return seen, lambda: sa.event.remove(engine, "after_cursor_execute", after)

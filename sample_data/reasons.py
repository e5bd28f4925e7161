"""Principal reasons for credit denials, as the sample lender's scoring service logs them.

Used by ``make_sample.py`` at scoring time. Two methods:

- logistic regression: coefficient x (encoded value - training mean of the encoded value), summed
  per original feature (one-hot columns of one feature together);
- tree ensembles: one feature at a time, replace the applicant's value by the training mean
  (numeric) or mode (categorical) and measure how much the score rises.

The most negative contributions come first; only features that lowered the score are reasons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Codebook texts (UCI Statlog German Credit documentation), phrased as adverse factors.
CODE_TEXT: dict[str, dict[str, str]] = {
    "checking_status": {
        "A11": "Checking account balance below 0 DM",
        "A12": "Checking account balance between 0 and 200 DM",
        "A13": "Checking account balance of 200 DM or more / salary assignment",
        "A14": "No checking account",
    },
    "credit_history": {
        "A30": "No credits taken / all credits paid back duly",
        "A31": "All credits at this bank paid back duly",
        "A32": "Existing credits paid back duly till now",
        "A33": "Delay in paying off credits in the past",
        "A34": "Critical account / other credits existing (not at this bank)",
    },
    "purpose": {
        "A40": "Loan purpose: new car", "A41": "Loan purpose: used car",
        "A42": "Loan purpose: furniture/equipment", "A43": "Loan purpose: radio/television",
        "A44": "Loan purpose: domestic appliances", "A45": "Loan purpose: repairs",
        "A46": "Loan purpose: education", "A47": "Loan purpose: vacation",
        "A48": "Loan purpose: retraining", "A49": "Loan purpose: business",
        "A410": "Loan purpose: other",
    },
    "savings": {
        "A61": "Savings below 100 DM", "A62": "Savings between 100 and 500 DM",
        "A63": "Savings between 500 and 1000 DM", "A64": "Savings of 1000 DM or more",
        "A65": "No known savings account",
    },
    "employment_since": {
        "A71": "Unemployed", "A72": "Employed at current job for less than 1 year",
        "A73": "Employed at current job for 1 to 4 years",
        "A74": "Employed at current job for 4 to 7 years",
        "A75": "Employed at current job for 7 years or more",
    },
    "other_debtors": {
        "A101": "No co-applicant or guarantor", "A102": "Co-applicant on the loan",
        "A103": "Guarantor on the loan",
    },
    "property": {
        "A121": "Owns real estate", "A122": "Property: building society savings / life insurance",
        "A123": "Property: car or other", "A124": "No known property",
    },
    "other_installment_plans": {
        "A141": "Other instalment plans at banks", "A142": "Other instalment plans at stores",
        "A143": "No other instalment plans",
    },
    "housing": {"A151": "Renting home", "A152": "Owns home", "A153": "Housing provided for free"},
    "job": {
        "A171": "Unemployed / unskilled, non-resident", "A172": "Unskilled employee, resident",
        "A173": "Skilled employee / official",
        "A174": "Management / self-employed / highly qualified employee",
    },
    "telephone": {"A191": "No telephone registered", "A192": "Telephone registered"},
}

NUMERIC_TEXT: dict[str, str] = {
    "duration_months": "Loan duration of {v} months",
    "credit_amount": "Credit amount of {v:,} DM",
    "installment_rate_pct": "Instalment rate of {v}% of disposable income",
    "residence_since": "At present residence for {v} years",
    "age_years": "Age of {v} years",
    "existing_credits": "{v} existing credits at this bank",
    "people_liable": "{v} people financially dependent on the applicant",
}

MAX_REASONS = 4
_EPS = 1e-9


def reason_text(feature: str, value: object) -> str:
    """Human-readable adverse factor for one feature value. Raises KeyError for unknown codes."""
    if feature in NUMERIC_TEXT:
        text = NUMERIC_TEXT[feature].format(v=int(value))
        if int(value) == 1:  # singular wording
            text = (text.replace("1 years", "1 year").replace("1 existing credits", "1 existing credit")
                    .replace("1 people", "1 person"))
        return text
    return CODE_TEXT[feature][str(value)]


def logreg_contributions(model, x: pd.DataFrame, train_x: pd.DataFrame,
                         numeric: list[str], categorical: list[str]) -> np.ndarray:
    """Per-feature contributions (n x features) of a ColumnTransformer + LogisticRegression."""
    pre, clf = model.named_steps["pre"], model.named_steps["clf"]
    xt = np.asarray(pre.transform(x), dtype=float)
    mean = np.asarray(pre.transform(train_x), dtype=float).mean(axis=0)
    contrib = clf.coef_[0] * (xt - mean)
    features = numeric + categorical
    group = np.zeros((xt.shape[1], len(features)))
    for j, name in enumerate(pre.get_feature_names_out()):
        kind, rest = name.split("__", 1)
        if kind == "num":
            group[j, features.index(rest)] = 1.0
        else:
            owner = [f for f in categorical if rest.startswith(f + "_")]
            group[j, features.index(max(owner, key=len))] = 1.0
    return contrib @ group


def perturbation_contributions(model, x: pd.DataFrame, train_x: pd.DataFrame,
                               numeric: list[str], categorical: list[str]) -> np.ndarray:
    """Score change (n x features) when one feature is replaced by its training mean/mode."""
    base = model.predict_proba(x)[:, 1]
    features = numeric + categorical
    out = np.zeros((len(x), len(features)))
    for k, f in enumerate(features):
        x2 = x.copy()
        x2[f] = float(train_x[f].mean()) if f in numeric else train_x[f].mode().iloc[0]
        out[:, k] = base - model.predict_proba(x2)[:, 1]
    return out


def principal_reasons(contrib: np.ndarray, x: pd.DataFrame, features: list[str]) -> list[list[str]]:
    """Up to four reason texts per row, most negative contribution first."""
    reasons = []
    for i in range(len(x)):
        order = np.argsort(contrib[i], kind="stable")
        row = x.iloc[i]
        picked = [reason_text(features[k], row[features[k]]) for k in order
                  if contrib[i, k] < -_EPS][:MAX_REASONS]
        reasons.append(picked)
    return reasons

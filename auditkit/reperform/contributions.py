"""Per-feature contributions to a score, by the most exact method the model allows.

- **linear** (a scikit-learn linear model, alone or at the end of a Pipeline): exact,
  ``coefficient × (encoded value − background mean of the encoded value)`` on the model's
  decision scale (log-odds for logistic regression), encoded columns summed back to the input
  feature they come from (one-hot columns of one feature together). The contributions plus the
  base value (intercept + coefficients · background means) equal the model's decision function.
- **tree** (a scikit-learn tree or tree ensemble at the end of a Pipeline): TreeSHAP by the
  ``shap`` package (path-dependent, on the model's raw, log-odds scale), summed back per feature
  the same way; contributions plus ``expected_value`` equal the raw output.
- **otherwise** (ONNX, boosters, other estimators): one feature at a time replaced by its
  background mean (numbers) or most frequent value (other types); the contribution is the score
  change, on the probability scale. This one is approximate and the method says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .loading import LoadedModel

#: scikit-learn tree models TreeSHAP explains.
TREE_MODELS = ("GradientBoostingClassifier", "GradientBoostingRegressor", "RandomForestClassifier",
               "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
               "DecisionTreeClassifier", "DecisionTreeRegressor")


@dataclass
class Contributions:
    """Contributions (rows × features), the base value per row, scale and method."""

    features: list[str]
    values: np.ndarray
    base: np.ndarray
    scale: str
    method: str
    kind: str


def split_pipeline(estimator: Any) -> tuple[Any, Any]:
    """``(preprocessing or None, final estimator)`` of a scikit-learn Pipeline (or a bare model)."""
    steps = getattr(estimator, "steps", None)
    if steps:
        pre = estimator[:-1] if len(steps) > 1 else None
        return pre, steps[-1][1]
    return None, estimator


def encoded_owner(pre: Any, features: Sequence[str], width: int) -> np.ndarray | None:
    """A (encoded columns × features) 0/1 matrix: which input feature each encoded column comes
    from, by the preprocessing's output names (``num__age``, ``cat__purpose_A43``)."""
    if pre is None:
        return np.eye(len(features)) if width == len(features) else None
    try:
        names = list(pre.get_feature_names_out())
    except Exception:  # a step without output names: the mapping is not known
        return None
    if len(names) != width:
        return None
    owner = np.zeros((width, len(features)))
    by_length = sorted(features, key=len, reverse=True)
    for j, name in enumerate(names):
        rest = name.split("__", 1)[1] if "__" in name else name
        hit = next((f for f in by_length if rest == f or rest.startswith(f + "_")), None)
        if hit is None:
            return None
        owner[j, list(features).index(hit)] = 1.0
    return owner


def compute(model: LoadedModel, rows: pd.DataFrame, background: pd.DataFrame, *,
            background_text: str) -> Contributions:
    """Contributions of ``rows`` (the model's input columns) against ``background``."""
    features = list(rows.columns)
    est = model.estimator
    if est is not None:
        pre, final = split_pipeline(est)
        kind = type(final).__name__
        if hasattr(final, "coef_") and hasattr(final, "intercept_"):
            out = _linear(pre, final, rows, background, features, background_text)
            if out is not None:
                return out
        if kind in TREE_MODELS:
            out = _tree(pre, final, rows, features)
            if out is not None:
                return out
    return _perturbation(model, rows, background, features, background_text)


def _encode(pre: Any, frame: pd.DataFrame) -> np.ndarray:
    enc = frame if pre is None else pre.transform(frame)
    if hasattr(enc, "toarray"):
        enc = enc.toarray()
    return np.asarray(enc, dtype=float)


def _linear(pre: Any, final: Any, rows: pd.DataFrame, background: pd.DataFrame, features: list[str],
            background_text: str) -> Contributions | None:
    coef = np.asarray(final.coef_, dtype=float)
    if coef.ndim == 2 and coef.shape[0] != 1:
        return None  # multi-class: not one score
    coef = coef.reshape(-1)
    enc = _encode(pre, rows)
    owner = encoded_owner(pre, features, enc.shape[1])
    if owner is None:
        return None
    mean = _encode(pre, background).mean(axis=0)
    values = (coef * (enc - mean)) @ owner
    base = float(np.asarray(final.intercept_).reshape(-1)[0] + coef @ mean)
    scale = "log-odds" if hasattr(final, "predict_proba") else "model output"
    method = (f"exact linear attribution ({type(final).__name__}): coefficient × (encoded value − mean of "
              f"the encoded background), on the {scale} scale, encoded columns summed back to their input "
              f"feature; background: {background_text}")
    return Contributions(features, values, np.full(len(rows), base), scale, method, "linear")


def _tree(pre: Any, final: Any, rows: pd.DataFrame, features: list[str]) -> Contributions | None:
    try:
        import shap  # heavy: shap, only for tree models
    except ImportError:
        return None
    enc = _encode(pre, rows)
    owner = encoded_owner(pre, features, enc.shape[1])
    if owner is None:
        return None
    explainer = shap.TreeExplainer(final)
    sv = explainer.shap_values(enc, check_additivity=False)
    if isinstance(sv, list):
        sv = sv[-1]
    sv = np.asarray(sv, dtype=float)
    if sv.ndim == 3:
        sv = sv[:, :, -1]
    ev = np.asarray(explainer.expected_value, dtype=float).reshape(-1)
    base = float(ev[-1])
    method = (f"TreeSHAP (shap {shap.__version__}, tree_path_dependent) for {type(final).__name__}, on the "
              f"log-odds scale, encoded columns summed back to their input feature; the trees' own "
              f"training-data cover is the background")
    return Contributions(features, sv @ owner, np.full(len(rows), base), "log-odds", method, "tree")


def reference_values(background: pd.DataFrame) -> dict[str, Any]:
    """Each feature's reference: the background mean for numbers, the most frequent value else."""
    out: dict[str, Any] = {}
    for col in background.columns:
        s = background[col].dropna()
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[col] = float(s.mean()) if len(s) else 0.0
        else:
            out[col] = s.mode().sort_values().iloc[0] if len(s) else None
    return out


def _perturbation(model: LoadedModel, rows: pd.DataFrame, background: pd.DataFrame, features: list[str],
                  background_text: str) -> Contributions:
    ref = reference_values(background[features])
    base_scores = model.score(rows)
    values = np.zeros((len(rows), len(features)))
    for k, f in enumerate(features):
        changed = rows.copy()
        value = ref[f]
        if pd.api.types.is_integer_dtype(rows[f].dtype) and isinstance(value, float):
            changed[f] = changed[f].astype(float)
        changed[f] = value
        values[:, k] = base_scores - model.score(changed)
    method = (f"one feature at a time replaced by its background mean (numbers) or most frequent value "
              f"(other types), the score change on the probability scale (approximate, not additive); "
              f"background: {background_text}")
    return Contributions(features, values, base_scores - values.sum(axis=1), "probability", method,
                         "perturbation")

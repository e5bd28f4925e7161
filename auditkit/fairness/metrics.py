"""Per-group metrics and disparities from confusion counts, vectorized.

Everything here works on a count array of shape ``(..., G, 2, 3)``: for each of ``G`` groups,
decision (0 = not favourable, 1 = favourable) × label (0 = negative, 1 = positive,
2 = unknown). Leading dimensions are bootstrap resamples, so one call computes every
resample at once. Definitions follow fairlearn's (``selection_rate``, ``accuracy_score``,
``true_positive_rate`` …, ``demographic_parity_*``, ``equalized_odds_*``); where a rate has
no denominator the value is NaN (reported as ``null``), never 0.
"""

from __future__ import annotations

import numpy as np

METRICS: tuple[str, ...] = (
    "selection_rate",
    "accuracy",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
)
LABEL_METRICS: tuple[str, ...] = METRICS[1:]
DISPARITIES: tuple[str, ...] = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)

# What each rate divides by, for the "undefined" warnings.
DENOMINATOR = {
    "accuracy": "no records with a known label",
    "true_positive_rate": "no actual positives",
    "false_negative_rate": "no actual positives",
    "false_positive_rate": "no actual negatives",
    "precision": "no favourable decisions among labelled records",
}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float, NaN where ``den`` is 0 (no warnings)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def confusion(counts: np.ndarray) -> dict[str, np.ndarray]:
    """The named cells of a ``(..., 2, 3)`` count array: n, selected, tp, fp, fn, tn, labelled."""
    counts = np.asarray(counts)
    tp = counts[..., 1, 1]
    fp = counts[..., 1, 0]
    fn = counts[..., 0, 1]
    tn = counts[..., 0, 0]
    return {
        "n": counts.sum(axis=(-1, -2)),
        "selected": counts[..., 1, :].sum(axis=-1),
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "labelled": tp + fp + fn + tn,
    }


def metrics_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` for a ``(..., 2, 3)`` count array, as float arrays of
    shape ``(...)``. Selection rate is over all records; the label metrics are over the records
    with a known label. Undefined rates are NaN."""
    c = confusion(counts)
    return {
        "selection_rate": _ratio(c["selected"], c["n"]),
        "accuracy": _ratio(c["tp"] + c["tn"], c["labelled"]),
        "true_positive_rate": _ratio(c["tp"], c["tp"] + c["fn"]),
        "false_positive_rate": _ratio(c["fp"], c["fp"] + c["tn"]),
        "false_negative_rate": _ratio(c["fn"], c["tp"] + c["fn"]),
        "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
    }


def _spread(values: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max − min and min / max over the last axis, among eligible groups where the value is
    defined; NaN unless at least two such groups exist (and for the ratio, max > 0)."""
    v = np.where(eligible, values, np.nan)
    defined = np.sum(~np.isnan(v), axis=-1)
    filled_hi = np.where(np.isnan(v), -np.inf, v)
    filled_lo = np.where(np.isnan(v), np.inf, v)
    hi = filled_hi.max(axis=-1)
    lo = filled_lo.min(axis=-1)
    ok = defined >= 2
    diff = np.where(ok, hi - lo, np.nan)
    ratio = np.where(ok, _ratio(np.where(ok, lo, 0.0), np.where(ok, hi, 0.0)), np.nan)
    return diff, ratio


def disparities(by_group: dict[str, np.ndarray], eligible: np.ndarray) -> dict[str, np.ndarray]:
    """fairlearn's between-groups disparities from per-group metric arrays of shape ``(..., G)``.

    ``eligible`` (shape ``(G,)``) marks the groups that take part (the "missing" group does not).
    Demographic parity: max − min and min / max of selection rates. Equalized odds: the larger
    of the TPR and FPR differences, the smaller of the TPR and FPR ratios; NaN when either part
    is undefined (fewer than two groups with that rate defined).
    """
    dp_diff, dp_ratio = _spread(by_group["selection_rate"], eligible)
    tpr_diff, tpr_ratio = _spread(by_group["true_positive_rate"], eligible)
    fpr_diff, fpr_ratio = _spread(by_group["false_positive_rate"], eligible)
    # np.maximum / np.minimum propagate NaN: an undefined part makes the whole undefined.
    return {
        "demographic_parity_difference": dp_diff,
        "demographic_parity_ratio": dp_ratio,
        "equalized_odds_difference": np.maximum(tpr_diff, fpr_diff),
        "equalized_odds_ratio": np.minimum(tpr_ratio, fpr_ratio),
    }

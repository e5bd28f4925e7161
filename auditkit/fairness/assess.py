"""``assess_fairness``: group metrics, disparities, adverse impact and intervals.

Treatment of awkward inputs (documented, tested):

* A missing value (None/NaN/NULL) in a sensitive column puts the record in a group whose value
  for that feature is ``"(missing)"``. Such groups are listed in ``by_group`` with their metrics,
  counted in ``missing_sensitive`` and named in a warning, but they take no part in the
  disparities and cannot be the reference group (unknown demographics are disclosed, not
  compared; 6 RCNY 5-301). Their adverse impact ratio is still shown, for information.
* A missing label means the outcome is not known yet: the record counts for the selection rate
  but not for the label metrics, which use the labelled records only (warned).
* A missing decision is an error. ``pos_label`` names the favourable decision; every other
  value counts as not favourable. Without it only self-describing words are read (one of
  ``approve``/``approved``/``accept``/``grant``/… among ``decline``/``deny``/``reject``/
  ``refer``/…, warned); numeric codes and booleans are an error listing the values seen, since
  1 means "refer" as often as "approve".
* Labels use ``label_pos_label`` when given, else the same positive value as the decisions,
  else 1 when the labels are 0/1 (or −1/1) coded (e.g. decisions "approve"/"decline", labels 0/1).
* A rate without a denominator (no actual positives, …) is NaN / ``null``, never 0, and is left
  out of the disparities; a disparity needs at least two groups with the rate defined.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import errors
from ..errors import FairnessError
from .bootstrap import bootstrap_intervals
from .cells import (
    COUNT,
    DECISION,
    LABEL,
    OUT_OF_RANGE,
    bin_labels,
)
from .messages import (
    FAIRNESS_BAD_VALUE_LABEL_COLUMN,
    FAIRNESS_BIN_RANGE,
    FAIRNESS_LABEL_HINT,
    FAIRNESS_LABEL_NOT_BINARY,
    FAIRNESS_MANY_VALUES,
    FAIRNESS_MISSING_DECISION,
    FAIRNESS_NO_RECORDS,
    FAIRNESS_NOT_BINARY,
    FAIRNESS_ONE_GROUP,
    FAIRNESS_POSITIVE_INFERRED,
    FAIRNESS_POSITIVE_NOT_SEEN,
    FAIRNESS_UNKNOWN_REFERENCE,
)
from .metrics import (
    DENOMINATOR,
    DISPARITIES,
    LABEL_METRICS,
    METRICS,
    disparities,
    metrics_from_counts,
)
from .result import MISSING, FairnessResult, jsonable
from .stats import FOUR_FIFTHS, adverse_impact


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, (float, np.floating)) and math.isnan(v)


def value_text(value: Any) -> str:
    """How a sensitive value is shown: numpy scalars unwrapped, whole floats without ".0"
    (a CSV integer column with gaps is read as floats)."""
    value = jsonable(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def group_text(group: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in group.items()) + "}"


def _distinct(values: pd.Series) -> list[Any]:
    seen: dict[Any, None] = {}
    for v in values:
        if not _is_missing(v):
            seen.setdefault(jsonable(v), None)
    try:
        return sorted(seen)
    except TypeError:
        return sorted(seen, key=str)


def _find(values: Sequence[Any], wanted: Any) -> Any:
    """The value among ``values`` equal to ``wanted``, or the same when written as text
    (so ``--positive 1`` finds the integer 1); None when absent."""
    for v in values:
        if type(v) is type(wanted) and v == wanted:
            return v
    for v in values:
        if v == wanted or value_text(v) == value_text(wanted):
            return v
    return None


#: Decisions that say what they mean: one favourable word among unfavourable ones needs no
#: ``pos_label``. Numbers and booleans never do (1 means "refer" as often as "approve").
FAVOURABLE_WORDS = frozenset({"approve", "approved", "accept", "accepted", "grant", "granted", "allow", "allowed",
                              "pass", "passed", "hire", "hired", "admit", "admitted", "offer", "eligible"})
UNFAVOURABLE_WORDS = frozenset({"decline", "declined", "deny", "denied", "reject", "rejected", "refer", "referred",
                                "refuse", "refused", "fail", "failed", "block", "blocked", "ineligible", "review"})


def favourable_word(values: Sequence[Any]) -> Any:
    """The one favourable word among decisions that are all self-describing words, else None."""
    if not values or not all(isinstance(v, str) for v in values):
        return None
    words = [v.strip().casefold() for v in values]
    if not all(w in FAVOURABLE_WORDS | UNFAVOURABLE_WORDS for w in words):
        return None
    good = [v for v, w in zip(values, words) if w in FAVOURABLE_WORDS]
    return good[0] if len(good) == 1 else None


#: A numeric sensitive column with more distinct values than this is hinted to be binned.
MANY_VALUES = 12


def _many_valued(cells: pd.DataFrame, features: list[str], bins: Mapping[str, Any]) -> list[tuple[str, int, list[float]]]:
    """``(column, distinct values, example band edges)`` of each unbinned numeric sensitive
    column with more than :data:`MANY_VALUES` values (an age or income read as groups)."""
    out = []
    for f in features:
        if f in bins:
            continue
        values = [v for v in cells[f] if not _is_missing(v)]
        if not values or not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                                 for v in values):
            continue
        distinct = len(set(values))
        if distinct > MANY_VALUES:
            low, high = float(min(values)), float(max(values))
            inner = np.quantile(np.asarray(values, dtype=float), [0.25, 0.5, 0.75])
            edges = sorted({math.floor(low), *(round(float(q)) for q in inner), math.floor(high) + 1})
            out.append((f, distinct, edges))
    return out


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _apply_value_labels(cells: pd.DataFrame, value_labels: Mapping[str, Mapping[str, str]], features: list[str],
                        bins: Mapping[str, Any], pos_label: Any) -> tuple[pd.DataFrame, Any]:
    """Codes replaced by their labels in the decision and sensitive columns (a ``pos_label``
    given as a code follows its label). Raises FairnessError for a column that is neither."""
    cells = cells.copy()
    for column, mapping in value_labels.items():
        if column != "decision" and (column not in features or column in bins):
            raise FairnessError(FAIRNESS_BAD_VALUE_LABEL_COLUMN.format(
                column=column, choices=errors.choices(["decision", *[f for f in features if f not in bins]])))
        target = DECISION if column == "decision" else column
        texts = {str(k): str(v) for k, v in mapping.items()}
        cells[target] = [v if _is_missing(v) else texts.get(value_text(v), v) for v in cells[target]]
        if column == "decision" and pos_label is not None and value_text(pos_label) in texts:
            pos_label = texts[value_text(pos_label)]
    return cells, pos_label


def _binary01(values: Sequence[Any]) -> bool:
    s = set(values)
    return s <= {0, 1} or s <= {-1, 1}


def _positives(cells: pd.DataFrame, pos_label: Any, label_pos_label: Any, warnings: list[str]) -> tuple[Any, Any]:
    decisions = _distinct(cells[DECISION])
    labels = _distinct(cells[LABEL])
    if pos_label is None:
        positive: Any = favourable_word(decisions)
        if positive is None:
            raise FairnessError(FAIRNESS_NOT_BINARY.format(values=errors.choices(decisions)))
        warnings.append(FAIRNESS_POSITIVE_INFERRED.format(value=value_text(positive)))
    else:
        positive = _find(decisions, pos_label)
        if positive is None:
            positive = _find(labels, pos_label)
        if positive is None:
            raise FairnessError(FAIRNESS_POSITIVE_NOT_SEEN.format(
                value=pos_label, what="decision", values=errors.choices(decisions)))
        if len(decisions) > 2:
            warnings.append(
                f"decisions take {len(decisions)} values ({', '.join(map(value_text, decisions))}); "
                f"{value_text(positive)!r} counts as favourable, every other value as not"
            )
    if len(labels) > 2:
        raise FairnessError(FAIRNESS_LABEL_NOT_BINARY.format(values=errors.choices(labels)))
    wanted = positive if label_pos_label is None else label_pos_label
    label_positive = _find(labels, wanted) if labels else None
    if labels and label_positive is None and label_pos_label is None and _binary01(labels):
        wanted = label_positive = _find(labels, 1) if _find(labels, 1) is not None else 1
    if labels and label_positive is None:
        if label_pos_label is not None or len(labels) == 2:
            hint = FAIRNESS_LABEL_HINT if label_pos_label is None else ""
            raise FairnessError(FAIRNESS_POSITIVE_NOT_SEEN.format(
                value=wanted, what="label", values=errors.choices(labels)) + hint)
        label_positive = wanted  # one label value, not the positive one: all negatives
    return positive, label_positive


def _feature_labels(cells: pd.DataFrame, feature: str, edges: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Text value and sort rank of each cell's value of one feature (missing: last)."""
    raw = cells[feature].to_numpy(dtype=object)
    missing = np.array([_is_missing(v) for v in raw], dtype=bool)
    if edges is not None:
        names = bin_labels(edges)
        idx = np.array([-2 if m else int(v) for v, m in zip(raw, missing)], dtype=np.int64)
        outside = idx == OUT_OF_RANGE
        if outside.any():
            raise FairnessError(FAIRNESS_BIN_RANGE.format(
                count=int(cells[COUNT].to_numpy()[outside].sum()), column=feature,
                edges=[float(e) if not float(e).is_integer() else int(e) for e in edges]))
        text = np.array([MISSING if m else names[i] for i, m in zip(idx, missing)], dtype=object)
        rank = np.where(missing, len(names), idx)
        return text, rank
    text = np.array([MISSING if m else value_text(v) for v, m in zip(raw, missing)], dtype=object)
    present = _distinct(pd.Series([v for v, m in zip(raw, missing) if not m], dtype=object))
    order: dict[str, int] = {}
    for v in present:
        order.setdefault(value_text(v), len(order))
    rank = np.array([len(order) if m else order[t] for t, m in zip(text, missing)], dtype=np.int64)
    return text, rank


def _match_reference(reference_group: Any, features: list[str], groups: list[dict[str, str]], eligible: np.ndarray) -> int:
    if isinstance(reference_group, Mapping):
        wanted = {str(k): value_text(v) for k, v in reference_group.items()}
    elif isinstance(reference_group, (tuple, list)):
        wanted = {f: value_text(v) for f, v in zip(features, reference_group)}
    else:
        wanted = {features[0]: value_text(reference_group)}
    for g, group in enumerate(groups):
        if eligible[g] and group == wanted:
            return g
    raise FairnessError(FAIRNESS_UNKNOWN_REFERENCE.format(
        group=group_text(wanted),
        choices=", ".join(group_text(gr) for gr, ok in zip(groups, eligible) if ok)))


@dataclass(frozen=True)
class Options:
    """The checked options of :func:`~auditkit.fairness.assess_fairness` (same names)."""

    pos_label: Any
    label_pos_label: Any
    reference_group: Any
    ci: float | None
    n_boot: int
    random_state: int | np.random.Generator | None
    min_group_size: int
    #: ``{"decision" or a sensitive feature: {code as text: label}}``: codes shown as words.
    value_labels: Mapping[str, Mapping[str, str]] | None = None


def assess_cells(
    cells: pd.DataFrame,
    *,
    features: list[str],
    has_labels: bool,
    bins: Mapping[str, Sequence[float]] | None,
    options: Options,
    where: str = "the data",
) -> FairnessResult:
    """The assessment of a cell table (see :mod:`.cells`); both input paths end here.

    Raises FairnessError for the bad inputs listed in the module docstring."""
    ci, n_boot, random_state, min_group_size = (
        options.ci, options.n_boot, options.random_state, options.min_group_size)
    bins = dict(bins or {})
    warnings: list[str] = []
    total = int(cells[COUNT].sum()) if len(cells) else 0
    if total == 0:
        raise FairnessError(FAIRNESS_NO_RECORDS.format(where=where))
    no_decision = cells[DECISION].map(_is_missing).to_numpy(dtype=bool)
    if no_decision.any():
        raise FairnessError(FAIRNESS_MISSING_DECISION.format(count=int(cells[COUNT][no_decision].sum())))
    if not has_labels:
        cells = cells.assign(**{LABEL: None})
    pos_label = options.pos_label
    if options.value_labels:
        cells, pos_label = _apply_value_labels(cells, options.value_labels, features, bins, pos_label)
    positive, label_positive = _positives(cells, pos_label, options.label_pos_label, warnings)

    texts, ranks = [], []
    for f in features:
        t, r = _feature_labels(cells, f, bins.get(f))
        texts.append(t)
        ranks.append(r)
    rank_matrix = np.stack(ranks, axis=1)
    uniq, inverse = np.unique(rank_matrix, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n_groups = len(uniq)
    first = np.zeros(n_groups, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    groups = [{f: str(texts[i][first[g]]) for i, f in enumerate(features)} for g in range(n_groups)]
    eligible = np.array([MISSING not in g.values() for g in groups], dtype=bool)

    dec = np.array([_find([jsonable(v)], positive) is not None for v in cells[DECISION]], dtype=np.int64)
    lab = np.array(
        [2 if _is_missing(v) else int(_find([jsonable(v)], label_positive) is not None) for v in cells[LABEL]],
        dtype=np.int64,
    )
    counts = np.zeros((n_groups, 2, 3), dtype=np.int64)
    np.add.at(counts, (inverse, dec, lab), cells[COUNT].to_numpy(dtype=np.int64))

    if eligible.sum() < 2:
        shown = group_text(groups[int(np.flatnonzero(eligible)[0])]) if eligible.any() else MISSING
        raise FairnessError(FAIRNESS_ONE_GROUP.format(
            features=", ".join(repr(f) for f in features), group=shown))

    per_group = metrics_from_counts(counts)
    overall_counts = counts.sum(axis=0)
    overall = {"count": total, **{k: float(v) for k, v in metrics_from_counts(overall_counts).items()}}
    disp = {k: float(v) for k, v in disparities(per_group, eligible).items()}
    n = counts.sum(axis=(1, 2))
    selected = counts[:, 1, :].sum(axis=1)
    labelled = counts[:, :, :2].sum(axis=(1, 2))

    if options.reference_group is not None:
        ref = _match_reference(options.reference_group, features, groups, eligible)
    else:
        rates = np.where(eligible, per_group["selection_rate"], -np.inf)
        ref = int(np.argmax(rates))
    small = max(int(min_group_size), 1)
    air, pvals, tests = adverse_impact(selected, n, ref, small=small)

    # Warnings, in the order a reader needs them.
    missing_sensitive = int(n[~eligible].sum())
    if missing_sensitive:
        warnings.append(
            f"{missing_sensitive} record(s) have no value for a sensitive feature; they are shown as "
            f"{MISSING!r} and left out of the disparities and the reference group"
        )
    labelled_total = int(labelled.sum())
    if not has_labels or labelled_total == 0:
        warnings.append("no labels (true outcomes): only selection rates and adverse impact are computed")
    elif labelled_total < total:
        warnings.append(
            f"{total - labelled_total} of {total} record(s) have no label; the label-based metrics "
            f"use the {labelled_total} labelled record(s)"
        )
    many = _many_valued(cells, features, bins)
    for column, count, edges in many:  # one hint instead of a warning per tiny group
        small_groups = int((n < min_group_size).sum())
        warnings.append(FAIRNESS_MANY_VALUES.format(
            column=column, count=count, groups=n_groups, small=small_groups, min=int(min_group_size),
            edges=",".join(_number_text(e) for e in edges)))
    for g, group in enumerate(groups if not many else ()):
        if n[g] < min_group_size:
            warnings.append(
                f"group {group_text(group)} has {int(n[g])} record(s), below the minimum of "
                f"{int(min_group_size)}; its rates are uncertain"
            )
    if labelled_total and not many:
        for g, group in enumerate(groups):
            undefined = [m for m in LABEL_METRICS if math.isnan(per_group[m][g])]
            if undefined:
                why = sorted({DENOMINATOR[m] for m in undefined})
                warnings.append(
                    f"group {group_text(group)}: {', '.join(undefined)} undefined ({'; '.join(why)}); "
                    "shown as null and left out of the disparities"
                )
    if air[ref] is None:
        warnings.append(
            f"reference group {group_text(groups[ref])} has no favourable decisions; "
            "adverse impact ratios are undefined"
        )

    rows: dict[str, Any] = {f: [g[f] for g in groups] for f in features}
    rows["count"] = n
    rows["labelled_count"] = labelled
    for m in METRICS:
        rows[m] = per_group[m]
    rows["adverse_impact_ratio"] = np.array([np.nan if a is None else a for a in air], dtype=float)
    rows["adverse_impact_p_value"] = np.array([np.nan if p is None else p for p in pvals], dtype=float)
    rows["adverse_impact_test"] = tests
    rows["adverse_impact_flag"] = [a is not None and a < FOUR_FIFTHS for a in air]

    overall_ci = disparities_ci = None
    if ci is not None:
        iv = bootstrap_intervals(
            counts, eligible=eligible, reference=ref, level=ci, n_boot=n_boot, random_state=random_state
        )
        for m, (lo, hi) in iv.by_group.items():
            rows[f"{m}_ci_low"] = lo
            rows[f"{m}_ci_high"] = hi
        overall_ci = {m: [jsonable(float(lo)), jsonable(float(hi))] for m, (lo, hi) in iv.overall.items()}
        disparities_ci = {m: [jsonable(float(lo)), jsonable(float(hi))] for m, (lo, hi) in iv.disparities.items()}

    return FairnessResult(
        n=total,
        sensitive_features=list(features),
        positive=jsonable(positive),
        label_positive=jsonable(label_positive) if labelled_total else None,
        overall=overall,
        by_group=pd.DataFrame(rows),
        disparities={k: disp[k] for k in DISPARITIES},
        reference_group=dict(groups[ref]),
        missing_sensitive=missing_sensitive,
        warnings=warnings,
        ci_level=ci,
        n_boot=n_boot if ci is not None else None,
        random_state=random_state if ci is not None else None,
        overall_ci=overall_ci,
        disparities_ci=disparities_ci,
    )


__all__ = ["Options", "assess_cells", "group_text", "value_text"]

"""Counterfactuals: the smallest changes to actionable features that would have flipped a decision.

Search (deterministic): one feature at a time, then pairs, over candidate values seen in the
background data (every distinct value for categorical features and for numbers with at most 25
of them; otherwise the 5 %, 10 %, …, 95 % quantiles rounded as the data is). A change's size is
``|to − from| / standard deviation`` for numbers and 1 for any other change; a counterfactual's
size is the sum over its changes. The smallest that flip the decision come first (ties: feature
order); at most ``limit`` are returned, single changes before pairs (pairs are searched only when
no single change flips it).

**Actionable features** are the model's inputs minus the immutable ones. By default a feature is
immutable when its name, split at ``_``/``-``/spaces, contains one of :data:`DEFAULT_IMMUTABLE`
(protected attributes: ``age``, ``sex``, ``gender``, ``race``, ``ethnicity``, ``religion``,
``nationality``, ``national``, ``citizenship``, ``foreign``, ``marital``, ``personal``,
``disability``, ``pregnancy``) — so ``age_years`` and ``personal_status_sex`` are never changed.
``immutable=[…]`` replaces that list with exact feature names; ``actionable=[…]`` names the
features that may change (and nothing else).
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .loading import LoadedModel

DEFAULT_IMMUTABLE = ("age", "sex", "gender", "race", "ethnicity", "religion", "nationality", "national",
                     "citizenship", "foreign", "marital", "personal", "disability", "pregnancy")
MAX_DISTINCT = 25
QUANTILES = tuple(q / 20 for q in range(1, 20))
#: Candidate values per feature kept for the pair search (the nearest ones).
PAIR_CANDIDATES = 6


def is_protected(feature: str) -> bool:
    """Whether a feature name names a protected attribute (see :data:`DEFAULT_IMMUTABLE`)."""
    tokens = set(re.split(r"[_\-\s.]+", feature.lower()))
    return any(word in tokens for word in DEFAULT_IMMUTABLE)


def actionable_features(features: Sequence[str], *, immutable: Sequence[str] | None = None,
                        actionable: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
    """``(actionable, immutable)`` among the model's ``features`` (see the module docstring)."""
    if actionable is not None:
        keep = [f for f in features if f in set(actionable)]
    elif immutable is not None:
        keep = [f for f in features if f not in set(immutable)]
    else:
        keep = [f for f in features if not is_protected(f)]
    return keep, [f for f in features if f not in keep]


def candidates(background: pd.DataFrame, feature: str) -> tuple[list[Any], float | None]:
    """Candidate values of one feature and (numbers) its standard deviation."""
    s = background[feature].dropna()
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    distinct = sorted(s.unique().tolist(), key=lambda v: (str(type(v)), v))
    if not numeric:
        return distinct, None
    std = float(s.std()) or 1.0
    if len(distinct) <= MAX_DISTINCT:
        return distinct, std
    values = np.quantile(s.to_numpy(dtype=float), QUANTILES)
    if pd.api.types.is_integer_dtype(s.dtype):
        values = np.round(values).astype(int)
    return sorted({v.item() for v in values}), std


def _size(frm: Any, to: Any, std: float | None) -> float:
    if std is None:
        return 1.0
    return abs(float(to) - float(frm)) / std


def search(model: LoadedModel, row: pd.DataFrame, background: pd.DataFrame, *, threshold: float,
           favourable: bool, features: Sequence[str], labels: tuple[str, str],
           limit: int = 3) -> list[dict[str, Any]]:
    """Counterfactuals of one decision (``row``: one row of model inputs; ``favourable``: whether
    the replayed decision is the favourable one). Each ``{changes: [{feature, from, to}], score,
    decision, size}``, re-scored by the model."""
    base = row.iloc[0]
    options: dict[str, list[tuple[Any, float]]] = {}
    for f in features:
        values, std = candidates(background, f)
        opts = [(v, _size(base[f], v, std)) for v in values if not _same(v, base[f])]
        options[f] = sorted(opts, key=lambda vs: vs[1])
    flips = _try(model, row, [[(f, v, s)] for f in features for v, s in options[f]], threshold, favourable)
    if not flips:
        pairs = []
        for a, b in itertools.combinations(features, 2):
            for (va, sa), (vb, sb) in itertools.product(options[a][:PAIR_CANDIDATES], options[b][:PAIR_CANDIDATES]):
                pairs.append([(a, va, sa), (b, vb, sb)])
        flips = _try(model, row, pairs, threshold, favourable)
    order = {f: i for i, f in enumerate(features)}
    best: dict[tuple[str, ...], tuple] = {}
    for changes, score in flips:
        key = tuple(f for f, _, _ in changes)
        size = sum(s for _, _, s in changes)
        if key not in best or size < best[key][0]:
            best[key] = (size, changes, score)
    ranked = sorted(best.values(), key=lambda t: (t[0], [order[f] for f, _, _ in t[1]]))[:limit]
    out = []
    for size, changes, score in ranked:
        decision = labels[0] if score >= threshold else labels[1]
        out.append({"changes": [{"feature": f, "from": _plain(base[f]), "to": _plain(v)} for f, v, _ in changes],
                    "score": float(score), "decision": decision, "size": round(float(size), 6)})
    return out


def _try(model: LoadedModel, row: pd.DataFrame, trials: list[list[tuple[str, Any, float]]], threshold: float,
         favourable: bool) -> list[tuple[list[tuple[str, Any, float]], float]]:
    if not trials:
        return []
    frame = pd.concat([row] * len(trials), ignore_index=True)
    for i, changes in enumerate(trials):
        for f, v, _ in changes:
            if pd.api.types.is_integer_dtype(frame[f].dtype) and isinstance(v, float) and not v.is_integer():
                frame[f] = frame[f].astype(float)
            frame.at[i, f] = v
    scores = model.score(frame)
    return [(t, float(s)) for t, s in zip(trials, scores) if (s >= threshold) != favourable]


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or (isinstance(a, (int, float)) and isinstance(b, (int, float, np.number))
                                and float(a) == float(b))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value

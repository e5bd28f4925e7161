"""Bootstrap confidence intervals without touching the rows.

Resampling ``N`` records with replacement (what fairlearn's ``MetricFrame(n_boot=…)`` does)
gives cell counts that follow a multinomial distribution over the per-group confusion cells
with the observed cell shares as probabilities. Every metric depends on the records only
through those counts, so drawing the counts directly yields the same bootstrap distribution at
a cost that does not grow with ``N``. Intervals are percentile intervals (``numpy.nanquantile``,
linear interpolation, as fairlearn); a resample in which a rate is undefined (e.g. a group
drew no positives) does not contribute to that rate's interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .metrics import METRICS, disparities, metrics_from_counts

Interval = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class BootstrapIntervals:
    """Lower and upper percentile bounds: per group (arrays of length G), overall and for each
    disparity (scalars), and for the adverse impact ratio per group."""

    level: float
    n_boot: int
    by_group: dict[str, Interval]
    overall: dict[str, Interval]
    disparities: dict[str, Interval]


def quantiles_for(level: float) -> list[float]:
    """The two quantiles of a central ``level`` interval, e.g. 0.95 → [0.025, 0.975]."""
    tail = (1.0 - level) / 2.0
    return [tail, 1.0 - tail]


def draw_counts(counts: np.ndarray, n_boot: int, random_state: int | np.random.Generator | None) -> np.ndarray:
    """``n_boot`` resampled count arrays, shape ``(n_boot, *counts.shape)``: one multinomial
    draw of ``N = counts.sum()`` records over the cells per resample."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    pvals = counts.ravel() / total
    draws = rng.multinomial(total, pvals, size=n_boot)
    return draws.reshape((n_boot, *counts.shape))


def _interval(samples: np.ndarray, q: list[float]) -> Interval:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, as wanted
        lo, hi = np.nanquantile(samples, q, axis=0)
    return lo, hi


def bootstrap_intervals(
    counts: np.ndarray,
    *,
    eligible: np.ndarray,
    reference: int | None,
    level: float,
    n_boot: int,
    random_state: int | np.random.Generator | None,
) -> BootstrapIntervals:
    """Percentile intervals for every per-group metric, the adverse impact ratio against group
    ``reference``, the overall metrics and every disparity, from ``n_boot`` multinomial
    resamples of the ``(G, 2, 3)`` count array."""
    q = quantiles_for(level)
    draws = draw_counts(counts, n_boot, random_state)  # (B, G, 2, 3)
    per_group = metrics_from_counts(draws)  # each (B, G)
    overall = metrics_from_counts(draws.sum(axis=1))  # each (B,)
    disp = disparities(per_group, eligible)
    by_group = {m: _interval(per_group[m], q) for m in METRICS}
    if reference is not None:
        sel = per_group["selection_rate"]
        ref = sel[:, reference : reference + 1]
        with np.errstate(all="ignore"):
            air = np.where(ref > 0, sel / np.where(ref > 0, ref, 1.0), np.nan)
        by_group["adverse_impact_ratio"] = _interval(air, q)
    return BootstrapIntervals(
        level=level,
        n_boot=n_boot,
        by_group=by_group,
        overall={m: _interval(overall[m], q) for m in METRICS},
        disparities={k: _interval(v, q) for k, v in disp.items()},
    )

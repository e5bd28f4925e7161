"""Adverse impact: each group's favourable rate over the reference group's, with a p-value.

Conventions (29 CFR 1607.4(D), see docs/REPORTS "Fairness conventions"): the adverse impact
ratio (AIR) is a group's selection rate divided by the reference group's; below 0.8 (the
four-fifths rule) it is flagged. The p-value compares the two proportions: a two-sided pooled
two-proportion z test, or Fisher's exact test (two-sided) when either group has fewer than
``small`` records or an expected cell of the 2×2 table is under 5.
"""

from __future__ import annotations

import math

import numpy as np

FOUR_FIFTHS = 0.8
SMALL_GROUP = 30
MIN_EXPECTED = 5.0


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z test (1.0 when both rates are 0 or
    both are 1, where the test statistic is 0/0 and the rates do not differ)."""
    p = (x1 + x2) / (n1 + n2)
    se = math.sqrt(p * (1.0 - p) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2.0))  # = 2 · (1 − Φ(|z|)), two-sided


def fisher_exact(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test on [[x1, n1 − x1], [x2, n2 − x2]].

    Sums the hypergeometric probabilities of every table with the same margins that is no more
    likely than the observed one (relative tolerance 1e-7, as scipy.stats.fisher_exact does;
    the tests compare the two). Computed here in log space because importing scipy.stats costs
    about a second per process."""
    selected, total = x1 + x2, n1 + n2

    def log_pmf(k: int) -> float:
        return _log_choose(n1, k) + _log_choose(n2, selected - k) - _log_choose(total, selected)

    observed = log_pmf(x1)
    cutoff = observed + math.log1p(1e-7)
    p = sum(math.exp(lp) for k in range(max(0, selected - n2), min(n1, selected) + 1)
            if (lp := log_pmf(k)) <= cutoff)
    return min(1.0, p)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def needs_exact(x1: int, n1: int, x2: int, n2: int, small: int = SMALL_GROUP) -> bool:
    """True when the z approximation is not trusted: a group under ``small`` records or an
    expected cell count under 5."""
    if n1 < small or n2 < small:
        return True
    p = (x1 + x2) / (n1 + n2)
    expected = (n1 * p, n1 * (1 - p), n2 * p, n2 * (1 - p))
    return min(expected) < MIN_EXPECTED


def adverse_impact(
    selected: np.ndarray, n: np.ndarray, reference: int, small: int = SMALL_GROUP
) -> tuple[list[float | None], list[float | None], list[str | None]]:
    """AIR, p-value and test name ("z" or "fisher") of every group against group ``reference``.

    The reference group itself gets ratio 1.0 and no p-value. The ratio is None when the
    reference selection rate is 0 (no group is favoured, the ratio is undefined) or the group
    is empty.
    """
    xr, nr = int(selected[reference]), int(n[reference])
    ref_rate = xr / nr if nr else 0.0
    ratios: list[float | None] = []
    pvalues: list[float | None] = []
    tests: list[str | None] = []
    for g in range(len(n)):
        xg, ng = int(selected[g]), int(n[g])
        if g == reference:
            ratios.append(1.0 if ref_rate > 0 else None)
            pvalues.append(None)
            tests.append(None)
            continue
        if ng == 0:
            ratios.append(None)
            pvalues.append(None)
            tests.append(None)
            continue
        ratios.append((xg / ng) / ref_rate if ref_rate > 0 else None)
        if needs_exact(xg, ng, xr, nr, small):
            pvalues.append(fisher_exact(xg, ng, xr, nr))
            tests.append("fisher")
        else:
            pvalues.append(two_proportion_z(xg, ng, xr, nr))
            tests.append("z")
    return ratios, pvalues, tests

"""Fairness assessment: fairlearn's group metrics and disparities from per-group counts.

``assess_fairness(...)`` → :class:`FairnessResult` (``.by_group``, ``.overall``,
``.disparities``, ``.to_dict()`` = the contract's ``fairness`` JSON). Counts come from the
records in memory or from one ``GROUP BY`` in a SQL database; metrics, adverse impact and
bootstrap intervals are computed from the counts alone.
"""

from __future__ import annotations

from typing import Any

from .api import assess_fairness
from .metrics import DISPARITIES, METRICS
from .result import MISSING, FairnessResult

__all__ = ["DISPARITIES", "METRICS", "MISSING", "FairnessResult", "assess_fairness", "fairness_chart"]


def __getattr__(name: str) -> Any:
    # matplotlib loads only when a chart is drawn.
    if name == "fairness_chart":
        from .charts import fairness_chart  # heavy (matplotlib): loaded on first use

        return fairness_chart
    raise AttributeError(name)

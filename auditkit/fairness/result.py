"""The one result type of a fairness assessment and its contract JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .metrics import DISPARITIES, METRICS

SCHEMA_VERSION = "1"
MISSING = "(missing)"


def jsonable(value: Any) -> Any:
    """Python/JSON-native form of a scalar: numpy scalars unwrapped, NaN → None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class FairnessResult:
    """Per-group metrics, disparities and adverse impact of one set of decisions.

    ``by_group`` has one row per group: the sensitive feature columns (values as text, the
    missing-value group as ``"(missing)"``), ``count``, ``labelled_count``, every metric,
    ``adverse_impact_ratio``, ``adverse_impact_p_value``, ``adverse_impact_test`` ("z" or
    "fisher"), ``adverse_impact_flag`` (ratio below 0.8) and, when intervals were asked for,
    ``<metric>_ci_low`` / ``<metric>_ci_high``. Undefined values are NaN there and ``null`` in
    :meth:`to_dict`.
    """

    n: int
    sensitive_features: list[str]
    positive: Any
    overall: dict[str, Any]
    by_group: pd.DataFrame
    disparities: dict[str, float | None]
    reference_group: dict[str, str]
    missing_sensitive: int
    warnings: list[str] = field(default_factory=list)
    ci_level: float | None = None
    n_boot: int | None = None
    random_state: Any = None
    overall_ci: dict[str, list[float | None]] | None = None
    disparities_ci: dict[str, list[float | None]] | None = None
    label_positive: Any = None
    #: Which decisions of a log were assessed (model, version, window, ledger, counts), when filtered.
    selection: dict[str, Any] | None = None

    def group_ci(self, row: pd.Series) -> dict[str, list[float | None]]:
        names = [*METRICS, "adverse_impact_ratio"]
        return {
            m: [jsonable(row[f"{m}_ci_low"]), jsonable(row[f"{m}_ci_high"])]
            for m in names if f"{m}_ci_low" in row.index
        }

    def to_dict(self) -> dict[str, Any]:
        """The contract's ``fairness`` JSON document (``schema_version`` "1")."""
        groups = []
        for _, row in self.by_group.iterrows():
            entry: dict[str, Any] = {
                "group": {f: str(row[f]) for f in self.sensitive_features},
                "count": int(row["count"]),
                "labelled_count": int(row["labelled_count"]),
            }
            entry.update({m: jsonable(row[m]) for m in METRICS})
            entry["adverse_impact_ratio"] = jsonable(row["adverse_impact_ratio"])
            entry["adverse_impact_p_value"] = jsonable(row["adverse_impact_p_value"])
            entry["adverse_impact_test"] = jsonable(row["adverse_impact_test"])
            entry["adverse_impact_flag"] = bool(row["adverse_impact_flag"])
            if self.ci_level is not None:
                entry["ci"] = self.group_ci(row)
            groups.append(entry)
        overall = {k: jsonable(v) for k, v in self.overall.items()}
        if self.overall_ci is not None:
            overall["ci"] = self.overall_ci
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "n": int(self.n),
            "sensitive_features": list(self.sensitive_features),
            "positive": jsonable(self.positive),
            "label_positive": jsonable(self.label_positive),
            "overall": overall,
            "by_group": groups,
            "disparities": {k: jsonable(self.disparities[k]) for k in DISPARITIES},
            "reference_group": dict(self.reference_group),
            "missing_sensitive": int(self.missing_sensitive),
            "warnings": list(self.warnings),
        }
        if self.selection is not None:
            doc["selection"] = dict(self.selection)
        if self.ci_level is not None:
            doc["bootstrap"] = {
                "level": self.ci_level,
                "n_boot": self.n_boot,
                "random_state": jsonable(self.random_state) if isinstance(self.random_state, (int, np.integer)) else None,
                "method": "percentile intervals from multinomial resampling of the per-group "
                "confusion counts (the same distribution as resampling records with replacement)",
                "disparities": self.disparities_ci,
            }
        return doc

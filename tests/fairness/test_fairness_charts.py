"""Fairness charts: SVG, reproducible byte for byte, one bar per group."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from auditkit.fairness import assess_fairness
from auditkit.fairness.charts import fairness_chart


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"sex": rng.choice(["female", "male"], n), "band": rng.choice(["<25", "25+"], n),
                       "y": rng.integers(0, 2, n)})
    df["d"] = (rng.random(n) < 0.3 + 0.4 * df["y"]).astype(int)
    return assess_fairness(pos_label=1, data=df, y_true="y", y_pred="d", sensitive_features=["sex", "band"],
                           ci=0.95, n_boot=200)


def test_chart_is_reproducible_svg(result):
    first = fairness_chart(result, title="Credit decisions by sex and age band")
    second = fairness_chart(result, title="Credit decisions by sex and age band")
    assert first == second
    root = ET.fromstring(first.encode())
    assert root.tag.endswith("svg")
    assert "<dc:date>" not in first
    # Glyphs are drawn as paths; the group labels are recorded in the glyph comments.
    for group in ["female, <25", "male, 25+"]:
        assert f">{group}</text>" in first.replace("&lt;", "<")  # labels stay text (svg.fonttype none)
    for title in ["Selection rate", "True positive rate", "False positive rate", "False negative rate"]:
        assert f">{title}</text>" in first


def test_chart_without_labels_has_only_selection_rate():
    svg = fairness_chart(assess_fairness(pos_label=1, y_pred=[0, 1, 1, 0, 1, 1], sensitive_features=["a", "a", "a", "b", "b", "b"]))
    assert ">Selection rate</text>" in svg and ">True positive rate</text>" not in svg
    with pytest.raises(KeyError):
        fairness_chart(assess_fairness(pos_label=1, y_pred=[0, 1], sensitive_features=["a", "b"]), metrics=["auc"])

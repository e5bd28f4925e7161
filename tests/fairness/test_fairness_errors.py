"""Bad inputs to assess_fairness: one-line errors, word for word."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit.errors import FairnessError
from auditkit.fairness import assess_fairness

FRAME = pd.DataFrame({
    "sex": ["f", "m", "f", "m", "f", "m"],
    "age": [20, 30, 45, 61, 33, 70],
    "decision": ["approve", "deny", "refer", "approve", "deny", "approve"],
    "label": [1, 0, 1, 1, 0, 0],
})


def _message(**kwargs) -> str:
    with pytest.raises(FairnessError) as info:
        assess_fairness(**kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_unknown_column_lists_the_columns():
    assert _message(data=FRAME, y_pred="decision", sensitive_features=["gender"], pos_label="approve") == (
        "column 'gender' is not in the data; columns: 'sex', 'age', 'decision', 'label'")
    assert _message(data=FRAME, y_pred="decison", sensitive_features="sex") == (
        "column 'decison' is not in the data; columns: 'sex', 'age', 'decision', 'label'")


def test_one_group_only():
    assert _message(y_pred=[0, 1, 1], pos_label=1, sensitive_features=pd.Series(["f", "f", "f"], name="sex")) == (
        "sensitive feature(s) 'sex' form only one group ({sex=f}); need at least two groups to compare")
    # One known group plus records with the value missing is still one group to compare.
    assert _message(y_pred=[0, 1, 1], pos_label=1, sensitive_features=pd.Series(["f", None, "f"], name="sex")) == (
        "sensitive feature(s) 'sex' form only one group ({sex=f}); need at least two groups to compare")


def test_decisions_that_do_not_say_which_is_favourable_need_positive():
    for decisions, seen in (([0, 1, 2], "0, 1, 2"), ([0, 1, 1], "0, 1"), ([True, False, True], "False, True"),
                            (["A", "B", "A"], "'A', 'B'"), (["approve", "grant", "deny"], "'approve', 'deny', 'grant'")):
        assert _message(y_pred=decisions, sensitive_features=["a", "b", "a"]) == (
            f"which decision is favourable is not said (values seen: {seen}); codes and booleans do not say it "
            "themselves: name it with --positive VALUE (pos_label=…)")


def test_one_favourable_word_among_unfavourable_ones_is_read_and_said():
    result = assess_fairness(data=FRAME, y_pred="decision", sensitive_features="sex")
    assert result.positive == "approve"
    assert ("favourable decision taken as 'approve', the one favourable word among the decisions; --positive VALUE "
            "overrides") in result.warnings
    coded = assess_fairness(data=FRAME.assign(decision=(FRAME["decision"] == "approve").astype(int)), y_pred="decision",
                            sensitive_features="sex", pos_label=1)
    assert coded.to_dict()["by_group"] == result.to_dict()["by_group"]


def test_positive_value_not_seen():
    assert _message(data=FRAME, y_pred="decision", sensitive_features="sex", pos_label="approved") == (
        "positive value 'approved' is not among the decision values seen: 'approve', 'deny', 'refer'")


def test_multi_valued_decisions_with_positive_are_favourable_or_not():
    result = assess_fairness(data=FRAME, y_pred="decision", sensitive_features="sex", pos_label="approve",
                             min_group_size=1)
    assert list(result.by_group["selection_rate"]) == [1 / 3, 2 / 3]
    assert (
        "decisions take 3 values (approve, deny, refer); 'approve' counts as favourable, every other value as not"
    ) in result.warnings


def test_labels_coded_differently_need_label_positive():
    frame = FRAME.assign(outcome=["good", "bad", "good", "good", "bad", "bad"])
    assert _message(data=frame, y_true="outcome", y_pred="decision", sensitive_features="sex",
                    pos_label="approve") == (
        "positive value 'approve' is not among the label values seen: 'bad', 'good'; "
        "name the favourable label with --label-positive VALUE (label_pos_label=…)")
    result = assess_fairness(data=frame, y_true="outcome", y_pred="decision", sensitive_features="sex",
                             pos_label="approve", label_pos_label="good")
    assert result.label_positive == "good"
    assert _message(data=frame.assign(outcome=["a", "b", "c", "a", "b", "c"]), y_true="outcome",
                    y_pred="decision", sensitive_features="sex", pos_label="approve") == (
        "labels have more than two values (values seen: 'a', 'b', 'c'); expected a binary outcome")


def test_missing_decisions():
    assert _message(y_pred=[1, None, 0, np.nan], sensitive_features=["a", "b", "a", "b"]) == (
        "2 record(s) have no decision; expected a decision on every record")


def test_bins():
    base = {"data": FRAME, "y_pred": "decision", "pos_label": "approve", "sensitive_features": ["sex", "age"]}
    assert _message(**base, bins={"age": [0, 40, 30]}) == (
        "bins for 'age' must be at least two increasing numbers, got [0, 40, 30]")
    assert _message(**base, bins={"age": [0]}) == (
        "bins for 'age' must be at least two increasing numbers, got [0]")
    assert _message(**base, bins={"income": [0, 1]}) == (
        "bins name column 'income', which is not a sensitive feature ('sex', 'age')")
    assert _message(**base, bins={"age": [0, 25, 60]}) == (
        "2 value(s) of 'age' fall outside the bins [0, 25, 60]; widen the first or last edge")
    assert _message(**base, bins={"sex": [0, 1]}) == (
        "column 'sex' is not numeric (e.g. 'f'); binning needs numbers")


def test_unknown_reference_group():
    assert _message(data=FRAME, y_pred="decision", pos_label="approve", sensitive_features="sex",
                    reference_group="x") == (
        "reference group {sex=x} is not among the groups: {sex=f}, {sex=m}")


def test_bad_options():
    base = {"y_pred": [0, 1], "sensitive_features": ["a", "b"]}
    assert _message(**base, ci=95) == "confidence level 95 must be a number between 0 and 1 (e.g. 0.95)"
    assert _message(**base, ci=0.95, n_boot=0) == (
        "bootstrap resamples 0 must be a positive integer (e.g. 1000)")
    assert _message(**base, min_group_size=-1) == "minimum group size -1 must be a non-negative integer"
    assert _message(y_pred=[0, 1], sensitive_features=None) == (
        "no sensitive feature given; name at least one column (e.g. --sensitive sex)")
    assert _message(y_pred=[0, 1, 1], sensitive_features=["a", "b"]) == (
        "sensitive feature 'sensitive_feature_0' has 2 values but the decisions have 3; "
        "expected one value per decision")
    assert _message(y_pred=[], sensitive_features=[]) == "the data holds no records to assess"

"""assess_fairness against fairlearn's MetricFrame and disparity functions (to 1e-12)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
)
from scipy import stats
from fairness_data import AGE_EDGES, TOL, fairlearn_frame, german, index_key

from auditkit.fairness import (
    DISPARITIES,
    METRICS,
    MISSING,
    FairnessResult,
    assess_fairness,
)

# Which count each metric divides by (derived independently of auditkit below).
DENOMINATORS = {
    "selection_rate": "n", "accuracy": "n", "true_positive_rate": "pos",
    "false_negative_rate": "pos", "false_positive_rate": "neg", "precision": "sel",
}


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return german()


def _denominators(y_true, y_pred, sensitive: pd.DataFrame, pos) -> pd.DataFrame:
    frame = sensitive.astype(str).copy()
    frame["n"] = 1
    frame["pos"] = (np.asarray(y_true) == pos).astype(int)
    frame["neg"] = 1 - frame["pos"]
    frame["sel"] = (np.asarray(y_pred) == pos).astype(int)
    return frame.groupby(list(sensitive.columns)).sum()


def check_against_fairlearn(result: FairnessResult, y_true, y_pred, sensitive: pd.DataFrame, pos=1) -> None:
    """Every per-group and overall metric equals fairlearn's to 1e-12 where defined; where
    auditkit says undefined (NaN), the denominator is 0 and fairlearn reports 0 (or NaN)."""
    mf = fairlearn_frame(y_true, y_pred, sensitive, pos_label=pos)
    fl = {index_key(k): row for k, row in mf.by_group.iterrows() if not math.isnan(row["selection_rate"])}
    den = {index_key(k): row for k, row in _denominators(y_true, y_pred, sensitive, pos).iterrows()}
    ours = result.by_group
    keys = [tuple(str(r[f]) for f in result.sensitive_features) for _, r in ours.iterrows()]
    assert sorted(keys) == sorted(fl), "auditkit lists exactly the observed groups"
    for key, (_, row) in zip(keys, ours.iterrows()):
        assert row["count"] == den[key]["n"]
        for m in METRICS:
            if math.isnan(row[m]):
                assert den[key][DENOMINATORS[m]] == 0, (key, m)
                assert fl[key][m] == 0 or math.isnan(fl[key][m]), (key, m)
            else:
                assert abs(row[m] - fl[key][m]) <= TOL, (key, m, row[m], fl[key][m])
    for m in METRICS:
        assert abs(result.overall[m] - mf.overall[m]) <= TOL, m
    assert result.overall["count"] == len(y_pred)
    # Disparities: fairlearn's between-groups spreads over the groups where the rate is defined.
    defined = {m: [k for k in keys if den[k][DENOMINATORS[m]] > 0] for m in METRICS}
    def spread(m):
        vals = [fl[k][m] for k in defined[m]]
        return max(vals) - min(vals), min(vals) / max(vals)
    dp = spread("selection_rate")
    tpr, fpr = spread("true_positive_rate"), spread("false_positive_rate")
    expected = {
        "demographic_parity_difference": dp[0], "demographic_parity_ratio": dp[1],
        "equalized_odds_difference": max(tpr[0], fpr[0]), "equalized_odds_ratio": min(tpr[1], fpr[1]),
    }
    for k in DISPARITIES:
        assert abs(result.disparities[k] - expected[k]) <= TOL, k


def check_fairlearn_disparity_functions(result: FairnessResult, y_true, y_pred, sensitive) -> None:
    """With 0/1 data and every rate defined, fairlearn's own disparity functions agree."""
    funcs = {
        "demographic_parity_difference": demographic_parity_difference,
        "demographic_parity_ratio": demographic_parity_ratio,
        "equalized_odds_difference": equalized_odds_difference,
        "equalized_odds_ratio": equalized_odds_ratio,
    }
    for name, fn in funcs.items():
        expected = fn(y_true, y_pred, sensitive_features=sensitive)
        assert abs(result.disparities[name] - expected) <= TOL, name


def test_german_credit_by_sex_matches_fairlearn(credit):
    result = assess_fairness(pos_label=1, 
        y_true=credit["good"], y_pred=credit["approve"], sensitive_features=credit["sex"])
    assert result.sensitive_features == ["sex"]
    assert list(result.by_group["sex"]) == ["female", "male"]
    check_against_fairlearn(result, credit["good"], credit["approve"], credit[["sex"]])
    check_fairlearn_disparity_functions(result, credit["good"], credit["approve"], credit["sex"])
    assert result.missing_sensitive == 0
    assert result.n == len(credit) == 1000


def test_german_credit_intersectional_with_age_bins_matches_fairlearn(credit):
    result = assess_fairness(pos_label=1, 
        data=credit, y_true="good", y_pred="approve", sensitive_features=["sex", "age_years"],
        bins={"age_years": AGE_EDGES})
    # auditkit's [a, b) bands are pandas' left-closed cut of the same edges.
    sens = credit[["sex", "age_band"]].rename(columns={"age_band": "age_years"})
    check_against_fairlearn(result, credit["good"], credit["approve"], sens)
    check_fairlearn_disparity_functions(result, credit["good"], credit["approve"], sens)
    assert len(result.by_group) == sens.drop_duplicates().shape[0]
    assert result.by_group["count"].sum() == 1000


def test_german_credit_three_features_as_raw_codes(credit):
    """Decisions as words, labels as the file's own 1 = good / 2 = bad codes: the same numbers
    as the 0/1 coding, and fairlearn agrees when given the same codes."""
    words = np.where(credit["approve"] == 1, "approve", "deny")
    coded = assess_fairness(
        data=credit.assign(decision=words), y_true="credit_risk", y_pred="decision",
        sensitive_features=["sex", "age_years", "foreign_worker"], bins={"age_years": AGE_EDGES},
        pos_label="approve", label_pos_label=1)
    plain = assess_fairness(pos_label=1, 
        data=credit, y_true="good", y_pred="approve",
        sensitive_features=["sex", "age_years", "foreign_worker"], bins={"age_years": AGE_EDGES})
    a, b = coded.to_dict(), plain.to_dict()
    assert (a["positive"], a["label_positive"]) == ("approve", 1)
    for doc in (a, b):
        doc.pop("positive")
        doc.pop("label_positive")
    assert a == b
    sens = credit[["sex", "age_band", "foreign_worker"]].rename(columns={"age_band": "age_years"})
    check_against_fairlearn(plain, credit["good"], credit["approve"], sens)


def _synthetic(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "race": rng.choice(["a", "b", "c", "d"], n, p=[0.5, 0.3, 0.15, 0.05]),
        "sex": rng.choice(["f", "m"], n),
        "region": rng.integers(0, 5, n),
    })
    p = 0.3 + 0.1 * (df["race"] == "a") + 0.05 * (df["sex"] == "m")
    df["label"] = (rng.random(n) < 0.5).astype(int)
    df["decision"] = (rng.random(n) < p + 0.2 * df["label"]).astype(int)
    # Groups of size 1, and groups whose rates are undefined (no positives / no negatives).
    extra = pd.DataFrame({
        "race": ["e", "f", "g", "g", "h"], "sex": ["f", "m", "f", "f", "m"], "region": [9, 9, 9, 9, 8],
        "label": [1, 0, 1, 1, 0], "decision": [0, 1, 1, 0, 0]})
    return pd.concat([df, extra], ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_synthetic_intersectional_with_singletons_matches_fairlearn(seed):
    df = _synthetic(3000, seed)
    result = assess_fairness(pos_label=1, data=df, y_true="label", y_pred="decision",
                             sensitive_features=["race", "sex", "region"])
    sens = df[["race", "sex", "region"]]
    check_against_fairlearn(result, df["label"], df["decision"], sens)
    singles = result.by_group[result.by_group["count"] == 1]
    assert len(singles) >= 3
    by_key = result.by_group.set_index(["race", "sex", "region"])
    # A single record labelled 1, decided 0: TPR 0, FPR and precision undefined → null.
    e = by_key.loc[("e", "f", "9")]
    assert e["true_positive_rate"] == 0.0 and math.isnan(e["false_positive_rate"])
    assert math.isnan(e["precision"])
    entry = next(g for g in result.to_dict()["by_group"] if g["group"] == {"race": "e", "sex": "f", "region": "9"})
    assert entry["false_positive_rate"] is None and entry["precision"] is None
    assert any("group {race=e, sex=f, region=9}" in w and "false_positive_rate" in w for w in result.warnings)
    assert any("group {race=e, sex=f, region=9} has 1 record(s), below the minimum of 30" in w
               for w in result.warnings)


def test_arrays_and_dataframe_paths_agree():
    df = _synthetic(2000, 3)
    from_frame = assess_fairness(pos_label=1, data=df, y_true="label", y_pred="decision", sensitive_features=["race", "sex"])
    from_arrays = assess_fairness(pos_label=1, y_true=df["label"].to_numpy(), y_pred=df["decision"].tolist(),
                                  sensitive_features={"race": df["race"].to_numpy(), "sex": list(df["sex"])})
    from_df = assess_fairness(pos_label=1, y_true=df["label"], y_pred=df["decision"], sensitive_features=df[["race", "sex"]])
    assert from_frame.to_dict() == from_arrays.to_dict() == from_df.to_dict()
    unnamed = assess_fairness(pos_label=1, y_true=df["label"].to_numpy(), y_pred=df["decision"].to_numpy(),
                              sensitive_features=df["race"].to_numpy())
    assert unnamed.sensitive_features == ["sensitive_feature_0"]  # fairlearn's default name


def test_without_labels_only_selection_rates(credit):
    result = assess_fairness(pos_label=1, y_pred=credit["approve"], sensitive_features=credit[["sex", "foreign_worker"]])
    doc = result.to_dict()
    assert doc["overall"]["selection_rate"] == credit["approve"].mean()
    for entry in doc["by_group"]:
        for m in METRICS[1:]:
            assert entry[m] is None
        assert entry["labelled_count"] == 0
    dp = demographic_parity_difference(credit["good"], credit["approve"], sensitive_features=credit[["sex", "foreign_worker"]])
    dpr = demographic_parity_ratio(credit["good"], credit["approve"], sensitive_features=credit[["sex", "foreign_worker"]])
    assert abs(doc["disparities"]["demographic_parity_difference"] - dp) <= TOL
    assert abs(doc["disparities"]["demographic_parity_ratio"] - dpr) <= TOL
    assert doc["disparities"]["equalized_odds_difference"] is None
    assert doc["disparities"]["equalized_odds_ratio"] is None
    assert any(w.startswith("no labels") for w in doc["warnings"])


def test_missing_sensitive_values_form_a_disclosed_group(credit):
    df = credit.copy()
    df["sex"] = df["sex"].astype(object)
    gaps = df.index[::37]
    df.loc[gaps, "sex"] = None
    df.loc[gaps[:5], "sex"] = np.nan
    result = assess_fairness(pos_label=1, data=df, y_true="good", y_pred="approve", sensitive_features="sex")
    doc = result.to_dict()
    assert doc["missing_sensitive"] == len(gaps)
    assert [g["group"]["sex"] for g in doc["by_group"]] == ["female", "male", MISSING]
    assert doc["by_group"][2]["count"] == len(gaps)
    assert any(f"{len(gaps)} record(s) have no value for a sensitive feature" in w for w in doc["warnings"])
    known = df.drop(index=gaps)
    check_fairlearn_disparity_functions(result, known["good"], known["approve"], known["sex"])
    assert doc["reference_group"]["sex"] != MISSING
    # The missing group's own metrics are fairlearn's for those rows.
    mf = fairlearn_frame(df.loc[gaps, "good"], df.loc[gaps, "approve"], pd.Series("x", index=gaps))
    for m in METRICS:
        assert abs(doc["by_group"][2][m] - mf.overall[m]) <= TOL


def test_missing_labels_use_labelled_records_only(credit):
    df = credit.copy()
    df["label"] = df["good"].astype(float)
    unknown = df.index[df.index % 4 == 0]
    df.loc[unknown, "label"] = np.nan
    result = assess_fairness(pos_label=1, data=df, y_true="label", y_pred="approve", sensitive_features="sex")
    known = df.drop(index=unknown)
    mf_all = fairlearn_frame(df["good"], df["approve"], df["sex"])
    mf_known = fairlearn_frame(known["good"], known["approve"], known["sex"])
    for _, row in result.by_group.iterrows():
        assert abs(row["selection_rate"] - mf_all.by_group.loc[row["sex"], "selection_rate"]) <= TOL
        for m in METRICS[1:]:
            assert abs(row[m] - mf_known.by_group.loc[row["sex"], m]) <= TOL
    assert result.by_group["labelled_count"].sum() == len(known)
    assert f"{len(unknown)} of 1000 record(s) have no label" in " ".join(result.warnings)


def test_adverse_impact_ratio_and_p_values(credit):
    result = assess_fairness(pos_label=1, data=credit, y_true="good", y_pred="approve",
                             sensitive_features=["sex", "age_years"], bins={"age_years": AGE_EDGES})
    rates = credit.groupby(["sex", "age_band"])["approve"].agg(["sum", "count"])
    rates["rate"] = rates["sum"] / rates["count"]
    ref = rates["rate"].idxmax()
    assert result.reference_group == {"sex": ref[0], "age_years": ref[1]}
    for _, row in result.by_group.iterrows():
        key = (row["sex"], row["age_years"])
        assert abs(row["adverse_impact_ratio"] - rates.loc[key, "rate"] / rates.loc[ref, "rate"]) <= TOL
        assert row["adverse_impact_flag"] == (row["adverse_impact_ratio"] < 0.8)
        if key == ref:
            assert math.isnan(row["adverse_impact_p_value"])
            continue
        table = [[rates.loc[b, "sum"], rates.loc[b, "count"] - rates.loc[b, "sum"]] for b in (key, ref)]
        expected_cells = stats.contingency.expected_freq(table)
        if min(rates.loc[key, "count"], rates.loc[ref, "count"]) < 30 or expected_cells.min() < 5:
            assert row["adverse_impact_test"] == "fisher"
            assert row["adverse_impact_p_value"] == pytest.approx(stats.fisher_exact(table).pvalue, abs=1e-12)
        else:
            # Two-sided pooled z test = Pearson chi-square without continuity correction.
            chi2 = stats.chi2_contingency(table, correction=False)
            assert row["adverse_impact_test"] == "z"
            assert row["adverse_impact_p_value"] == pytest.approx(chi2.pvalue, rel=1e-9)
    assert set(result.by_group["adverse_impact_test"].dropna()) == {"z", "fisher"}


def test_named_reference_group(credit):
    result = assess_fairness(pos_label=1, data=credit, y_pred="approve", sensitive_features=["sex", "foreign_worker"],
                             reference_group={"sex": "female", "foreign_worker": "A201"})
    assert result.reference_group == {"sex": "female", "foreign_worker": "A201"}
    sel = credit.groupby(["sex", "foreign_worker"])["approve"].mean()
    for _, row in result.by_group.iterrows():
        expected = sel[(row["sex"], row["foreign_worker"])] / sel[("female", "A201")]
        assert abs(row["adverse_impact_ratio"] - expected) <= TOL
    single = assess_fairness(pos_label=1, data=credit, y_pred="approve", sensitive_features="sex", reference_group="male")
    assert single.reference_group == {"sex": "male"}


def test_to_dict_is_the_contract_document(credit):
    result = assess_fairness(pos_label=1, data=credit, y_true="good", y_pred="approve", sensitive_features="sex",
                             ci=0.9, n_boot=50)
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["schema_version"] == "1"
    for key in ["n", "sensitive_features", "positive", "overall", "by_group", "disparities",
                "reference_group", "missing_sensitive", "warnings"]:
        assert key in doc
    assert set(METRICS) | {"count"} <= set(doc["overall"])
    assert set(doc["disparities"]) == set(DISPARITIES)
    for entry in doc["by_group"]:
        assert set(entry) >= {"group", "count", *METRICS, "adverse_impact_ratio", "adverse_impact_p_value", "ci"}
        assert set(entry["ci"]) == {*METRICS, "adverse_impact_ratio"}
        for low, high in entry["ci"].values():
            assert low <= high
    assert doc["bootstrap"]["n_boot"] == 50 and doc["bootstrap"]["level"] == 0.9
    assert set(doc["bootstrap"]["disparities"]) == set(DISPARITIES)
    assert isinstance(doc["positive"], int)


def test_booleans_and_minus_one_coding():
    rng = np.random.default_rng(5)
    g = rng.choice(["x", "y"], 500)
    d = rng.random(500) < 0.4
    y = rng.random(500) < 0.5
    as_bool = assess_fairness(pos_label=1, y_true=y, y_pred=d, sensitive_features=g)
    as_pm1 = assess_fairness(pos_label=1, y_true=np.where(y, 1, -1), y_pred=np.where(d, 1, -1), sensitive_features=g)
    as_01 = assess_fairness(pos_label=1, y_true=y.astype(int), y_pred=d.astype(int), sensitive_features=g)
    assert as_bool.positive is True and as_pm1.positive == 1
    for r in (as_bool, as_pm1):
        pd.testing.assert_frame_equal(r.by_group, as_01.by_group)


def test_bins_are_left_closed_and_missing_ages_are_disclosed():
    ages = pd.Series([24.0, 25.0, 39.9, 40.0, np.nan, 60.0, 119.0, 0.0])
    decision = [1, 0, 1, 1, 0, 1, 0, 1]
    result = assess_fairness(pos_label=1, y_pred=decision, sensitive_features={"age": ages}, bins={"age": [0, 25, 40, 60, 120]},
                             min_group_size=1)
    counts = dict(zip(result.by_group["age"], result.by_group["count"]))
    # pandas' left-closed cut of the same edges puts every value in the same band.
    expected = pd.cut(ages, [0, 25, 40, 60, 120], right=False).astype(object).map(
        lambda i: MISSING if pd.isna(i) else f"[{i.left:g}, {i.right:g})")
    assert counts == expected.value_counts().to_dict()
    assert list(result.by_group["age"]) == ["[0, 25)", "[25, 40)", "[40, 60)", "[60, 120)", MISSING]
    assert result.missing_sensitive == 1


def test_fisher_exact_equals_scipy_on_many_tables():
    """auditkit computes Fisher's exact test itself (scipy.stats costs a second to import);
    it must equal scipy's on every kind of 2×2 table, small and lopsided ones included."""
    import random

    from auditkit.fairness.stats import fisher_exact

    rng = random.Random(7)
    tables = [(0, 1, 0, 1), (1, 1, 0, 1), (0, 5, 5, 5), (3, 3, 200, 400), (29, 29, 1, 3000)]
    tables += [(rng.randint(0, n1), n1, rng.randint(0, n2), n2)
               for n1, n2 in ((rng.randint(1, 60), rng.randint(1, 500)) for _ in range(500))]
    for x1, n1, x2, n2 in tables:
        want = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue
        assert fisher_exact(x1, n1, x2, n2) == pytest.approx(want, rel=1e-9, abs=1e-15), (x1, n1, x2, n2)

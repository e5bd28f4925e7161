"""verify-data: the digest recomputed from a file equals MLflow's own, and runs' logged datasets are
matched (or not) from CSV and Parquet files the test writes itself."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from auditkit import errors
from auditkit.provenance.datadigest import CSV_DTYPES_NOTE, WEAK_EVIDENCE, mlflow_pandas_digest, verify_data


def _frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = 12_000
    return {
        "ints": pd.DataFrame({"b": [3, 1, 2], "a": [4, 5, 6]}),
        "floats-with-nan": pd.DataFrame({"x": [1.5, np.nan, 3.25], "y": [np.nan, 2.0, 1e300]}),
        "strings": pd.DataFrame({"s": pd.Series(["α", "b", ""], dtype=object)}),
        "strings-with-missing": pd.DataFrame({"s": ["x", None, "z"], "n": [1, 2, 3]}),
        "categorical": pd.DataFrame({"c": pd.Categorical(["lo", "hi", "lo"]), "n": [1, 2, 3]}),
        "categorical-with-missing": pd.DataFrame({"c": pd.Categorical(["lo", None, "lo"])}),
        "over-10000-rows": pd.DataFrame({"i": np.arange(n), "f": rng.normal(size=n),
                                         "s": [f"r{i % 97}" for i in range(n)]}),
        "mixed-dtypes": pd.DataFrame({
            "i32": np.array([1, 2, 3], dtype="int32"), "f32": np.array([0.5, 1, 2], dtype="float32"),
            "u8": np.array([1, 2, 3], dtype="uint8"), "flag": [True, False, True],
            "when": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]),
            "obj": pd.Series([1, "a", None], dtype=object), "nullable": pd.array([1, None, 3], dtype="Int64"),
        }),
        "non-default-index": pd.DataFrame({"a": [1, 2, 3]}, index=[10, 20, 30]),
        "integer-column-names": pd.DataFrame({1: [1, 2], 0: ["a", "b"]}),
        "empty": pd.DataFrame({"a": pd.Series([], dtype="int64"), "s": pd.Series([], dtype=object)}),
    }


@pytest.mark.parametrize("name", list(_frames()))
def test_digest_equals_mlflows_own(name):
    import mlflow

    df = _frames()[name]
    assert mlflow_pandas_digest(df) == mlflow.data.from_pandas(df).digest


def _applicants(n: int = 12_000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    income = rng.normal(3000, 800, size=n).round(2)
    income[::37] = np.nan
    return pd.DataFrame({
        "applicant_id": np.arange(1, n + 1, dtype="int64"),
        "income": income,
        "purpose": [("car", "home", "education", "other")[i % 4] for i in range(n)],
        "region": pd.Categorical([("north", "south", "east")[i % 3] for i in range(n)]),
        "defaulted": [i % 5 == 0 for i in range(n)],
    })


def _typed() -> pd.DataFrame:
    return pd.DataFrame({
        "term_months": np.array([12, 24, 36, 48], dtype="int32"),
        "rate": np.array([0.05, 0.0625, 0.07, 0.1], dtype="float32"),
        "applied_at": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"]),
        "purpose": ["car", "home", "car", "other"],
    })


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A sqlite store where real MLflow logged datasets: run `train` (applicants train + eval),
    run `typed` (a frame with int32/float32/datetime columns), run `bare` (no dataset)."""
    import mlflow
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("vd-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("loans", artifact_location=str(root / "artifacts"))
    old = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    runs = {}
    try:
        train, evaluation = _applicants(), _applicants(500)
        for name, logged in (("train", [(train, "applicants-train", "training"),
                                        (evaluation, "applicants-eval", "evaluation")]),
                             ("typed", [(_typed(), "loans-typed", "training")]), ("bare", [])):
            with mlflow.start_run(experiment_id=exp, run_name=name) as run:
                for df, ds_name, context in logged:
                    mlflow.log_input(mlflow.data.from_pandas(df, name=ds_name), context=context)
            runs[name] = run.info.run_id
    finally:
        mlflow.set_tracking_uri(old)
    return uri, runs


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_csv_of_the_logged_frame_matches(store, tmp_path, cli_run):
    import mlflow

    uri, runs = store
    csv = tmp_path / "train.csv"
    _applicants().to_csv(csv, index=False)
    result = verify_data(uri, run_id=runs["train"], path=csv)
    by_name = {d.name: d for d in result.datasets}
    assert by_name["applicants-train"].match and not by_name["applicants-eval"].match
    assert by_name["applicants-train"].logged_digest == mlflow.data.from_pandas(_applicants()).digest
    assert by_name["applicants-train"].context == "training" and by_name["applicants-train"].logged_rows == 12_000
    assert result.matched and result.file_sha256 == _sha(csv) and result.rows == 12_000

    out = cli_run("verify-data", "--store", uri, "--run", runs["train"], csv)
    assert out.exit_code == 0, out.stderr
    assert f"sha256       {_sha(csv)}" in out.stdout
    assert f"applicants-train (training): logged digest {by_name['applicants-train'].logged_digest}: match" in out.stdout
    assert "applicants-eval (evaluation)" in out.stdout and "MISMATCH" in out.stdout
    assert f"note: {WEAK_EVIDENCE}" in out.stdout
    assert "8 hex characters" in WEAK_EVIDENCE and "weak evidence" in WEAK_EVIDENCE


def test_parquet_keeps_types_and_matches(store, tmp_path, cli_run):
    uri, runs = store
    pq = tmp_path / "train.parquet"
    _applicants().to_parquet(pq)
    out = cli_run("verify-data", "--store", uri, "--run", runs["train"], "--dataset", "applicants-train",
                  "--format", "json", pq)
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["matched"] is True and doc["file_sha256"] == _sha(pq)
    assert [d["name"] for d in doc["datasets"]] == ["applicants-train"]


def test_changed_value_is_a_mismatch_but_only_within_the_first_10000_rows(store, tmp_path, cli_run):
    uri, runs = store
    early, late = _applicants(), _applicants()
    early.loc[5, "income"] = 1.0
    late.loc[11_000, "income"] = 1.0
    early_csv, late_csv, same_csv = tmp_path / "early.csv", tmp_path / "late.csv", tmp_path / "same.csv"
    early.to_csv(early_csv, index=False)
    late.to_csv(late_csv, index=False)
    _applicants().to_csv(same_csv, index=False)

    out = cli_run("verify-data", "--store", uri, "--run", runs["train"], "--dataset", "applicants-train", early_csv)
    assert out.exit_code == 1
    assert out.stderr.startswith(f"error: {str(early_csv)!r} (digest ")
    assert "matches no dataset logged for run" in out.stderr and "Traceback" not in out.stderr
    assert "MISMATCH" in out.stdout and f"note: {CSV_DTYPES_NOTE}" in out.stdout

    # MLflow's digest looks at 10,000 rows: a change in row 11,000 goes unseen (weak evidence);
    # the file's SHA-256 is what tells the files apart.
    late_result = verify_data(uri, run_id=runs["train"], path=late_csv, dataset="applicants-train")
    assert late_result.matched and late_result.file_sha256 != _sha(same_csv)


def test_extra_rows_are_named(store, tmp_path):
    uri, runs = store
    csv = tmp_path / "more.csv"
    _applicants(12_001).to_csv(csv, index=False)
    result = verify_data(uri, run_id=runs["train"], path=csv, dataset="applicants-train")
    assert not result.matched
    assert "dataset 'applicants-train' was logged with 12000 rows; the file has 12001" in result.notes


def test_csv_round_trip_types_are_explained_and_cast_back(store, tmp_path, cli_run):
    uri, runs = store
    csv = tmp_path / "typed.csv"
    _typed().to_csv(csv, index=False)
    result = verify_data(uri, run_id=runs["typed"], path=csv)
    (check,) = result.datasets
    assert not check.match and check.match_with_logged_types and result.matched
    assert "column 'term_months' was logged as integer but reads as long" in check.type_differences
    assert "column 'rate' was logged as float but reads as double" in check.type_differences
    assert "column 'applied_at' was logged as datetime but reads as string" in check.type_differences
    assert CSV_DTYPES_NOTE in result.notes

    out = cli_run("verify-data", "--store", uri, "--run", runs["typed"], csv)
    assert out.exit_code == 0
    assert "match only after casting columns to the logged types" in out.stdout


def test_bad_input_exits_2(store, tmp_path, cli_run):
    uri, runs = store
    csv = tmp_path / "t.csv"
    _typed().to_csv(csv, index=False)
    txt = tmp_path / "t.txt"
    txt.write_text("a,b\n")
    cases = [
        (("--run", runs["train"], tmp_path / "missing.csv"), f"error: data file {str(tmp_path / 'missing.csv')!r} does not exist"),
        (("--run", runs["train"], txt), f"error: data file {str(txt)!r} is not a .csv, .parquet or .jsonl file"),
        (("--run", runs["train"], "--dataset", "nope", csv),
         f"error: run {runs['train']!r} logged no dataset named 'nope'; datasets: 'applicants-eval', 'applicants-train'"),
        (("--run", runs["bare"], csv), f"error: run {runs['bare']!r} logged no datasets"),
        (("--run", "0" * 32, csv), f"error: run {'0' * 32!r} is not in the store"),
    ]
    for args, message in cases:
        out = cli_run("verify-data", "--store", uri, *args)
        assert out.exit_code == 2, (args, out.stdout)
        assert out.stderr.startswith(message), out.stderr
    with pytest.raises(errors.UsageError):
        verify_data(uri, run_id=runs["bare"], path=csv)


def test_unreadable_parquet_is_bad_input(store, tmp_path, cli_run):
    uri, runs = store
    broken = tmp_path / "broken.parquet"
    shutil.copyfile(__file__, broken)
    out = cli_run("verify-data", "--store", uri, "--run", runs["train"], broken)
    assert out.exit_code == 2 and out.stderr.startswith(f"error: cannot read data file {str(broken)!r}: ")

"""Prediction logs: every source kind, column roles, one-row lookups and validation errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from auditkit import open_predictions
from auditkit.errors import PredictionLogError
from auditkit.logs import parse_column_options, reasons_of
from auditkit.logs.values import infer_feature

ROWS = pd.DataFrame({
    "prediction_id": ["Q-001", "Q-002", "Q-003", "007"],
    "timestamp": ["2026-02-01T09:30:00Z", "2026-02-01T10:00:00+01:00", "1769940000000", "2026-02-02"],
    "model_name": ["loan", "loan", "loan", "loan"],
    "model_version": [1, 2, 2, 1],
    "decision": ["approve", "deny", "deny", "approve"],
    "score": [0.81, 0.22, 0.35, 0.9],
    "reason_1": [None, "age: below 25", "Short employment", None],
    "reason_2": [None, "Savings below 100 DM", None, None],
    "age": [41, 23, 37, 52],
    "zip": ["01067", "10115", "80331", "20095"],
})
EXPECTED_TIMES = ["2026-02-01 09:30:00+00:00", "2026-02-01 09:00:00+00:00",
                  str(pd.Timestamp(1769940000000, unit="ms", tz="UTC")), "2026-02-02 00:00:00+00:00"]


def write_jsonl(frame: pd.DataFrame, path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in frame.astype(object).where(frame.notna(), None).to_dict("records"):
            fh.write(json.dumps(rec) + "\n")


def write_log(frame: pd.DataFrame, path, kind: str) -> str:
    """Write ``frame`` as a log of ``kind`` (``sql``: table ``decisions`` of an sqlite file at
    ``path``); returns its source text."""
    if kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "parquet":
        frame.to_parquet(path, index=False)
    elif kind == "jsonl":
        write_jsonl(frame, path)
    else:
        engine = sa.create_engine(f"sqlite:///{path}")
        frame.to_sql("decisions", engine, index=False)
        engine.dispose()
        return f"decisions@sqlite:///{path}"
    return str(path)


@pytest.fixture
def sources(tmp_path):
    """The same log as CSV, Parquet, JSONL and an sqlite table."""
    names = {"csv": "log.csv", "parquet": "log.parquet", "jsonl": "log.jsonl", "sql": "serving.db"}
    return {kind: write_log(ROWS, tmp_path / name, kind) for kind, name in names.items()}


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl", "sql"])
def test_every_kind_reads_roles_rows_and_finds_one(sources, kind):
    log = open_predictions(sources[kind])
    assert log.kind == kind
    assert log.roles == {r: r for r in ["prediction_id", "timestamp", "model_name", "model_version", "decision",
                                        "score", "reason_1", "reason_2"]}
    assert log.column_names() == list(ROWS.columns)
    assert log.attribute_columns() == ["age", "zip"]
    assert log.reason_columns() == ["reason_1", "reason_2"]
    assert log.validate() == 4
    assert log.count() == 4
    part = log.read(["prediction_id", "score"])
    assert list(part.columns) == ["prediction_id", "score"]
    assert part["prediction_id"].astype(str).tolist() == ROWS["prediction_id"].tolist()
    assert part["score"].tolist() == ROWS["score"].tolist()
    row = log.find("Q-002")
    assert row["decision"] == "deny" and row["score"] == 0.22 and row["age"] == 23
    assert row["reason_1"] == "age: below 25" and row["model_version"] == 2
    assert log.find("Q-999") is None
    assert reasons_of(log, row, "Q-002") == [
        {"rank": 1, "text": "age: below 25", "feature": "age", "source": "prediction log column reason_1"},
        {"rank": 2, "text": "Savings below 100 DM", "feature": None, "source": "prediction log column reason_2"},
    ]
    assert (log.sql_source() is not None) == (kind == "sql")
    log.close()


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_locate_says_where_the_row_is(sources, kind):
    log = open_predictions(sources[kind])
    row, where = log.locate("Q-003")
    assert where == {"csv": "line 4", "parquet": "row 3", "jsonl": "line 3"}[kind]
    assert row["prediction_id"] == "Q-003"


def test_csv_keeps_ids_and_codes_as_written(sources):
    log = open_predictions(sources["csv"])
    assert log.find("007")["zip"] == 20095  # a number prints back the same: read as one
    assert log.find("Q-001")["zip"] == "01067"  # a leading zero is kept: not a number
    assert log.read(["prediction_id"])["prediction_id"].tolist()[-1] == "007"


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl", "sql"])
def test_timestamps_iso_offsets_and_epoch_ms(sources, kind):
    from auditkit.logs import parse_timestamps

    log = open_predictions(sources[kind])
    ts = parse_timestamps(log.read(["timestamp"])["timestamp"], log=log)
    assert [str(t) for t in ts] == EXPECTED_TIMES


def test_column_roles_can_be_renamed(tmp_path):
    frame = ROWS.rename(columns={"prediction_id": "request_ref", "decision": "outcome", "reason_1": "why"})
    path = tmp_path / "renamed.csv"
    frame.to_csv(path, index=False)
    cols = parse_column_options(["prediction_id=request_ref", "decision=outcome", "reason_1=why"])
    log = open_predictions(path, columns=cols)
    assert log.roles["prediction_id"] == "request_ref" and log.roles["decision"] == "outcome"
    assert log.reason_columns() == ["why"]
    assert "reason_2" in log.column_names() and "reason_2" in log.attribute_columns()
    assert log.validate() == 4
    assert log.find("Q-002")["outcome"] == "deny"


def test_reasons_json_list_column(tmp_path):
    frame = ROWS.drop(columns=["reason_1", "reason_2"]).assign(
        reasons=[json.dumps([]), json.dumps(["zip=10115", "Low income"]), "[]", None])
    path = tmp_path / "r.parquet"
    frame.to_parquet(path, index=False)
    log = open_predictions(path)
    assert log.roles["reasons"] == "reasons" and log.attribute_columns() == ["age", "zip"]
    assert reasons_of(log, log.find("Q-002"), "Q-002") == [
        {"rank": 1, "text": "zip=10115", "feature": "zip", "source": "prediction log column reasons[0]"},
        {"rank": 2, "text": "Low income", "feature": None, "source": "prediction log column reasons[1]"},
    ]
    bad = frame.assign(reasons=["not json"] * 4)
    bad.to_parquet(path, index=False)
    log = open_predictions(path)
    with pytest.raises(PredictionLogError) as exc:
        reasons_of(log, log.find("Q-001"), "Q-001")
    assert str(exc.value) == ("column 'reasons' of prediction 'Q-001' holds 'not json'; expected a JSON list of "
                              "reason texts")


def test_infer_feature_only_when_named():
    assert infer_feature("age", ["age", "zip"]) == "age"
    assert infer_feature("age_years: 23", ["age", "age_years"]) == "age_years"
    assert infer_feature("Age of 23 years", ["age"]) is None


# -- errors -------------------------------------------------------------------------------------
def test_source_errors(tmp_path, sources):
    cases = {
        str(tmp_path / "log.txt"): (
            f"prediction log {str(tmp_path / 'log.txt')!r} is not a .csv, .parquet or .jsonl file or "
            "TABLE@SQLALCHEMY_URL"),
        str(tmp_path / "nope.csv"): f"prediction log {str(tmp_path / 'nope.csv')!r} does not exist",
        f"decisions@sqlite:///{tmp_path}/none.db":
            f"prediction log 'decisions@sqlite:///{tmp_path}/none.db' does not exist",
        sources["sql"].replace("decisions@", "choices@"): (
            f"prediction log {sources['sql'].replace('decisions@', 'choices@')!r}: table 'choices' is not in the "
            "database; tables: 'decisions'"),
    }
    for source, message in cases.items():
        with pytest.raises(PredictionLogError) as exc:
            open_predictions(source)
        assert str(exc.value) == message


def test_unknown_role_and_renamed_column_missing(sources):
    with pytest.raises(PredictionLogError) as exc:
        open_predictions(sources["csv"], columns={"request": "x"})
    assert str(exc.value) == ("column role 'request' is not known; roles: 'prediction_id', 'timestamp', 'model_name', "
                              "'model_version', 'model_uri', 'decision', 'score', 'label', 'reasons', 'reason_N'")
    with pytest.raises(PredictionLogError) as exc:
        open_predictions(sources["csv"], columns={"prediction_id": "request_ref"})
    assert str(exc.value) == (
        f"column 'request_ref' given for role 'prediction_id' is not in prediction log {sources['csv']!r}; columns: "
        "'prediction_id', 'timestamp', 'model_name', 'model_version', 'decision', 'score', 'reason_1', "
        "'reason_2', 'age', 'zip'")
    with pytest.raises(PredictionLogError) as exc:
        parse_column_options(["prediction_id"])
    assert str(exc.value) == "--column 'prediction_id' is not ROLE=NAME (e.g. prediction_id=request_ref)"


def test_missing_required_column_lists_what_exists(tmp_path):
    path = tmp_path / "noid.csv"
    ROWS.drop(columns=["timestamp"]).to_csv(path, index=False)
    with pytest.raises(PredictionLogError) as exc:
        open_predictions(path).validate()
    assert str(exc.value) == (
        f"prediction log {str(path)!r} has no timestamp column 'timestamp'; columns: 'prediction_id', "
        "'model_name', 'model_version', 'decision', 'score', 'reason_1', 'reason_2', 'age', 'zip' "
        "(name yours with --column timestamp=NAME)")


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet", "sql"])
def test_duplicate_ids_show_a_few(tmp_path, kind):
    frame = pd.concat([ROWS, ROWS.iloc[[1, 2, 1]]], ignore_index=True)
    source = write_log(frame, tmp_path / f"dup.{kind if kind != 'sql' else 'db'}", kind)
    log = open_predictions(source)
    with pytest.raises(PredictionLogError) as exc:
        log.validate()
    examples = {
        "csv": "'Q-002' at line 3 and line 6 and line 8; 'Q-003' at line 4 and line 7",
        "jsonl": "'Q-002' at line 2 and line 5 and line 7; 'Q-003' at line 3 and line 6",
        "parquet": "'Q-002' at row 2 and row 5 and row 7; 'Q-003' at row 3 and row 6",
        "sql": "'Q-002' (3 rows), 'Q-003' (2 rows)",
    }[kind]
    assert str(exc.value) == (f"prediction log {source!r} has 2 duplicated prediction id(s): {examples}; "
                              "expected each id once")
    with pytest.raises(PredictionLogError) as exc:
        log.find("Q-003")
    assert str(exc.value).startswith(f"prediction log {source!r} has 1 duplicated prediction id(s): 'Q-003' at ")


def test_bad_timestamps_give_line_numbers(tmp_path):
    frame = ROWS.copy()
    frame.loc[1, "timestamp"] = "yesterday"
    frame.loc[3, "timestamp"] = "2026-13-45T99:00:00Z"
    path = tmp_path / "badtime.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(PredictionLogError) as exc:
        open_predictions(path).validate()
    assert str(exc.value) == (
        f"prediction log {str(path)!r} has 2 unparseable timestamp(s) in column 'timestamp' at line 3, line 5 "
        "(e.g. 'yesterday'); expected ISO 8601 (e.g. 2026-03-01T12:00:00Z) or epoch numbers (unit: --time-unit)")
    frame = ROWS.copy()
    frame.loc[2, "timestamp"] = None
    jsonl = tmp_path / "missing.jsonl"
    write_jsonl(frame, jsonl)
    with pytest.raises(PredictionLogError) as exc:
        open_predictions(jsonl).validate()
    assert str(exc.value) == (
        f"prediction log {str(jsonl)!r} has 1 unparseable timestamp(s) in column 'timestamp' at line 3 "
        "(e.g. None); expected ISO 8601 (e.g. 2026-03-01T12:00:00Z) or epoch numbers (unit: --time-unit)")


def test_sql_log_on_postgres_is_read_only_and_uses_the_index(pg_databases):
    url = pg_databases.create("auditkit_preds")
    engine = sa.create_engine(url)
    ROWS.to_sql("decisions", engine, index=False)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE UNIQUE INDEX decisions_id ON decisions (prediction_id)"))
    engine.dispose()
    log = open_predictions(f"decisions@{url}")
    assert log.kind == "sql" and log.validate() == 4
    assert log.locate("Q-003") == (log.find("Q-003"), "WHERE prediction_id = 'Q-003'")
    assert log.find("Q-003")["score"] == 0.35
    ro_engine, table = log.sql_source()
    assert table == "decisions"
    with ro_engine.connect() as conn:
        plan = " ".join(r[0] for r in conn.execute(sa.text(
            "EXPLAIN SELECT * FROM decisions WHERE prediction_id = 'Q-003'")))
        with pytest.raises(sa.exc.DBAPIError, match="read-only"):
            conn.execute(sa.text("DELETE FROM decisions"))
    assert "decisions" in plan
    log.close()


def test_password_is_redacted_in_source():
    with pytest.raises(PredictionLogError) as exc:
        open_predictions("decisions@postgresql://audit:s3cret@127.0.0.1:1/serving")
    assert "s3cret" not in str(exc.value)
    assert str(exc.value).startswith(
        "cannot read prediction log 'decisions@postgresql://audit:***@127.0.0.1:1/serving': ")


"""The SQL path on a 1,000,000-row table in a real PostgreSQL: one GROUP BY, no rows fetched,
the same numbers as in memory."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
from fairness_data import watch_statements

from auditkit.errors import FairnessError
from auditkit.fairness import assess_fairness

pytestmark = pytest.mark.server

SERVER = "host=127.0.0.1 port=5432 user=postgres"
ROWS = 1_000_000


def _log(n: int, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["female", "male"], dtype=object), n, p=[0.35, 0.65])
    sex[rng.random(n) < 0.001] = None
    age = rng.integers(18, 95, n)
    region = rng.choice(np.array(["north", "south", "east", "west", "islands"], dtype=object), n,
                        p=[0.3, 0.3, 0.2, 0.19, 0.01])
    good = rng.random(n) < 0.7
    p_approve = 0.35 + 0.3 * good + 0.05 * (sex == "male") + 0.1 * (age >= 40)
    decision = np.where(rng.random(n) < p_approve, "approve", "decline")
    label = pd.array(np.where(good, 1, 0), dtype="Int64")
    label[rng.random(n) < 0.2] = pd.NA  # outcome not known yet
    return pd.DataFrame({
        "prediction_id": np.arange(n), "sex": sex, "age_years": age, "region": region,
        "decision": decision, "label": label,
    })


@pytest.fixture(scope="module")
def loaded():
    """A uniquely named database holding table ``decisions`` (loaded by COPY); dropped after."""
    name = f"auditkit_fairness_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SERVER + " dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    frame = _log(ROWS)
    engine = None
    try:
        with psycopg.connect(SERVER + f" dbname={name}") as conn:
            conn.execute(
                "CREATE TABLE decisions (prediction_id bigint PRIMARY KEY, sex text, age_years integer, "
                "region text, decision text NOT NULL, label integer)")
            buf = io.StringIO()
            frame.to_csv(buf, index=False, header=False)
            with conn.cursor().copy("COPY decisions FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buf.getvalue())
            conn.commit()
        engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
        yield engine, frame
    finally:
        if engine is not None:
            engine.dispose()
        with psycopg.connect(SERVER + " dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ARGS = {"y_true": "label", "y_pred": "decision", "sensitive_features": ["sex", "age_years", "region"],
            "bins": {"age_years": [0, 25, 40, 60, 120]}, "pos_label": "approve", "ci": 0.95, "n_boot": 1000,
            "random_state": 5}


def test_sql_counts_in_the_database_match_memory(loaded):
    engine, frame = loaded
    seen, stop = watch_statements(engine)
    try:
        in_db = assess_fairness(engine=engine, table="decisions", **ARGS)
    finally:
        stop()
    on_table = [(s, rows) for s, rows in seen if "decisions" in s and "pg_catalog" not in s]
    assert len(on_table) == 1, [s for s, _ in on_table]
    statement, rows = on_table[0]
    assert "GROUP BY" in statement and "count(*)" in statement
    # The rows that travelled are the grouped counts, not the records.
    bands = pd.cut(frame["age_years"], [0, 25, 40, 60, 120], right=False)
    combos = frame.assign(band=bands).groupby(["sex", "band", "region", "decision", "label"],
                                              dropna=False, observed=True).ngroups
    assert rows == combos < 500
    assert sum(r for _, r in seen if r > 0) < 1000
    assert in_db.n == ROWS

    in_memory = assess_fairness(data=frame, **ARGS)
    assert in_db.to_dict() == in_memory.to_dict()
    assert in_db.missing_sensitive == int(frame["sex"].isna().sum())
    assert in_db.by_group["labelled_count"].sum() == int(frame["label"].notna().sum())


def test_sql_errors_name_the_table_and_columns(loaded):
    engine, _ = loaded
    with pytest.raises(FairnessError) as info:
        assess_fairness(engine=engine, table="decisions", y_pred="decision", sensitive_features=["gender"],
                        pos_label="approve")
    assert str(info.value) == (
        "column 'gender' is not in table 'decisions'; columns: 'prediction_id', 'sex', 'age_years', "
        "'region', 'decision', 'label'")
    with pytest.raises(FairnessError) as info:
        assess_fairness(engine=engine, table="decisionz", y_pred="decision", sensitive_features=["sex"])
    assert str(info.value) == "table 'decisionz' is not in the database; tables: 'decisions'"
    # self-describing words need no pos_label: 'approve' is the one favourable word, and it is said
    read = assess_fairness(engine=engine, table="decisions", y_pred="decision", sensitive_features=["sex"])
    assert read.positive == "approve" and any(w.startswith("favourable decision taken as 'approve'")
                                              for w in read.warnings)


def test_mariadb_gives_the_same_numbers(mysql_databases):
    """Any SQLAlchemy engine: the same GROUP BY on MariaDB (a smaller table)."""
    frame = _log(20_000, seed=7)
    engine = sa.create_engine(mysql_databases.create("auditkit_fairness"))
    try:
        frame.to_sql("decisions", engine, index=False, chunksize=5000)
        seen, stop = watch_statements(engine)
        try:
            in_db = assess_fairness(engine=engine, table="decisions", **ARGS)
        finally:
            stop()
        # Besides the catalog look-ups (DESCRIBE / SHOW CREATE TABLE), one SELECT reads the table.
        selects = [s for s, _ in seen if s.lstrip().upper().startswith("SELECT") and "decisions" in s]
        assert len(selects) == 1 and "GROUP BY" in selects[0]
        assert all(s.lstrip().upper().startswith(("SELECT", "DESCRIBE", "SHOW")) for s, _ in seen)
        assert in_db.to_dict() == assess_fairness(data=frame, **ARGS).to_dict()
    finally:
        engine.dispose()

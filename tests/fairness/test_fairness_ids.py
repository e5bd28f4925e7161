"""`fairness` counts each decision once: a record without a prediction id or an id logged twice
is an error naming where; a log without an id column is a named warning."""

from __future__ import annotations

import csv

from conftest import ROOT, file_sha256

SAMPLE = ROOT / "sample_data"
ARGS = ["--sensitive", "sex", "--positive", "approve", "--label-positive", "good"]


def _log(tmp_path, edit) -> tuple:
    with open(SAMPLE / "predictions.csv", newline="", encoding="utf-8") as src:
        rows = list(csv.DictReader(src))
    rows, columns = edit(rows, list(rows[0]))
    path = tmp_path / "p.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path, rows


def test_a_decision_logged_twice_is_an_error_naming_both_lines(tmp_path, cli_run):
    path, rows = _log(tmp_path, lambda rows, cols: (rows + [dict(rows[4])], cols))
    before = file_sha256(path)
    result = cli_run("fairness", "--predictions", path, *ARGS)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    pid = rows[4]["prediction_id"]
    assert result.stderr.startswith(f"error: prediction log {str(path)!r}")
    assert f"{pid!r} at line 6 and line {len(rows) + 1}" in result.stderr
    assert file_sha256(path) == before


def test_a_decision_without_an_id_is_an_error_naming_its_line(tmp_path, cli_run):
    def blank(rows, cols):
        rows[2]["prediction_id"] = ""
        rows[7]["prediction_id"] = "  "
        return rows, cols

    path, _ = _log(tmp_path, blank)
    result = cli_run("fairness", "--predictions", path, *ARGS)
    assert result.exit_code == 2
    assert result.stderr == (f"error: prediction log {str(path)!r}: 2 record(s) have no prediction id in column "
                             "'prediction_id' (at line 4, line 9); expected a unique id on every decision, so each "
                             "is counted once\n")


def test_a_log_without_an_id_column_is_a_named_warning(tmp_path, cli_run):
    path, rows = _log(tmp_path, lambda rows, cols: (rows, [c for c in cols if c != "prediction_id"]))
    result = cli_run("fairness", "--predictions", path, *ARGS, "--format", "json")
    assert result.exit_code == 0
    assert (f"warning: prediction log {str(path)!r} has no prediction_id column: decisions logged twice cannot be "
            "found and would be counted twice (name the id column with --column prediction_id=NAME)\n") in result.stderr
    assert '"n": 2400' in result.stdout

"""Charts stay well-formed XML whatever text the store or log holds, and a chart that cannot be
drawn is a warning (and a gap in the report), never dropped silently."""

from __future__ import annotations

import base64
import csv
import re
import shutil
import sqlite3
from xml.etree import ElementTree

from conftest import ROOT, file_sha256

SAMPLE = ROOT / "sample_data"
NAME = "run\x07bell\x1b[31m\x00end"
SVG_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")


def _svgs(html: str) -> list[bytes]:
    return [base64.b64decode(u) for u in SVG_URI.findall(html)]


def test_control_characters_in_run_names_leave_every_chart_well_formed(tmp_path, cli_run):
    store = tmp_path / "r.db"
    shutil.copy(SAMPLE / "mlflow.db", store)
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE runs SET name = ?", (NAME,))
    conn.close()
    before = file_sha256(store)
    result = cli_run("report", "experiment", "credit-risk", "--store", store, "-o", tmp_path / "e.html")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    svgs = _svgs((tmp_path / "e.html").read_text(encoding="utf-8"))
    assert svgs
    for svg in svgs:
        ElementTree.fromstring(svg)  # raises on ill-formed XML
    assert b"run\\x07bell\\x1b[31m\\x00end" in svgs[0]  # shown as escapes, as the terminal shows them
    assert file_sha256(store) == before


def test_control_characters_in_group_values_leave_the_fairness_chart_well_formed(tmp_path, cli_run):
    log = tmp_path / "p.csv"
    with open(SAMPLE / "predictions.csv", newline="", encoding="utf-8") as src:
        rows = list(csv.DictReader(src))
    for row in rows:
        row["sex"] = row["sex"] + "\x01\x7f<&>"
    with open(log, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    chart = tmp_path / "c.svg"
    result = cli_run("fairness", "--predictions", log, "--sensitive", "sex", "--positive", "approve",
                     "--label-positive", "good", "--chart", chart)
    assert result.exit_code == 0, result.stderr
    root = ElementTree.parse(chart).getroot()
    texts = " ".join(t for t in root.itertext())
    assert "\\x01\\x7f<&>" in texts


def test_a_chart_that_cannot_be_drawn_is_a_warning_and_a_gap(tmp_path, cli_run):
    store = tmp_path / "r.db"
    shutil.copy(SAMPLE / "mlflow.db", store)
    with sqlite3.connect(store) as conn:  # finite values whose range overflows to infinity
        runs = [r for (r,) in conn.execute("SELECT run_uuid FROM latest_metrics WHERE key = 'cv_auc' "
                                           "ORDER BY run_uuid LIMIT 2")]
        conn.execute("UPDATE latest_metrics SET value = 1.7e308 WHERE key = 'cv_auc' AND run_uuid = ?", (runs[0],))
        conn.execute("UPDATE latest_metrics SET value = -1.7e308 WHERE key = 'cv_auc' AND run_uuid = ?", (runs[1],))
    conn.close()
    result = cli_run("report", "experiment", "credit-risk", "--store", store, "-o", tmp_path / "e.html")
    assert result.exit_code == 0
    message = ("The chart of metric 'cv_auc' could not be drawn (ValueError: Axis limits cannot be NaN or Inf); "
               "the report shows its values in the tables only.")
    assert result.stderr == f"warning: {message}\n"
    html = (tmp_path / "e.html").read_text(encoding="utf-8")
    assert message.replace("'", "&#39;") in html
    assert len(_svgs(html)) >= 1  # the other metrics' charts are still there

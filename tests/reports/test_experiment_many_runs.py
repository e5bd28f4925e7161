"""An experiment with more runs than a chart can show: each metric chart draws the best 40 (the
report says so), the tables list every run."""

from __future__ import annotations

import base64
import re
import shutil
import sqlite3
import uuid

from conftest import ROOT

SAMPLE = ROOT / "sample_data"


def test_charts_show_the_best_forty_runs_and_say_so(tmp_path, cli_run):
    store = tmp_path / "r.db"
    shutil.copy(SAMPLE / "mlflow.db", store)
    with sqlite3.connect(store) as conn:  # the sample's runs copied row for row under new ids
        exp, = conn.execute("SELECT experiment_id FROM experiments WHERE name = 'credit-risk'").fetchone()
        ids = [r for (r,) in conn.execute("SELECT run_uuid FROM runs WHERE experiment_id = ? AND "
                                          "lifecycle_stage = 'active'", (exp,))]
        for n in range(60):
            src, new = ids[n % len(ids)], uuid.uuid4().hex
            conn.execute("INSERT INTO runs SELECT ?, name || '-copy' || ?, source_type, source_name, "
                         "entry_point_name, user_id, status, start_time + ?, end_time + ?, source_version, "
                         "lifecycle_stage, artifact_uri, experiment_id, deleted_time FROM runs WHERE run_uuid = ?",
                         (new, n, n, n, src))
            conn.execute("INSERT INTO latest_metrics SELECT key, value + ? * 1e-6, timestamp, step, is_nan, ? "
                         "FROM latest_metrics WHERE run_uuid = ?", (n, new, src))
        metric = "eval_auc"
        total, = conn.execute("SELECT COUNT(*) FROM latest_metrics m JOIN runs r ON r.run_uuid = m.run_uuid "
                              "WHERE m.key = ? AND r.lifecycle_stage = 'active' AND r.experiment_id = ?",
                              (metric, exp)).fetchone()
    conn.close()
    assert total > 40
    result = cli_run("report", "experiment", "credit-risk", "--store", store, "-o", tmp_path / "e.html")
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "e.html").read_text(encoding="utf-8")
    assert f"The chart of {metric} shows the 40 best of {total} runs; the tables show all." in html
    svgs = [base64.b64decode(u).decode("utf-8") for u in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)]
    counts = [svg.count("·") for svg in svgs]  # one label "name · id8" per bar
    assert max(counts) == 40 and all(0 < c <= 40 for c in counts)
    assert html.count("-copy") >= 60  # every run is still in the tables

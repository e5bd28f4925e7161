"""Lineage reads only auditkit's records, so the same scenario gives the same answer whether
MLflow wrote it into an SQL store or an mlruns folder."""

from __future__ import annotations

import auditkit
import scenario  # tests/fixtures/scenario.py: what the scenario logged


def _facts(doc: dict) -> dict:
    """The facts a regulator reads, without the ids and times that differ between two stores."""
    return {
        "version": (doc["model_version"]["name"], doc["model_version"]["version"], doc["model_version"]["stage"],
                    tuple(doc["model_version"]["aliases"]), doc["model_version"]["tags"]),
        "run": (doc["run"]["name"], doc["run"]["experiment"], doc["run"]["user"], doc["run"]["status"],
                doc["run"]["params"], doc["run"]["metrics"]),
        "code": {k: v for k, v in doc["code"].items() if k != "evidence"},  # evidence names the run id
        "datasets": sorted((d["name"], d["digest"], d["context"], d["rows"]) for d in doc["datasets"]),
        "owner": doc["owner"]["user"],
        "approvals": [(a["by"], a["at"]) for a in doc["approvals"]],
        "gaps": len(doc["gaps"]),
    }


def test_same_scenario_same_lineage_from_sql_and_mlruns(sqlite_scenario, mlruns_scenario, tmp_path):
    log_path = tmp_path / "decisions.csv"
    log_path.write_text(
        "prediction_id,timestamp,model_name,model_version,decision,score\n"
        "D-1,2026-03-01T10:00:00Z,credit-risk,1,approve,0.81\n"
        "D-2,2026-03-02T10:00:00Z,credit-risk,2,deny,0.22\n",
        encoding="utf-8",
    )
    sql_uri, _ = sqlite_scenario
    root, _ = mlruns_scenario
    log = auditkit.open_predictions(str(log_path))
    with auditkit.open_store(sql_uri) as sql_store, auditkit.open_store(str(root)) as file_store:
        for pid, run_name in (("D-1", "logreg-c1"), ("D-2", "gbm-d3")):
            from_sql = auditkit.lineage(sql_store, log, pid)
            from_files = auditkit.lineage(file_store, log, pid)
            assert from_sql["run"]["name"] == run_name
            logged_tags = next(r[4] for r in scenario.RUNS if r[0] == run_name)
            assert from_sql["code"]["git_commit"] == logged_tags["mlflow.source.git.commit"]
            assert _facts(from_sql) == _facts(from_files)

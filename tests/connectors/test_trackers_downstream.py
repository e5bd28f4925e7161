"""Ledger snapshots, lineage, policy checks and reports on Comet and Neptune stores (the committed
fixtures written by the real clients), as on MLflow's: everything past the connector reads records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
COMET = f"comet://{FIXTURES / 'comet' / 'current'}"
NEPTUNE_SCALE = f"neptune://{FIXTURES / 'neptune' / 'scale'}"


def _written(folder: Path) -> dict:
    return json.loads((folder / "written.json").read_text(encoding="utf-8"))


def test_snapshot_history_and_verify_on_a_comet_store(cli_run, tmp_path):
    ledger = tmp_path / "ledger.jsonl"
    assert cli_run("snapshot", "--store", COMET, "--ledger", str(ledger)).exit_code == 0
    result = cli_run("history", "--ledger", str(ledger), "--format", "json")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    spec = _written(FIXTURES / "comet" / "current")["spec"]
    for version in (v for r in spec["runs"] for v in r["versions"]):
        assert version["version"] in text
    assert cli_run("verify", "--ledger", str(ledger)).exit_code == 0


def test_lineage_follows_a_comet_version_to_its_run_data_and_code(cli_run, tmp_path):
    written = _written(FIXTURES / "comet" / "current")
    log = tmp_path / "decisions.csv"
    log.write_text("prediction_id,timestamp,model_name,model_version,decision\n"
                   "D-1,2026-03-01T10:00:00Z,credit-risk,2.0.0,deny\n", encoding="utf-8")
    result = cli_run("lineage", "D-1", "--store", COMET, "--predictions", str(log), "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    spec = {r["name"]: r for r in written["spec"]["runs"]}
    producer = next(name for name, r in spec.items() if any(v["version"] == "2.0.0" for v in r["versions"]))
    assert doc["run"]["id"] == written["runs"][producer]["key"]
    assert doc["run"]["params"] == spec[producer]["params"]
    assert doc["model_version"]["stage"] == next(v["stage"] for v in spec[producer]["versions"])
    assert doc["code"]["git_commit"] == written["runs"][producer]["commit"]
    assert [d["name"] for d in doc["datasets"]] == [d["name"] for d in spec[producer]["datasets"]]
    assert doc["owner"]["user"] == spec[producer]["user"]


@pytest.mark.parametrize("store", [COMET, NEPTUNE_SCALE])
def test_reports_and_check_run_on_tracker_stores(store, cli_run, tmp_path):
    out = tmp_path / "experiment.html"
    result = cli_run("report", "experiment", "credit-risk", "--store", store, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    for name in ("logreg-c1", "gbm-d3", "gbm-d5", "scratch"):
        assert name in html
    result = cli_run("check", "--store", store, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["schema_version"] == "1"

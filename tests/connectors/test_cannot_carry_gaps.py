"""A connector's ``cannot_carry`` facts become lineage gaps naming the backend, in one-decision and
batch lineage alike; MLflow's stores list none."""

from __future__ import annotations

import json
from pathlib import Path

import auditkit
from auditkit.connectors.wandb import WANDB_CANNOT_CARRY
from auditkit.provenance.gaps import GAP_CANNOT_CARRY

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WANDB = FIXTURES / "wandb" / "current" / "wandb"  # written by real wandb (tests/fixtures/make_wandb_fixtures.py)


def _log(tmp_path: Path, name: str, version: str) -> Path:
    log = tmp_path / "decisions.csv"
    log.write_text("prediction_id,timestamp,model_name,model_version,decision\n"
                   f"D-1,2026-03-01T10:00:00Z,{name},{version},approve\n"
                   f"D-2,2026-03-02T10:00:00Z,{name},{version},deny\n", encoding="utf-8")
    return log


def test_wandb_facts_are_gaps_in_one_and_all_decisions(cli_run, tmp_path):
    with auditkit.open_store(str(WANDB)) as store:
        version = store.model_versions()[-1]
    log = _log(tmp_path, version.name, version.version)
    expected = [GAP_CANNOT_CARRY.format(backend="wandb", fact=fact) for fact in WANDB_CANNOT_CARRY]

    result = cli_run("lineage", "D-1", "--store", str(WANDB), "--predictions", str(log), "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["run"]["id"] == version.run_id
    assert [g for g in doc["gaps"] if "cannot carry" in g] == expected

    out = tmp_path / "all.jsonl"
    result = cli_run("lineage", "--all", "--store", str(WANDB), "--predictions", str(log), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert [g for g in row["gaps"] if "cannot carry" in g] == expected


def test_mlflow_stores_list_nothing_they_cannot_carry(sqlite_scenario, cli_run, tmp_path):
    uri, _ = sqlite_scenario
    with auditkit.open_store(uri) as store:
        assert store.cannot_carry == ()
    result = cli_run("lineage", "D-1", "--store", uri, "--predictions", str(_log(tmp_path, "credit-risk", "1")),
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert not [g for g in json.loads(result.stdout)["gaps"] if "cannot carry" in g]


def test_docs_list_what_each_backend_cannot_carry():
    """docs/trackers.md lists each connector's facts, word for word and in order."""
    from auditkit.connectors.comet import COMET_CANNOT_CARRY
    from auditkit.connectors.neptune import NEPTUNE_SCALE_CANNOT_CARRY, NEPTUNE_V1_CANNOT_CARRY

    text = (FIXTURES.parent.parent / "docs" / "trackers.md").read_text(encoding="utf-8")
    for label, facts in (("wandb", WANDB_CANNOT_CARRY), ("comet", COMET_CANNOT_CARRY),
                         ("neptune 1.x offline", NEPTUNE_V1_CANNOT_CARRY),
                         ("neptune-scale offline", NEPTUNE_SCALE_CANNOT_CARRY)):
        assert f"- **{label}**: " + "; ".join(facts) + "\n" in text, label

"""Registry noise kept out of the history: no event for a version registered without a stage,
MLflow's ``Deleted_Internal`` shown as deleted (never as a stage), and a version's own history
holding only its own events."""

from __future__ import annotations

from conftest import ROOT

import auditkit
from auditkit.ledger import alias_history, snapshot
from auditkit.reports.extras import ledger_history

SAMPLE = ROOT / "sample_data"
LEGACY = ROOT / "tests" / "fixtures" / "legacy"


def test_no_stage_event_for_a_registration(cli_run):
    changes = alias_history(SAMPLE / "registry-ledger.jsonl", name="credit-risk")
    registered = [c for c in changes if c.kind == "version" and c.change.endswith("registered")]
    assert registered  # the sample registers four versions
    assert not [c for c in changes if c.kind == "stage" and c.old is None and c.new in (None, "None")]
    out = cli_run("history", "--ledger", SAMPLE / "registry-ledger.jsonl", "--name", "credit-risk").stdout
    assert "stage set to 'None'" not in out and "(no stage)" not in out


def test_deleted_internal_is_deleted_not_a_stage(tmp_path, cli_run):
    for store_path in (LEGACY / "mlflow-2.9.2" / "mlruns", LEGACY / "mlflow-3.1.4" / "mlflow.db"):
        with auditkit.open_store(str(store_path)) as store:
            versions = store.model_versions("credit-risk")
            gone = [v for v in versions if v.deleted]
            assert gone and all(v.stage is None for v in gone), store_path
            ledger = tmp_path / f"{store_path.parent.name}.jsonl"
            snapshot(store, ledger)
        for command in (["models", "--store", store_path], ["history", "--ledger", ledger, "--kind", "stage"],
                        ["history", "--ledger", ledger]):
            out = cli_run(*command)
            assert out.exit_code == 0, out.stderr
            assert "Deleted_Internal" not in out.stdout, (command, out.stdout)
        inventory = tmp_path / "inventory.html"
        assert cli_run("report", "inventory", "--store", store_path, "-o", inventory).exit_code == 0
        assert "Deleted_Internal" not in inventory.read_text(encoding="utf-8")


def test_a_versions_history_is_its_own():
    events, _ = ledger_history(SAMPLE / "registry-ledger.jsonl", "credit-risk", "3")
    everything, _ = ledger_history(SAMPLE / "registry-ledger.jsonl", "credit-risk")
    assert 0 < len(events) < len(everything)
    # the sample's story (sample_data/README.md): registered, challenger, then champion
    assert [e.what for e in events] == ["version 3 registered", "alias challenger set to 3",
                                        "alias challenger 3 -> (none)", "alias champion 2 -> 3"]

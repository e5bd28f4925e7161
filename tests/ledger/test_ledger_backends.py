"""The registry ledger works on every backend's records, not only MLflow SQL stores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import auditkit
from auditkit.ledger import alias_history, resolve_alias_at, snapshot, verify_ledger
from conftest import FIXTURES, tree_sha256

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def _snapshot_twice(store_path, ledger):
    before = tree_sha256(store_path)
    with auditkit.open_store(str(store_path)) as store:
        first = snapshot(store, ledger, now=T0)
        second = snapshot(store, ledger, now=T0 + timedelta(days=1))
        registered = {(m.name, alias): version for m in store.registered_models()
                      for alias, version in m.aliases.items()}
    assert tree_sha256(store_path) == before  # the store folder is untouched
    assert first["seq"] == 1 and second["seq"] == 2 and second["changes"] == []  # unchanged registry
    assert verify_ledger(ledger).ok
    return registered


def test_ledger_on_an_mlruns_folder(mlruns_scenario, tmp_path):
    root, oracle = mlruns_scenario
    ledger = tmp_path / "ledger.jsonl"
    registered = _snapshot_twice(root, ledger)
    assert registered[("credit-risk", "champion")] == "1"
    at = resolve_alias_at(ledger, name="credit-risk", alias="champion", at=T0 + timedelta(hours=12))
    assert at.version == "1" and at.before_seq == 1 and at.after_seq == 2
    moves = [c.text for c in alias_history(ledger, name="credit-risk")]
    assert any("champion" in text for text in moves)


def test_ledger_on_a_wandb_folder(tmp_path):
    folder = FIXTURES / "wandb" / "current" / "wandb"
    ledger = tmp_path / "ledger.jsonl"
    registered = _snapshot_twice(folder, ledger)
    assert registered, "the W&B fixture has model artifacts with aliases"
    (name, alias), version = sorted(registered.items())[0]
    at = resolve_alias_at(ledger, name=name, alias=alias, at=T0 + timedelta(hours=12))
    assert at.version == version

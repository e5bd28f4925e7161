"""The registry ledger: snapshots of a real MLflow registry, tamper detection, concurrent appends,
and aliases resolved at a past time across real alias moves."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from auditkit import errors
from auditkit.ledger import (
    alias_history,
    load_ledger,
    read_ledger,
    resolve_alias_at,
    snapshot,
    state_at,
    verify_ledger,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def canonical_sha(entry: dict) -> str:
    """The documented hash: SHA-256 of the entry's JSON without `sha256`, keys sorted, no spaces."""
    body = {k: v for k, v in entry.items() if k != "sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory):
    """An empty sqlite store with MLflow's tables (created once: migrations take seconds)."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("empty-store") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}", registry_uri=f"sqlite:///{path}").search_registered_models()
    return path


@pytest.fixture
def registry(tmp_path, empty_store):
    """A fresh sqlite registry written by MLflow: model credit-risk v1..v3, champion -> 1."""
    import shutil

    from mlflow.tracking import MlflowClient

    shutil.copyfile(empty_store, tmp_path / "registry.db")
    uri = f"sqlite:///{tmp_path / 'registry.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("credit-risk", tags={"owner": "risk-team"})
    for i in (1, 2, 3):
        client.create_model_version("credit-risk", source=f"s3://models/credit-risk/{i}")
    client.set_registered_model_alias("credit-risk", "champion", "1")
    client.transition_model_version_stage("credit-risk", "1", "Production")
    return uri, client


# -- what a snapshot records ----------------------------------------------------------------------
@pytest.mark.parametrize("scenario", ["sqlite_scenario", "pg_scenario"])
def test_first_snapshot_records_the_registry_as_mlflow_reads_it(scenario, request, tmp_path):
    uri, oracle = request.getfixturevalue(scenario)
    ledger = tmp_path / "ledger.jsonl"
    entry = snapshot(uri, ledger, now=at(0))

    assert entry["seq"] == 1 and entry["prev_sha256"] == "0" * 64
    assert entry["sha256"] == canonical_sha(entry)
    assert entry["taken_at"].startswith("2026-03-01T09:00:00")
    written = json.loads(ledger.read_text(encoding="utf-8"))
    assert written == entry
    state = state_at(ledger, 1)
    for rm in oracle["registered_models"]:
        assert state[(rm["name"], "registered")] is True
        recorded = {k[2]: v for k, v in state.items() if k[0] == rm["name"] and k[1] == "alias"}
        assert recorded == {a: str(v) for a, v in rm["aliases"].items()}
        assert {k[2]: v for k, v in state.items() if k[:2] == (rm["name"], "tag")} == rm["tags"]
    for mv in oracle["model_versions"]:
        base = (mv["name"], "version", mv["version"])
        assert state[base + ("stage",)] == mv["stage"]
        assert state[base + ("run_id",)] == mv["run_id"]
        assert state[base + ("source",)] == mv["source"]
        assert state[base + ("deleted",)] is False
        tags = {k[4]: v for k, v in state.items() if k[:4] == base + ("tag",)}
        assert tags == mv["tags"]
    for v in oracle["written"]["deleted_versions"]:
        assert state[("credit-risk", "version", v, "deleted")] is True


def test_unchanged_registry_appends_an_entry_with_no_changes(sqlite_scenario, tmp_path):
    uri, _ = sqlite_scenario
    ledger = tmp_path / "ledger.jsonl"
    first = snapshot(uri, ledger, now=at(0))
    second = snapshot(uri, ledger, now=at(1))
    assert second["changes"] == []
    assert second["seq"] == 2 and second["prev_sha256"] == first["sha256"]
    assert second["state_sha256"] == first["state_sha256"]
    assert second["sha256"] == canonical_sha(second)
    assert [e["seq"] for e in read_ledger(ledger)] == [1, 2]


def test_store_password_is_not_written(pg_scenario, tmp_path):
    uri, _ = pg_scenario  # the test server trusts local users, so any password is accepted
    with_password = uri.replace("://postgres@", "://postgres:s3cret@")
    assert with_password != uri
    ledger = tmp_path / "l.jsonl"
    entry = snapshot(with_password, ledger, now=at(0))
    assert entry["store"] == uri.replace("://postgres@", "://postgres:***@")
    assert entry["backend"] == "mlflow-sql" and entry["changes"]
    assert "s3cret" not in ledger.read_text(encoding="utf-8")


def test_refuses_another_store_and_a_clock_running_backwards(registry, sqlite_scenario, tmp_path):
    uri, _ = registry
    ledger = tmp_path / "ledger.jsonl"
    snapshot(uri, ledger, now=at(2))
    with pytest.raises(errors.LedgerError, match="earlier than the last entry"):
        snapshot(uri, ledger, now=at(1))
    with pytest.raises(errors.LedgerError, match="refusing to append a snapshot of"):
        snapshot(sqlite_scenario[0], ledger, now=at(3))
    assert len(lines_of(ledger)) == 1


# -- alias at a past time, across two real alias moves ---------------------------------------------
def test_alias_resolved_at_past_times_across_two_moves(registry, tmp_path):
    uri, client = registry
    ledger = tmp_path / "ledger.jsonl"
    snapshot(uri, ledger, now=at(0))                        # #1 champion -> 1
    snapshot(uri, ledger, now=at(2))                        # #2 unchanged
    client.set_registered_model_alias("credit-risk", "champion", "2")
    client.transition_model_version_stage("credit-risk", "2", "Production", archive_existing_versions=True)
    snapshot(uri, ledger, now=at(4))                        # #3 champion -> 2
    client.set_registered_model_alias("credit-risk", "champion", "3")
    client.set_registered_model_alias("credit-risk", "challenger", "2")
    snapshot(uri, ledger, now=at(6))                        # #4 champion -> 3, challenger set

    def res(hours, alias="champion", name="credit-risk"):
        return resolve_alias_at(ledger, name=name, alias=alias, at=at(hours))

    r = res(1)
    assert (r.version, r.before_seq, r.after_seq, r.gaps) == ("1", 1, 2, [])
    assert r.before.startswith("2026-03-01T09:00") and r.after.startswith("2026-03-01T11:00")
    assert "version 1 at both snapshot #1" in r.evidence

    r = res(3)  # the first move happened between #2 and #3
    assert r.version is None and r.candidates == ["1", "2"] and (r.before_seq, r.after_seq) == (2, 3)
    assert r.gaps == [
        "alias champion of credit-risk moved between snapshot #2 (2026-03-01T11:00:00.000000Z) and "
        "#3 (2026-03-01T13:00:00.000000Z): it pointed to version 1 or version 2 at "
        "2026-03-01T12:00:00.000000Z; not resolved"
    ]
    assert res(4).version == "2"  # exactly at snapshot #3
    r = res(5)
    assert r.version is None and r.candidates == ["2", "3"] and (r.before_seq, r.after_seq) == (3, 4)

    r = res(5, alias="challenger")
    assert r.version is None and r.candidates == ["2"] and "challenger of credit-risk was set between" in r.gaps[0]
    assert res(1, alias="challenger").version is None

    r = res(-1)
    assert r.version is None and r.before is None and r.after_seq == 1
    assert r.gaps[0].startswith("no snapshot precedes 2026-03-01T08:00:00.000000Z")

    r = res(7)  # after the last snapshot: a later move would not be on record
    assert r.version is None and r.candidates == ["3"] and r.gaps[0].startswith("no snapshot follows")
    snapshot(uri, ledger, now=at(8))                        # #5 unchanged closes the window
    r = res(7)
    assert (r.version, r.before_seq, r.after_seq) == ("3", 4, 5)

    r = resolve_alias_at(ledger, name="credit-risk", alias="champion", at=None)
    assert r.version is None and r.gaps == [
        "alias champion of credit-risk cannot be resolved through the ledger: the decision has no time"]
    r = res(1, name="no-such-model")
    assert r.version is None and "registered model no-such-model is in no snapshot" in r.gaps[0]

    timeline = load_ledger(ledger).alias_timeline("credit-risk", "champion")
    assert [(seq, v) for _, seq, v in timeline] == [(1, "1"), (2, "1"), (3, "2"), (4, "3"), (5, "3")]
    assert timeline[0][0] == at(0)

    moves = [(c.subject, c.old, c.new, c.from_seq, c.to_seq)
             for c in alias_history(ledger, name="credit-risk", kinds=["alias", "stage"])]
    assert ("alias champion", "1", "2", 2, 3) in moves
    assert ("alias champion", "2", "3", 3, 4) in moves
    assert ("alias challenger", None, "2", 3, 4) in moves
    assert ("version 1 stage", "Production", "Archived", 2, 3) in moves
    assert ("version 2 stage", "None", "Production", 2, 3) in moves


def test_history_cli_table_and_json(registry, tmp_path, cli_run):
    uri, client = registry
    ledger = tmp_path / "ledger.jsonl"
    assert cli_run("snapshot", "--store", uri, "--ledger", ledger, "--as-of", "2026-03-01T09:00:00Z").exit_code == 0
    client.set_registered_model_alias("credit-risk", "champion", "3")
    result = cli_run("snapshot", "--store", uri, "--ledger", ledger, "--as-of", "2026-03-01T10:00:00Z")
    assert result.exit_code == 0 and "snapshot #2" in result.stdout and "1 change " in result.stdout

    table = cli_run("history", "--ledger", ledger, "--name", "credit-risk")
    assert table.exit_code == 0
    row = next(line for line in table.stdout.splitlines() if "alias champion 1 -> 3" in line)
    assert "#1 (2026-03-01T09:00:00.000000Z) .. #2 (2026-03-01T10:00:00.000000Z)" in row

    doc = json.loads(cli_run("history", "--ledger", ledger, "--format", "json").stdout)
    assert doc["schema_version"] == "1"
    move = [c for c in doc["changes"] if c["subject"] == "alias champion" and c["from_seq"] == 1]
    assert move == [{**move[0], "old": "1", "new": "3", "to_seq": 2, "model": "credit-risk", "kind": "alias"}]


# -- tamper detection -----------------------------------------------------------------------------
def _ledger_of_four(registry, tmp_path) -> Path:
    uri, client = registry
    ledger = tmp_path / "ledger.jsonl"
    snapshot(uri, ledger, now=at(0))
    client.set_registered_model_alias("credit-risk", "champion", "2")
    snapshot(uri, ledger, now=at(1))
    snapshot(uri, ledger, now=at(2))
    client.set_model_version_tag("credit-risk", "2", "approved_by", "d.fischer")
    snapshot(uri, ledger, now=at(3))
    return ledger


def _rehash(entry: dict) -> str:
    entry["sha256"] = canonical_sha(entry)
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def _edit(lines):
    e = json.loads(lines[1])
    e["changes"][0]["new"] = "3"  # champion pointed to 3, says the forger
    lines[1] = json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n"
    return lines, 2, 2, "does not match its sha256"


def _edit_and_rehash(lines):
    e = json.loads(lines[1])
    e["taken_at"] = "2026-03-01T09:30:00.000000Z"
    lines[1] = _rehash(e)
    return lines, 3, 3, "prev_sha256 does not match"


def _delete(lines):
    del lines[1]
    return lines, 2, 3, "seq 3 where 2 was expected"


def _reorder(lines):
    lines[1], lines[2] = lines[2], lines[1]
    return lines, 2, 3, "seq 3 where 2 was expected"


def _insert(lines):
    forged = json.loads(lines[1])
    forged.update(seq=3, prev_sha256=forged["sha256"], changes=[], taken_at="2026-03-01T10:30:00.000000Z")
    lines.insert(2, _rehash(forged))
    return lines, 4, 3, "seq 3 where 4 was expected"


def _torn_write(lines):
    lines[-1] = lines[-1][:-12]  # the write stopped inside taken_at, the last key
    return lines, 4, 4, "no newline at its end"


@pytest.mark.parametrize("tamper", [_edit, _edit_and_rehash, _delete, _reorder, _insert, _torn_write],
                         ids=["edited", "edited-rehashed", "deleted", "reordered", "inserted", "torn-write"])
def test_each_kind_of_tampering_is_detected(tamper, registry, tmp_path, cli_run):
    ledger = _ledger_of_four(registry, tmp_path)
    assert verify_ledger(ledger).ok
    lines, bad_line, bad_seq, problem = tamper(lines_of(ledger))
    ledger.write_text("".join(lines), encoding="utf-8")

    result = verify_ledger(ledger)
    assert not result.ok and (result.line, result.seq) == (bad_line, bad_seq) and problem in result.problem
    cli = cli_run("verify", "--ledger", ledger)
    assert cli.exit_code == 1
    shown = "?" if bad_seq is None else bad_seq
    assert cli.stderr.startswith(f"error: ledger {str(ledger)!r} line {bad_line} (seq {shown}): ")
    assert problem in cli.stderr and "Traceback" not in cli.stderr
    before = ledger.read_bytes()  # nothing is appended to, or answered from, a broken chain
    with pytest.raises(errors.LedgerTamperedError):
        snapshot(registry[0], ledger, now=at(9))
    with pytest.raises(errors.LedgerTamperedError):
        resolve_alias_at(ledger, name="credit-risk", alias="champion", at=at(0.5))
    assert ledger.read_bytes() == before


def test_verify_ok_and_anchor_catches_a_rewritten_or_cut_ledger(registry, tmp_path, cli_run):
    ledger = _ledger_of_four(registry, tmp_path)
    ok = cli_run("verify", "--ledger", ledger)
    assert ok.exit_code == 0 and ok.stdout.splitlines()[0] == "ok: 4 entries, chain intact"
    head = read_ledger(ledger)[-1]["sha256"]
    assert head in ok.stdout
    assert cli_run("verify", "--ledger", ledger, "--anchor", head).exit_code == 0

    lines = lines_of(ledger)  # drop the newest entry: the chain is still valid on its own ...
    ledger.write_text("".join(lines[:-1]), encoding="utf-8")
    assert cli_run("verify", "--ledger", ledger).exit_code == 0
    cut = cli_run("verify", "--ledger", ledger, "--anchor", head)  # ... but the anchor is gone
    assert cut.exit_code == 1 and f"holds no entry with sha256 {head}" in cut.stderr
    bad = cli_run("verify", "--ledger", ledger, "--anchor", "xyz")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --anchor 'xyz' is not a SHA-256")
    kind = cli_run("history", "--ledger", ledger, "--kind", "alias,colour")
    assert kind.exit_code == 2 and kind.stderr.startswith("error: change kind 'colour' is not known; choose from: alias")
    missing = cli_run("verify", "--ledger", tmp_path / "nope.jsonl")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


# -- concurrent appends ---------------------------------------------------------------------------
WORKER = """
import sys
from auditkit.ledger import snapshot
for _ in range(int(sys.argv[3])):
    snapshot(sys.argv[1], sys.argv[2])
"""


def test_two_concurrent_snapshot_processes_leave_a_valid_chain(registry, tmp_path):
    uri, _ = registry
    ledger = tmp_path / "ledger.jsonl"
    n = 40
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, uri, str(ledger), str(n)], env=env,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    result = verify_ledger(ledger)
    assert result.ok, result.message
    entries = read_ledger(ledger)
    assert [e["seq"] for e in entries] == list(range(1, 2 * n + 1))
    assert sum(1 for e in entries if e["changes"]) == 1  # only the first one holds the state
    assert len(lines_of(ledger)) == 2 * n
    assert load_ledger(ledger).state_at(2 * n) == state_at(ledger, 1)

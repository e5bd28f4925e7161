"""One ledger, one lock, whatever name it is reached by; outputs never overwrite an input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from conftest import ROOT, file_sha256

SAMPLE = ROOT / "sample_data"


def _auditkit(*args: object, cwd=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "auditkit", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_twenty_snapshots_in_parallel_half_through_a_symlink_make_one_chain(tmp_path, cli_run):
    store = tmp_path / "mlflow.db"
    shutil.copy(SAMPLE / "mlflow.db", store)
    ledger = tmp_path / "L.jsonl"
    (tmp_path / "A.jsonl").symlink_to("L.jsonl")  # relative link, as a user makes one
    procs = [_auditkit("snapshot", "--store", store, "--ledger", "A.jsonl" if i % 2 else ledger, cwd=tmp_path)
             for i in range(20)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * 20, [err for _, _, err in results]
    seqs = [json.loads(line)["seq"] for line in ledger.read_text(encoding="utf-8").splitlines()]
    assert seqs == list(range(1, 21))
    assert (tmp_path / "A.jsonl").is_symlink()  # the link still points to the one ledger
    assert not (tmp_path / "A.jsonl.lock").exists()  # the link got no lock of its own
    for name in (ledger, tmp_path / "A.jsonl"):
        result = cli_run("verify", "--ledger", name)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("ok: 20 entries, chain intact")


def test_outputs_that_resolve_to_an_input_are_refused(tmp_path, cli_run):
    store = tmp_path / "mlflow.db"
    shutil.copy(SAMPLE / "mlflow.db", store)
    ledger = tmp_path / "L.jsonl"
    shutil.copy(SAMPLE / "registry-ledger.jsonl", ledger)
    log = tmp_path / "predictions.csv"
    shutil.copy(SAMPLE / "predictions.csv", log)
    (tmp_path / "link.jsonl").symlink_to(ledger)
    before = {p: file_sha256(p) for p in (store, ledger, log)}
    common = ["lineage", "--all", "--store", store, "--predictions", log, "--ledger", ledger]
    cases = [
        (ledger, f"error: output {str(ledger)!r} is the ledger {str(ledger)!r} (an input of this command); "
                 "choose another file\n"),
        (tmp_path / "link.jsonl", f"error: output {str(tmp_path / 'link.jsonl')!r} is the ledger {str(ledger)!r} "
                                  "(an input of this command); choose another file\n"),
        (log, f"error: output {str(log)!r} is the prediction log {str(log)!r} (an input of this command); "
              "choose another file\n"),
    ]
    for output, message in cases:
        result = cli_run(*common, "-o", output)
        assert (result.exit_code, result.stderr) == (2, message)
    # the store itself, given as the ledger of a snapshot
    result = cli_run("snapshot", "--store", store, "--ledger", store)
    assert result.exit_code == 2
    assert result.stderr == (f"error: ledger {str(store)!r} is the store itself; expected a separate JSON-lines "
                             "file for the ledger\n")
    assert {p: file_sha256(p) for p in (store, ledger, log)} == before
    assert sorted(os.listdir(tmp_path)) == ["L.jsonl", "link.jsonl", "mlflow.db", "predictions.csv"]

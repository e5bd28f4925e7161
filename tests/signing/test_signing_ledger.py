"""Signed ledger heads: snapshot --sign-key, verify --trust; a chain rewritten with recomputed
hashes passes the hash check and fails the signature check."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from auditkit.cli import cli
from signing_fixtures import pki  # noqa: F401  (pytest fixtures)

STORE = Path(__file__).resolve().parents[2] / "sample_data" / "mlflow.db"


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _rehash(entries: list[dict]) -> bytes:
    """The ledger with every sha256 and prev_sha256 recomputed, as a rewriter without the key would."""
    prev = "0" * 64
    lines = []
    for e in entries:
        e["prev_sha256"] = prev
        e["sha256"] = hashlib.sha256(_canonical({k: v for k, v in e.items() if k != "sha256"})).hexdigest()
        prev = e["sha256"]
        lines.append(_canonical(e) + b"\n")
    return b"".join(lines)


def _ledger(tmp_path, pki, signed=(True, True, True)):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "ledger.jsonl"
    for n, sign in enumerate(signed):
        args = ["snapshot", "--store", STORE, "--ledger", path, "--as-of", f"2026-11-2{n + 1}T10:00:00Z"]
        res = _run(*(args + (["--sign-key", pki.ledger_key] if sign else [])))
        assert res.exit_code == 0, res.output
        assert ("signed by key sha256" in res.output) == sign
    return path


def test_signed_snapshots_verify_with_the_trusted_key(pki, tmp_path):
    path = _ledger(tmp_path, pki)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    from auditkit.signing import key_fingerprint, load_public_keys

    fingerprint = next(iter(load_public_keys([pki.ledger_pub])))
    assert all(e["signature"]["key_sha256"] == fingerprint for e in entries)
    assert key_fingerprint(next(iter(load_public_keys([pki.ledger_pub]).values()))) == fingerprint
    res = _run("verify", "--ledger", path, "--trust", pki.ledger_pub)
    assert res.exit_code == 0, res.output
    assert f"3 of 3 entries signed by a trusted key; head signed by key sha256 {fingerprint}" in res.output
    # an untrusted key's signatures are not accepted
    res = _run("verify", "--ledger", path, "--trust", pki.other_ledger_pub)
    assert res.exit_code == 1 and "which is not among the trusted keys" in res.output


def test_rewritten_chain_passes_hashes_but_fails_signatures(pki, tmp_path):
    path = _ledger(tmp_path, pki)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    # rewrite history: the first snapshot claims another time; every hash recomputed
    entries[0]["taken_at"] = "2026-11-20T09:00:00.000000Z"
    forged = tmp_path / "forged.jsonl"
    forged.write_bytes(_rehash(entries))
    res = _run("verify", "--ledger", forged)
    assert res.exit_code == 0 and "chain intact" in res.output  # the hash chain alone cannot tell
    res = _run("verify", "--ledger", forged, "--trust", pki.ledger_pub)
    assert res.exit_code == 1
    assert "entry #1: its signature does not match its content" in res.output
    assert "entry #2: its signature does not match its content" in res.output  # it names #1's old hash
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    # the rewriter strips the signatures instead: nothing vouches for the ledger
    for e in entries:
        e.pop("signature")
    forged.write_bytes(_rehash(entries))
    assert _run("verify", "--ledger", forged).exit_code == 0
    res = _run("verify", "--ledger", forged, "--trust", pki.ledger_pub)
    assert res.exit_code == 1 and "no entry is signed by a trusted key" in res.output


def test_unsigned_stretches_are_reported(pki, tmp_path):
    path = _ledger(tmp_path, pki, signed=(True, False, True))
    res = _run("verify", "--ledger", path, "--trust", pki.ledger_pub)
    assert res.exit_code == 0, res.output  # #2 is vouched for by #3, which names its hash
    assert "2 of 3 entries signed" in res.output and "unsigned: #2" in res.output
    # an unsigned newest entry is vouched for by no one
    res = _run("snapshot", "--store", STORE, "--ledger", path, "--as-of", "2026-11-25T10:00:00Z")
    assert res.exit_code == 0
    res = _run("verify", "--ledger", path, "--trust", pki.ledger_pub)
    assert res.exit_code == 1 and "entry #4 comes after the last signed entry" in res.output


def test_a_broken_chain_is_reported_before_signatures(pki, tmp_path):
    path = _ledger(tmp_path, pki, signed=(True, True))
    lines = path.read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([lines[1], lines[0]]) + "\n")
    res = _run("verify", "--ledger", broken, "--trust", pki.ledger_pub)
    assert res.exit_code == 1 and "signatures:" not in res.output


def test_bad_keys_are_usage_errors(pki, tmp_path):
    path = tmp_path / "ledger.jsonl"
    res = _run("snapshot", "--store", STORE, "--ledger", path, "--sign-key", pki.alice.key)  # an RSA key
    assert res.exit_code == 2 and "expected an Ed25519 key" in res.stderr and res.stderr.count("\n") == 1
    assert not path.exists()
    shutil.copy(pki.alice.cert, tmp_path / "cert.pub")
    _ledger(tmp_path, pki, signed=(True,))
    res = _run("verify", "--ledger", path, "--trust", tmp_path / "cert.pub")
    assert res.exit_code == 2 and "is not an Ed25519 public key" in res.stderr


def test_reports_that_used_a_ledger_print_its_head_and_signer(pki, tmp_path):
    from auditkit.connectors import open_store
    from auditkit.reports.extras import model_extras

    path = _ledger(tmp_path, pki, signed=(True, True))
    head = json.loads(path.read_text().splitlines()[-1])
    with open_store(str(STORE)) as store:
        extras = model_extras(store, "credit-risk", version=None, alias="champion", ledger=str(path))
    assert f"Ledger head: snapshot #2 at {head['taken_at']}, sha256 {head['sha256']}" in extras["history_source"]
    assert f"signed with the Ed25519 key whose SHA-256 is {head['signature']['key_sha256']}" in extras["history_source"]
    unsigned = _ledger(tmp_path / "u", pki, signed=(False,))
    with open_store(str(STORE)) as store:
        extras = model_extras(store, "credit-risk", version=None, alias="champion", ledger=str(unsigned))
    assert "Ledger head: snapshot #1" in extras["history_source"] and "not signed" in extras["history_source"]

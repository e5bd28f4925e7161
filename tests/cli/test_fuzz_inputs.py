"""Fuzz: randomly corrupted copies of a ledger, a policy file and a prediction log, fed to the
commands that read them (verify, history, check --policy, lineage, fairness). Every run ends with
exit 0, 1 or 2, no traceback, no "failed unexpectedly" (the CLI's last resort: an exception
auditkit did not foresee), and the input's bytes unchanged. Fixed seed, bounded count."""

from __future__ import annotations

import random

import pytest

from conftest import ROOT

SAMPLE = ROOT / "sample_data"
STORE = SAMPLE / "mlflow.db"
SEED = 20261130
CASES = 40  # per input kind


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random corruptions: flipped/inserted/deleted bytes, a cut, a repeated or
    dropped line, a hostile token (NaN, deep nesting, a YAML alias or tag, invalid UTF-8)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(8)
        at = rng.randrange(len(out) + 1)
        if kind == 0 and out:  # flip bits of a few bytes
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(out))
                out[i] ^= 1 << rng.randrange(8)
        elif kind == 1:  # random bytes
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == 2:  # delete a run
            del out[at:at + rng.randint(1, 64)]
        elif kind == 3:  # cut short
            del out[at:]
        elif kind == 4:  # repeat or drop a line
            lines = bytes(out).split(b"\n")
            i = rng.randrange(len(lines))
            if rng.random() < 0.5:
                lines.insert(i, lines[i])
            else:
                del lines[i]
            out = bytearray(b"\n".join(lines))
        else:  # a hostile token
            token = rng.choice([b"NaN", b"-Infinity", b"[" * 3000, b"{" * 3000, b"*a", b"&a ", b"!!python/object:os.system ",
                                b"\xff\xfe", b"\x00", b"\r", b'"', b",", b"1e999", b"9" * 400, b"=cmd|' /C calc'!A0"])
            out[at:at] = token
    return bytes(out)


def _check(result, path, data: bytes) -> None:
    text = result.stdout + result.stderr
    assert result.exit_code in (0, 1, 2), text[-2000:]
    assert "Traceback" not in text
    assert "failed unexpectedly" not in result.stderr, result.stderr
    assert path.read_bytes() == data  # the input is never written


def _cases(kind: str) -> list[bytes]:
    source = {"ledger": SAMPLE / "registry-ledger.jsonl", "policy": SAMPLE / "policy.yaml",
              "log": SAMPLE / "predictions.csv"}[kind]
    data = source.read_bytes()
    if kind == "log":  # the first 300 decisions keep each run short
        data = b"\n".join(data.split(b"\n")[:301]) + b"\n"
    rng = random.Random(f"{SEED}-{kind}")
    return [mutate(data, rng) for _ in range(CASES)]


@pytest.mark.parametrize("kind", ["ledger", "policy", "log"])
def test_corrupted_inputs_never_crash_the_reading_commands(tmp_path, cli_run, kind):
    for n, data in enumerate(_cases(kind)):
        suffix = {"ledger": ".jsonl", "policy": ".yaml", "log": ".csv"}[kind]
        path = tmp_path / f"case{n}{suffix}"
        path.write_bytes(data)
        if kind == "ledger":
            commands = [["verify", "--ledger", path], ["history", "--ledger", path, "--kind", "all"],
                        ["lineage", "APP-004711", "--store", STORE, "--predictions", SAMPLE / "predictions.csv",
                         "--ledger", path]]
        elif kind == "policy":
            commands = [["check", "--store", STORE, "--policy", path, "--as-of", "2026-11-26T00:00:00Z"]]
        else:
            first = data.split(b"\n")[1].split(b",")[0].decode("utf-8", "replace") or "APP-003309"
            commands = [["lineage", first, "--store", STORE, "--predictions", path],
                        ["lineage", "--all", "--store", STORE, "--predictions", path, "-o", tmp_path / f"out{n}.jsonl"],
                        ["fairness", "--predictions", path, "--sensitive", "sex", "--positive", "approve",
                         "--label-positive", "good"]]
        for args in commands:
            _check(cli_run(*args), path, data)

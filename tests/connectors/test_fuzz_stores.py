"""Randomly damaged stores (issue 18, "Done when": the fuzz test) fed to every reading command.

A fixed seed makes 40 damaged copies of real stores (tests/fixtures: the MLflow 2.9.2 and 3.1.4
sqlite stores, the MLflow 2.9.2 mlruns folder, the wandb 0.17.9 run folders); `inspect`, `runs` (CSV and JSON) and
`models` read each one. Every run must end with exit 0, 1 or 2, nothing may escape the CLI as a
traceback, no command may hang (tests/connectors/fuzz_driver.py puts an alarm on each) and no
store may change. One interpreter runs all cases of a kind, with a subprocess timeout.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from hostile_support import MLRUNS, SMALL_DB, SMALL_DB_3, WANDB_LEGACY, frame_log, tree_digest

SEED = 20261130
CASES = {"sqlite": 16, "mlruns": 12, "wandb": 12}
DRIVER = Path(__file__).with_name("fuzz_driver.py")

#: Texts a damaged or hostile file might hold instead of what MLflow wrote.
NASTY = [
    b"", b"\x00\xff\xfe", b"start_time: 1e300\n", b"- a\n- b\n", b"{", b"name: &a [*a, *a]\n",
    b"experiment_id: [[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]\n", b"9" * 400 + b" nan 1\n",
    b"1760000000000 inf 99999999999999999999999\n", b"run_id: !!python/object:os.system ls\n",
    b"description: 2020-01-01\n", b"\xef\xbb\xbfname: bom\n", b"status: FAILED\nlifecycle_stage: [x]\n",
    b"creation_time: 2020-13-45\n", b"run_id: !!int xyz\n", b"name: !!set {a, b}\n",
]


def flip(rng: random.Random, data: bytes, start: int = 0, ops: int = 4) -> bytes:
    """Overwrite, flip or delete a few random byte ranges at or after ``start``."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, ops)):
        if len(buf) <= start:
            break
        at = rng.randrange(start, len(buf))
        action = rng.random()
        if action < 0.5:
            span = rng.randint(1, 32)
            buf[at:at + span] = bytes(rng.randrange(256) for _ in range(min(span, len(buf) - at)))
        elif action < 0.8:
            buf[at] ^= 1 << rng.randrange(8)
        else:
            del buf[at:at + rng.randint(1, 64)]
    return bytes(buf)


def damage_sqlite(rng: random.Random, folder: Path) -> Path:
    path = folder / "mlflow.db"
    data = rng.choice([SMALL_DB, SMALL_DB_3]).read_bytes()
    roll = rng.random()
    if roll < 0.1:
        data = data[:rng.randrange(len(data))]  # cut short
    elif roll < 0.2:
        data = flip(rng, data, 0, ops=2)  # the header too
    else:
        data = flip(rng, data, 100, ops=12)  # b-tree pages: records, cells, types
    path.write_bytes(data)
    return path


def damage_mlruns(rng: random.Random, folder: Path) -> Path:
    root = folder / "mlruns"
    shutil.copytree(MLRUNS, root, symlinks=True)
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    for path in rng.sample(files, rng.randint(1, 6)):
        roll = rng.random()
        if roll < 0.35:
            path.write_bytes(flip(rng, path.read_bytes()))
        elif roll < 0.6:
            data = path.read_bytes()
            path.write_bytes(data[:rng.randrange(len(data) + 1)] + rng.choice(NASTY))
        elif roll < 0.8:
            path.write_bytes(rng.choice(NASTY))
        elif roll < 0.9:
            path.unlink()
            path.symlink_to(rng.choice(["/etc/passwd", "/dev/zero", "..", str(root)]))
        else:
            path.unlink()
            os.mkfifo(path)
    return root


def damage_wandb(rng: random.Random, folder: Path) -> Path:
    from auditkit.connectors.wandb_log import scan_log

    root = folder / "wandb"
    shutil.copytree(WANDB_LEGACY, root, symlinks=True)
    logs = sorted(root.glob("offline-run-*/*.wandb"))
    for log in rng.sample(logs, rng.randint(1, 2)):
        roll = rng.random()
        if roll < 0.3:
            log.write_bytes(flip(rng, log.read_bytes(), 7, ops=3))  # stops at a checksum
        elif roll < 0.85:
            # Damage inside records and frame them again with valid checksums, so the damage
            # reaches the protobuf parser and the code that folds records into runs.
            payloads = [p for _, p in scan_log(log).payloads]
            for index in rng.sample(range(len(payloads)), min(len(payloads), rng.randint(1, 3))):
                payloads[index] = flip(rng, payloads[index], 0, ops=3)
            log.write_bytes(frame_log(payloads))
        else:
            data = log.read_bytes()
            log.write_bytes(data[:rng.randrange(len(data))])
        meta = log.parent / "files" / "wandb-metadata.json"
        if meta.exists() and rng.random() < 0.4:
            meta.write_bytes(rng.choice([flip(rng, meta.read_bytes()), b"[" * 100_000, b"\xff", b"[]", b"{\"git\": 5}"]))
    return root


DAMAGE = {"sqlite": damage_sqlite, "mlruns": damage_mlruns, "wandb": damage_wandb}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_damaged_stores_end_cleanly_and_stay_unchanged(kind, tmp_path):
    rng = random.Random(f"{SEED}-{kind}")
    stores: list[Path] = []
    before: dict[Path, str] = {}
    for index in range(CASES[kind]):
        folder = tmp_path / f"case{index:02d}"
        folder.mkdir()
        stores.append(DAMAGE[kind](rng, folder))
        before[folder] = tree_digest(folder)
    proc = subprocess.run([sys.executable, str(DRIVER), *map(str, stores)], capture_output=True, text=True,
                          timeout=240, stdin=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 4 * len(stores), proc.stderr[-3000:]
    bad = [row for row in rows
           if row["escaped"] or row["exit"] not in (0, 1, 2) or "Traceback" in row["output"]]
    assert not bad, "\n\n".join(f"{r['command']} --store {r['store']} -> exit {r['exit']}\n"
                                f"{r['escaped'] or r['output']}" for r in bad[:3])
    for folder, digest in before.items():
        assert tree_digest(folder) == digest, f"{folder} changed"
    # The damage reached past the first checks: some reads still succeed, some are refused.
    outcomes = Counter(row["exit"] for row in rows)
    assert outcomes[0] > 0 and outcomes[2] + sum(1 for r in rows if "warning:" in r["output"]) > 0, outcomes

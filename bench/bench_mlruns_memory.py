"""Peak memory of reading an mlruns folder that holds one huge metric file.

    .venv/bin/python bench/bench_mlruns_memory.py [--mb 200]

Copies the MLflow 2.9.2 mlruns fixture (tests/fixtures/legacy, written by real MLflow) to a
temporary folder, appends points to one run's metric file until it holds ``--mb`` megabytes
(``timestamp value step`` lines as MLflow writes them), then runs
``auditkit runs --store FOLDER --format json`` in a fresh process under ``/usr/bin/time -v`` and
prints its peak resident set, wall time and exit code; the figures go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "legacy" / "mlflow-2.9.2" / "mlruns"


def grow_metric(path: Path, megabytes: int) -> int:
    """Append MLflow-style points to ``path`` until it holds ``megabytes`` MB; returns the lines."""
    target = megabytes * 1_000_000
    block = "".join(f"{1_760_000_000_000 + i} {i % 997 / 997:.12f} {i}\n" for i in range(100_000)).encode()
    lines = 0
    with open(path, "ab") as f:
        while f.tell() < target:
            f.write(block)
            lines += 100_000
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-mlruns-") as tmp:
        store = Path(tmp) / "mlruns"
        shutil.copytree(FIXTURE, store)
        metric = sorted(store.glob("*/*/metrics/*"))[0]
        lines = grow_metric(metric, args.mb)
        size = metric.stat().st_size
        cmd = ["/usr/bin/time", "-v", str(ROOT / ".venv" / "bin" / "auditkit"), "runs", "--store", str(store),
               "--format", "json"]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "COLUMNS": "100"})
        wall = time.perf_counter() - t
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        peak_mb = int(rss.group(1)) / 1024 if rss else float("nan")
        print(f"metric file: {size / 1e6:.0f} MB ({lines:,} points), {metric.relative_to(store)}")
        print(f"auditkit runs --format json: exit {proc.returncode}, peak RSS {peak_mb:.0f} MB, wall {wall:.1f} s")
        if proc.returncode != 0:
            print(proc.stderr.strip().splitlines()[-1][:300], file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Whole-process times of the commands a person waits for: ``auditkit --help`` and a one-decision
lineage on the sample data, against an earlier checkout of auditkit in the same run.

    .venv/bin/python bench/bench_startup.py [--baseline DIR] [--repeat 5]

``--baseline DIR`` is a source tree of another auditkit commit (``git worktree add DIR COMMIT``);
both trees run with this interpreter (``python -m auditkit`` from inside the tree, which comes first on ``sys.path``),
interleaved, so a busy machine slows both alike. Prints the median of ``--repeat`` runs each and
the modules each tree imports for ``--help``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
COMMANDS = {
    "auditkit --help": ["--help"],
    "auditkit lineage APP-004711 (sample)": ["lineage", "APP-004711", "--store", str(SAMPLE / "mlflow.db"),
                                             "--predictions", str(SAMPLE / "predictions.csv")],
}


def run(tree: Path, args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "auditkit", *args], env=env, cwd=tree, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_modules(tree: Path) -> list[str]:
    code = ("import sys, auditkit.cli; print(' '.join(sorted({'pandas', 'numpy', 'sqlalchemy', 'weasyprint', "
            "'matplotlib'} & set(sys.modules))))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(tree)},
                         cwd=tree, capture_output=True, text=True, check=True).stdout
    return out.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    if args.baseline is not None:
        trees = {"baseline": args.baseline.resolve(), **trees}
    for label, cmd in COMMANDS.items():
        times: dict[str, list[float]] = {name: [] for name in trees}
        for name, tree in trees.items():
            run(tree, cmd)  # warm the file cache
        for _ in range(args.repeat):
            for name, tree in trees.items():
                times[name].append(run(tree, cmd))
        for name in trees:
            print(f"{label:<40} {name:<10} median {statistics.median(times[name]):.3f} s  "
                  f"(min {min(times[name]):.3f}, max {max(times[name]):.3f}, n={args.repeat})")
    for name, tree in trees.items():
        print(f"heavy modules loaded by `import auditkit.cli` ({name}): {heavy_modules(tree) or 'none'}")


if __name__ == "__main__":
    main()

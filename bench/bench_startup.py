"""Whole-process times of the commands a person waits for: ``auditkit --help`` and a one-decision
lineage on the sample data, against an earlier checkout of auditkit in the same run.

    .venv/bin/python bench/bench_startup.py [--baseline DIR] [--repeat 5]

``--baseline DIR`` is a source tree of another auditkit commit (``git worktree add DIR COMMIT``);
both trees run with this interpreter (``python -m auditkit`` from inside the tree, which comes first on ``sys.path``),
interleaved, so a busy machine slows both alike. Prints the median wall and CPU time of ``--repeat`` runs each and
the modules each tree imports for ``--help``.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def run(tree: Path, args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+system) of one whole process. On a busy machine the CPU
    time is the steadier figure: it leaves out the time spent waiting for a core."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "auditkit", *args], env=env, cwd=tree, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for name, tree in trees.items():
            run(tree, cmd)  # warm the file cache
        for _ in range(args.repeat):
            for name, tree in trees.items():
                times[name].append(run(tree, cmd))
        for name in trees:
            wall = [w for w, _ in times[name]]
            cpu = [c for _, c in times[name]]
            print(f"{label:<40} {name:<10} wall median {statistics.median(wall):.3f} s "
                  f"(min {min(wall):.3f}), CPU median {statistics.median(cpu):.3f} s (min {min(cpu):.3f}), "
                  f"n={args.repeat}")
    for name, tree in trees.items():
        print(f"heavy modules loaded by `import auditkit.cli` ({name}): {heavy_modules(tree) or 'none'}")


if __name__ == "__main__":
    main()

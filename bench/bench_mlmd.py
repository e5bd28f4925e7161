"""Reading a 1,000-run ML Metadata store (Kubeflow Pipelines v2): auditkit vs ml-metadata's own API.

    .venv/bin/python bench/bench_mlmd.py [--runs 1000] [--repeat 5]

Builds the store once with the real ml-metadata client (bench/mlmd_client_side.py in
.venv-mlmd, made by scripts/mlmd_venv.sh; cached under /tmp/auditkit-bench), then times
auditkit's ``open_store(...).runs_frame()`` (fresh connector each time: all MLMD tables read with
SQLAlchemy and mapped) against the direct ml-metadata reading of the same facts (runs by context
type, per run its executions, events and artifacts; in its own process, timed there), checks that
every run's status, params, metrics and dataset digests agree, and prints the figures for
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path("/tmp/auditkit-bench")


def client_python() -> str:
    out = subprocess.run(["bash", str(ROOT / "scripts" / "mlmd_venv.sh")], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import auditkit

    python = client_python()
    side = str(ROOT / "bench" / "mlmd_client_side.py")
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"mlmd{args.runs}.sqlite"
    if not path.exists():
        t = time.perf_counter()
        subprocess.run([python, side, "build", str(path) + ".tmp", str(args.runs)], check=True, capture_output=True)
        Path(str(path) + ".tmp").rename(path)
        print(f"built {path} in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    out = subprocess.run([python, side, "read", str(path), str(args.repeat)], check=True, capture_output=True, text=True)
    client = json.loads(out.stdout)

    ours = []
    frame = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        with auditkit.open_store("mlmd://" + str(path)) as store:
            frame = store.runs_frame()
            runs = {r.run_id: r for r in store.runs()}
        ours.append(time.perf_counter() - start)

    # Same facts from both readers, for every run.
    assert len(frame) == len(client["rows"]) == args.runs
    for row in client["rows"]:
        run = runs[row["run_id"]]
        assert run.status == {"COMPLETE": "FINISHED"}[row["status"]], row["run_id"]
        want = {k: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for k, v in row["params"].items()}
        assert dict(run.params) == want, row["run_id"]
        assert all(math.isclose(run.metrics[k], v, rel_tol=0, abs_tol=0) for k, v in row["metrics"].items())
        assert run.metrics.keys() == row["metrics"].keys()
        assert [d.digest for d in run.datasets] == row["digests"], row["run_id"]

    theirs = client["times"]
    print(f"{args.runs} runs, {len(frame.columns)} frame columns, best of {args.repeat}")
    print(f"| auditkit `runs_frame` | {min(ours):.3f} s (median {statistics.median(ours):.3f}) |")
    print(f"| ml-metadata API | {min(theirs):.3f} s (median {statistics.median(theirs):.3f}) |")
    print(f"| speed-up | {min(theirs) / min(ours):.1f} × |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

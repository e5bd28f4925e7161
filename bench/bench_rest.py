"""Reading every run of a 2,000-run store through an MLflow tracking server: auditkit's REST
connector vs ``mlflow.search_runs`` against the same server, same process.

    .venv/bin/python bench/bench_rest.py [--runs 2000] [--repeat 3]

Builds the sqlite store once with real MLflow (``MlflowClient`` writing straight into sqlite, the
fast path: 10 params, 4 tags, 5 metrics × 20 steps per run; cached under /tmp/auditkit-bench),
starts ``mlflow server`` on it (127.0.0.1, free port, 1 worker), then times both readers through
that server, checks that they return the same values and prints the figures that go into
docs/performance.md. The server is stopped at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "connectors"))

from bench_runs import CACHE, build_store  # noqa: E402  (same store layout as bench_runs.py)
from mlflow_server_support import start_mlflow_server  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import mlflow
    from mlflow.entities import ViewType

    import auditkit

    CACHE.mkdir(parents=True, exist_ok=True)
    os.chdir(CACHE)
    path = CACHE / f"runs{args.runs}.db"
    sql_uri = f"sqlite:///{path}"
    if not path.exists():
        t = time.perf_counter()
        build_store(sql_uri, args.runs)
        print(f"built {path} in {time.perf_counter() - t:.0f} s", file=sys.stderr)

    t = time.perf_counter()
    server = start_mlflow_server(sql_uri, CACHE / f"server-{os.getpid()}")
    print(f"mlflow server at {server.url} after {time.perf_counter() - t:.1f} s", file=sys.stderr)
    try:
        mlflow.set_tracking_uri(server.url)
        exp_id = mlflow.get_experiment_by_name("bench").experiment_id

        def ours():
            with auditkit.open_store(server.url) as store:
                return store.runs_frame("bench")

        def theirs():
            return mlflow.search_runs(experiment_ids=[exp_id], run_view_type=ViewType.ALL, max_results=100_000)

        def direct():
            with auditkit.open_store(sql_uri) as store:
                return store.runs_frame("bench")

        a, b = ours(), theirs()  # warm up both (imports, server caches), then compare values
        check(a, b, args.runs)
        timings: dict[str, list[float]] = {"ours": [], "theirs": [], "direct": []}
        for _ in range(args.repeat):
            for name, fn in (("ours", ours), ("theirs", theirs), ("direct", direct)):
                t = time.perf_counter()
                fn()
                timings[name].append(time.perf_counter() - t)
    finally:
        server.stop()

    best = {k: min(v) for k, v in timings.items()}
    med = {k: statistics.median(v) for k, v in timings.items()}
    load = os.getloadavg()[0]
    print(f"{args.runs} runs through mlflow server {mlflow.__version__} (sqlite behind it), best of {args.repeat}, "
          f"load {load:.1f}")
    print("| reader | best | median |")
    print("|---|---|---|")
    print(f"| auditkit REST connector `runs_frame` | {best['ours']:.3f} s | {med['ours']:.3f} s |")
    print(f"| `mlflow.search_runs` (same server) | {best['theirs']:.3f} s | {med['theirs']:.3f} s |")
    print(f"| auditkit SQL connector on the same file (no server) | {best['direct']:.3f} s | {med['direct']:.3f} s |")
    print(f"speed-up vs mlflow.search_runs: {best['theirs'] / best['ours']:.1f} x")
    return 0


def check(ours, theirs, n_runs: int) -> None:
    """Every params/metrics/tags value of every run equal in both frames."""
    assert len(ours) == len(theirs) == n_runs, (len(ours), len(theirs))
    theirs = theirs.set_index("run_id")
    ours = ours.set_index("run_id")
    cols = [c for c in theirs.columns if c.split(".")[0] in ("params", "metrics", "tags")]
    assert cols, "no value columns"
    for col in cols:
        for rid in theirs.index:
            x, y = ours.at[rid, col], theirs.at[rid, col]
            if isinstance(y, float) and math.isnan(y):
                assert x is None or (isinstance(x, float) and math.isnan(x)), (rid, col, x, y)
            else:
                assert x == y, (rid, col, x, y)
    print(f"checked {len(cols)} columns x {n_runs} runs: identical", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())

"""Reading every run of a 2,000-run MLflow store: auditkit vs ``mlflow.search_runs``, same process.

    .venv/bin/python bench/bench_runs.py [--runs 2000] [--store sqlite|postgresql] [--repeat 3]

Builds the store once with real MLflow (10 params, 4 tags, 5 metrics × 20 steps per run; cached
under /tmp/auditkit-bench), then times both readers, checks that they return the same values and
prints the figures that go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

CACHE = Path("/tmp/auditkit-bench")


def build_store(uri: str, n_runs: int) -> str:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench")
    t0 = 1_760_000_000_000
    for i in range(n_runs):
        run = client.create_run(exp, run_name=f"run-{i:05d}", tags={"mlflow.user": f"user{i % 7}"})
        rid = run.info.run_id
        params = [Param(f"p{j}", str((i * 31 + j) % 97)) for j in range(10)]
        tags = [RunTag(f"t{j}", f"v{(i + j) % 13}") for j in range(4)]
        metrics = [Metric(f"m{k}", ((i + k) * (s + 1)) % 101 / 100.0, t0 + s, s) for k in range(5) for s in range(20)]
        client.log_batch(rid, metrics=metrics, params=params, tags=tags)
        client.set_terminated(rid)
    return exp


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import mlflow
    from mlflow.entities import ViewType

    import auditkit

    CACHE.mkdir(parents=True, exist_ok=True)
    os.chdir(CACHE)
    if args.store == "sqlite":
        path = CACHE / f"runs{args.runs}.db"
        uri = f"sqlite:///{path}"
        if not path.exists():
            t = time.perf_counter()
            build_store(uri, args.runs)
            print(f"built {path} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    else:
        import psycopg

        name = f"auditkit_bench_runs{args.runs}"
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        uri = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        if not exists:
            build_store(uri, args.runs)

    mlflow.set_tracking_uri(uri)
    exp_id = mlflow.get_experiment_by_name("bench").experiment_id

    def ours():
        with auditkit.open_store(uri) as store:
            return store.runs_frame("bench")

    def theirs():
        return mlflow.search_runs(experiment_ids=[exp_id], run_view_type=ViewType.ALL, max_results=100_000)

    timings: dict[str, list[float]] = {"auditkit runs_frame": [], "mlflow.search_runs": []}
    results = {}
    for _ in range(args.repeat):
        for label, fn in (("auditkit runs_frame", ours), ("mlflow.search_runs", theirs)):
            t = time.perf_counter()
            results[label] = fn()
            timings[label].append(time.perf_counter() - t)

    a = results["auditkit runs_frame"].set_index("run_id").sort_index()
    b = results["mlflow.search_runs"].set_index("run_id").sort_index()
    assert list(a.index) == list(b.index) and len(a) == args.runs
    value_cols = [c for c in b.columns if c.split(".")[0] in ("params", "metrics", "tags")]
    assert sorted(value_cols) == sorted(c for c in a.columns if c.split(".")[0] in ("params", "metrics", "tags"))
    for col in value_cols:
        for x, y in zip(a[col], b[col]):
            same = (x == y) or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
            assert same, (col, x, y)

    best = {k: min(v) for k, v in timings.items()}
    print(f"store: {args.store}, {args.runs} runs, 10 params, 4 tags, 5 metrics x 20 steps; best of {args.repeat}")
    for label, secs in best.items():
        print(f"  {label:<22} {secs:7.3f} s   (median {statistics.median(timings[label]):.3f} s)")
    print(f"  speed-up               {best['mlflow.search_runs'] / best['auditkit runs_frame']:7.1f} x  "
          f"(values identical: {len(value_cols)} columns x {args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

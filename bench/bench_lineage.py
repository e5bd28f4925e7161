"""Lineage benchmarks: batch lineage vs a plain pandas merge, and one-decision lookups.

    .venv/bin/python bench/bench_lineage.py                       # everything (PostgreSQL too)
    .venv/bin/python bench/bench_lineage.py --rows 200000 --find-rows 1000000 --no-pg

1. Batch: a ROWS-decision Parquet log (ISO 8601 text timestamps, model_name + model_version
   of the store's versions) through ``auditkit.lineage_frame`` against a plain pandas merge of
   the same tables in the same process: the log's same columns read from the same file, then
   ``merge`` with the store's model versions and ``runs_frame()`` (run, git commit, user).
   Both are timed end to end (reading the log and the store included); their run ids and
   commits are compared row by row.
2. One decision: ``log.find(id)`` and ``auditkit.lineage(...)`` in a FIND_ROWS-decision
   Parquet file (written in log order, ids ascending; pyarrow's default row groups) and in a
   PostgreSQL table with an index on prediction_id (127.0.0.1:5432, user postgres; a database
   created for the run and dropped after). First, middle, last and an absent id; each timing
   opens the log afresh.

The store is sample_data/mlflow.db (read-only) unless --store is given. Generated logs are
cached under --workdir (default /tmp/auditkit-bench).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import auditkit  # noqa: E402
from auditkit.provenance import lineage_frame  # noqa: E402

COLUMNS = ["prediction_id", "timestamp", "model_name", "model_version", "decision", "score", "age", "income"]


def make_log(n: int, versions: list, seed: int, start: pd.Timestamp) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    span = 180 * 86400 * 10**9
    ts = pd.to_datetime(start.value + np.sort(rng.integers(0, span, n)), utc=True)
    pick = rng.integers(0, len(versions), n)
    width = len(str(n))
    return pd.DataFrame({
        "prediction_id": np.char.add("P-", np.char.zfill(np.arange(n).astype(str), width)),
        "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model_name": np.array([v.name for v in versions])[pick],
        "model_version": np.array([v.version for v in versions])[pick],
        "decision": np.where(rng.random(n) < 0.63, "approve", "deny"),
        "score": rng.random(n).round(4),
        "age": rng.integers(19, 76, n),
        "income": rng.integers(500, 20000, n),
    })


def write_big(path: Path, n: int, versions: list, start: pd.Timestamp, group_rows: int = 1_000_000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists() and pq.ParquetFile(path).metadata.num_rows == n:
        return
    tmp = path.with_suffix(".tmp")
    writer = None
    span = 180 * 86400 * 10**9
    width = len(str(n))
    batch = 1_000_000
    for lo in range(0, n, batch):
        hi = min(n, lo + batch)
        rng = np.random.default_rng(lo)
        ts = pd.to_datetime(start.value + (np.arange(lo, hi) * (span // n)), utc=True)
        pick = rng.integers(0, len(versions), hi - lo)
        frame = pd.DataFrame({
            "prediction_id": np.char.add("P-", np.char.zfill(np.arange(lo, hi).astype(str), width)),
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "model_name": np.array([v.name for v in versions])[pick],
            "model_version": np.array([v.version for v in versions])[pick],
            "decision": np.where(rng.random(hi - lo) < 0.63, "approve", "deny"),
            "score": rng.random(hi - lo).round(4),
            "age": rng.integers(19, 76, hi - lo),
            "income": rng.integers(500, 20000, hi - lo),
        })
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table, row_group_size=group_rows)
    writer.close()
    tmp.rename(path)


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def plain_merge(store, path: Path) -> pd.DataFrame:
    log = pd.read_parquet(path, columns=["prediction_id", "timestamp", "decision", "score", "model_name",
                                         "model_version"])
    versions = pd.DataFrame([{"model_name": v.name, "model_version": v.version, "run_id": v.run_id,
                              "creator": v.creator} for v in store.model_versions()])
    runs = store.runs_frame()[["run_id", "run_name", "experiment", "user", "tags.mlflow.source.git.commit"]]
    return log.merge(versions, on=["model_name", "model_version"], how="left").merge(runs, on="run_id", how="left")


def bench_batch(store, versions, args, work: Path, start: pd.Timestamp) -> None:
    path = work / f"log_{args.rows}.parquet"
    if not path.exists():
        make_log(args.rows, versions, 1, start).to_parquet(path, index=False)
    log = auditkit.open_predictions(path)
    t_lin, frame = best(lambda: lineage_frame(store, log), args.repeat)
    t_mrg, merged = best(lambda: plain_merge(store, path), args.repeat)
    same_run = (frame["run_id"].astype(object).to_numpy() == merged["run_id"].to_numpy()).all()
    same_commit = (frame["git_commit"].astype(object).to_numpy()
                   == merged["tags.mlflow.source.git.commit"].to_numpy()).all()
    assert same_run and same_commit, "lineage_frame and the merge disagree"
    print(f"batch, {args.rows:,} decisions (Parquet, best of {args.repeat}):")
    print(f"  auditkit lineage_frame    {t_lin:7.3f} s  ({len(frame.columns)} columns incl. gaps)")
    print(f"  plain pandas merge        {t_mrg:7.3f} s  ({len(merged.columns)} columns)")
    print(f"  ratio                     {t_lin / t_mrg:7.2f} x   (run id and commit identical on every row)")


def time_find(open_log, ids, repeat: int) -> dict:
    out = {}
    for label, pid in ids.items():
        samples = []
        for _ in range(repeat):
            t = time.perf_counter()
            log = open_log()
            row = log.find(pid)
            samples.append(time.perf_counter() - t)
            log.close()
            assert (row is None) == (label == "absent"), (label, pid)
        out[label] = (min(samples), statistics.median(samples))
    return out


def bench_find_parquet(store, versions, args, work: Path, start: pd.Timestamp) -> None:
    import pyarrow.parquet as pq

    suffix = "" if args.row_group_rows == 1_000_000 else f"_rg{args.row_group_rows}"
    path = work / f"big_{args.find_rows}{suffix}.parquet"
    t = time.perf_counter()
    write_big(path, args.find_rows, versions, start, args.row_group_rows)
    meta = pq.ParquetFile(path).metadata
    width = len(str(args.find_rows))
    ids = {"first": f"P-{0:0{width}d}", "middle": f"P-{args.find_rows // 2:0{width}d}",
           "last": f"P-{args.find_rows - 1:0{width}d}", "absent": "P-none"}
    print(f"\none decision in a {args.find_rows:,}-row Parquet log ({path.stat().st_size / 1e6:.0f} MB, "
          f"{meta.num_row_groups} row groups; ready in {time.perf_counter() - t:.1f} s):")
    for label, (lo, med) in time_find(lambda: auditkit.open_predictions(path), ids, args.repeat).items():
        print(f"  find {label:<7} best {lo * 1000:7.1f} ms  median {med * 1000:7.1f} ms")
    t_one, doc = best(lambda: auditkit.lineage(store, auditkit.open_predictions(path), ids["middle"]), args.repeat)
    print(f"  lineage(middle id), log opened + store read: best {t_one * 1000:.1f} ms "
          f"(version {doc['model_version']['version']}, run {doc['run']['id']})")


def bench_find_pg(store, versions, args, work: Path, start: pd.Timestamp) -> None:
    import psycopg
    import pyarrow.parquet as pq

    suffix = "" if args.row_group_rows == 1_000_000 else f"_rg{args.row_group_rows}"
    path = work / f"big_{args.find_rows}{suffix}.parquet"
    write_big(path, args.find_rows, versions, start, args.row_group_rows)
    name = f"auditkit_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(host=args.pg_host, port=args.pg_port, user=args.pg_user, dbname="postgres",
                            autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        t = time.perf_counter()
        with psycopg.connect(host=args.pg_host, port=args.pg_port, user=args.pg_user, dbname=name) as conn:
            conn.execute("CREATE TABLE decisions (prediction_id text, timestamp text, model_name text, "
                         "model_version text, decision text, score double precision, age integer, income integer)")
            with conn.cursor() as cur, cur.copy("COPY decisions FROM STDIN WITH (FORMAT csv)") as copy:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=500_000):
                    buf = io.StringIO()
                    batch.to_pandas().to_csv(buf, index=False, header=False)
                    copy.write(buf.getvalue())
            conn.execute("CREATE UNIQUE INDEX decisions_prediction_id ON decisions (prediction_id)")
            conn.execute("ANALYZE decisions")
        print(f"\none decision in a {args.find_rows:,}-row PostgreSQL table with an index on prediction_id "
              f"(loaded in {time.perf_counter() - t:.1f} s):")
        url = f"postgresql+psycopg://{args.pg_user}@{args.pg_host}:{args.pg_port}/{name}"
        width = len(str(args.find_rows))
        ids = {"first": f"P-{0:0{width}d}", "middle": f"P-{args.find_rows // 2:0{width}d}",
               "last": f"P-{args.find_rows - 1:0{width}d}", "absent": "P-none"}
        for label, (lo, med) in time_find(lambda: auditkit.open_predictions(f"decisions@{url}"), ids,
                                          args.repeat).items():
            print(f"  find {label:<7} best {lo * 1000:7.1f} ms  median {med * 1000:7.1f} ms  (engine created, "
                  "table inspected, one indexed SELECT)")
        t_one, doc = best(lambda: auditkit.lineage(store, auditkit.open_predictions(f"decisions@{url}"),
                                                   ids["middle"]), args.repeat)
        print(f"  lineage(middle id), log opened + store read: best {t_one * 1000:.1f} ms "
              f"(version {doc['model_version']['version']})")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", default=str(ROOT / "sample_data" / "mlflow.db"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--find-rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/auditkit-bench")
    ap.add_argument("--row-group-rows", type=int, default=1_000_000,
                    help="rows per Parquet row group of the big log (default 1,000,000, about pyarrow's default)")
    ap.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL lookup")
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--pg-host", default="127.0.0.1")
    ap.add_argument("--pg-port", type=int, default=5432)
    ap.add_argument("--pg-user", default="postgres")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    with auditkit.open_store(args.store) as store:
        versions = [v for v in store.model_versions() if not v.deleted]
        start = max(pd.Timestamp(v.creation_time) for v in versions) + pd.Timedelta(days=1)
        print(f"store {args.store}: {len(versions)} model versions; pandas {pd.__version__}\n")
        if not args.skip_batch:
            bench_batch(store, versions, args, work, start)
        bench_find_parquet(store, versions, args, work, start)
        if not args.no_pg:
            bench_find_pg(store, versions, args, work, start)


if __name__ == "__main__":
    main()

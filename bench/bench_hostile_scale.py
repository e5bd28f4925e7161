"""Peak memory (and wall time) of auditkit commands on large inputs, each in a fresh process under
``/usr/bin/time -v``: `lineage --all` on a CSV log of N decisions, `verify-data` on a large CSV,
and `report experiment` on a store of many runs.

    .venv/bin/python bench/bench_hostile_scale.py lineage --rows 10000000
    .venv/bin/python bench/bench_hostile_scale.py verify-data --rows 10000000
    .venv/bin/python bench/bench_hostile_scale.py experiment --runs 5000

Inputs are generated once into /tmp/auditkit-bench (the log from sample_data/predictions.csv's
rows with unique ids; the experiment store written by MLflow itself) and reused.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
WORK = Path("/tmp/auditkit-bench")
AUDITKIT = [sys.executable, "-m", "auditkit"]


def big_log(rows: int) -> Path:
    """A CSV log of ``rows`` decisions: the sample's rows repeated with unique ids and times."""
    path = WORK / f"predictions-{rows}.csv"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    with open(SAMPLE / "predictions.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        sample = list(reader)
    keep = [header.index(c) for c in ("timestamp", "model_name", "model_version", "score", "decision", "label",
                                      "sex", "age_band")]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        out.write("prediction_id," + ",".join(header[i] for i in keep) + "\n")
        lines = [",".join(row[i] for i in keep) for row in sample]
        n = len(lines)
        buf = []
        for i in range(rows):
            buf.append(f"P{i:09d},{lines[i % n]}\n")
            if len(buf) == 100_000:
                out.writelines(buf)
                buf.clear()
        out.writelines(buf)
    tmp.replace(path)
    return path


def measure(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one auditkit command in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *AUDITKIT, *args], capture_output=True, text=True, cwd=WORK)
    wall = time.perf_counter() - start
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if proc.returncode != 0:
        tail = [line for line in proc.stderr.splitlines() if "error:" in line or "warning:" in line][:3]
        print(f"  exit {proc.returncode}: {tail}", file=sys.stderr)
    return wall, int(peak.group(1)) / 1024 if peak else float("nan"), proc.returncode


def bench_lineage(rows: int) -> None:
    log = big_log(rows)
    out = WORK / "lineage-out.csv"
    wall, peak, code = measure(["lineage", "--all", "--store", str(SAMPLE / "mlflow.db"), "--predictions",
                                str(log), "-o", str(out)])
    print(f"lineage --all, {rows:,} rows ({log.stat().st_size / 2**20:.0f} MB CSV): "
          f"{wall:.1f} s, peak {peak:.0f} MB, exit {code}")


def bench_verify_data(rows: int) -> None:
    log = big_log(rows)
    run_id = "5ba0ef7463e84487abc8774b7369b418"
    wall, peak, code = measure(["verify-data", "--store", str(SAMPLE / "mlflow.db"), "--run", run_id, str(log)])
    print(f"verify-data, {rows:,} rows ({log.stat().st_size / 2**20:.0f} MB CSV): "
          f"{wall:.1f} s, peak {peak:.0f} MB, exit {code} (1 = mismatch, expected: another file)")


def experiment_store(runs: int, *, written: int = 50) -> Path:
    """An MLflow sqlite store with one experiment of ``runs`` runs (8 params, 6 metrics, a tag
    each): ``written`` runs are logged through MLflow's own client (which also creates the
    schema), then copied row for row with new run ids until there are ``runs`` (MLflow's client
    writes about two runs a second here, too slow for thousands)."""
    import sqlite3
    import uuid

    path = WORK / f"experiment-{runs}.db"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.db")
    for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
        if leftover.exists():
            leftover.unlink()
    import mlflow  # the real client writes the store (a test/bench dependency only)
    from mlflow.entities import Metric, Param, RunTag

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp}")
    exp = client.create_experiment("big")
    now = int(time.time() * 1000)
    for i in range(written):
        run = client.create_run(exp, run_name=f"run-{i}")
        client.log_batch(run.info.run_id,
                         metrics=[Metric(f"m{k}", (i * 7 + k) % 101 / 100, now, 0) for k in range(6)],
                         params=[Param(f"p{k}", str((i + k) % 13)) for k in range(8)],
                         tags=[RunTag("team", "risk")])
        client.set_terminated(run.info.run_id)
    with sqlite3.connect(tmp) as conn:
        ids = [r for (r,) in conn.execute("SELECT run_uuid FROM runs")]
        for n in range(runs - written):
            src, new = ids[n % written], uuid.uuid4().hex
            conn.execute("INSERT INTO runs SELECT ?, name || '-' || ?, source_type, source_name, entry_point_name, "
                         "user_id, status, start_time + ?, end_time + ?, source_version, lifecycle_stage, "
                         "artifact_uri, experiment_id, deleted_time FROM runs WHERE run_uuid = ?",
                         (new, n, n, n, src))
            for table in ("params", "tags", "latest_metrics", "metrics"):
                cols = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
                rest = ", ".join(c for c in cols if c != "run_uuid")
                conn.execute(f"INSERT INTO {table} (run_uuid, {rest}) SELECT ?, {rest} FROM {table} "
                             "WHERE run_uuid = ?", (new, src))
    conn.close()
    shutil.move(tmp, path)
    return path


def bench_experiment(runs: int) -> None:
    store = experiment_store(runs)
    out = WORK / "experiment.html"
    wall, peak, code = measure(["report", "experiment", "big", "--store", str(store), "-o", str(out)])
    print(f"report experiment, {runs:,} runs: {wall:.1f} s, peak {peak:.0f} MB, exit {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["lineage", "verify-data", "experiment"])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    if args.what == "lineage":
        bench_lineage(args.rows)
    elif args.what == "verify-data":
        bench_verify_data(args.rows)
    else:
        bench_experiment(args.runs)


if __name__ == "__main__":
    main()

"""Impact benchmark: ``auditkit impact --commit`` over a large log against a plain pandas filter
and merge of the same tables.

    .venv/bin/python bench/bench_impact.py --rows 1000000 --repeat 3

A ROWS-decision Parquet log (ISO 8601 text timestamps, model_name + model_version drawn from the
store's versions; the generator of bench_lineage.py, cached under --workdir) and the store
sample_data/mlflow.db. auditkit: ``auditkit.impact.impact(store, commit=SHA, log=log)`` (runs
from the commit, versions from the runs, every decision attributed through batch lineage, counts
by outcome, month and version). Plain pandas: read the same columns of the same file, merge with
the store's model versions and ``runs_frame()``, keep the rows whose run's git commit starts
with SHA, count by decision and by month. Both timed end to end, reads included; their counts
are compared before anything is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_lineage import write_big  # noqa: E402

import auditkit  # noqa: E402
from auditkit.impact import impact  # noqa: E402


def best(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), sorted(times)[len(times) // 2], result


def plain(store, path: Path, commit: str) -> dict:
    log = pd.read_parquet(path, columns=["prediction_id", "timestamp", "decision", "model_name", "model_version"])
    versions = pd.DataFrame([{"model_name": v.name, "model_version": v.version, "run_id": v.run_id}
                             for v in store.model_versions()])
    runs = store.runs_frame()[["run_id", "tags.mlflow.source.git.commit"]]
    merged = log.merge(versions, on=["model_name", "model_version"], how="left").merge(runs, on="run_id", how="left")
    hit = merged[merged["tags.mlflow.source.git.commit"].fillna("").str.startswith(commit)]
    month = pd.to_datetime(hit["timestamp"], utc=True).dt.strftime("%Y-%m")
    return {"count": len(hit), "by_outcome": hit["decision"].value_counts().sort_index().to_dict(),
            "by_month": month.value_counts().sort_index().to_dict()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--store", default=str(ROOT / "sample_data" / "mlflow.db"))
    p.add_argument("--workdir", default="/tmp/auditkit-bench")
    args = p.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    store = auditkit.open_store(args.store)
    versions = store.model_versions()
    path = work / f"impact_log_{args.rows}.parquet"
    write_big(path, args.rows, versions, pd.Timestamp("2026-01-01", tz="UTC"))
    run = store.get_run(versions[-1].run_id)
    commit = run.tags["mlflow.source.git.commit"][:10]

    def with_auditkit():
        log = auditkit.open_predictions(path)
        try:
            return impact(store, commit=commit, log=log)["decisions"]
        finally:
            log.close()

    t_ak, m_ak, ours = best(with_auditkit, args.repeat)
    t_pd, m_pd, theirs = best(lambda: plain(store, path, commit), args.repeat)
    assert ours["count"] == theirs["count"], (ours["count"], theirs["count"])
    assert ours["by_outcome"] == {str(k): int(v) for k, v in theirs["by_outcome"].items()}
    assert ours["by_month"] == {str(k): int(v) for k, v in theirs["by_month"].items()}
    print(f"impact --commit {commit}, {args.rows:,} decisions (Parquet), best of {args.repeat} (median):")
    print(f"  auditkit impact           {t_ak:7.3f} s ({m_ak:.3f})  {ours['count']:,} decisions affected")
    print(f"  plain pandas filter+merge {t_pd:7.3f} s ({m_pd:.3f})")
    print(f"  ratio                     {t_ak / t_pd:7.2f} x   (count, by outcome and by month identical)")


if __name__ == "__main__":
    main()

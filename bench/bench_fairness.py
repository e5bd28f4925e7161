"""Benchmark: auditkit.assess_fairness vs fairlearn's MetricFrame on 1,000,000 decisions.

    .venv/bin/python bench/bench_fairness.py [--rows 1000000] [--boot-rows 100000] [--postgres]

Same run, same data: two sensitive columns (sex, 5 age bands) → 10 intersectional groups, binary
labels and decisions. Checks that every per-group metric, overall metric and disparity agrees
with fairlearn to 1e-12 before printing any timing. Then times the bootstrap (1,000 resamples
on all rows) and, for comparison, fairlearn's MetricFrame(n_boot=…) per resample on
``--boot-rows`` rows. ``--postgres`` also loads the rows into a scratch database on
127.0.0.1:5432 (dropped afterwards) and times the GROUP BY path.
"""

from __future__ import annotations

import argparse
import functools
import io
import math
import platform
import sys
import time
import uuid

import numpy as np
import pandas as pd
import sklearn.metrics as skm
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from auditkit.fairness import DISPARITIES, METRICS, assess_fairness
from auditkit.fairness.bootstrap import bootstrap_intervals

EDGES = [0, 25, 35, 45, 60, 120]
NAMES = ["[0, 25)", "[25, 35)", "[35, 45)", "[45, 60)", "[60, 120)"]


def make_log(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["female", "male"], dtype=object), n, p=[0.4, 0.6])
    age = rng.integers(18, 90, n)
    label = (rng.random(n) < 0.7).astype(np.int64)
    p = 0.3 + 0.35 * label + 0.05 * (sex == "male") + 0.08 * (age >= 35)
    decision = (rng.random(n) < p).astype(np.int64)
    return pd.DataFrame({"sex": sex, "age_years": age, "label": label, "decision": decision})


def timed(fn, repeat: int = 1):
    best, value = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


FAIRLEARN_METRICS = {
    "selection_rate": selection_rate,
    "accuracy": skm.accuracy_score,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate,
    "precision": functools.partial(skm.precision_score, zero_division=np.nan),
}


def check_same(result, mf: MetricFrame, fl_disp: dict[str, float]) -> float:
    """Largest absolute difference over every number compared (asserted ≤ 1e-12)."""
    worst = 0.0
    fl = mf.by_group
    for _, row in result.by_group.iterrows():
        key = (row["sex"], row["age_years"])
        for m in METRICS:
            worst = max(worst, abs(row[m] - fl.loc[key, m]))
    for m in METRICS:
        worst = max(worst, abs(result.overall[m] - mf.overall[m]))
    for k in DISPARITIES:
        worst = max(worst, abs(result.disparities[k] - fl_disp[k]))
    assert worst <= 1e-12, worst
    return worst


def bench_postgres(df: pd.DataFrame, args) -> tuple[float, float]:
    import psycopg
    import sqlalchemy as sa

    name = f"auditkit_bench_{uuid.uuid4().hex[:10]}"
    server = "host=127.0.0.1 port=5432 user=postgres"
    with psycopg.connect(server + " dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = None
    try:
        t0 = time.perf_counter()
        with psycopg.connect(server + f" dbname={name}") as conn:
            conn.execute("CREATE TABLE decisions (sex text, age_years integer, label integer, decision integer)")
            buf = io.StringIO()
            df.to_csv(buf, index=False, header=False)
            with conn.cursor().copy("COPY decisions FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buf.getvalue())
            conn.commit()
            conn.execute("ANALYZE decisions")
            conn.commit()
        load = time.perf_counter() - t0
        engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
        kwargs = {"y_true": "label", "y_pred": "decision", "sensitive_features": ["sex", "age_years"],
                      "bins": {"age_years": EDGES}}
        assess_fairness(engine=engine, table="decisions", **kwargs)  # warm the connection
        t_sql, in_db = timed(lambda: assess_fairness(engine=engine, table="decisions", **kwargs), args.repeat)
        assert in_db.to_dict() == assess_fairness(data=df, **kwargs).to_dict()
        return load, t_sql
    finally:
        if engine is not None:
            engine.dispose()
        with psycopg.connect(server + " dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--boot-rows", type=int, default=100_000)
    parser.add_argument("--fairlearn-boot", type=int, default=3, help="MetricFrame resamples to time")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    df = make_log(args.rows)
    print(f"python {platform.python_version()}, {args.rows:,} rows, sensitive: sex × age band "
          f"({len(NAMES)} bands), machine: {platform.machine()}")

    kwargs = {"y_true": "label", "y_pred": "decision", "sensitive_features": ["sex", "age_years"],
                  "bins": {"age_years": EDGES}}
    t_ak, result = timed(lambda: assess_fairness(data=df, **kwargs), args.repeat)

    sens = pd.DataFrame({"sex": df["sex"], "age_years": pd.cut(df["age_years"], EDGES, right=False,
                                                              labels=NAMES).astype(str)})
    t_mf, mf = timed(lambda: MetricFrame(metrics=FAIRLEARN_METRICS, y_true=df["label"],
                                         y_pred=df["decision"], sensitive_features=sens))
    funcs = {
        "demographic_parity_difference": demographic_parity_difference,
        "demographic_parity_ratio": demographic_parity_ratio,
        "equalized_odds_difference": equalized_odds_difference,
        "equalized_odds_ratio": equalized_odds_ratio,
    }
    t0 = time.perf_counter()
    fl_disp = {k: f(df["label"], df["decision"], sensitive_features=sens) for k, f in funcs.items()}
    t_disp = time.perf_counter() - t0
    worst = check_same(result, mf, fl_disp)

    print(f"\nmetrics + disparities (same numbers, max |diff| = {worst:.1e}):")
    print(f"  auditkit assess_fairness (in memory)     {t_ak:8.3f} s")
    print(f"  fairlearn MetricFrame (6 metrics)        {t_mf:8.3f} s   ({t_mf / t_ak:,.0f}x)")
    print(f"  fairlearn 4 disparity functions          {t_disp:8.3f} s")
    print(f"  fairlearn total                          {t_mf + t_disp:8.3f} s   ({(t_mf + t_disp) / t_ak:,.0f}x)")

    t_boot, _boot = timed(lambda: assess_fairness(data=df, ci=0.95, n_boot=1000, random_state=0, **kwargs),
                         args.repeat)
    # The resampling step alone, from the per-group confusion counts (G × decision × label).
    band = np.searchsorted(np.asarray(EDGES[1:-1]), df["age_years"].to_numpy(), side="right")
    group = (df["sex"].to_numpy() == "male").astype(np.int64) * len(NAMES) + band
    counts = np.bincount(group * 6 + df["decision"].to_numpy() * 3 + df["label"].to_numpy(),
                         minlength=2 * len(NAMES) * 6).reshape(2 * len(NAMES), 2, 3)
    eligible = np.ones(len(counts), dtype=bool)
    t_draw, _ = timed(lambda: bootstrap_intervals(counts, eligible=eligible, reference=0, level=0.95,
                                                  n_boot=1000, random_state=0), args.repeat)
    print(f"\nbootstrap, 1,000 resamples of {args.rows:,} rows (all metrics, AIR and disparities):")
    print(f"  auditkit assess_fairness(ci=0.95, n_boot=1000)   {t_boot:8.3f} s (counting included)")
    print(f"  of which the 1,000 multinomial resamples          {t_draw:8.3f} s")

    small = df.sample(n=args.boot_rows, random_state=1)
    small_sens = sens.loc[small.index]
    t_flb, _ = timed(lambda: MetricFrame(metrics=FAIRLEARN_METRICS, y_true=small["label"],
                                         y_pred=small["decision"], sensitive_features=small_sens,
                                         n_boot=args.fairlearn_boot, ci_quantiles=[0.025, 0.975],
                                         random_state=0))
    per = (t_flb - t_mf * args.boot_rows / args.rows) / args.fairlearn_boot
    per_full = per * args.rows / args.boot_rows
    print(f"  fairlearn MetricFrame(n_boot={args.fairlearn_boot}) on {args.boot_rows:,} rows: {t_flb:.2f} s "
          f"→ ≈ {per:.2f} s per resample; 1,000 × {args.rows:,} rows ≈ {1000 * per_full / 3600:.1f} h (extrapolated)")

    if args.postgres:
        load, t_sql = bench_postgres(df, args)
        print(f"\nPostgreSQL 127.0.0.1 (COPY load {load:.1f} s): assess_fairness(engine=…, table=…) "
              f"{t_sql:.3f} s, one GROUP BY, same numbers as in memory")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

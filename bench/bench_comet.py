"""Benchmark: N Comet offline archives read to a runs frame, auditkit against ``comet offline --csv``.

    .venv/bin/python bench/bench_comet.py --runs 1000 --repeat 3

The archives are written once by the REAL comet-ml (3.58.8, in the throwaway venv the fixture
generator uses, tests/fixtures/make_comet_fixtures.py) and cached in
``$TMPDIR/auditkit-bench-comet-<N>``: each ``OfflineExperiment`` logs 10 params, 5 metrics × 20
steps and 4 others. auditkit: ``open_store("comet://DIR").runs_frame()`` (a fresh connector each
time). The alternative is comet-ml's own reader, ``comet offline --csv`` (one process given all
archives, and one process per archive as the issue words it, timed on a sample and scaled), its
CSV pivoted with pandas to one row per experiment (the last ``detail`` value of each param and
metric). Before printing, the bench checks that both give the same params and latest metrics for
every experiment.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

WRITER = r'''
import os, sys
import comet_ml
out, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(start, start + count):
    exp = comet_ml.OfflineExperiment(project_name="bench", workspace="bank", offline_directory=out,
        log_code=False, log_graph=False, auto_param_logging=False, auto_metric_logging=False,
        auto_output_logging=False, log_env_gpu=False, log_env_cpu=False, log_env_network=False,
        log_env_details=False, log_git_metadata=False, log_git_patch=False, parse_args=False,
        display_summary_level=0)
    exp.set_name(f"run-{i:05d}")
    exp.log_parameters({f"p{j}": f"{(i * 7 + j) % 13}" for j in range(10)})
    for step in range(20):
        for k in range(5):
            exp.log_metric(f"m{k}", ((i + k) * 31 + step) % 97 / 97.0, step=step)
    for k in range(4):
        exp.log_other(f"o{k}", f"value-{i % 5}-{k}")
    exp.end()
'''


def ensure_archives(runs: int) -> Path:
    from make_comet_fixtures import RELEASES, venv_python

    folder = Path(tempfile.gettempdir()) / f"auditkit-bench-comet-{runs}"
    folder.mkdir(exist_ok=True)
    have = len(list(folder.glob("*.zip")))
    if have < runs:
        python = venv_python(RELEASES["current"])
        env_file = folder.parent / "auditkit-bench-comet-writer.py"
        env_file.write_text(WRITER, encoding="utf-8")
        import os

        env = {**os.environ, "COMET_API_KEY": "offline-dummy-key", "HOME": tempfile.gettempdir()}
        half = (runs - have) // 2  # two writers: the machine has two cores
        procs = [subprocess.Popen([str(python), str(env_file), str(folder), str(start), str(count)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for start, count in ((have, half), (have + half, runs - have - half)) if count]
        for proc in procs:
            if proc.wait() != 0:
                raise SystemExit("the comet-ml writer failed")
    return folder


def comet_cli() -> Path:
    from make_comet_fixtures import RELEASES, venv_python

    return venv_python(RELEASES["current"]).parent / "comet"


def auditkit_frame(folder: Path):
    import auditkit

    with auditkit.open_store(f"comet://{folder}") as store:
        return store.runs_frame()


def csv_frame(text: str):
    """comet offline --csv rows → one row per experiment: params.<k>, metrics.<k> (last detail value)."""
    import pandas as pd

    rows = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    rows = rows[(rows["level"] == "detail") & rows["section"].isin(["param", "metric"])]
    rows = rows[~rows["name"].isin(["curr_step", "curr_epoch", "process duration"])]  # comet-ml's own
    last = rows.groupby(["experiment", "section", "name"], sort=False)["value"].last().reset_index()
    last["column"] = last["section"].map({"param": "params.", "metric": "metrics."}) + last["name"]
    frame = last.pivot(index="experiment", columns="column", values="value")
    for col in [c for c in frame.columns if c.startswith("metrics.")]:
        frame[col] = frame[col].astype("float64")
    return frame


def cli_all(folder: Path) -> str:
    zips = sorted(str(p) for p in folder.glob("*.zip"))
    return subprocess.run([str(comet_cli()), "offline", "--csv", "--level", "detail", *zips],
                          capture_output=True, text=True, check=True).stdout


def cli_per_zip(zips: list[Path]) -> str:
    parts = []
    for i, z in enumerate(zips):
        out = subprocess.run([str(comet_cli()), "offline", "--csv", "--level", "detail", str(z)],
                             capture_output=True, text=True, check=True).stdout
        parts.append(out if i == 0 else out.split("\n", 1)[1])
    return "".join(parts)


def best(fn, repeat: int) -> tuple[float, float, object]:
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[0], times[len(times) // 2], value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=50, help="archives timed one process each")
    args = parser.parse_args()
    t0 = time.perf_counter()
    folder = ensure_archives(args.runs)
    print(f"archives: {folder} ({len(list(folder.glob('*.zip')))} zips, ready in {time.perf_counter() - t0:.1f} s)")

    ours_best, ours_median, ours = best(lambda: auditkit_frame(folder), args.repeat)
    cli_best, cli_median, text = best(lambda: csv_frame(cli_all(folder)), 1)
    theirs = text
    sample = sorted(folder.glob("*.zip"))[: args.sample]
    per_best, _, _ = best(lambda: csv_frame(cli_per_zip(sample)), 1)
    per_zip = per_best / len(sample) * args.runs

    # Same facts: every param and latest metric of every experiment.
    ours = ours.set_index("run_id")
    assert len(ours) == len(theirs) == args.runs, (len(ours), len(theirs))
    columns = [c for c in theirs.columns]
    assert sorted(columns) == sorted(c for c in ours.columns if c.startswith(("params.", "metrics."))), columns
    for col in columns:
        left, right = ours.loc[theirs.index, col], theirs[col]
        if col.startswith("metrics."):
            assert (left.to_numpy() == right.to_numpy()).all(), col
        else:
            assert (left.astype(str).to_numpy() == right.to_numpy()).all(), col
    print(f"auditkit runs_frame:             {ours_best:.3f} s (median {ours_median:.3f})")
    print(f"comet offline --csv, one process: {cli_best:.3f} s  ({cli_best / ours_best:.1f} x)")
    print(f"comet offline --csv per zip:      {per_zip:.1f} s (scaled from {len(sample)} zips, "
          f"{per_zip / ours_best:.0f} x)")
    print(f"checked: {len(columns)} param/metric columns equal for {args.runs} experiments")


if __name__ == "__main__":
    main()

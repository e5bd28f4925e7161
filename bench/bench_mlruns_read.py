"""Time to read every run of a 2,000-run mlruns folder with the mlflow-file connector.

    .venv/bin/python bench/bench_mlruns_read.py [--copies 500] [--repeat 5]

Builds the folder once under a temporary directory from the run folders real MLflow 2.9.2 wrote
(tests/fixtures/legacy: 4 runs, each copied ``--copies`` times under new run ids, its meta.yaml
updated to match), then prints the best and median wall time of ``MlflowFileConnector(...).runs()``
in this process. Run it with ``PYTHONPATH=<an older checkout>`` to compare versions.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "legacy" / "mlflow-2.9.2" / "mlruns"
EXPERIMENT = "857263267033288978"


def build(dest: Path, copies: int) -> int:
    shutil.copytree(FIXTURE, dest)
    exp = dest / EXPERIMENT
    runs = [p for p in exp.iterdir() if len(p.name) == 32]
    for _ in range(copies):
        for run in runs:
            new_id = uuid.uuid4().hex
            shutil.copytree(run, exp / new_id)
            meta = exp / new_id / "meta.yaml"
            meta.write_text(meta.read_text().replace(run.name, new_id))
    return len(runs) * (copies + 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import auditkit
    from auditkit.connectors.mlflow_file import MlflowFileConnector

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-mlruns-") as tmp:
        store = Path(tmp) / "mlruns"
        build(store, args.copies)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            with MlflowFileConnector(str(store)) as connector:
                count = len(connector.runs())
            times.append(time.perf_counter() - t)
    print(f"auditkit from {Path(auditkit.__file__).parent}")
    print(f"{count} runs: best {min(times):.3f} s, median {statistics.median(times):.3f} s (of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

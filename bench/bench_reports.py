"""Time and peak memory of each audit report on the sample data.

Each report runs in a fresh interpreter (as ``auditkit report …`` would), so peak memory is that
report's own: imports, reading the store and the log, building the context, rendering the PDF.

    .venv/bin/python bench/bench_reports.py            # table
    .venv/bin/python bench/bench_reports.py --json     # one JSON document
    .venv/bin/python bench/bench_reports.py --repeat 3 # best of 3 per report

Columns: ``import`` (auditkit + reports + WeasyPrint), ``build`` (store/log → context), ``pdf``
(context → PDF bytes), ``html``, ``cold`` (wall time of the whole child, interpreter start
included: what ``auditkit report`` costs), ``warm`` (build + PDF again in the same process:
what a long-lived service pays) and ``peak MB`` (max RSS of the child, measured before the warm
run). The model report's goal is ≤ 2 s and ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
AS_OF = "2026-07-01T00:00:00Z"

CHILD = r'''
import json, resource, sys, time
t0 = time.perf_counter()
import auditkit
from auditkit.reports import (build_decision_report, build_experiment_report, build_inventory_report,
                              build_model_report, render_html, render_pdf)
from auditkit.reports.demo import ALIAS, DECISION_ID, EXPERIMENT, LABEL_POSITIVE, MODEL, POSITIVE, SENSITIVE
from auditkit.reports.extras import model_extras
import weasyprint  # noqa: F401  (imported by render_pdf anyway; counted in "import")
t1 = time.perf_counter()
kind, sample, as_of = sys.argv[1], sys.argv[2], sys.argv[3]
preds = sample + "/predictions.csv"


def build():
    with auditkit.open_store(sample + "/mlflow.db") as store:
        if kind == "model":
            extras = model_extras(store, MODEL, version=None, alias=ALIAS, predictions=preds,
                                  sensitive=SENSITIVE, positive=POSITIVE, label_positive=LABEL_POSITIVE)
            return build_model_report(store, MODEL, alias=ALIAS, as_of=as_of, **extras)
        if kind == "model-records":
            return build_model_report(store, MODEL, alias=ALIAS, as_of=as_of)
        if kind == "decision":
            log = auditkit.open_predictions(preds)
            try:
                return build_decision_report(store, log, DECISION_ID, as_of=as_of, sensitive=list(SENSITIVE),
                                             positive=POSITIVE, label_positive=LABEL_POSITIVE)
            finally:
                log.close()
        if kind == "experiment":
            return build_experiment_report(store, EXPERIMENT, as_of=as_of)
        return build_inventory_report(store, as_of=as_of, policy=sample + "/policy.yaml")


ctx = build()
t2 = time.perf_counter()
pdf = render_pdf(ctx)
t3 = time.perf_counter()
html = render_html(ctx)
t4 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
render_pdf(build())  # once more, everything imported and warm: what a long-lived service pays
t5 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "pdf": t3 - t2, "html": t4 - t3, "warm": t5 - t4,
                  "peak_mb": peak, "pdf_bytes": len(pdf), "html_bytes": len(html)}))
'''

KINDS = ("model", "model-records", "decision", "experiment", "inventory")


def run_one(kind: str) -> dict:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(SAMPLE), AS_OF], capture_output=True, check=False,
                         text=True, cwd=str(ROOT), env={**os.environ, "PYTHONPATH": str(ROOT)})
    total = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{kind}: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else 'failed'}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["total"] = total - result["warm"]  # the child's own second run is not part of a cold run
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--repeat", type=int, default=1, help="runs per report; the fastest is kept")
    parser.add_argument("--kind", action="append", choices=KINDS, help="only these reports (repeatable)")
    args = parser.parse_args()
    results = {}
    for kind in args.kind or KINDS:
        runs = [run_one(kind) for _ in range(max(1, args.repeat))]
        results[kind] = min(runs, key=lambda r: r["total"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if args.json:
        print(json.dumps({"as_of": AS_OF, "cpus": os.cpu_count(), "load_average_1min": load,
                          "reports": results}, indent=2))
        return
    print(f"{'report':<14}{'import':>8}{'build':>8}{'pdf':>8}{'html':>8}{'cold':>8}{'warm':>8}{'peak MB':>9}{'PDF KB':>8}")
    for kind, r in results.items():
        print(f"{kind:<14}{r['import']:>8.2f}{r['build']:>8.2f}{r['pdf']:>8.2f}{r['html']:>8.2f}"
              f"{r['total']:>8.2f}{r['warm']:>8.2f}{r['peak_mb']:>9.0f}{r['pdf_bytes'] / 1024:>8.0f}")
    print(f"(seconds; {os.cpu_count()} CPUs, 1-min load average {load:.1f} while measuring)" if load is not None
          else "(seconds)")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The main job on the bundled sample data: set up (scripts/setup.sh), then write every report
# (PDF and HTML) from sample_data/ into out/demo/ and answer the regulator's question about
# loan application APP-004711 on the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=${1:-out/demo}
.venv/bin/auditkit demo -o "$out"
echo
.venv/bin/auditkit lineage APP-004711 --store sample_data/mlflow.db \
  --predictions sample_data/predictions.csv --ledger sample_data/registry-ledger.jsonl
echo
echo
# The sample registry holds a deliberate policy violation: `check` exits 1 for it (2 would be an error).
.venv/bin/auditkit check --store sample_data/mlflow.db || [ $? -eq 1 ]
echo "reports written to $out/ (open $out/decision.pdf for APP-004711's report)"

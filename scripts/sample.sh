#!/usr/bin/env bash
# The main job on the bundled sample data: set up (scripts/setup.sh), then show what the sample
# MLflow store holds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
store=sample_data/mlflow.db
.venv/bin/auditkit inspect --store "$store"
echo
.venv/bin/auditkit runs --store "$store" --experiment credit-risk
echo
.venv/bin/auditkit models --store "$store" --name credit-risk

#!/usr/bin/env bash
# A throwaway virtualenv .venv-mlmd with Google's ml-metadata client, used only to WRITE test
# fixtures (tests/fixtures/mlmd/make_mlmd_store.py). ml-metadata pins protobuf<5 and attrs<24,
# which cannot share .venv with mlflow 3.17 / wandb 0.31 (protobuf 6+), so it lives apart.
# auditkit itself never imports ml_metadata. Idempotent; prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv-mlmd
PIN="ml-metadata==1.17.1"
stamp="$VENV/.auditkit-$PIN"
if [ ! -f "$stamp" ]; then
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q "$PIN" >/dev/null
  touch "$stamp"
fi
echo "$PWD/$VENV/bin/python"

"""Shared helpers of the report tests (tests/test_reports*.py).

MLflow stores written by real MLflow 3 into temporary SQLite files: ``make_store`` writes a small
credit-risk project (experiment, runs with params, metrics, datasets, commits; a registered model
with versions, aliases and approval tags). ``make_hostile_store`` writes the same shape where every
free-text field holds markup, CSS, URLs and very long strings. Also the reports' generation time
(``AS_OF``), the decision log writer and PDF text helpers.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: The generation time of every report in the tests.
AS_OF = "2026-11-26T12:00:00Z"


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, read back with pypdf."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squash(text: str) -> str:
    """Text without whitespace: long ids wrap inside narrow table cells."""
    return "".join(text.split())


# Every hostile string a tag, param, name or description may hold.
LONG = "A" * 3000
LONG_WORDS = ("overlong-" * 200).strip("-")
HOSTILE = {
    "script": "<script>document.title='pwned'</script>",
    "img": "<img src=http://127.0.0.1:9/pixel.png>",
    "attach": "<link rel=attachment href=file:///etc/passwd>",
    "css": "<style>body{display:none}</style><div style=\"background:url(http://127.0.0.1:9/x)\">css</div>",
    "cssurl": "@import url(http://127.0.0.1:9/evil.css); body { background: url(file:///etc/passwd) }",
    "long": LONG,
    "longwords": LONG_WORDS,
    "math": "$\\frac{a}{b}$ and $$x$$",
    # model names may not hold '/' or ':'
    "modelname": "model <img src=x onerror=alert(1)><style>* {display none}",
}

_WRITER = r'''
import sys, json
import pandas as pd
import mlflow
from mlflow import MlflowClient

db, kind = sys.argv[1], sys.argv[2]
hostile = json.loads(sys.argv[3])
mlflow.set_tracking_uri("sqlite:///" + db)
client = MlflowClient()

def h(key):
    return hostile[key] if kind == "hostile" else None

exp_name = "credit-risk" if kind == "plain" else "exp " + hostile["script"] + hostile["long"][:200]
exp_id = mlflow.create_experiment(exp_name, tags={"team": h("css") or "risk"})
frame = pd.DataFrame({"income": [1.0, 2.0, 3.0, 4.0], "age": [30, 40, 50, 60], "label": [0, 1, 0, 1]})
run_ids = []
runs = []
for i, (depth, auc, loss) in enumerate([(3, 0.71, 0.52), (5, 0.78, 0.47), (8, 0.76, 0.45)]):
    tags = {"mlflow.user": ["alice", "bob", "alice"][i], "mlflow.source.git.commit": f"{i}" * 40,
            "mlflow.source.name": "train.py", "mlflow.source.type": "LOCAL"}
    if kind == "hostile":
        tags.update({"note": hostile["attach"], "mlflow.user": hostile["img"], "mlflow.source.git.commit": hostile["long"]})
    with mlflow.start_run(experiment_id=exp_id, run_name=(h("script") or f"gbm-depth-{depth}"), tags=tags) as run:
        mlflow.log_params({"max_depth": depth, "learning_rate": 0.1, "features": "income,age"})
        if kind == "hostile":
            mlflow.log_params({"html": hostile["img"], "css": hostile["cssurl"], "long": hostile["longwords"][:6000]})
            mlflow.log_metric("auc: " + "m" * 240, auc)
        mlflow.log_metrics({"val_auc": auc, "val_loss": loss})
        ds = mlflow.data.from_pandas(frame, source=(h("attach") or "s3://bank/credit/train.parquet"),
                                     name=(h("script") or "applications-2025"), targets="label")
        mlflow.log_input(ds, context="training")
        run_ids.append(run.info.run_id)
        runs.append({"run_id": run.info.run_id, "name": run.info.run_name, "user": tags["mlflow.user"],
                     "commit": tags["mlflow.source.git.commit"], "metrics": {"val_auc": auc, "val_loss": loss},
                     "digest": ds.digest})
    if i == 0 and kind == "plain":
        client.set_terminated(run.info.run_id, status="FINISHED")

model = "credit-risk" if kind == "plain" else hostile["modelname"]
client.create_registered_model(model, tags={"owner": h("script") or "risk-team"},
                               description=h("attach") or "Scores consumer credit applications.")
for n, rid in enumerate(run_ids[1:], start=1):
    mv = client.create_model_version(model, source=f"runs:/{rid}/model", run_id=rid,
                                     description=h("css") or f"version from run {n}")
    if n == 1:
        client.set_model_version_tag(model, mv.version, "approved_by", h("img") or "carol")
        client.set_model_version_tag(model, mv.version, "approved_at", h("long") or "2026-11-20T10:00:00Z")
client.set_registered_model_alias(model, "champion", "1")
client.set_registered_model_alias(model, "challenger", "2")
client.create_registered_model("unowned-model")
client.create_model_version("unowned-model", source="s3://elsewhere/model", run_id=None)
print(json.dumps({"experiment": exp_name, "model": model, "run_ids": run_ids, "runs": runs,
                  "versions": {"1": run_ids[1], "2": run_ids[2]},
                  "owner_tag": h("script") or "risk-team"}))
'''


def _write(db: Path, kind: str) -> dict:
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_WRITER), str(db), kind, json.dumps(HOSTILE)],
        capture_output=True, text=True, env=env, cwd=str(db.parent), check=False,
    )
    if out.returncode != 0:
        raise RuntimeError("MLflow could not write the test store: " + out.stderr[-1500:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_store(folder: Path) -> tuple[Path, dict]:
    """A plain MLflow SQLite store; returns its path and what was written (names, run ids)."""
    db = folder / "mlflow.db"
    return db, _write(db, "plain")


def make_hostile_store(folder: Path) -> tuple[Path, dict]:
    """An MLflow SQLite store whose free-text fields are hostile."""
    db = folder / "hostile.db"
    return db, _write(db, "hostile")


def set_alias(db: Path, model: str, alias: str, version: str) -> None:
    """Point ``alias`` of ``model`` at ``version`` with MLflow's own client."""
    code = ("import sys, mlflow; from mlflow import MlflowClient; "
            "MlflowClient(tracking_uri='sqlite:///' + sys.argv[1]).set_registered_model_alias(sys.argv[2], sys.argv[3], sys.argv[4])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    out = subprocess.run([sys.executable, "-c", code, str(db), model, alias, version],
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError("MLflow could not set the alias: " + out.stderr[-1500:])


def write_prediction_log(path: Path, *, model: str, by_version: dict[str, tuple[str, str, int]]) -> list[dict]:
    """A CSV decision log in the contract's default columns: for each version, ``count`` decisions
    spread evenly from ``start`` to ``end`` (ISO dates). Returns the rows written."""
    import csv
    from datetime import datetime, timezone

    rows = []
    n = 0
    for version, (start, end, count) in by_version.items():
        t0 = datetime.fromisoformat(start).replace(tzinfo=timezone.utc).timestamp()
        t1 = datetime.fromisoformat(end).replace(tzinfo=timezone.utc).timestamp()
        for i in range(count):
            n += 1
            sex = "female" if n % 3 == 0 else "male"
            approve = (n % 2 == 0) if sex == "female" else (n % 5 != 0)
            rows.append({
                "prediction_id": f"D-{n:04d}",
                "timestamp": datetime.fromtimestamp(t0 + (t1 - t0) * i / max(count - 1, 1), tz=timezone.utc)
                .strftime("%Y-%m-%dT%H:%M:%SZ"),
                "model_name": model, "model_version": version,
                "score": round(0.3 + 0.5 * approve + (n % 7) / 100, 4),
                "decision": "approve" if approve else "deny",
                "label": "good" if (n % 4 != 0) else "bad",
                "reason_1": "" if approve else "Debt-to-income ratio above 45%",
                "reason_2": "" if approve else "Short credit history",
                "sex": sex, "income": 1000 + 17 * n,
            })
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows

"""Regenerate auditkit's bundled sample data from the UCI Statlog German Credit data.

Run from the repository root:

    .venv/bin/python sample_data/make_sample.py

Writes sample_data/mlflow.db (MLflow sqlite tracking + registry store, written by MLflow
itself), sample_data/artifacts/ (the logged models), sample_data/datasets/ (the train/eval
splits the runs logged), sample_data/predictions.csv (credit decisions) and
sample_data/champion_schedule.json and sample_data/registry-ledger.jsonl (auditkit snapshots
taken while the registry changes; sample_data/_ledger.py). See sample_data/README.md.

The training runs happen in a throwaway git repository (two commits with pinned dates) so
MLflow records the git commit, branch and remote URL itself. The sample's history spans
2025-10 to 2026-06: each MLflow call runs under a shifted clock (time.time offset to the
event's date), so MLflow's own timestamps carry those dates. The only edit to the written
store is the artifact-location rewrite described in README.md; the only edit to the ledger is
its store URI (made portable, hash chain recomputed).
"""

from __future__ import annotations

import calendar
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep sample_data/ free of __pycache__
sys.path.insert(0, str(HERE))
import _ledger  # noqa: E402  (sample_data/_ledger.py)

SRC_DATA = Path("/work/shared/data/german_credit")
DB = HERE / "mlflow.db"
ART = Path(tempfile.gettempdir()) / "auditkit-sample-artifacts"  # replaced in main(); not bundled
RAW_LEDGER = Path(tempfile.gettempdir()) / "auditkit-sample-ledger.jsonl"  # replaced in main()
LEDGER = HERE / "registry-ledger.jsonl"
DB_URI = f"sqlite:///{DB}"
PORTABLE_ART = "mlflow-artifacts:"  # what absolute artifact locations are rewritten to
MODEL = "credit-risk"
EXPERIMENT = "credit-risk"
THRESHOLD = 0.6
REMOTE = "https://git.example.com/credit/credit-risk.git"
SEED = 20260101
N_DECISIONS = 2400
DOC_ID = 4711  # docs use "loan application 4711": a denial in the v2 (tree) era

COLUMNS = ["checking_status", "duration_months", "credit_history", "purpose", "credit_amount",
           "savings", "employment_since", "installment_rate_pct", "personal_status_sex",
           "other_debtors", "residence_since", "property", "age_years",
           "other_installment_plans", "housing", "existing_credits", "job", "people_liable",
           "telephone", "foreign_worker", "credit_risk"]
NUMERIC = ["duration_months", "credit_amount", "installment_rate_pct", "residence_since",
           "age_years", "existing_credits", "people_liable"]
CATEGORICAL = ["checking_status", "credit_history", "purpose", "savings", "employment_since",
               "other_debtors", "property", "other_installment_plans", "housing", "job",
               "telephone"]
FEATURES = NUMERIC + CATEGORICAL

# name, clock, user, commit ("A"/"B"), training arguments, register?, tags, note
RUNS = [
    ("logreg-baseline", "2025-11-03T09:12:00Z", "a.schmidt", "A",
     ["--model", "logreg", "--C", "1.0"], True, {"ticket": "CR-101"},
     "Baseline logistic regression on all 18 non-protected features."),
    ("gbm-depth3", "2025-11-17T14:05:00Z", "m.yilmaz", "A",
     ["--model", "gbm", "--n-estimators", "150", "--learning-rate", "0.05", "--max-depth", "3",
      "--subsample", "0.8"], True, {"ticket": "CR-104"},
     "Gradient boosting, shallow trees, stochastic boosting."),
    ("gbm-depth5", "2025-11-19T10:40:00Z", "m.yilmaz", "A",
     ["--model", "gbm", "--n-estimators", "200", "--learning-rate", "0.1", "--max-depth", "5"],
     False, {"ticket": "CR-104"}, "Deeper trees; overfits (train AUC ~1), not registered."),
    ("logreg-balanced", "2026-04-07T11:30:00Z", "a.schmidt", "B",
     ["--model", "logreg", "--C", "0.3", "--class-weight", "balanced"], True,
     {"ticket": "CR-131"}, "Spring retraining: stronger regularisation, balanced classes."),
    ("logreg-debug", "2026-05-28T16:02:00Z", "j.novak", "B",
     ["--model", "logreg", "--C", "10.0"], False, {"ticket": "CR-140"},
     "Debug run for the feature-pipeline refactor; deleted."),
    ("gbm-tuned", "2026-06-03T10:15:00Z", "m.yilmaz", "B",
     ["--model", "gbm", "--n-estimators", "200", "--learning-rate", "0.05", "--max-depth", "2",
      "--min-samples-leaf", "10"], True, {"ticket": "CR-142"},
     "Tuned gradient boosting, candidate to replace the logistic regression."),
]
DELETED_RUN = ("logreg-debug", "2026-05-28T16:40:00Z")
COMMITS = {"A": ("2025-10-27T16:20:00+00:00", "Anna Schmidt", "a.schmidt@bank.example",
                 "Credit-risk training script", "1.0"),
           "B": ("2026-04-01T08:45:00+00:00", "Mehmet Yilmaz", "m.yilmaz@bank.example",
                 "Trainer 1.1 for the spring retraining", "1.1")}
# version -> description, approval tags (None = no approval on record)
VERSIONS = {
    "1": ("Logistic regression baseline (run logreg-baseline).",
          {"approved_by": "k.weber", "approved_at": "2025-12-15",
           "approval_ticket": "MRM-2025-041"}, "2025-12-15T15:30:00Z"),
    "2": ("Gradient boosting, depth 3 (run gbm-depth3).",
          {"approved_by": "k.weber", "approved_at": "2026-02-26"}, "2026-02-26T10:00:00Z"),
    "3": ("Logistic regression, balanced classes (run logreg-balanced).",
          {"approved_by": "l.fischer", "approved_at": "2026-04-30",
           "approval_ticket": "MRM-2026-019"}, "2026-04-30T14:10:00Z"),
    "4": ("Tuned gradient boosting (run gbm-tuned); in validation.", None, None),
}
# alias moves, in order: (clock, alias, version or None to remove the alias)
ALIAS_MOVES = [
    ("2025-12-16T09:00:00Z", "champion", "1"), ("2025-12-16T09:00:00Z", "challenger", "2"),
    ("2026-03-02T07:00:00Z", "champion", "2"), ("2026-03-02T07:00:00Z", "challenger", None),
    ("2026-04-29T09:00:00Z", "challenger", "3"),
    ("2026-05-04T07:00:00Z", "champion", "3"), ("2026-05-04T07:00:00Z", "challenger", None),
    ("2026-06-10T08:00:00Z", "challenger", "4"),
]
DECISIONS_FROM, DECISIONS_TO = "2026-01-02", "2026-06-30"
LABELS_UNTIL = "2026-06-01T00:00:00Z"  # outcomes of June decisions are not known yet

# Bootstrap for the training subprocess: shift the clock to SAMPLE_CLOCK, then run the script
# with argv[0] = "train_credit.py" (relative), exactly as `python train_credit.py ...` would.
BOOT = """
import calendar, os, runpy, sys, time
off = calendar.timegm(time.strptime(os.environ["SAMPLE_CLOCK"], "%Y-%m-%dT%H:%M:%SZ")) - time.time()
_t, _tn = time.time, time.time_ns
time.time = lambda: _t() + off
time.time_ns = lambda: _tn() + int(off * 1e9)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def epoch(iso: str) -> float:
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


@contextlib.contextmanager
def clock(iso: str):
    """Run MLflow calls in this process as if at ``iso`` (UTC)."""
    real, real_ns = time.time, time.time_ns
    off = epoch(iso) - real()
    time.time = lambda: real() + off
    time.time_ns = lambda: real_ns() + int(off * 1e9)
    try:
        yield
    finally:
        time.time, time.time_ns = real, real_ns


def quiet_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GIT_"))}
    env.update(MLFLOW_TRACKING_URI=DB_URI, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", PYTHONHASHSEED="0",
               PYTHONWARNINGS="ignore", TZ="UTC")
    env.update(extra)
    return env


# ---------------------------------------------------------------- data
def prepare_data() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Copy the raw data with attribution; write the deterministic 70/30 split."""
    dst = HERE / "german_credit"
    dst.mkdir(exist_ok=True)
    for name in ("german.data", "README.md"):
        shutil.copyfile(SRC_DATA / name, dst / name)
    raw = pd.read_csv(SRC_DATA / "german.data", sep=" ", header=None, names=COLUMNS)
    raw["credit_risk"] = raw["credit_risk"].map({1: "good", 2: "bad"})
    rng = np.random.default_rng(42)
    eval_idx = np.concatenate([rng.choice(np.flatnonzero(raw["credit_risk"] == c),
                                          int(round(0.3 * (raw["credit_risk"] == c).sum())),
                                          replace=False) for c in ("good", "bad")])
    is_eval = np.zeros(len(raw), bool)
    is_eval[eval_idx] = True
    (HERE / "datasets").mkdir(exist_ok=True)
    raw[~is_eval].to_csv(HERE / "datasets" / "credit_train.csv", index=False)
    raw[is_eval].to_csv(HERE / "datasets" / "credit_eval.csv", index=False)
    # read back, so every frame here is what the training script reads
    train = pd.read_csv(HERE / "datasets" / "credit_train.csv")
    evald = pd.read_csv(HERE / "datasets" / "credit_eval.csv")
    return raw, train, evald


# ---------------------------------------------------------------- git + training
def git(repo: Path, *args: str, date: str | None = None, who: tuple[str, str] | None = None):
    extra = {}
    if date:
        extra.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    if who:
        extra.update(GIT_AUTHOR_NAME=who[0], GIT_AUTHOR_EMAIL=who[1],
                     GIT_COMMITTER_NAME=who[0], GIT_COMMITTER_EMAIL=who[1])
    out = subprocess.run(["git", *args], cwd=repo, env=quiet_env(**extra), check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def commit(repo: Path, key: str) -> str:
    date, name, email, message, trainer = COMMITS[key]
    script = (HERE / "train_credit.py").read_text()
    (repo / "train_credit.py").write_text(
        script.replace('TRAINER_VERSION = "1.1"', f'TRAINER_VERSION = "{trainer}"'))
    git(repo, "add", "train_credit.py", ".gitignore")
    git(repo, "commit", "-q", "-m", message, date=date, who=(name, email))
    return git(repo, "rev-parse", "HEAD")


def train(repo: Path, name: str, at: str, user: str, args: list[str], register: bool,
          tags: dict[str, str], note: str) -> dict:
    cmd = [sys.executable, "-c", BOOT, "train_credit.py", *args, "--run-name", name,
           "--note", note, "--result-file", "result.json", "--tag", "team=credit-risk-analytics"]
    cmd += [a for k, v in tags.items() for a in ("--tag", f"{k}={v}")]
    cmd += ["--register", MODEL] if register else ["--no-model"]
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=repo, env=quiet_env(SAMPLE_CLOCK=at, LOGNAME=user, USER=user),
                          capture_output=True, text=True)
    print(f"trained {name} in {time.time() - t0:.0f}s", flush=True)
    if proc.returncode:
        sys.exit(f"training run {name} failed:\n{proc.stderr[-3000:]}")
    return json.loads((repo / "result.json").read_text())


def build_store(raw_train: Path, raw_eval: Path) -> tuple[dict, dict]:
    """All MLflow writing, in chronological order. Returns run results and commit hashes."""
    import mlflow
    from mlflow.entities import ExperimentTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    with clock("2025-10-27T15:00:00Z"):
        store = SqlAlchemyStore(DB_URI, str(ART))
        store.create_experiment(EXPERIMENT, tags=[
            ExperimentTag("team", "credit-risk-analytics"),
            ExperimentTag("mlflow.note.content",
                          "Consumer-credit risk scoring (German Credit applicants).")])
        store.engine.dispose()
    client = mlflow.MlflowClient(tracking_uri=DB_URI, registry_uri=DB_URI)
    results, commits = {}, {}
    with tempfile.TemporaryDirectory(prefix="credit-risk-") as tmp:
        repo = Path(tmp) / "credit-risk"
        (repo / "data").mkdir(parents=True)
        shutil.copyfile(raw_train, repo / "data" / "credit_train.csv")
        shutil.copyfile(raw_eval, repo / "data" / "credit_eval.csv")
        (repo / ".gitignore").write_text("data/\nresult.json\nmlruns/\n")
        git(repo, "init", "-q", "-b", "main")
        git(repo, "remote", "add", "origin", REMOTE)
        moves = list(ALIAS_MOVES)
        approvals = sorted((at, v) for v, (_, appr, at) in VERSIONS.items() if appr)
        snaps = [t for t, _ in _ledger.snapshot_times()]
        for name, at, user, key, args, register, tags, note in RUNS:
            # registry events and ledger snapshots that happened before this run
            _registry_events(client, moves, approvals, snaps, until=at)
            if key not in commits:
                commits[key] = commit(repo, key)
            results[name] = {**train(repo, name, at, user, args, register, tags, note),
                             "commit": commits[key], "user": user, "started": at}
            if results[name]["version"] == "1":
                with clock(at):
                    client.set_registered_model_tag(MODEL, "owner", "a.schmidt")
                    client.set_registered_model_tag(MODEL, "team", "credit-risk-analytics")
                    client.update_registered_model(
                        MODEL, "Probability that a consumer-credit applicant is a good risk; "
                        f"applications are approved when the score is >= {THRESHOLD}.")
            if results[name]["version"]:
                with clock(at):
                    v = results[name]["version"]
                    client.update_model_version(MODEL, v, VERSIONS[v][0])
                    client.set_model_version_tag(MODEL, v, "decision_threshold", str(THRESHOLD))
            if name == DELETED_RUN[0]:
                with clock(DELETED_RUN[1]):
                    client.delete_run(results[name]["run_id"])
        _registry_events(client, moves, approvals, snaps, until="2099-01-01T00:00:00Z")
    return results, commits


def _registry_events(client, moves: list, approvals: list, snaps: list, until: str) -> None:
    events = [(at, "alias", (alias, v)) for at, alias, v in moves if at < until]
    events += [(at, "approve", v) for at, v in approvals if at < until]
    events += [(at, "snapshot", None) for at in snaps if at < until]
    order = {"approve": 0, "alias": 1, "snapshot": 2}
    for at, kind, what in sorted(events, key=lambda e: (e[0], order[e[1]])):
        if kind == "snapshot":  # MLflow is idle meanwhile; auditkit reads the store read-only
            _ledger.take(DB_URI, RAW_LEDGER, at)
            continue
        with clock(at):
            if kind == "approve":
                for k, val in VERSIONS[what][1].items():
                    client.set_model_version_tag(MODEL, what, k, val)
            elif what[1] is None:
                client.delete_registered_model_alias(MODEL, what[0])
            else:
                client.set_registered_model_alias(MODEL, what[0], what[1])
    moves[:] = [m for m in moves if m[0] >= until]
    approvals[:] = [a for a in approvals if a[0] >= until]
    snaps[:] = [t for t in snaps if t >= until]


# ---------------------------------------------------------------- portability
def make_portable() -> None:
    """Rewrite absolute artifact locations (and only those) to mlflow-artifacts: URIs."""
    prefix = str(ART)
    con = sqlite3.connect(DB)
    with con:
        for table, col in [("experiments", "artifact_location"), ("runs", "artifact_uri"),
                           ("model_versions", "storage_location"),
                           ("logged_models", "artifact_location")]:
            con.execute(f"UPDATE {table} SET {col} = ? || substr({col}, ?) "
                        f"WHERE substr({col}, 1, ?) = ?",
                        (PORTABLE_ART, len(prefix) + 1, len(prefix), prefix))
    con.execute("VACUUM")
    # nothing in the store may still name this machine's paths
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        for col in cols:
            hit = con.execute(f"SELECT count(*) FROM {table} WHERE CAST({col} AS TEXT) LIKE ? "
                              f"OR CAST({col} AS TEXT) LIKE ?",
                              (f"%{HERE}%", f"%{tempfile.gettempdir()}/%")).fetchone()[0]
            assert hit == 0, f"{table}.{col} still holds a local path"
    assert not con.execute("SELECT count(*) FROM runs WHERE artifact_uri LIKE ?",
                           (f"%{ART}%",)).fetchone()[0]
    con.close()


def main() -> None:
    global ART, RAW_LEDGER
    with tempfile.TemporaryDirectory(prefix="auditkit-sample-") as tmp:
        ART = Path(tmp) / "artifacts"  # the logged models live here only while generating
        RAW_LEDGER = Path(tmp) / "ledger" / "registry-ledger.jsonl"  # and its .lock file
        generate()


def generate() -> None:
    from _predictions import alias_log, make_predictions, schedule_json, verify

    t0 = time.time()
    for path in (DB, HERE / "artifacts", HERE / "predictions.csv", HERE / "champion_schedule.json",
                 LEDGER, RAW_LEDGER):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    raw, train_df, eval_df = prepare_data()
    results, commits = build_store(HERE / "datasets" / "credit_train.csv",
                                   HERE / "datasets" / "credit_eval.csv")

    import mlflow
    mlflow.set_tracking_uri(DB_URI)
    mlflow.set_registry_uri(DB_URI)
    models = {}
    for name, res in results.items():  # the logged model objects, loaded back from the store
        if res["version"]:
            models[res["version"]] = mlflow.sklearn.load_model(
                f"models:/{MODEL}/{res['version']}")
    make_portable()
    _ledger.publish(RAW_LEDGER, LEDGER, forbidden=[str(HERE), str(RAW_LEDGER.parent),
                                                   tempfile.gettempdir() + "/"])
    schedule = schedule_json()
    (HERE / "champion_schedule.json").write_text(json.dumps(schedule, indent=2) + "\n")
    preds = make_predictions(raw, train_df, models, schedule)
    preds.to_csv(HERE / "predictions.csv", index=False)
    alias_log(pd.read_csv(HERE / "predictions.csv", dtype=str, keep_default_na=False)).to_csv(
        HERE / "predictions_alias.csv", index=False)
    verify(results, train_df, preds)
    info = _ledger.verify(LEDGER, DB_URI, preds, schedule)
    print(f"ledger: {info}")
    print("run ids: " + ", ".join(f"{n} {r['run_id']} (v{r['version']})" if r["version"]
                                  else f"{n} {r['run_id']}" for n, r in results.items()))
    print(f"done in {time.time() - t0:.0f}s; commits {commits}")


if __name__ == "__main__":
    main()

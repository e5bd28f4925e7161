"""Rules several parts use are written once (auditkit.times, auditkit.accountability), so
lineage, the reports, the policy, the ledger and the CLI agree on the same records."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from conftest import ROOT

import auditkit
from auditkit import errors
from auditkit.cli import cli
from auditkit.provenance.gaps import GAP_NO_OWNER
from auditkit.reports import build_inventory_report, build_model_report
from auditkit.times import BAD_TIME, epoch_unit, format_time, parse_time

SAMPLE = ROOT / "sample_data"
CHAMPION = "3"  # sample registry: credit-risk@champion
DECISION_BY_CHAMPION = "APP-004965"


@pytest.fixture()
def store_copy(tmp_path):
    db = tmp_path / "mlflow.db"
    shutil.copy(SAMPLE / "mlflow.db", db)
    return db


def run_of(db, version: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT run_id FROM model_versions WHERE name = 'credit-risk' AND version = ?",
                            (int(version),)).fetchone()[0]


def test_a_run_user_of_unknown_names_no_owner_anywhere(store_copy):
    """MLflow writes `unknown` when it cannot tell the user: lineage, the model report, the
    inventory and the policy all take that as no owner (the policy used to count it)."""
    run_id = run_of(store_copy, CHAMPION)
    with sqlite3.connect(store_copy) as conn:
        conn.execute("UPDATE runs SET user_id = 'unknown' WHERE run_uuid = ?", (run_id,))
        conn.execute("UPDATE tags SET value = 'unknown' WHERE run_uuid = ? AND key = 'mlflow.user'", (run_id,))
        conn.execute("DELETE FROM registered_model_tags WHERE key = 'owner'")
    log = auditkit.open_predictions(SAMPLE / "predictions.csv")
    with auditkit.open_store(str(store_copy)) as store:
        doc = auditkit.lineage(store, log, DECISION_BY_CHAMPION)
        report = build_model_report(store, "credit-risk", version=CHAMPION, as_of="2026-11-26")
        inventory = build_inventory_report(store, as_of="2026-11-26")
        findings = auditkit.check_policy(store, as_of="2026-11-26")
    assert doc["owner"] == {"user": None, "evidence": None} and GAP_NO_OWNER in doc["gaps"]
    assert report.owner.user is None
    newest = inventory.models[0]
    assert newest.owner.user is not None  # the newest version (4) has its own run user
    assert [(f.rule, f.version) for f in findings if f.rule == "owner"] == [("owner", CHAMPION)]


def test_owner_is_the_same_person_in_lineage_report_and_policy(store_copy):
    """With no creator on the version, all three take the run's user, and say so their own way."""
    run_id = run_of(store_copy, CHAMPION)
    with sqlite3.connect(store_copy) as conn:
        (user,) = conn.execute("SELECT user_id FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
    log = auditkit.open_predictions(SAMPLE / "predictions.csv")
    with auditkit.open_store(str(store_copy)) as store:
        doc = auditkit.lineage(store, log, DECISION_BY_CHAMPION)
        report = build_model_report(store, "credit-risk", version=CHAMPION, as_of="2026-11-26")
        findings = auditkit.check_policy(store, as_of="2026-11-26")
    assert doc["owner"] == {"user": user, "evidence": f"run {run_id} (user)"}
    assert (report.owner.user, report.owner.evidence) == (user, f"user of training run {run_id}")
    assert not [f for f in findings if f.rule == "owner"]


@pytest.mark.parametrize("text", ["2026-01-01T12:00:00z", "2026-01-01T12:00:00Z", "2026-01-01T13:00:00+01:00",
                                  "2026-01-01T12:00:00"])
def test_one_time_grammar_for_snapshot_check_and_reports(tmp_path, text):
    """`--as-of` means the same instant to every command (`snapshot` used to refuse a lower-case z)."""
    runner = CliRunner()
    ledger = tmp_path / "ledger.jsonl"
    store = str(SAMPLE / "mlflow.db")
    snap = runner.invoke(cli, ["snapshot", "--store", store, "--ledger", str(ledger), "--as-of", text])
    assert snap.exit_code == 0, snap.output
    assert "at 2026-01-01T12:00:00.000000Z" in snap.output
    check = runner.invoke(cli, ["check", "--store", store, "--as-of", text, "--format", "json"])
    assert check.exit_code == 1 and '"as_of": "2026-01-01T12:00:00.000Z"' in check.output
    out = tmp_path / "inventory.html"
    rep = runner.invoke(cli, ["report", "inventory", "--store", store, "--as-of", text, "-o", str(out)])
    assert rep.exit_code == 0, rep.output
    assert "2026-01-01T12:00:00Z" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [["snapshot", "--ledger", "L.jsonl"], ["check"],
                                     ["report", "inventory", "-o", "r.html"]])
def test_a_bad_time_is_the_same_one_line_error_everywhere(tmp_path, command):
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        res = runner.invoke(cli, [*command, "--store", str(SAMPLE / "mlflow.db"), "--as-of", "last tuesday"])
    assert res.exit_code == 2
    assert res.output.startswith("error: ") and "is not a date/time; expected ISO 8601" in res.output
    assert res.output.count("\n") == 1


def test_time_grammar():
    utc = timezone.utc
    assert parse_time("2026-03-01") == datetime(2026, 3, 1, tzinfo=utc)
    assert parse_time("2026-03-01T10:00:00-02:00") == datetime(2026, 3, 1, 12, tzinfo=utc)
    assert parse_time(1772359200, unit="s") == datetime(2026, 3, 1, 10, tzinfo=utc)
    assert parse_time("1772359200000", unit="ms") == datetime(2026, 3, 1, 10, tzinfo=utc)
    with pytest.raises(errors.UsageError) as exc:
        parse_time("1772359200")  # a number without its unit would be a guess
    assert str(exc.value) == BAD_TIME.format(what="time", value="1772359200")
    with pytest.raises(errors.UsageError):
        parse_time("9999-12-31T23:59:59-14:00")  # past year 9999 in UTC: an error, not a crash
    assert format_time(datetime(2026, 3, 1, 10, tzinfo=utc)) == "2026-03-01T10:00:00.000Z"
    assert format_time(datetime(2026, 3, 1, 10), timespec="seconds") == "2026-03-01T10:00:00Z"


def test_epoch_unit_is_inferred_only_when_one_unit_fits():
    assert epoch_unit([1772359200, 1772445600]) == "s"
    assert epoch_unit([1772359200000, 1772445600000]) == "ms"
    assert epoch_unit([1772359200000000]) == "us"
    assert epoch_unit([1796, 1800]) is None  # 1970 in any unit: not a plausible decision time
    assert epoch_unit([1772359200, 1772359200000]) is None  # mixed units


def test_prediction_log_epoch_seconds(tmp_path):
    """Epoch seconds are read as seconds (they used to be taken as milliseconds, in 1970);
    numbers no unit explains are an error naming the column and --time-unit."""
    rows = ["prediction_id,timestamp,model_name,model_version,decision",
            "D-1,1772359200,credit-risk,3,approve", "D-2,1772445600,credit-risk,3,deny"]
    good = tmp_path / "seconds.csv"
    good.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store:
        doc = auditkit.lineage(store, auditkit.open_predictions(good), "D-1")
        assert doc["prediction"]["timestamp"] == "2026-03-01T10:00:00.000Z"
        frame = auditkit.lineage_frame(store, auditkit.open_predictions(good))
    assert [format_time(t.to_pydatetime()) for t in frame["timestamp"]] == [
        "2026-03-01T10:00:00.000Z", "2026-03-02T10:00:00.000Z"]
    bad = tmp_path / "small.csv"
    bad.write_text("\n".join(r.replace("1772359200", "1796").replace("1772445600", "1800") for r in rows) + "\n",
                   encoding="utf-8")
    res = CliRunner().invoke(cli, ["lineage", "D-1", "--store", str(SAMPLE / "mlflow.db"), "--predictions", str(bad)])
    assert res.exit_code == 2
    assert res.output.startswith(f"error: prediction log {str(bad)!r} column 'timestamp' holds epoch numbers")
    assert "--time-unit" in res.output
    res = CliRunner().invoke(cli, ["lineage", "D-1", "--store", str(SAMPLE / "mlflow.db"), "--predictions", str(bad),
                                   "--time-unit", "ms", "--format", "json"])
    assert res.exit_code == 0 and '"timestamp": "1970-01-01T00:00:01.796Z"' in res.output


def test_not_found_errors_carry_kind_and_name():
    with auditkit.open_store(str(SAMPLE / "mlflow.db")) as store:
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.get_run("no-such-run")
        assert (exc.value.kind, exc.value.name) == ("run", "no-such-run")
        with pytest.raises(errors.RecordNotFoundError) as exc:
            store.model_versions("no-such-model")
        assert (exc.value.kind, exc.value.name) == ("model", "no-such-model")
        with pytest.raises(errors.RecordNotFoundError) as exc:
            auditkit.lineage(store, auditkit.open_predictions(SAMPLE / "predictions.csv"), "APP-000000")
        assert (exc.value.kind, exc.value.name) == ("prediction", "APP-000000")
        assert isinstance(exc.value, errors.PredictionLogError)

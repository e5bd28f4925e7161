"""``impact``: from a bad commit, dataset, run or version forward to runs, versions, serving
windows, decisions and rollback targets, on a store written by real MLflow and git."""

from __future__ import annotations

import csv
import json
from collections import Counter

import impact_scenario as sc
import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

import auditkit
from auditkit.cli import cli
from auditkit.impact import impact

SNAPSHOT_TIMES = [t for _, times in sc.STATES for t in times]


def _expected(incident, versions: set[str]) -> list[dict]:
    return [r for r in incident["rows"] if sc.version_of(r) in versions]


def _snap_time(seq: int) -> str:
    return SNAPSHOT_TIMES[seq - 1].replace("Z", ".000000Z")


@pytest.fixture(scope="module")
def bad(incident):
    with auditkit.open_store(incident["uri"]) as store:
        log = auditkit.open_predictions(str(incident["predictions"]))
        return impact(store, commit=incident["commits"]["bad"][:10], log=log, ledger=incident["ledger"],
                      keep_decisions=True)


def test_bad_commit_finds_exactly_its_runs_and_versions(incident, bad):
    client = MlflowClient(incident["uri"])
    expected_runs = {incident["runs"][k]["run_id"] for k, commit, *_ in sc.RUNS if commit == "bad"}
    assert {r["id"] for r in bad["runs"]} == expected_runs
    for r in bad["runs"]:
        assert client.get_run(r["id"]).data.tags["mlflow.source.git.commit"] == incident["commits"]["bad"]
    registered = {str(mv.version): mv.run_id for mv in client.search_model_versions(f"name='{sc.MODEL}'")}
    expected_versions = sorted(v for v, rid in registered.items() if rid in expected_runs)
    assert expected_versions == ["3", "4"]
    assert [v["version"] for v in bad["versions"]] == expected_versions
    assert bad["target"] == {"kind": "commit", "value": incident["commits"]["bad"][:10]}


def test_serving_windows_come_from_the_snapshots(bad):
    served = {v["version"]: v["served"] for v in bad["versions"]}
    # champion -> 3 and challenger -> 4 were set before snapshot #5 and held to the last (#6)
    assert [(s.get("alias"), s["from"], s["to"]) for s in served["3"]] == [("champion", _snap_time(5), None)]
    assert [(s.get("alias"), s["from"], s["to"]) for s in served["4"]] == [("challenger", _snap_time(5), None)]
    assert "#5" in served["3"][0]["evidence"] and "not yet at #4" in served["3"][0]["evidence"]


def test_decision_counts_are_the_affected_versions_decisions(incident, bad):
    rows = _expected(incident, {"3", "4"})
    d = bad["decisions"]
    assert d["count"] == len(rows) == 14
    assert d["by_outcome"] == dict(sorted(Counter(r["decision"] for r in rows).items()))
    assert d["by_month"] == dict(sorted(Counter(r["timestamp"][:7] for r in rows).items()))
    assert d["by_version"] == {f"credit/{v}": n for v, n in sorted(Counter(sc.version_of(r) for r in rows).items())}
    assert d["examined"] == len(incident["rows"])
    # the one decision between snapshots #4 and #5 (champion moved 2 -> 3 then) is not attributed
    assert d["unresolved"] == sum(1 for r in incident["rows"] if "@" in r["model_uri"] and sc.version_of(r) is None)
    assert d["unresolved"] == 1
    assert any("1 decision(s) name credit by an alias" in g for g in bad["gaps"])
    assert sorted(r["prediction_id"] for r in d["rows"]) == sorted(r["prediction_id"] for r in rows)


def test_rollback_skips_the_unapproved_version_and_gives_a_gap_where_nothing_is_safe(bad):
    rollback = {r["alias"]: r for r in bad["rollback"]}
    assert set(rollback) == {"champion", "challenger"}
    champion = rollback["champion"]
    assert champion["version"] == "1"  # 2 held champion later but was never approved
    assert [(p["version"], p["why"]) for p in champion["passed_over"]] == [("2", "not approved")]
    assert "approved by m.risk at 2029-12-20T10:00:00Z" in champion["evidence"]
    assert rollback["challenger"]["version"] is None and rollback["challenger"]["evidence"] is None
    assert ("no safe rollback target for alias challenger of credit: no version held it before an affected "
            "version did") in bad["gaps"]


def test_good_commit_has_no_safe_target_for_champion(incident):
    with auditkit.open_store(incident["uri"]) as store:
        doc = impact(store, commit=incident["commits"]["good"], ledger=incident["ledger"])
    assert [v["version"] for v in doc["versions"]] == ["1", "2"]
    assert [(s["alias"], s["from"], s["to"]) for s in doc["versions"][1]["served"]] == [
        ("champion", _snap_time(3), _snap_time(5))]
    assert doc["rollback"] == [{"alias": "champion", "name": "credit", "version": None, "evidence": None,
                                "passed_over": []}]
    assert doc["decisions"]["count"] is None  # no log given: not counted, and said so
    assert any("no prediction log given" in g for g in doc["gaps"])


def test_dataset_run_and_version_targets(incident):
    runs = incident["runs"]
    with auditkit.open_store(incident["uri"]) as store:
        ds = impact(store, dataset="credit-train", ledger=incident["ledger"])
        digest = MlflowClient(incident["uri"]).get_run(runs["a1"]["run_id"]).inputs.dataset_inputs[0].dataset.digest
        ds_digest = impact(store, dataset=f"credit-train@{digest}")
        one_run = impact(store, run=runs["b2"]["run_id"])
        v2 = impact(store, version="credit/2", ledger=incident["ledger"])
    trained_on = {runs[k]["run_id"] for k, _, _, file in sc.RUNS if file == "train.csv"}
    assert {r["id"] for r in ds["runs"]} == trained_on == {r["id"] for r in ds_digest["runs"]}
    assert [v["version"] for v in ds["versions"]] == ["1", "2", "3"]
    assert [v["version"] for v in one_run["versions"]] == ["4"]
    assert [v["version"] for v in v2["versions"]] == ["2"]
    assert [(r["alias"], r["version"]) for r in v2["rollback"]] == [("champion", "1")]


def test_since_until_narrow_the_decisions(incident):
    with auditkit.open_store(incident["uri"]) as store:
        log = auditkit.open_predictions(str(incident["predictions"]))
        doc = impact(store, commit=incident["commits"]["bad"], log=log, ledger=incident["ledger"],
                     since="2030-04-01", until="2030-04-30T23:59:59Z")
    april = [r for r in _expected(incident, {"3", "4"}) if r["timestamp"].startswith("2030-04")]
    assert doc["decisions"]["count"] == len(april) and list(doc["decisions"]["by_month"]) == ["2030-04"]


def test_cli_json_matches_the_api_and_lists_every_id(incident, bad, tmp_path):
    out = tmp_path / "affected.csv"
    result = CliRunner().invoke(cli, [
        "impact", "--commit", incident["commits"]["bad"][:10], "--store", incident["uri"],
        "--predictions", str(incident["predictions"]), "--ledger", str(incident["ledger"]), "--format", "json",
        "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    expected = {k: v for k, v in bad.items()}
    expected["decisions"] = {k: v for k, v in bad["decisions"].items() if k != "rows"}
    assert doc == expected
    with open(out, newline="", encoding="utf-8") as fh:
        listed = list(csv.DictReader(fh))
    assert sorted(r["prediction_id"] for r in listed) == sorted(r["prediction_id"] for r in _expected(incident, {"3", "4"}))
    assert {r["model_version"] for r in listed} == {"3", "4"}


def test_cli_table_names_the_rollback_target(incident):
    result = CliRunner().invoke(cli, ["impact", "--commit", incident["commits"]["bad"], "--store", incident["uri"],
                                      "--ledger", str(incident["ledger"])])
    assert result.exit_code == 0, result.output
    assert "credit@champion: version 1" in result.stdout
    assert "credit@challenger: none qualifies" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--commit", "0000000000"], "error: commit 0000000000 matches no run in the store"),
    (["--commit", "xyz"], "error: commit 'xyz' is not a git commit; expected 4 to 40 hexadecimal characters"),
    ([], "error: give exactly one of --commit SHA, --dataset NAME[@DIGEST], --run ID, --version NAME/V (got none)"),
    (["--run", "r", "--version", "credit/1"], "(got --run, --version)"),
])
def test_cli_bad_targets_are_one_error_line(incident, args, message):
    result = CliRunner().invoke(cli, ["impact", *args, "--store", incident["uri"]])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_without_a_ledger_serving_is_today_and_no_rollback_is_named(incident):
    with auditkit.open_store(incident["uri"]) as store:
        doc = impact(store, commit=incident["commits"]["bad"])
    served = {v["version"]: [(s["alias"], s["from"], s["to"]) for s in v["served"]] for v in doc["versions"]}
    assert served == {"3": [("champion", None, None)], "4": [("challenger", None, None)]}
    assert [(r["alias"], r["version"]) for r in doc["rollback"]] == [("challenger", None), ("champion", None)]
    assert ("no ledger given: the versions that held alias champion of credit before are not known, so no "
            "rollback target is named") in doc["gaps"]
    assert any(g.startswith("no ledger given: when model version credit/3 held") for g in doc["gaps"])

"""`check` fails closed: a registry table the store's schema revision must have, but that is
missing, is an error naming the table (exit 2), never "nothing to check"."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from conftest import ROOT, file_sha256

SAMPLE = ROOT / "sample_data"


def _copy_without(tmp_path, table: str, revision: str | None = None):
    path = tmp_path / "r.db"
    shutil.copy(SAMPLE / "mlflow.db", path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"DROP TABLE {table}")
        if revision:
            conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.close()
    return path


@pytest.mark.parametrize("table", ["registered_model_aliases", "model_version_tags"])
def test_a_missing_registry_table_is_an_error_naming_it(tmp_path, cli_run, table):
    path = _copy_without(tmp_path, table)
    before = file_sha256(path)
    problem = (f"table {table!r} is missing from {str(path)}, though its schema revision dc11669786a5 has it; "
               "its records cannot be read")
    for args in (["check"], ["check", "--format", "json"], ["check", "--policy", SAMPLE / "policy.yaml"]):
        result = cli_run(*args, "--store", path)
        assert result.exit_code == 2, result.stdout
        assert "nothing to check" not in result.stdout
        assert result.stderr.splitlines() == [
            f"warning: {problem}",
            f"error: cannot check the policy: {problem}; a check on a partial registry could miss serving "
            "versions, so nothing was checked (expected every registry table of the store's schema)",
        ]
    report = cli_run("report", "inventory", "--store", path, "--policy", SAMPLE / "policy.yaml", "-o", tmp_path / "inv.html")
    assert report.exit_code == 2 and report.stderr.endswith("(expected every registry table of the store's schema)\n")
    assert not (tmp_path / "inv.html").exists()
    inspect = cli_run("inspect", "--store", path)  # inspect still shows what it can, with the warning
    assert inspect.exit_code == 0 and inspect.stderr == f"warning: {problem}\n"
    assert file_sha256(path) == before


def test_the_complete_sample_store_is_still_checked(tmp_path, cli_run):
    result = cli_run("check", "--store", SAMPLE / "mlflow.db", "--as-of", "2026-11-26T00:00:00Z")
    assert result.exit_code == 1  # the sample's deliberate finding (README)
    assert "2 serving version(s)" in result.stdout and result.stderr == ""


def test_a_store_whose_revision_predates_aliases_is_checked_without_them(tmp_path, cli_run):
    # MLflow created registered_model_aliases in revision 3500859a5d39; the one before has none
    path = _copy_without(tmp_path, "registered_model_aliases", revision="97727af70f4d")
    result = cli_run("check", "--store", path, "--as-of", "2026-11-26T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    assert "no model version is in a serving stage or alias the policy names; nothing to check" in result.stdout
    assert "missing" not in result.stderr

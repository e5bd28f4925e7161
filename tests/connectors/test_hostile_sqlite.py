"""Hostile and broken SQLite stores (issue 18, cases 7 and 9): one `error:` line or a warning,
never a traceback; nothing is ever created beside the store and its bytes never change.

Stores are copies of sample_data/mlflow.db (MLflow 3.17.2) or of the MLflow 2.9.2 fixture,
damaged by the test with the sqlite3 module or by overwriting bytes.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3

import pytest
from hostile_support import (
    SAMPLE_DB,
    SMALL_DB,
    assert_clean,
    assert_one_line_error,
    auditkit_here,
    copy_file,
    folder_listing,
    notes,
    tree_digest,
)


def edit(path, *statements: str) -> None:
    """Change a store the way a hand edit or another tool would (outside auditkit)."""
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.fixture
def sample(tmp_path):
    return copy_file(SAMPLE_DB, tmp_path, "store.db")


def test_non_utf8_text_is_escaped_with_a_warning(sample):
    commit_key = "mlflow.source.git.commit"
    edit(sample, f"UPDATE tags SET value = CAST(X'FFFE41' AS TEXT) WHERE key = '{commit_key}'")
    before = tree_digest(sample.parent)
    ran = auditkit_here("runs", "--store", sample, "--format", "csv")
    assert_clean(ran)
    rows = list(csv.DictReader(io.StringIO(ran.stdout)))
    assert rows and {row[f"tags.{commit_key}"] for row in rows} == {"\\xff\\xfeA"}
    (warning,) = ran.warnings()
    assert "table 'tags' of" in warning and "text value(s) that are not UTF-8 (e.g. b'\\xff\\xfeA')" in warning
    assert "shown with the bad bytes escaped as \\xNN" in warning
    assert tree_digest(sample.parent) == before


def test_damaged_page_is_one_error_line(sample):
    data = bytearray(sample.read_bytes())
    data[4096 * 10:4096 * 40] = b"\xab" * (4096 * 30)
    sample.write_bytes(bytes(data))
    before = tree_digest(sample.parent)
    for command in ("inspect", "runs", "models"):
        ran = auditkit_here(command, "--store", sample)
        assert_one_line_error(ran, f"'{sample}' is a damaged SQLite database (SQLite says: database disk image "
                                   "is malformed)", "PRAGMA integrity_check")
    assert tree_digest(sample.parent) == before


@pytest.mark.parametrize("keep", [500_000, 4096 * 100, 60])
def test_truncated_file_is_reported_as_truncated(sample, keep):
    size = sample.stat().st_size
    sample.write_bytes(sample.read_bytes()[:keep])
    ran = auditkit_here("inspect", "--store", sample)
    if keep >= 100:
        line = assert_one_line_error(ran, f"'{sample}' is a truncated SQLite database: it holds {keep:,} bytes, "
                                          f"but its header declares {size // 4096:,} pages of 4,096 bytes")
    else:
        line = assert_one_line_error(ran, f"'{sample}' is a truncated SQLite database: it holds 60 bytes, "
                                          "less than the 100-byte header")
    assert "not an SQLite database" not in line


def test_a_file_that_is_not_sqlite_is_still_named_so(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 10)
    assert_one_line_error(auditkit_here("inspect", "--store", path), f"'{path}' is not an SQLite database")


def test_huge_creation_time_is_a_warning_and_an_empty_time(sample):
    edit(sample, "UPDATE model_versions SET creation_time = 1e300 WHERE version = 2",
         "UPDATE runs SET start_time = 1e300")
    for args in (("models",), ("models", "--format", "json"), ("models", "--format", "csv")):
        ran = auditkit_here(*args, "--store", sample)
        assert_clean(ran)
        assert ("warning: timestamp 1e+300 (epoch milliseconds) in model_versions.creation_time is outside the "
                "dates auditkit can represent (years 1 to 9999 UTC); left it empty") in ran.stderr
    versions = {v["version"]: v for v in json.loads(auditkit_here("models", "--store", sample, "--format", "json")
                                                    .stdout)["model_versions"]}
    assert versions["2"]["creation_time"] is None and versions["1"]["creation_time"] is not None
    for fmt in ("table", "csv", "json"):
        ran = auditkit_here("runs", "--store", sample, "--format", fmt)
        assert_clean(ran)
        assert "timestamp 1e+300 (epoch milliseconds) in runs.start_time is outside the dates" in ran.stderr


def test_values_of_the_wrong_type_do_not_crash(tmp_path):
    """SQLite keeps any value in any column: a blob where MLflow writes text, text where it writes
    a number. Text columns are read as text, numeric ones keep only numbers."""
    store = copy_file(SMALL_DB, tmp_path, "store.db")
    edit(store, "UPDATE params SET value = X'00FF10'", "UPDATE runs SET start_time = 'yesterday'",
         "UPDATE tags SET value = 42", "UPDATE latest_metrics SET value = 'high'",
         "UPDATE model_versions SET creation_time = X'01'")
    before = tree_digest(store.parent)
    for args in (("inspect",), ("runs",), ("runs", "--format", "csv"), ("runs", "--format", "json"),
                 ("models",), ("models", "--format", "json")):
        assert_clean(auditkit_here(*args, "--store", store))
    doc = json.loads(auditkit_here("runs", "--store", store, "--format", "json").stdout)
    assert all(r["start_time"] is None for r in doc["runs"])
    assert {v for r in doc["runs"] for v in r["tags"].values()} == {"42"}
    assert tree_digest(store.parent) == before


def test_dev_null_and_a_fifo_as_store_are_one_error_line(tmp_path):
    assert_one_line_error(auditkit_here("inspect", "--store", "/dev/null"),
                          "store '/dev/null' is a character device, neither a file nor a folder")
    assert_one_line_error(auditkit_here("runs", "--store", "sqlite:////dev/null"),
                          "'/dev/null' is a character device, not a regular file")


def test_malformed_server_url_is_one_error_line_without_the_password():
    line = assert_one_line_error(auditkit_here("inspect", "--store", "postgresql://u:secret@[::1"),
                                 "store URL 'postgresql://u:***@[::1' is malformed (Invalid IPv6 URL)")
    assert "secret" not in line


# -- WAL mode: nothing is created beside the store, and committed data is read ---------------------
def wal_store(tmp_path):
    folder = tmp_path / "wal"
    folder.mkdir()
    path = copy_file(SAMPLE_DB, folder, "store.db")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    conn.close()  # last connection closes: WAL checkpointed, -wal/-shm removed
    assert folder_listing(folder) == ["store.db"]
    return path


def experiment_names(store) -> set[str]:
    ran = auditkit_here("runs", "--store", store, "--format", "json")
    assert_clean(ran)
    return {r["experiment"] for r in json.loads(ran.stdout)["runs"]}


def test_wal_store_without_wal_file_is_read_without_creating_files(tmp_path):
    path = wal_store(tmp_path)
    before = tree_digest(path.parent)
    for command in ("inspect", "runs", "models"):
        assert_clean(auditkit_here(command, "--store", path))
    assert experiment_names(path) == {"credit-risk"}
    assert folder_listing(path.parent) == ["store.db"]
    assert tree_digest(path.parent) == before


def test_wal_store_with_a_live_writer_shows_its_committed_data(tmp_path):
    path = wal_store(tmp_path)
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA wal_autocheckpoint=0")  # keep the change in the -wal file
    writer.execute("UPDATE experiments SET name = 'renamed-by-writer' WHERE name = 'credit-risk'")
    writer.commit()
    try:
        listing = folder_listing(path.parent)
        assert listing == ["store.db", "store.db-shm", "store.db-wal"]
        main_before = tree_digest(path)
        assert experiment_names(path) == {"renamed-by-writer"}
        assert folder_listing(path.parent) == listing
        assert tree_digest(path) == main_before
    finally:
        writer.close()


def test_wal_file_left_without_shm_is_read_from_a_private_copy(tmp_path):
    """A crashed writer's -wal (no -shm): opening it in place would create the -shm."""
    path = wal_store(tmp_path)
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE experiments SET name = 'committed-in-wal' WHERE name = 'credit-risk'")
    writer.commit()
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    shutil.copyfile(path, crashed / "store.db")
    shutil.copyfile(str(path) + "-wal", crashed / "store.db-wal")
    writer.close()
    before = tree_digest(crashed)
    assert experiment_names(crashed / "store.db") == {"committed-in-wal"}
    assert folder_listing(crashed) == ["store.db", "store.db-wal"]
    assert tree_digest(crashed) == before
    assert not notes(auditkit_here("inspect", "--store", crashed / "store.db"))


@pytest.mark.parametrize("uri, message", [
    ("~no-such-user-here/mlflow.db", "store '~no-such-user-here/mlflow.db' does not exist"),
    ("wandb:///etc/passwd", "'/etc/passwd' is not a folder; expected a wandb folder"),
    ("wandb:///dev/null", "'/dev/null' is not a folder; expected a wandb folder"),
    ("postgresql://u@127.0.0.1:notaport/db", "cannot use store URL 'postgresql://u@127.0.0.1:notaport/db'"),
])
def test_odd_store_forms_are_one_error_line(uri, message):
    assert_one_line_error(auditkit_here("inspect", "--store", uri), message)


def test_deeply_nested_dataset_profile_does_not_crash(sample):
    edit(sample, "UPDATE datasets SET dataset_profile = '" + "[" * 100_000 + "]" * 100_000 + "'")
    ran = auditkit_here("runs", "--store", sample, "--format", "json")
    assert_clean(ran)
    datasets = [d for r in json.loads(ran.stdout)["runs"] for d in r["datasets"]]
    assert datasets and all(d["rows"] is None for d in datasets)


def test_hot_journal_of_a_crashed_writer_is_rolled_back_in_a_private_copy(sample):
    """A writer that died mid-transaction leaves a -journal: the last committed state is read,
    the store and its journal stay as they are (a read-only open in place would fail)."""
    import subprocess
    import sys

    crash = (
        "import os, sqlite3\n"
        f"c = sqlite3.connect({str(sample)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA cache_size=1')\n"  # spill changed pages into the file before commit
        "c.execute('BEGIN')\n"
        "c.execute(\"UPDATE params SET value = value || '-UNCOMMITTED-' || hex(randomblob(32))\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash], check=True, timeout=60)
    assert folder_listing(sample.parent) == ["store.db", "store.db-journal"]
    before = tree_digest(sample.parent)
    ran = auditkit_here("runs", "--store", sample, "--format", "csv")
    assert_clean(ran)
    assert "-UNCOMMITTED-" not in ran.stdout and "params." in ran.stdout
    assert folder_listing(sample.parent) == ["store.db", "store.db-journal"]
    assert tree_digest(sample.parent) == before

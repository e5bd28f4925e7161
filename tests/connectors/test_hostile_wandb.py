"""Hostile and broken wandb folders (issue 18, case 7): deep nesting in wandb-metadata.json,
times no datetime can hold, links and FIFOs in place of run logs. Warnings and skipped values,
exit 0, no traceback, the folder unchanged.

Stores are copies of the offline run folders real wandb 0.17.9 wrote (tests/fixtures/wandb);
a damaged run log is the real one with some records changed and framed again by the format's
rules (auditkit.connectors.wandb_log describes them).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hostile_support import WANDB_LEGACY, assert_clean, auditkit, auditkit_here, frame_log, notes, tree_digest

from auditkit.connectors.wandb_log import scan_log

RUN = "offline-run-20261126_151531-6h8kvkcr"


@pytest.fixture
def store(tmp_path) -> Path:
    root = tmp_path / "wandb"
    shutil.copytree(WANDB_LEGACY, root, symlinks=True)
    return root


def rewrite_log(folder: Path, change) -> None:
    """Parse the folder's run log with wandb's own Record protobuf, ``change(record)`` each, frame again."""
    from wandb.proto import wandb_internal_pb2

    (log,) = folder.glob("*.wandb")
    payloads = []
    for _, payload in scan_log(log).payloads:
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        change(record)
        payloads.append(record.SerializeToString())
    log.write_bytes(frame_log(payloads))


def test_reframed_log_reads_back_unchanged(store):
    """The framing helper itself: an unchanged round trip gives the same runs."""
    expected = auditkit_here("runs", "--store", store, "--format", "json").stdout
    rewrite_log(store / RUN, lambda record: None)
    assert auditkit_here("runs", "--store", store, "--format", "json").stdout == expected


def test_huge_times_in_a_run_log_are_warnings_and_empty_times(store):
    def damage(record) -> None:
        kind = record.WhichOneof("record_type")
        if kind == "run":
            record.run.start_time.seconds = 10**15
        elif kind == "history":
            for item in record.history.item:
                if item.key == "_timestamp":
                    item.value_json = "1e300"

    rewrite_log(store / RUN, damage)
    before = tree_digest(store)
    for args in (("inspect",), ("runs",), ("runs", "--format", "csv"), ("runs", "--format", "json"), ("models",)):
        assert_clean(auditkit_here(*args, "--store", store))
    ran = auditkit_here("runs", "--store", store, "--format", "json")
    run = next(r for r in json.loads(ran.stdout)["runs"] if r["run_id"] == "6h8kvkcr")
    assert run["start_time"] is None
    text = "\n".join(notes(ran))
    assert (f"run folder '{store / RUN}': run start_time 1000000000000000 s is outside the dates auditkit can "
            "represent (years 1 to 9999 UTC); left it empty") in text
    assert f"run folder '{store / RUN}': history _timestamp 1e+300 is outside the dates" in text
    assert tree_digest(store) == before


def test_deeply_nested_metadata_json_is_a_warning(store):
    meta = store / RUN / "files" / "wandb-metadata.json"
    meta.write_text("[" * 200_000 + "]" * 200_000)
    before = tree_digest(store)
    ran = auditkit_here("runs", "--store", store, "--format", "json")
    assert_clean(ran)
    assert any(f"'{meta}' is not valid JSON/YAML as wandb writes it: it is nested too deeply; ignored it" in n
               for n in notes(ran))
    assert "6h8kvkcr" in ran.stdout  # the run is still read from its log
    assert tree_digest(store) == before


def test_run_log_replaced_by_links_or_a_fifo_is_never_opened(store):
    """A fresh process with a timeout: /dev/zero would never end and a FIFO blocks its reader."""
    (log,) = (store / RUN).glob("*.wandb")
    log.unlink()
    log.symlink_to("/dev/zero")
    other = next(p for p in sorted(store.iterdir()) if p.name.startswith("offline-run-") and p.name != RUN)
    (other_log,) = other.glob("*.wandb")
    other_log.unlink()
    os.mkfifo(other_log)
    meta = store / "offline-run-20261126_151517-q435emsv" / "files" / "wandb-metadata.json"
    meta.unlink()
    meta.symlink_to("/etc/passwd")
    before = tree_digest(store)
    ran = auditkit("runs", "--store", store, "--format", "json")
    assert_clean(ran)
    text = "\n".join(notes(ran))
    assert f"'{log}' was not read: it is a symbolic link, and auditkit never follows links in a store" in text
    assert f"'{other_log}' was not read: it is not a regular file" in text
    assert f"cannot read wandb metadata file '{meta}': it is a symbolic link" in text
    assert "root:" not in ran.stdout
    assert tree_digest(store) == before


def test_linked_files_folder_is_not_followed(store, tmp_path):
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "wandb-metadata.json").write_text(json.dumps({"username": "planted-user"}))
    files = store / RUN / "files"
    shutil.rmtree(files)
    files.symlink_to(planted)
    ran = auditkit_here("runs", "--store", store, "--format", "json")
    assert_clean(ran)
    assert "planted-user" not in ran.stdout
    assert any(f"'{files}' was not read: it is a symbolic link" in n for n in notes(ran))


@pytest.mark.parametrize("depth", [900, 5000])
def test_deeply_nested_config_and_summary_values_do_not_crash(store, depth):
    def damage(record) -> None:
        kind = record.WhichOneof("record_type")
        config = record.run.config if kind == "run" else record.config if kind == "config" else None
        summary = record.run.summary if kind == "run" else record.summary if kind == "summary" else None
        if config is not None:
            item = config.update.add()
            item.key, item.value_json = "deep", "[" * depth + "]" * depth
        if summary is not None:
            item = summary.update.add()
            item.key, item.value_json = "deep", '{"a": ' * depth + "1" + "}" * depth

    rewrite_log(store / RUN, damage)
    before = tree_digest(store)
    for args in (("runs",), ("runs", "--format", "csv"), ("runs", "--format", "json"), ("models",)):
        assert_clean(auditkit_here(*args, "--store", store))
    run = next(r for r in json.loads(auditkit_here("runs", "--store", store, "--format", "json").stdout)["runs"]
               if r["run_id"] == "6h8kvkcr")
    assert "deep" in run["params"]
    assert tree_digest(store) == before


def test_metadata_over_the_cap_is_ignored_with_the_cap_named(store):
    from auditkit.connectors.wandb import MAX_METADATA_BYTES

    meta = store / RUN / "files" / "wandb-metadata.json"
    meta.write_text(json.dumps({"username": "big", "pad": "x" * MAX_METADATA_BYTES}))
    ran = auditkit_here("runs", "--store", store, "--format", "json")
    assert_clean(ran)
    assert any(f"cannot read wandb metadata file '{meta}': it holds {meta.stat().st_size:,} bytes, more than the "
               f"{MAX_METADATA_BYTES:,}-byte limit (MAX_METADATA_BYTES); ignored it" in n for n in notes(ran))

"""Hostile and broken mlruns folders (issue 18, cases 3 and 7): links are never followed, only
regular files are read, values are capped, metric files are streamed, bad times and YAML are
warnings; the folder is never changed.

Every store is a copy of the mlruns folder real MLflow 2.9.2 wrote (tests/fixtures/legacy),
damaged by the test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap

import pytest
from hostile_support import (
    assert_clean,
    assert_one_line_error,
    auditkit,
    auditkit_here,
    copy_mlruns,
    first_run_folder,
    notes,
    tree_digest,
)

from auditkit.connectors.mlflow_file_io import MAX_METRIC_LINE_BYTES, MAX_VALUE_BYTES


@pytest.fixture
def store(tmp_path):
    root = copy_mlruns(tmp_path)
    return root, first_run_folder(root)


def runs_csv(ran) -> list[dict]:
    return list(csv.DictReader(io.StringIO(ran.stdout)))


def test_tag_linked_to_passwd_is_not_read(store):
    root, run = store
    (run / "tags" / "leak").symlink_to("/etc/passwd")
    before = tree_digest(root)
    ran = auditkit_here("runs", "--store", root, "--format", "csv")
    assert_clean(ran)
    assert "root:" not in ran.stdout
    assert all(row.get("tags.leak") in (None, "") for row in runs_csv(ran))
    (warning,) = [w for w in set(notes(ran)) if "tags/leak'" in w]
    assert "is a symbolic link (to '/etc/passwd'), and auditkit never follows links in a store" in warning
    assert "skipped tag 'leak' of run" in warning
    assert tree_digest(root) == before


def test_linked_tags_folder_is_not_followed(store):
    root, run = store
    tags = run / "tags"
    for child in tags.iterdir():
        child.unlink()
    tags.rmdir()
    tags.symlink_to("/etc")
    before = tree_digest(root)
    ran = auditkit_here("runs", "--store", root, "--format", "csv")
    assert_clean(ran)
    assert "root:" not in ran.stdout and "tags.passwd" not in ran.stdout
    assert any(f"'{tags}' is a symbolic link (to '/etc')" in w for w in notes(ran))
    assert tree_digest(root) == before


def test_tag_linked_to_dev_zero_and_a_fifo_tag_do_not_hang(store):
    """/dev/zero would be read forever (MemoryError) and a FIFO blocks its reader: neither is
    opened for reading. A fresh process with a timeout, so a regression fails instead of hanging."""
    root, run = store
    (run / "tags" / "zeros").symlink_to("/dev/zero")
    os.mkfifo(run / "tags" / "pipe")
    os.mkfifo(run / "params" / "pipe")
    before = tree_digest(root)
    ran = auditkit("runs", "--store", root, "--format", "json")
    assert_clean(ran)
    run_doc = next(r for r in json.loads(ran.stdout)["runs"] if r["run_name"] == "logreg-c1")
    assert "zeros" not in run_doc["tags"] and "pipe" not in run_doc["tags"] and "pipe" not in run_doc["params"]
    assert run_doc["params"]["C"] == "1.0"  # the rest of the run is still read
    text = "\n".join(notes(ran))
    assert "tags/pipe' was not read: it is a FIFO (named pipe), not a regular file" in text
    assert "params/pipe' was not read: it is a FIFO (named pipe), not a regular file" in text
    assert "tags/zeros' was not read: it is a symbolic link (to '/dev/zero')" in text
    assert tree_digest(root) == before


def test_value_over_the_cap_is_skipped_with_the_cap_named(store):
    root, run = store
    (run / "params" / "huge").write_bytes(b"x" * (MAX_VALUE_BYTES + 1))
    ran = auditkit_here("runs", "--store", root, "--format", "json")
    assert_clean(ran)
    assert "xxxxxxxxxx" not in ran.stdout
    (warning,) = [w for w in set(notes(ran)) if "params/huge'" in w]
    assert f"it holds {MAX_VALUE_BYTES + 1:,} bytes, more than the {MAX_VALUE_BYTES:,}-byte limit" in warning
    assert "(MAX_VALUE_BYTES)" in warning


def test_one_line_metric_file_is_cut_in_the_warning(store):
    """A multi-megabyte single line is refused after MAX_METRIC_LINE_BYTES, quoted only in part."""
    root, run = store
    (run / "metrics" / "blob").write_bytes(b"7" * 5_000_000)
    ran = auditkit_here("runs", "--store", root, "--format", "csv")
    assert_clean(ran)
    (warning,) = [w for w in set(notes(ran)) if "metrics/blob'" in w]
    assert f"line 1 is longer than {MAX_METRIC_LINE_BYTES:,} bytes (MAX_METRIC_LINE_BYTES)" in warning
    assert "skipped metric 'blob'" in warning
    assert len(warning) < 600
    assert all(len(line) < 5000 for line in ran.stderr.splitlines())


def test_big_metric_file_is_streamed_in_bounded_memory(store, tmp_path):
    """60 MB of points (1.8 M lines): the old whole-file read peaked at about 9 × the file size."""
    root, run = store
    metric = run / "metrics" / "auc"
    with open(metric, "ab") as f:
        block = b"".join(b"%d 0.5 %d\n" % (1_760_000_000_000 + i, i) for i in range(100_000))
        while f.tell() < 60_000_000:
            f.write(block)
        f.write(b"1760000000099 0.875 999999999\n")  # the greatest step: the run's latest value
    probe = tmp_path / "probe.py"
    probe.write_text(textwrap.dedent(f"""
        import json, resource, subprocess, sys
        proc = subprocess.run([sys.executable, "-m", "auditkit", "runs", "--store", {str(root)!r},
                               "--format", "json"], capture_output=True, text=True, timeout=120)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(json.dumps({{"rc": proc.returncode, "peak_kb": peak_kb, "out": proc.stdout,
                          "err": proc.stderr}}))
    """))
    result = json.loads(subprocess.run([sys.executable, str(probe)], capture_output=True, text=True,
                                       timeout=180, check=True).stdout)
    assert result["rc"] == 0, result["err"]
    assert "Traceback" not in result["err"]
    run_doc = next(r for r in json.loads(result["out"])["runs"] if r["run_name"] == "logreg-c1")
    assert run_doc["metrics"]["auc"] == 0.875
    assert result["peak_kb"] < 300 * 1024, f"peak RSS {result['peak_kb'] / 1024:.0f} MB"


def test_huge_times_in_run_meta_are_a_warning_and_an_empty_time(store):
    root, run = store
    meta = run / "meta.yaml"
    meta.write_text(meta.read_text().replace("start_time: 1795705751956", "start_time: 1.0e+300")
                    .replace("end_time: 1795705752329", "end_time: 99999999999999999999999"))
    before = tree_digest(root)
    for fmt in ("table", "csv", "json"):
        ran = auditkit_here("runs", "--store", root, "--format", fmt)
        assert_clean(ran)
        text = "\n".join(notes(ran))
        assert "timestamp 1e+300 (epoch milliseconds) in start_time of" in text
        assert "timestamp 99999999999999999999999 (epoch milliseconds) in end_time of" in text
        assert "is outside the dates auditkit can represent (years 1 to 9999 UTC); left it empty" in text
    run_doc = next(r for r in json.loads(ran.stdout)["runs"] if r["run_name"] == "logreg-c1")
    assert run_doc["start_time"] is None and run_doc["end_time"] is None
    assert tree_digest(root) == before


def test_yaml_alias_bomb_and_deep_nesting_in_meta_skip_the_run(store):
    root, run = store
    meta = run / "meta.yaml"
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    meta.write_text(meta.read_text() + "\n".join(bomb) + "\nrun_name: *a8\n")
    ran = auditkit_here("runs", "--store", root, "--format", "json")
    assert_clean(ran)
    assert "logreg-c1" not in ran.stdout
    assert any("repeats a node through a YAML alias (MLflow writes none)" in w for w in notes(ran))

    plain = meta.read_text().split("a0:")[0]
    meta.write_text(plain + "deep: " + "[" * 50 + "]" * 50 + "\n")  # parses; refused by auditkit
    ran = auditkit_here("runs", "--store", root, "--format", "json")
    assert_clean(ran)
    assert any("is not a valid run meta.yaml: it is nested more than 20 levels deep" in w for w in notes(ran))

    meta.write_text(plain + "deep: " + "[" * 50_000 + "]" * 50_000 + "\n")  # refused by the parser
    ran = auditkit_here("runs", "--store", root, "--format", "json")
    assert_clean(ran)
    assert any("is not a valid run meta.yaml: invalid YAML at line" in w and "nesting depth" in w for w in notes(ran))


def test_dataset_id_cannot_leave_the_store(store, tmp_path):
    """An input's source_id names a folder under <experiment>/datasets; '..' is refused."""
    root, run = store
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "meta.yaml").write_text("name: planted\ndigest: deadbeef\n")
    inputs = sorted((run / "inputs").iterdir())
    assert inputs, "the fixture run logs dataset inputs"
    link = inputs[0] / "meta.yaml"
    text = link.read_text()
    source_id = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("source_id:"))
    link.write_text(text.replace(source_id, "../../../elsewhere"))
    ran = auditkit_here("runs", "--store", root, "--format", "json")
    assert_clean(ran)
    assert "planted" not in ran.stdout
    assert any("'../../../elsewhere' is not a plain file or folder name inside the store (from source_id in"
               in w for w in notes(ran))


def test_the_root_may_be_a_link_but_nothing_below_it_is_followed(store, tmp_path):
    root, run = store
    (run / "tags" / "leak").symlink_to("/etc/passwd")
    link = tmp_path / "my-mlruns"
    link.symlink_to(root)
    from auditkit.connectors.mlflow_file import MlflowFileConnector

    with pytest.warns(Warning) as caught:
        with MlflowFileConnector(str(link)) as connector:
            runs = connector.runs()
    assert any(r.run_name == "logreg-c1" and r.params["C"] == "1.0" and "leak" not in r.tags for r in runs)
    assert any("is a symbolic link (to '/etc/passwd')" in str(w.message) for w in caught)


def test_a_huge_stored_name_is_cut_in_an_error(store):
    root, run = store
    meta = run.parent / "meta.yaml"
    name = "credit-" + "x" * 100_000
    meta.write_text("\n".join(f"name: {name}" if line.startswith("name:") else line
                              for line in meta.read_text().splitlines()) + "\n")
    ran = auditkit_here("runs", "--store", root, "--experiment", "no-such-experiment")
    line = assert_one_line_error(ran, "experiment 'no-such-experiment' is not in the store; experiments:",
                                 "'credit-xxxxx", "(100,007 characters)")
    assert len(line) < 1000


@pytest.mark.parametrize("line", ["start_time: 2020-13-45", "status: !!int three", "user_id: !!float many"])
def test_yaml_values_pyyaml_cannot_build_skip_the_run(store, line):
    root, run = store
    meta = run / "meta.yaml"
    meta.write_text(meta.read_text() + line + "\n")
    ran = auditkit_here("runs", "--store", root, "--format", "json")
    assert_clean(ran)
    assert any(f"'{meta}' is not a valid run meta.yaml: invalid YAML value (" in n for n in notes(ran))


def test_an_infinite_status_is_a_warning(store):
    root, run = store
    meta = run / "meta.yaml"
    meta.write_text(meta.read_text().replace("status: 3", "status: .inf"))
    ran = auditkit_here("runs", "--store", root, "--format", "json")
    assert_clean(ran)
    assert any("gives run status 'inf'; expected one of 1-5" in n for n in notes(ran))

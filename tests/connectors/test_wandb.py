"""W&B connector: real offline runs (tests/fixtures/wandb, made by make_wandb_fixtures.py).

``current/wandb`` was written by wandb 0.31.0 (binary run logs only), ``legacy-0.17.9/wandb`` by
wandb 0.17.9 (which still wrote ``files/wandb-metadata.json``/``wandb-summary.json`` offline, and
whose killed run left a log cut mid-record). Expected values come from the scenario that wrote the
fixtures, from wandb itself (artifact digests) or from wandb's own text files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditkit import errors, open_store
from auditkit.cli import cli
from auditkit.connectors.messages import (
    UNKNOWN_EXPERIMENT,
    UNKNOWN_VERSION,
    WANDB_BAD_CHECKSUM,
    WANDB_BAD_CHUNK,
    WANDB_BAD_HEADER,
    WANDB_NO_LOG,
    WANDB_NOT_INSTALLED,
    WANDB_TRUNCATED,
)
from auditkit.connectors.wandb import WandbConnector, WandbStoreWarning, run_folders
from auditkit.connectors.wandb_log import iter_payloads, parse_records, scan_log


def _load_scenario():
    """The fixture generator, loaded as a module (its SCENARIO wrote the fixtures)."""
    spec = importlib.util.spec_from_file_location(
        "auditkit_wandb_fixture_scenario", Path(__file__).resolve().parents[1] / "fixtures" / "make_wandb_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scenario = _load_scenario()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wandb"
CURRENT = FIXTURES / "current" / "wandb"
LEGACY = FIXTURES / "legacy-0.17.9" / "wandb"
SPECS = {spec["name"]: spec for spec in scenario.SCENARIO}
REPO = Path(__file__).resolve().parents[2]
CURRENT_HEADER = b":W&B" + (0xBEE1).to_bytes(2, "little") + b"\x00"


def chunks(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, length, type) of every chunk, walked with the documented framing."""
    out, pos = [], 7
    while pos < len(data):
        left = 32768 - pos % 32768
        if left < 7:
            pos += left
            continue
        _, length, ctype = struct.unpack_from("<IHB", data, pos)
        out.append((pos, length, ctype))
        pos += 7 + length
    return out


def open_quietly(path: Path) -> WandbConnector:
    store = open_store(str(path))
    assert isinstance(store, WandbConnector)
    return store


def by_name(store: WandbConnector) -> dict:
    return {r.run_name: r for r in store.runs()}


def expected_params(config: dict) -> dict:
    return {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in config.items()}


def logged_history(spec: dict) -> list[dict]:
    return spec["history"] + (spec["resume"]["history"] if spec.get("resume") else [])


def expected_metrics(spec: dict) -> dict:
    out: dict[str, float] = {}
    for row in logged_history(spec):
        out.update({k: float(v) for k, v in row.items()})
    for key, value in spec["summary"].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
    return out


# -- framing ------------------------------------------------------------------------------------
@pytest.mark.parametrize("store", [CURRENT, LEGACY], ids=["wandb-0.31.0", "wandb-0.17.9"])
def test_every_log_has_the_header_and_valid_checksums(store):
    for folder in run_folders(store):
        (log,) = folder.glob("*.wandb")
        data = log.read_bytes()
        assert data[:7] == b":W&B" + (0xBEE1).to_bytes(2, "little") + b"\x00"
        for offset, length, ctype in chunks(data):
            if offset + 7 + length > len(data):
                continue  # the cut-off tail of the killed legacy run (tested below)
            stored = struct.unpack_from("<I", data, offset)[0]
            body = data[offset + 7:offset + 7 + length]
            # The CRC-32 (IEEE) covers the type byte, then the chunk data.
            assert stored == zlib.crc32(bytes([ctype]) + body)
        scan = scan_log(log)
        assert scan.version == 0
        assert parse_records(scan)[0].WhichOneof("record_type") == "header"


def test_records_split_across_blocks_are_reassembled():
    log = next(by for f in run_folders(CURRENT) for by in f.glob("*.wandb") if by.stat().st_size > 2 * 32768)
    data = log.read_bytes()
    types = [c[2] for c in chunks(data)]
    assert 2 in types and 4 in types  # FIRST … LAST chunks around block ends
    records = parse_records(scan_log(log))
    assert len(records) == types.count(1) + types.count(2)
    assert [r.num for r in records] == list(range(1, len(records) + 1))


def frame(chunk_type: int, data: bytes) -> bytes:
    return struct.pack("<IHB", zlib.crc32(bytes([chunk_type]) + data), len(data), chunk_type) + data


def test_block_trailer_padding_is_skipped_and_must_be_zero():
    """A chunk header never straddles a block end: < 7 bytes left are zero padding.

    None of wandb's fixture logs happens to end a chunk 1-6 bytes before a block end, so this
    lays a real wandb payload out by the documented rule to land on that case.
    """
    payload = scan_log(log_of(CURRENT, "data-prep")).payloads[1][1]
    head = CURRENT_HEADER
    first = frame(1, bytes(32768 - len(head) - 7 - 3))  # leaves 3 bytes in block 0
    assert len(head + first) == 32765
    log = head + first + b"\x00" * 3 + frame(1, payload)
    got = [p for _, p in iter_payloads(log, Path("padded.wandb"))]
    assert got == [bytes(len(first) - 7), payload]
    bad = head + first + b"\x00\x01\x00" + frame(1, payload)
    with pytest.raises(errors.StoreError) as exc:
        list(iter_payloads(bad, Path("padded.wandb")))
    assert str(exc.value) == WANDB_BAD_CHUNK.format(
        path="padded.wandb", offset=32765, problem="the 3-byte block trailer is not zero padding")


# -- mapping ------------------------------------------------------------------------------------
@pytest.mark.parametrize("store_path", [CURRENT, LEGACY], ids=["wandb-0.31.0", "wandb-0.17.9"])
def test_runs_match_the_scenario(store_path, recwarn):
    store = open_quietly(store_path)
    assert [e.name for e in store.experiments()] == [scenario.PROJECT]
    runs = by_name(store)
    assert sorted(runs) == sorted(SPECS)
    commits = {r.tags["mlflow.source.git.commit"] for r in runs.values()}
    assert len(commits) == 1 and re.fullmatch(r"[0-9a-f]{40}", commits.pop())
    for name, spec in SPECS.items():
        run = runs[name]
        assert run.experiment == run.experiment_id == scenario.PROJECT
        assert run.params == expected_params(spec["config"])
        assert run.tags["mlflow.runName"] == name
        assert run.tags["mlflow.note.content"] == spec["notes"]
        assert run.tags["wandb.job_type"] == spec["job_type"]
        assert run.tags["mlflow.source.git.repoURL"] == scenario.GIT_REMOTE
        assert run.tags["mlflow.source.name"].endswith("make_wandb_fixtures.py")
        assert {t: run.tags[t] for t in spec["tags"]} == {t: "" for t in spec["tags"]}
        if spec.get("interrupt"):
            assert (run.status, run.end_time) == ("RUNNING", None)
        else:
            assert run.status == ("FINISHED" if spec["exit_code"] == 0 else "FAILED")
            assert run.tags["wandb.exit_code"] == str(spec["exit_code"])
            assert run.start_time <= run.end_time < run.start_time + timedelta(minutes=5)
            assert run.metrics == expected_metrics(spec)
    started = [runs[name].start_time for name in SPECS]
    assert started == sorted(started)


def test_interrupted_run_keeps_everything_wandb_wrote():
    """The killed run's log ends where wandb-core's last flush ended: its last loss is the metric."""
    records = parse_records(scan_log(log_of(CURRENT, "train-interrupted")))
    last = [r for r in records if r.WhichOneof("record_type") == "history"][-1]
    (loss,) = [json.loads(i.value_json) for i in last.history.item if i.nested_key == ["loss"] or i.key == "loss"]
    assert loss in {row["loss"] for row in SPECS["train-interrupted"]["history"]}
    assert by_name(open_quietly(CURRENT))["train-interrupted"].metrics == {"loss": loss}


def test_user_comes_from_the_log_or_older_wandb_metadata(recwarn):
    # wandb 0.31 records no user name offline; 0.17.9 wrote it to files/wandb-metadata.json.
    assert {r.user for r in open_quietly(CURRENT).runs()} == {None}
    assert {r.user for r in open_quietly(LEGACY).runs()} == {scenario.USER}


@pytest.mark.parametrize("store_path", [CURRENT, LEGACY], ids=["wandb-0.31.0", "wandb-0.17.9"])
def test_logged_datasets_carry_wandbs_own_digest(store_path, tmp_path, monkeypatch, recwarn):
    import wandb

    for var in ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    runs = by_name(open_quietly(store_path))
    for name, spec in SPECS.items():
        wanted = []
        for art_name, atype, fname, content, aliases, metadata in spec["artifacts"]:
            if atype != "dataset":
                continue
            Path(fname).write_text(content)
            artifact = wandb.Artifact(art_name, type=atype, metadata=metadata)
            artifact.add_file(fname)
            wanted.append((art_name, artifact.digest, "output", metadata["num_rows"], fname, "v0"))
        got = [(d.name, d.digest, d.context, d.rows, d.source, d.tags["wandb.version"]) for d in runs[name].datasets]
        assert got == wanted


@pytest.mark.parametrize("store_path", [CURRENT, LEGACY], ids=["wandb-0.31.0", "wandb-0.17.9"])
def test_model_artifacts_become_versions_with_moving_aliases(store_path, recwarn):
    store = open_quietly(store_path)
    runs = by_name(store)
    logged = [(name, a) for name, s in SPECS.items() for a in s["artifacts"] if a[1] == "model"]
    owners: dict[str, str] = {}
    expected = []
    for index, (run_name, (_, _, fname, _, aliases, metadata)) in enumerate(logged):
        version = f"v{index}"  # every scenario model has new content, so a new version
        for alias in [*aliases, "latest"]:  # wandb adds "latest" to every logged artifact
            owners[alias] = version
        expected.append((scenario.MODEL, version, runs[run_name].run_id, fname, metadata))
    versions = store.model_versions()
    got = [(v.name, v.version, v.run_id, v.source, json.loads(v.tags["wandb.metadata"])) for v in versions]
    assert got == expected
    for v in versions:
        assert v.aliases == tuple(sorted(a for a, owner in owners.items() if owner == v.version))
        assert v.stage is None and v.creator == runs_user(runs, v.run_id)
    (model,) = store.registered_models()
    assert (model.name, dict(model.aliases)) == (scenario.MODEL, owners)
    assert store.get_model_version(scenario.MODEL, "v1").run_id == runs["train-gbm"].run_id


def runs_user(runs: dict, run_id: str):
    return next(r.user for r in runs.values() if r.run_id == run_id)


def test_older_wandbs_text_files_agree_with_the_binary_log(recwarn):
    runs = {r.run_id: r for r in open_quietly(LEGACY).runs()}
    checked, seen = 0, set()
    for folder in run_folders(LEGACY):
        run = runs[folder.name.split("-", 3)[-1]]
        meta = json.loads((folder / "files" / "wandb-metadata.json").read_text())
        assert meta["git"] == {"remote": run.tags["mlflow.source.git.repoURL"],
                               "commit": run.tags["mlflow.source.git.commit"]}
        assert (meta["host"], meta["program"], meta["username"]) == (
            run.tags["wandb.host"], run.tags["mlflow.source.name"], run.user)
        started = datetime.fromisoformat(meta["startedAt"]).replace(tzinfo=run.start_time.tzinfo)
        if run.run_id not in seen:  # a resumed run starts when its first folder started
            assert abs(started - run.start_time) < timedelta(seconds=2)
        seen.add(run.run_id)
        summary_file = folder / "files" / "wandb-summary.json"
        if summary_file.exists():
            summary = json.loads(summary_file.read_text())
            for key, value in summary.items():
                if key == "_wandb":  # offline, 0.17.9 leaves only the runtime stub here
                    assert run.end_time is None or run.end_time - run.start_time >= timedelta(seconds=value["runtime"])
                else:
                    assert run.metrics[key] == value
        checked += 1
    assert checked == len(run_folders(LEGACY)) > len(SPECS)


def test_wandb_0_31_writes_no_text_record_files_offline():
    for folder in run_folders(CURRENT):
        names = {p.name for p in (folder / "files").iterdir()}
        assert not names & {"config.yaml", "wandb-summary.json", "wandb-metadata.json"}


def test_artifact_use_records_become_input_datasets(tmp_path):
    """wandb refuses ``use_artifact`` offline, so no offline fixture has an input dataset.

    Online runs write a ``use_artifact`` record into the same run log; here wandb-core writes
    that record (through the run's own interface, as ``use_artifact`` does online) so the
    mapping is read from a log wandb itself wrote.
    """
    code = (
        "import wandb\n"
        "from wandb.proto import wandb_internal_pb2 as pb\n"
        "run = wandb.init(project='credit-risk', name='train-online-shape')\n"
        "try:\n    run.use_artifact('german-credit:v0')\n"
        "except TypeError as exc:\n    print('refused:', exc)\n"
        "run._interface._publish_use_artifact(\n"
        "    pb.UseArtifactRecord(id='QXJ0aWZhY3Q6MTIz', type='dataset', name='german-credit:v0'))\n"
        "run.finish()\n"
    )
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(tmp_path),
           "WANDB_CACHE_DIR": str(tmp_path / "c"), "WANDB_DATA_DIR": str(tmp_path / "d"),
           "WANDB_CONFIG_DIR": str(tmp_path / "cfg"), "WANDB_ERROR_REPORTING": "false"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert "refused: Cannot use artifact when in offline mode." in out
    (run,) = open_quietly(tmp_path / "wandb").runs()
    (dataset,) = run.datasets
    assert (dataset.name, dataset.digest, dataset.context, dataset.source) == (
        "german-credit", None, "input", "german-credit:v0")
    assert dict(dataset.tags) == {"wandb.type": "dataset", "wandb.version": "v0",
                                  "wandb.artifact_id": "QXJ0aWZhY3Q6MTIz"}


def test_info_counts_and_log_version():
    info = open_quietly(CURRENT).info()
    assert (info.backend, info.schema_revision, info.warnings) == ("wandb", "0", ())
    assert dict(info.counts) == {"experiments": 1, "runs": len(SPECS), "registered_models": 1,
                                 "model_versions": 2, "datasets": 2}


def test_latest_run_symlink_is_not_counted_twice():
    assert (CURRENT / "latest-run").is_symlink()
    folders = [p for p in CURRENT.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(open_quietly(CURRENT).runs()) == len({p.name.split("-", 3)[-1] for p in folders})


def test_wandb_uri_and_plain_path_open_the_same_store():
    uri = "wandb://" + str(CURRENT.resolve())
    assert open_store(uri).runs() == open_store(str(CURRENT)).runs()


def test_unknown_names_raise_one_line_errors():
    store = open_quietly(CURRENT)
    with pytest.raises(errors.RecordNotFoundError) as exc:
        store.runs("fraud")
    assert str(exc.value) == UNKNOWN_EXPERIMENT.format(name="fraud", choices=repr(scenario.PROJECT))
    with pytest.raises(errors.RecordNotFoundError) as exc:
        store.get_model_version(scenario.MODEL, "v7")
    assert str(exc.value) == UNKNOWN_VERSION.format(name=scenario.MODEL, version="v7", choices="'v0', 'v1'")


# -- corrupt inputs -----------------------------------------------------------------------------
@pytest.fixture()
def store_copy(tmp_path):
    dest = tmp_path / "wandb"
    shutil.copytree(CURRENT, dest, symlinks=True)
    return dest


def log_of(store: Path, name: str) -> Path:
    """The run log of the scenario run ``name`` (found by reading the logs, not the connector)."""
    for folder in run_folders(store):
        (log,) = folder.glob("*.wandb")
        records = parse_records(scan_log(log))
        if records[1].run.display_name == name:
            return log
    raise AssertionError(f"no run {name!r}")


def prep_log(store: Path) -> Path:
    """The data-prep run's log (small, every chunk FULL)."""
    return log_of(store, "data-prep")


def read_with_warning(store: Path, match: str) -> WandbConnector:
    connector = open_quietly(store)
    with pytest.warns(WandbStoreWarning, match=re.escape(match)):
        connector.runs()
    assert any(match in w for w in connector.info().warnings)
    return connector


def test_log_cut_mid_record(store_copy):
    log = prep_log(store_copy)
    data = log.read_bytes()
    layout = chunks(data)
    assert {c[2] for c in layout} == {1}
    k = len(layout) // 2
    offset, length, _ = layout[k]
    log.write_bytes(data[:offset + 7 + length // 2])
    message = WANDB_TRUNCATED.format(path=str(log), offset=offset,
                                            expected=f"{length} bytes of FULL chunk data", found=length // 2)
    with pytest.raises(errors.StoreError) as exc:
        list(iter_payloads(log.read_bytes(), log))
    assert str(exc.value) == message and "\n" not in message
    store = read_with_warning(store_copy, f"{message}; skipped the rest of that file ({k} records read before it)")
    runs = by_name(store)
    assert sorted(runs) == sorted(SPECS)  # the rest of the store is still read
    assert runs["data-prep"].status == "RUNNING"  # its exit record was in the lost part
    assert runs["data-prep"].params == expected_params(SPECS["data-prep"]["config"])


def test_log_cut_inside_a_chunk_header(store_copy):
    log = prep_log(store_copy)
    data = log.read_bytes()
    offset = chunks(data)[3][0]
    log.write_bytes(data[:offset + 3])
    message = WANDB_TRUNCATED.format(path=str(log), offset=offset, expected="a 7-byte chunk header", found=3)
    read_with_warning(store_copy, f"{message}; skipped the rest of that file (3 records read before it)")


def test_real_killed_legacy_run_is_cut_mid_record():
    """wandb 0.17.9, killed mid-run, left a log whose last chunk is cut: read up to it."""
    log = log_of(LEGACY, "train-interrupted")
    with pytest.raises(errors.StoreError, match="is cut short at byte"):
        list(iter_payloads(log.read_bytes(), log))
    connector = open_quietly(LEGACY)
    with pytest.warns(WandbStoreWarning, match=re.escape(f"{str(log)!r} is cut short")):
        run = by_name(connector)["train-interrupted"]
    assert run.status == "RUNNING" and run.params == expected_params(SPECS["train-interrupted"]["config"])
    assert run.metrics["loss"] in {row["loss"] for row in SPECS["train-interrupted"]["history"]}


@pytest.mark.parametrize("store_path", [CURRENT, LEGACY], ids=["wandb-0.31.0", "wandb-0.17.9"])
def test_resumed_run_is_one_run_across_its_folders(store_path, recwarn):
    spec = SPECS["train-preempted"]
    folders = [f for f in run_folders(store_path) if f.name.endswith("-" + spec["resume"]["id"])]
    assert len(folders) == 2
    segments = []
    for folder in folders:
        (log,) = folder.glob("*.wandb")
        records = parse_records(scan_log(log))
        run_record = next(r.run for r in records if r.WhichOneof("record_type") == "run")
        exit_code = next(r.exit.exit_code for r in records if r.WhichOneof("record_type") == "exit")
        segments.append((run_record.start_time.ToDatetime(tzinfo=None), exit_code))
    assert [code for _, code in segments] == [spec["resume"]["first_exit_code"], spec["exit_code"]]
    run = by_name(open_quietly(store_path))["train-preempted"]
    assert run.run_id == spec["resume"]["id"]
    assert run.start_time.replace(tzinfo=None) == segments[0][0]
    assert run.end_time.replace(tzinfo=None) >= segments[1][0]
    assert (run.status, run.tags["wandb.exit_code"]) == ("FINISHED", "0")
    assert run.metrics == expected_metrics(spec)


def test_bad_checksum(store_copy):
    log = prep_log(store_copy)
    data = bytearray(log.read_bytes())
    layout = chunks(bytes(data))
    k = 4
    offset, length, ctype = layout[k]
    data[offset + 7 + length // 2] ^= 0xFF
    log.write_bytes(bytes(data))
    stored = struct.unpack_from("<I", data, offset)[0]
    computed = zlib.crc32(bytes([ctype]) + bytes(data[offset + 7:offset + 7 + length]))
    message = WANDB_BAD_CHECKSUM.format(path=str(log), offset=offset, expected=computed, found=stored)
    with pytest.raises(errors.StoreError) as exc:
        list(iter_payloads(bytes(data), log))
    assert str(exc.value) == message
    store = read_with_warning(store_copy, f"{message}; skipped the rest of that file ({k} records read before it)")
    assert len(store.runs()) == len(SPECS)


def test_bad_header_skips_that_run_only(store_copy):
    log = prep_log(store_copy)
    data = log.read_bytes()
    log.write_bytes(b"PK\x03\x04" + data[4:])
    message = WANDB_BAD_HEADER.format(path=str(log), found=repr(b"PK\x03\x04") + ", 0xbee1, version 0")
    store = read_with_warning(store_copy, f"{message}; skipped that file")
    runs = by_name(store)
    assert sorted(runs) == sorted(n for n in SPECS if n != "data-prep")
    assert [m.version for m in store.model_versions()] == ["v0", "v1"]


def test_run_folder_without_a_log(store_copy):
    empty = store_copy / "offline-run-20990101_000000-nolog000"
    (empty / "files").mkdir(parents=True)
    store = read_with_warning(store_copy, WANDB_NO_LOG.format(path=str(empty)))
    assert len(store.runs()) == len(SPECS)


def test_folder_that_is_neither_mlruns_nor_wandb(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a store")
    with pytest.raises(errors.NotAStoreError) as exc:
        open_store(str(tmp_path))
    text = str(exc.value)
    assert str(tmp_path) in text and "neither an MLflow mlruns folder" in text and "wandb folder" in text
    assert "\n" not in text
    result = CliRunner().invoke(cli, ["inspect", "--store", str(tmp_path)])
    assert result.exit_code == 2 and result.output.startswith("error: ")


def test_missing_wandb_package_is_one_line_error():
    code = (
        "import sys; sys.modules['wandb'] = None\n"  # what Python does when wandb is not installed
        "from auditkit import open_store, errors\n"
        f"try:\n    open_store({str(CURRENT)!r})\n"
        "except errors.StoreError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == WANDB_NOT_INSTALLED


# -- read-only ----------------------------------------------------------------------------------
def tree_digest(root: Path) -> dict[str, tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            st = path.lstat()
            if path.is_symlink():
                out[str(path)] = ("link", os.readlink(path))
            elif path.is_file():
                out[str(path)] = ("file", hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_mode)
            else:
                out[str(path)] = ("dir", st.st_mode)
    return out


@pytest.mark.parametrize("store_path", [CURRENT, LEGACY], ids=["wandb-0.31.0", "wandb-0.17.9"])
def test_nothing_is_written_inside_the_store(store_path, recwarn):
    before = tree_digest(store_path)
    with open_store(str(store_path)) as store:
        store.info(), store.experiments(), store.runs(), store.runs(scenario.PROJECT), store.runs_frame()
        store.registered_models(), store.model_versions(), store.model_versions(scenario.MODEL)
        store.logged_models(), store.get_run(store.runs()[0].run_id), store.get_model_version(scenario.MODEL, "v0")
    runner = CliRunner()
    for command in ("inspect", "runs", "models"):
        for fmt in ("table", "json") + (("csv",) if command != "inspect" else ()):
            result = runner.invoke(cli, [command, "--store", str(store_path), "--format", fmt])
            assert result.exit_code == 0, result.output
    out = subprocess.run([sys.executable, "-m", "auditkit", "runs", "--store", "wandb://" + str(store_path.resolve()),
                          "--format", "json"], cwd=REPO, capture_output=True, text=True, check=True)
    assert len(json.loads(out.stdout)["runs"]) == len(SPECS)
    assert tree_digest(store_path) == before


def test_cli_shows_the_wandb_store():
    runner = CliRunner()
    result = runner.invoke(cli, ["inspect", "--store", str(CURRENT), "--format", "json"])
    doc = json.loads(result.output)
    assert (doc["backend"], doc["schema_revision"], doc["counts"]["runs"]) == ("wandb", "0", len(SPECS))
    result = runner.invoke(cli, ["models", "--store", str(CURRENT), "--format", "json"])
    versions = json.loads(result.output)["model_versions"]
    assert [(v["name"], v["version"]) for v in versions] == [(scenario.MODEL, "v0"), (scenario.MODEL, "v1")]
    result = runner.invoke(cli, ["runs", "--store", str(CURRENT), "--experiment", scenario.PROJECT, "--format", "csv"])
    header = result.output.splitlines()[0].split(",")
    assert header[:7] == ["run_id", "experiment", "run_name", "user", "status", "start_time", "end_time"]
    assert {"metrics.auc", "params.learning_rate", "tags.mlflow.source.git.commit"} <= set(header)

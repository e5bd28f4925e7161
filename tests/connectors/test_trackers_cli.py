"""``auditkit inspect/runs/models`` on Comet and Neptune stores (the committed fixtures written by the
real clients, see tests/fixtures/make_comet_fixtures.py and make_neptune_fixtures.py), the stores
left byte-identical, detection by path, and bad input as one ``error:`` line with exit 2."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

import auditkit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
COMET = FIXTURES / "comet"
NEPTUNE = FIXTURES / "neptune"
STORES = {
    "comet-current": f"comet://{COMET / 'current'}",
    "comet-old": f"comet://{COMET / 'old'}",
    "comet-older": f"comet://{COMET / 'older'}",  # 3.20: metrics in ws_msg, params without source
    "neptune-v1": f"neptune://{NEPTUNE / 'v1'}",
    "neptune-scale": f"neptune://{NEPTUNE / 'scale'}",
}


def _written(label: str) -> dict:
    folder = {"comet-current": COMET / "current", "comet-old": COMET / "old", "comet-older": COMET / "older",
              "neptune-v1": NEPTUNE / "v1", "neptune-scale": NEPTUNE / "scale"}[label]
    return json.loads((folder / "written.json").read_text(encoding="utf-8"))


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("label", sorted(STORES))
def test_inspect_runs_and_models(label, cli_run):
    written = _written(label)
    result = cli_run("inspect", "--store", STORES[label], "--format", "json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["backend"] == label.split("-")[0]
    assert info["counts"]["runs"] == len(written["runs"])
    assert info["schema_revision"] == {"comet-current": "message_id", "comet-old": "ws_msg", "comet-older": "ws_msg",
                                       "neptune-v1": "neptune 1.x 3", "neptune-scale": "neptune-scale v5"}[label]

    result = cli_run("runs", "--store", STORES[label], "--format", "json")
    assert result.exit_code == 0, result.stderr
    runs = {r["run_name"]: r for r in json.loads(result.stdout)["runs"]}
    spec = {r["name"]: r for r in written["spec"]["runs"]}
    assert runs.keys() == spec.keys()
    for name, run in runs.items():
        ids = written["runs"][name]
        assert run["run_id"] == ids.get("key", ids.get("id"))
        assert run["params"] == spec[name]["params"]
        last = {}
        for key, step, value in spec[name]["points"]:  # latest = highest step, then last logged
            if key not in last or step >= last[key][0]:
                last[key] = (step, value)
        assert run["metrics"] == {k: v for k, (_, v) in last.items()}

    result = cli_run("runs", "--store", STORES[label], "--format", "csv")
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == len(written["runs"]) + 1

    result = cli_run("models", "--store", STORES[label], "--format", "json")
    assert result.exit_code == 0, result.stderr
    versions = json.loads(result.stdout)["model_versions"]
    registered = [v["version"] for r in written["spec"]["runs"] + written["spec"].get("resumed", [])
                  for v in r["versions"]] if written.get("register_model", True) else []
    assert sorted(v["version"] for v in versions) == (sorted(registered) if label.startswith("comet") else [])


@pytest.mark.parametrize("release", ["current", "old"])
def test_a_continued_comet_experiment_is_one_run(release):
    """ExistingOfflineExperiment writes a second zip with the same key: one run, both zips read."""
    written = _written(f"comet-{release}")
    zips = sorted((COMET / release).glob("*.zip"))
    assert len(zips) == len(written["runs"]) + len(written["spec"]["resumed"])
    resumed = written["spec"]["resumed"][0]
    key = written["runs"][resumed["run"]]["key"]
    with auditkit.open_store(f"comet://{COMET / release}") as store:
        run = store.get_run(key)
        assert run.tags["comet.archives"].count(".zip") == 2
        assert [v.run_id for v in store.model_versions() if v.version == resumed["versions"][0]["version"]] == [key]
        assert run.params and run.tags["mlflow.source.git.commit"] == written["runs"][resumed["run"]]["commit"]


def test_comet_3_20_archives_record_no_crash_and_no_registry():
    """comet-ml 3.20 writes no ``customer_error_reported`` (so a crashed run's status is unknown, not
    FINISHED) and has no ``register_model``; its runs and users are read like the newer ones'."""
    written = _written("comet-older")
    assert written["comet_ml"] == "3.20.0" and written["register_model"] is False
    with auditkit.open_store(STORES["comet-older"]) as store:
        runs = {r.run_name: r for r in store.runs()}
        assert {r.status for r in runs.values()} == {None}
        assert {n: r.user for n, r in runs.items()} == {r["name"]: r["user"] for r in written["spec"]["runs"]}
        assert store.model_versions() == [] and all(r.end_time for r in runs.values())


def test_experiment_filter_and_unknown_experiment(cli_run):
    result = cli_run("runs", "--store", STORES["comet-current"], "--experiment", "credit-risk", "--format", "json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)["runs"]) == 4
    result = cli_run("runs", "--store", STORES["neptune-scale"], "--experiment", "nope")
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("folder", [COMET / "current", COMET / "old", COMET / "older", NEPTUNE / "v1",
                                    NEPTUNE / "scale"])
def test_every_command_leaves_the_store_byte_identical(folder, cli_run, tmp_path):
    before = _tree_digest(folder)
    scheme = "comet" if folder.parent == COMET else "neptune"
    for command in (["inspect"], ["runs", "--format", "json"], ["models"]):
        assert cli_run(*command, "--store", f"{scheme}://{folder}").exit_code == 0
    assert _tree_digest(folder) == before


def test_detection_by_path(tmp_path):
    one_zip = sorted((COMET / "current").glob("*.zip"))[0]
    scale_file = sorted((NEPTUNE / "scale" / ".neptune").glob("*/run_operations.sqlite3"))[0]
    cases = {str(COMET / "current"): "comet", str(one_zip): "comet", str(NEPTUNE / "v1"): "neptune",
             str(NEPTUNE / "v1" / ".neptune"): "neptune", str(NEPTUNE / "scale" / ".neptune"): "neptune",
             str(scale_file): "neptune"}
    for path, backend in cases.items():
        with auditkit.open_store(path) as store:
            assert store.backend == backend, path
            assert store.runs(), path
    with auditkit.open_store(str(one_zip)) as store:
        assert len(store.runs()) == 1


# -- bad input ---------------------------------------------------------------------------------------------
def _zip_copy(tmp_path: Path, *, drop: str | None = None, edit=None) -> Path:
    source = sorted((COMET / "current").glob("*.zip"))[0]
    target = tmp_path / "broken" / source.name
    target.parent.mkdir()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            if item.filename == drop:
                continue
            data = src.read(item.filename)
            if edit is not None and item.filename == "messages.json":
                data = edit(data)
            dst.writestr(item, data)
    return target


def _truncate_last_line(data: bytes) -> bytes:
    lines = data.decode("utf-8").splitlines()
    return ("\n".join(lines[:-1] + [lines[-1][: len(lines[-1]) // 2]]) + "\n").encode("utf-8")


def _truncate_os_packages_line(data: bytes) -> bytes:
    lines = data.decode("utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if '"os_packages"' in line[:120])
    lines[at] = lines[at][: len(lines[at]) // 2]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _corrupt_zip(tmp_path: Path) -> str:
    source = sorted((COMET / "current").glob("*.zip"))[0]
    target = tmp_path / "broken.zip"
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return f"comet://{target}"


def _neptune_v1_copy(tmp_path: Path, edit) -> str:
    target = tmp_path / "np"
    shutil.copytree(NEPTUNE / "v1" / ".neptune", target / ".neptune")
    edit(sorted((target / ".neptune" / "offline").glob("run__*"))[0])
    return f"neptune://{target}"


def _truncate_v1_log(folder: Path) -> None:
    log = folder / "data-1.log"
    log.write_bytes(_truncate_last_line(log.read_bytes()))


def _not_sqlite(tmp_path: Path) -> str:
    target = tmp_path / "run_operations.sqlite3"
    target.write_text("not a database", encoding="utf-8")
    return str(target)


def _wrong_sqlite(tmp_path: Path) -> str:
    target = tmp_path / "run_operations.sqlite3"
    sqlite3.connect(target).execute("CREATE TABLE other (x)").connection.close()
    return f"neptune://{target}"


def _scale_other_version(tmp_path: Path) -> str:
    source = sorted((NEPTUNE / "scale" / ".neptune").glob("*/run_operations.sqlite3"))[0]
    target = tmp_path / "run_operations.sqlite3"
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target)
    with conn:
        conn.execute("UPDATE metadata SET version = 'v9'")
    conn.close()
    return f"neptune://{target}"


def _async_folder(tmp_path: Path) -> str:
    target = tmp_path / "np"
    shutil.copytree(NEPTUNE / "v1" / ".neptune", target / ".neptune")
    (target / ".neptune" / "async" / "run__0f39f3f0__1__x").mkdir(parents=True)
    return f"neptune://{target}"


def _parquet_folder(tmp_path: Path) -> str:
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "part-0.parquet").write_bytes(b"PAR1")
    return f"neptune://{tmp_path / 'export'}"


BAD = [
    (_corrupt_zip, "is not a readable zip archive (expected a Comet offline experiment zip)"),
    (lambda t: f"comet://{_zip_copy(t, drop='messages.json').parent}", "holds no messages.json"),
    (lambda t: f"comet://{_zip_copy(t, drop='experiment.json')}", "holds no experiment.json"),
    (lambda t: f"comet://{_zip_copy(t, edit=_truncate_last_line).parent}", "messages.json line"),
    (lambda t: f"comet://{_zip_copy(t, edit=_truncate_os_packages_line).parent}", "messages.json line 2 "),
    (lambda t: f"comet://{t}", "holds no .zip files"),
    (lambda t: _neptune_v1_copy(t, _truncate_v1_log), "is not a neptune operation"),
    (lambda t: _neptune_v1_copy(t, lambda f: (f / "metadata.json").write_text("[1", encoding="utf-8")),
     "is not a neptune offline metadata.json"),
    (_not_sqlite, "is not a neptune-scale run_operations.sqlite3"),
    (_wrong_sqlite, "is not a neptune-scale run_operations.sqlite3"),
    (_scale_other_version, "is neptune-scale storage format 'v9'; auditkit reads v5"),
    (_async_folder, "holds neptune 1.x async-mode run folders"),
    (_parquet_folder, "holds Neptune exporter Parquet files; reading the exporter's Parquet is not supported yet"),
    (lambda t: f"neptune://{t}", "holds no Neptune offline data"),
]


@pytest.mark.parametrize("make, message", BAD)
def test_bad_input_is_one_line_exit_2(make, message, tmp_path, cli_run):
    store = make(tmp_path)
    for command in (["inspect"], ["runs"]):
        result = cli_run(*command, "--store", store)
        assert result.exit_code == 2, (store, result.stdout)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""


def test_a_pending_neptune_scale_wal_is_read_and_left_untouched(tmp_path):
    """A client that has not closed leaves its last operations in ``-wal``: they are read (from a
    temporary copy), and the store's files stay byte-identical."""
    written = _written("neptune-scale")
    run_id = written["runs"]["logreg-c1"]["id"]
    files = (NEPTUNE / "scale" / ".neptune").glob("*/run_operations.sqlite3")
    source = next(p for p in files if run_id in p.parent.name)
    target = tmp_path / "run_operations.sqlite3"
    shutil.copyfile(source, target)
    with auditkit.open_store(f"neptune://{target}") as store:
        assert "accuracy" in store.runs()[0].metrics  # the last operation logs it
    writer = sqlite3.connect(target)  # a writer still open: the change sits in the WAL
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        with writer:
            writer.execute("DELETE FROM run_operations "
                           "WHERE sequence_id = (SELECT max(sequence_id) FROM run_operations)")
        wal = tmp_path / "run_operations.sqlite3-wal"
        assert wal.stat().st_size > 0
        before = _tree_digest(tmp_path)
        with auditkit.open_store(f"neptune://{target}") as store:
            assert "accuracy" not in store.runs()[0].metrics
        assert _tree_digest(tmp_path) == before
    finally:
        writer.close()

"""Read-only connector for Neptune offline data (``neptune:///abs/path``).

The path is a ``.neptune`` folder (neptune 1.x ``offline/run__…`` folders and/or neptune-scale
``<project>_<run>_<ns>/run_operations.sqlite3`` folders, as each client leaves them), one
neptune-scale ``.sqlite3`` file, or a folder holding any of these. The official exporter's Parquet
files are recognised and refused by name (not read yet). Readers: :mod:`auditkit.connectors.neptune_data`.

Mapping (Neptune fields → auditkit records), the same for both clients:

* run → :class:`Run`: id = the 1.x container id (offline runs get their ``PROJ-123`` id only at
  sync) or the neptune-scale ``run_id``; name = ``sys/name``; experiment = neptune-scale's
  ``experiment_name`` (1.x keeps none offline, nor the project); start = 1.x ``createdAt`` /
  neptune-scale ``creation_time``; status FAILED when ``sys/failed`` is true (1.x marks it on
  an uncaught exception), otherwise unknown (``None``: neither client records that a run ended);
  end time unknown (the last operation's time is tag ``neptune.last_operation_at``);
* ``params`` = atoms under ``parameters/`` (the namespace Neptune's docs and integrations use),
  as text the way MLflow stores params; ``metrics`` = each numeric series' latest value (highest
  step, then last logged), ``monitoring/*`` left out;
* ``tags`` = each ``sys/tags`` label as a key with an empty value; every other atom outside
  ``sys/``, ``monitoring/``, ``source_code/``, ``parameters/`` and ``datasets/`` as a key (its
  path) with its value as text; recorded facts under MLflow's system tag names
  (``mlflow.runName``, ``mlflow.note.content`` = ``sys/description``, ``mlflow.user`` =
  ``sys/owner`` where present, ``mlflow.source.name`` = 1.x ``source_code/entrypoint`` or the
  script of neptune-scale's ``source_code/run_command``, ``mlflow.source.git.commit`` /
  ``…branch`` / ``…repoURL`` from neptune-scale's ``source_code/commit/commit_id``,
  ``source_code/branch`` (not "Detached HEAD"), ``source_code/remote/origin``) and ``neptune.*``
  keys (client and its version, hostname, os, python version, run command, git dirty state from
  neptune-scale's ``source_code/dirty`` or a 1.x ``source_code/diff`` upload, uploaded files,
  the traceback 1.x records when a run fails);
* ``datasets/<name>`` → :class:`DatasetRef` (1.x: the files ``track_files`` tracked, as source;
  neptune-scale: the string logged there); no digest offline.

Neither client can write the model registry offline (1.x refuses ``init_model`` in offline mode,
neptune-scale has none), so no model versions are read.
"""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import errors
from ..records import DatasetRef, Experiment, ModelVersion, RegisteredModel, Run, StoreInfo, iso
from .base import Connector, unknown_experiment, unknown_model
from .messages import STORE_PATH_MISSING
from .neptune_data import NeptuneRunData, read_scale_file, read_v1_run, v1_run_folders

NOTHING_FOUND = ("{path!r} holds no Neptune offline data (expected a .neptune folder with offline/run__* "
                 "folders or neptune-scale run_operations.sqlite3 files)")
PARQUET_REFUSED = ("{path!r} holds Neptune exporter Parquet files; reading the exporter's Parquet is not "
                   "supported yet (expected a .neptune folder or a neptune-scale run_operations.sqlite3 file)")
ASYNC_REFUSED = ("{path!r} holds neptune 1.x async-mode run folders (data not yet synced to the server); "
                 "auditkit reads offline-mode folders (.neptune/offline/run__*) only")
NOT_SCALE_FILE = "{path!r} is not a neptune-scale .sqlite3 file (expected run_operations.sqlite3 or a .neptune folder)"

#: Audit facts each Neptune client's offline data has no place for (each a lineage gap). A store's
#: ``cannot_carry`` is the union over the clients whose data it holds.
_COMMON_CANNOT_CARRY = (
    "run user",
    "run end time",
    "experiment tags",
    "experiments without runs",
    "deleted experiments",
    "deleted runs",
    "dataset digest",
    "dataset context",
    "dataset schema",
    "registered models",
    "model versions",
    "logged models",
)
NEPTUNE_V1_CANNOT_CARRY = _COMMON_CANNOT_CARRY + (
    "finished run status",
    "experiment (project) name",
    "git commit",
    "git branch",
    "git repository URL",
)
NEPTUNE_SCALE_CANNOT_CARRY = _COMMON_CANNOT_CARRY + (
    "run status",
)
SKIP_PREFIXES = ("sys/", "monitoring/", "source_code/", "parameters/", "datasets/")


class NeptuneConnector(Connector):
    """Neptune offline data, read-only (see the module docstring for the forms read).

    Raises :class:`~auditkit.errors.StoreNotFoundError` for a missing path and
    :class:`~auditkit.errors.StoreError` (one line) for exporter Parquet, a folder without Neptune
    data, or malformed files.
    """

    backend = "neptune"

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.root = Path(uri).expanduser()
        if not self.root.exists():
            raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(self.root)))
        if self.root.is_file() and self.root.suffix.lower() == ".parquet":
            raise errors.StoreError(PARQUET_REFUSED.format(path=str(self.root)))
        if self.root.is_file() and self.root.suffix.lower() not in (".sqlite3", ".sqlite", ".db"):
            raise errors.StoreError(NOT_SCALE_FILE.format(path=str(self.root)))
        self._data: tuple[list[Run], list[Experiment], set[str]] | None = None

    @property
    def cannot_carry(self) -> tuple[str, ...]:  # type: ignore[override]
        """The facts the clients whose data this store holds cannot carry (union, in order)."""
        folders, files = self.sources()
        facts = (NEPTUNE_V1_CANNOT_CARRY if folders else ()) + (NEPTUNE_SCALE_CANNOT_CARRY if files else ())
        return tuple(dict.fromkeys(facts))

    def sources(self) -> tuple[list[Path], list[Path]]:
        """``(1.x run folders, neptune-scale files)`` under the store path."""
        if self.root.is_file():
            return [], [self.root]
        folders, files = [], []
        candidates = [self.root, self.root / ".neptune"]
        for base in candidates:
            if not base.is_dir():
                continue
            if (base / "offline").is_dir():
                folders.extend(v1_run_folders(base / "offline"))
            if (base / "async").is_dir() and v1_run_folders(base / "async"):
                raise errors.StoreError(ASYNC_REFUSED.format(path=str(base)))
            files.extend(sorted(base.glob("*/run_operations.sqlite3")))
            files.extend(sorted(base.glob("run_operations.sqlite3")))
        if not folders and not files:
            if any(self.root.rglob("*.parquet")):
                raise errors.StoreError(PARQUET_REFUSED.format(path=str(self.root)))
            raise errors.StoreError(NOTHING_FOUND.format(path=str(self.root)))
        return folders, sorted(set(files))

    # -- reads --------------------------------------------------------------------------------
    def info(self) -> StoreInfo:
        runs, experiments, formats = self._load()
        counts = {"experiments": len(experiments), "runs": len(runs), "registered_models": 0, "model_versions": 0,
                  "datasets": len({(d.name, d.source) for r in runs for d in r.datasets})}
        return StoreInfo(backend=self.backend, uri=str(self.root), schema_revision=",".join(sorted(formats)) or None,
                         counts=counts)

    def experiments(self) -> list[Experiment]:
        return list(self._load()[1])

    def runs(self, experiment: str | None = None) -> list[Run]:
        runs, experiments, _ = self._load()
        if experiment is None:
            return list(runs)
        names = [e.name for e in experiments]
        if experiment not in names:
            raise unknown_experiment(experiment, names)
        return [r for r in runs if r.experiment == experiment]

    def registered_models(self) -> list[RegisteredModel]:
        return []

    def model_versions(self, name: str | None = None) -> list[ModelVersion]:
        if name is not None:
            raise unknown_model(name, [])
        return []

    def _load(self) -> tuple[list[Run], list[Experiment], set[str]]:
        if self._data is None:
            folders, files = self.sources()
            data = [read_v1_run(f) for f in folders] + [read_scale_file(f) for f in files]
            formats = {f"{d.client} {d.format_version}" for d in data}
            runs = [build_run(d) for d in data]
            never = datetime.min.replace(tzinfo=timezone.utc)
            runs.sort(key=lambda r: r.start_time or never, reverse=True)  # newest first, like MLflow
            projects: dict[str, str | None] = {}
            for d in data:
                if d.experiment:
                    projects.setdefault(d.experiment, d.project)
            experiments = [Experiment(experiment_id=name, name=name,
                                      tags={"neptune.project": project} if project else {})
                           for name, project in sorted(projects.items())]
            self._data = (runs, experiments, formats)
        return self._data


def build_run(d: NeptuneRunData) -> Run:
    """The :class:`Run` of one Neptune run's fields."""
    atoms = d.atoms
    params = {path[len("parameters/"):]: param_text(v) for path, v in atoms.items()
              if path.startswith("parameters/") and v is not None}
    metrics = {}
    for path, points in d.series.items():
        if points and not path.startswith("monitoring/"):
            metrics[path] = max(points, key=lambda p: (p[0], p[1]))[2]
    tags: dict[str, str] = {label: "" for label in sorted(d.sets.get("sys/tags", set()))}
    tags.update({path: param_text(v) for path, v in atoms.items()
                 if v is not None and not path.startswith(SKIP_PREFIXES)})
    branch = _text(atoms.get("source_code/branch"))
    command = _text(atoms.get("source_code/run_command"))
    dirty = atoms.get("source_code/dirty")
    if dirty is None and "source_code/diff" in d.files:
        dirty = True
    facts = {
        "mlflow.runName": _text(atoms.get("sys/name")), "mlflow.note.content": _text(atoms.get("sys/description")),
        "mlflow.user": _text(atoms.get("sys/owner")),
        "mlflow.source.name": _text(atoms.get("source_code/entrypoint")) or _script(command),
        "mlflow.source.git.commit": _text(atoms.get("source_code/commit/commit_id")),
        "mlflow.source.git.branch": branch if branch and branch != "Detached HEAD" else None,
        "mlflow.source.git.repoURL": _text(atoms.get("source_code/remote/origin")),
        "neptune.client": d.client, "neptune.client_version": d.client_version,
        "neptune.project": d.project, "neptune.hostname": _text(atoms.get("sys/hostname")),
        "neptune.os": d.environment.get("os"), "neptune.python_version": d.environment.get("python_version"),
        "neptune.run_command": command, "neptune.git_dirty": None if dirty is None else str(bool(dirty)).lower(),
        "neptune.files": ", ".join(sorted(d.files)) or None,
        "neptune.last_operation_at": iso(d.last_seen),
    }
    tags.update({k: v for k, v in facts.items() if v})
    datasets = []
    for path, entries in sorted(d.artifacts.items()):
        datasets.append(DatasetRef(name=path.split("/")[-1], digest=None, source_type="neptune-artifact",
                                   source=", ".join(entries) or None, tags={"neptune.path": path}))
    for path, value in sorted(atoms.items()):
        if path.startswith("datasets/") and isinstance(value, str) and path not in d.artifacts:
            datasets.append(DatasetRef(name=path.split("/")[-1], digest=None, source_type="neptune-field",
                                       source=value, tags={"neptune.path": path}))
    traceback = [line for path, lines in sorted(d.texts.items()) if path.startswith("monitoring/")
                 and path.endswith("/traceback") for line in lines]
    if traceback:
        tags["neptune.traceback"] = "\n".join(traceback)
    failed = atoms.get("sys/failed")
    return Run(run_id=d.run_id, experiment_id=d.experiment or "", experiment=d.experiment,
               run_name=_text(atoms.get("sys/name")), user=_text(atoms.get("sys/owner")),
               status="FAILED" if failed is True else None, start_time=d.created, end_time=None,
               artifact_uri=d.source.resolve().as_uri(), params=params, metrics=metrics, tags=tags,
               datasets=tuple(datasets))


def param_text(value: Any) -> str:
    """A field value as MLflow would store a param: text as is, ISO for times, JSON otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return iso(value) or ""
    return json.dumps(value)


def _script(command: str | None) -> str | None:
    if not command:
        return None
    try:
        parts = shlex.split(command)
    except ValueError:
        parts = command.split()
    return next((p for p in parts if p.endswith(".py")), None)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text or None


__all__ = ["NEPTUNE_SCALE_CANNOT_CARRY", "NEPTUNE_V1_CANNOT_CARRY", "NeptuneConnector", "build_run"]

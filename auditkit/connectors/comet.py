"""Read-only connector for Comet offline archives (``comet:///abs/path``: a folder of zips, or one zip).

Each zip is one ``OfflineExperiment`` (``comet_ml.start(online=False)``), read in memory by
:mod:`auditkit.connectors.comet_archive` (current and ≤ 3.33 message layouts alike).

Mapping (Comet → auditkit records):

* project → :class:`Experiment` (id and name = the project name, tag ``comet.workspace``);
* experiment → :class:`Run`: id = the offline experiment key; name = the ``Name`` other
  (``set_name``); user = ``system_details.user``; start/end = ``experiment.json``
  ``start_time``/``stop_time``; status FAILED when comet-ml's exception hook reported a crash
  (``customer_error_reported``), FINISHED when the archive has a stop time, RUNNING otherwise —
  ``None`` for archives of comet-ml 3.2x and older, which record no crash;
* ``params`` = parameters logged by the user (``source`` ``manual`` or none); the ones comet-ml
  logs itself (``auto-logged``: ``curr_step``, ``dataset_hash``…; ``cli``: the script's
  arguments as ``run_arg_N``; older releases log these with no source) are left out. Values as
  text the way MLflow stores params;
* ``metrics`` = each metric's latest value (highest step, then last logged), comet-ml's own
  system metrics (``sys.*``, ``process duration``) left out;
* ``tags`` = each Comet tag (a label) as a key with an empty value; each ``log_other`` as a
  key with its value (Comet's ``Name``/``offline_experiment``/``dataset_info`` aside); the
  recorded facts under MLflow's system tag names (``mlflow.runName``, ``mlflow.user``,
  ``mlflow.source.name`` = the command's script, ``mlflow.source.git.commit`` = ``parent``,
  ``mlflow.source.git.branch`` (``refs/heads/`` stripped), ``mlflow.source.git.repoURL`` =
  ``origin``) and ``comet.*`` keys (workspace, hostname, os, machine, processor, GPUs,
  ``log_system_info`` entries, python version, python executable, the command line, installed
  packages one per line, crash message, whether a ``git-patch`` was uploaded, the uploaded assets);
* ``log_dataset_info`` (``"NAME[-VERSION], PATH"``) and the ``dataset_hash`` comet-ml computes →
  one :class:`DatasetRef` (Comet keeps one dataset_info per experiment; no context);
* ``register_model`` → :class:`ModelVersion` (registry name, version as logged, first stage,
  tags as labels, description, status, the experiment as the run, the run's user as creator)
  and :class:`RegisteredModel`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import errors
from ..records import DatasetRef, Experiment, ModelVersion, RegisteredModel, Run, StoreInfo, ms_to_datetime, version_key
from .base import Connector, unknown_experiment, unknown_model
from .comet_archive import Archive, read_archive
from .messages import STORE_PATH_MISSING

NO_ARCHIVES = "folder {path!r} holds no .zip files (expected Comet offline experiment zips)"
NOT_ZIP_FILE = "{path!r} is not a .zip file (expected a Comet offline experiment zip or a folder of them)"

#: Audit facts a Comet offline archive has no place for (each a lineage gap).
COMET_CANNOT_CARRY = (
    "experiment tags",
    "experiments without runs",
    "deleted experiments",
    "deleted runs",
    "git dirty state",
    "dataset context",
    "dataset schema",
    "more than one dataset per run",
    "registered model description",
    "registered model tags",
    "registered models without versions",
    "model aliases",
    "version tag values",
    "version times",
    "deleted versions",
    "logged models",
)
#: ``log_other`` keys comet-ml writes itself (read as facts, not as tags).
OWN_OTHERS = ("Name", "offline_experiment", "dataset_info")
#: Parameters comet-ml logs itself (older releases mark them with no ``source``).
OWN_PARAMS = ("curr_step", "curr_epoch")
SYSTEM_METRIC_PREFIXES = ("sys.",)
SYSTEM_METRICS = ("process duration",)


class CometConnector(Connector):
    """A folder of Comet offline experiment zips (or one zip), read-only and in memory.

    Raises :class:`~auditkit.errors.StoreNotFoundError` for a missing path and
    :class:`~auditkit.errors.StoreError` (one line) for a folder without zips, a corrupt zip,
    a zip without ``experiment.json``/``messages.json`` or a malformed message line.
    """

    backend = "comet"
    cannot_carry = COMET_CANNOT_CARRY

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.root = Path(uri).expanduser()
        if not self.root.exists():
            raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(self.root)))
        if self.root.is_file() and self.root.suffix.lower() != ".zip":
            raise errors.StoreError(NOT_ZIP_FILE.format(path=str(self.root)))
        self._data: tuple[list[Run], list[Experiment], list[ModelVersion], set[str]] | None = None

    def zips(self) -> list[Path]:
        """The archives read: the zip itself, or the folder's ``*.zip`` files by name."""
        if self.root.is_file():
            return [self.root]
        found = sorted(p for p in self.root.iterdir() if p.is_file() and p.suffix.lower() == ".zip")
        if not found:
            raise errors.StoreError(NO_ARCHIVES.format(path=str(self.root)))
        return found

    # -- reads --------------------------------------------------------------------------------
    def info(self) -> StoreInfo:
        runs, experiments, versions, layouts = self._load()
        counts = {"experiments": len(experiments), "runs": len(runs),
                  "registered_models": len({v.name for v in versions}), "model_versions": len(versions),
                  "datasets": len({(d.name, d.digest) for r in runs for d in r.datasets})}
        return StoreInfo(backend=self.backend, uri=str(self.root), schema_revision=",".join(sorted(layouts)) or None,
                         counts=counts)

    def experiments(self) -> list[Experiment]:
        return list(self._load()[1])

    def runs(self, experiment: str | None = None) -> list[Run]:
        runs, experiments, _, _ = self._load()
        if experiment is None:
            return list(runs)
        names = [e.name for e in experiments]
        if experiment not in names:
            raise unknown_experiment(experiment, names)
        return [r for r in runs if r.experiment == experiment]

    def registered_models(self) -> list[RegisteredModel]:
        versions = self._load()[2]
        return [RegisteredModel(name=name) for name in sorted({v.name for v in versions})]

    def model_versions(self, name: str | None = None) -> list[ModelVersion]:
        versions = self._load()[2]
        if name is None:
            return list(versions)
        names = sorted({v.name for v in versions})
        if name not in names:
            raise unknown_model(name, names)
        return [v for v in versions if v.name == name]

    # -- loading ------------------------------------------------------------------------------
    def _load(self) -> tuple[list[Run], list[Experiment], list[ModelVersion], set[str]]:
        if self._data is None:
            runs, versions, layouts = [], [], set()
            workspaces: dict[str, str | None] = {}
            segments: dict[str, list[Archive]] = {}
            for path in self.zips():
                archive = read_archive(path)
                layouts |= archive.layouts
                segments.setdefault(experiment_key(archive), []).append(archive)
            for archives in segments.values():
                run, run_versions = build_run(archives)
                runs.append(run)
                versions.extend(run_versions)
                if run.experiment is not None:
                    workspaces.setdefault(run.experiment, archives[0].experiment.get("workspace"))
            never = datetime.min.replace(tzinfo=timezone.utc)
            runs.sort(key=lambda r: r.start_time or never, reverse=True)  # newest first, like MLflow
            versions.sort(key=lambda v: (v.name, version_key(v.version)))
            experiments = [Experiment(experiment_id=name, name=name,
                                      tags={"comet.workspace": ws} if ws else {})
                           for name, ws in sorted(workspaces.items())]
            self._data = (runs, experiments, versions, layouts)
        return self._data


def experiment_key(archive: Archive) -> str:
    """The experiment an archive belongs to: its ``offline_id`` (else the zip's name)."""
    return str(archive.experiment.get("offline_id") or archive.path.stem)


def build_run(archives: list[Archive]) -> tuple[Run, list[ModelVersion]]:
    """One experiment's :class:`Run` and the model versions it registered, from its archives:
    one zip, or several when it was continued (``ExistingOfflineExperiment`` writes another zip
    with the same key), read in start order as one run."""
    archives = sorted(archives, key=lambda a: (_int(a.experiment.get("start_time")), a.path.name))
    first, last = archives[0], archives[-1]
    meta = {**first.experiment, "stop_time": last.experiment.get("stop_time"),
            "customer_error_reported": last.experiment.get("customer_error_reported"),
            "customer_error_message": last.experiment.get("customer_error_message"),
            "tags": [t for a in archives for t in a.experiment.get("tags") or []]}
    run_id = experiment_key(first)
    messages = [m for a in archives for m in a.messages]
    where = [a.path for a in archives for _ in a.messages]  # the zip each message came from
    params: dict[str, str] = {}
    metrics: dict[str, tuple[tuple[float, int], float]] = {}  # key -> ((step, order), value)
    others: dict[str, Any] = {}
    system: dict[str, Any] = {}
    git: dict[str, Any] = {}
    packages: list[str] = []
    system_info: dict[str, Any] = {}
    gpus: Any = None
    file_name = None
    dataset_hash = None
    uploads: list[dict[str, Any]] = []
    registrations: list[tuple[dict[str, Any], Path]] = []  # (payload, the zip it came from)
    for order, (kind, payload) in enumerate(messages):
        if kind == "parameter_msg":
            param = payload.get("param") or {}
            name, source = param.get("paramName"), param.get("source")
            if name == "dataset_hash":
                dataset_hash = _text(param.get("paramValue"))
            elif source is None and isinstance(name, str) and (name in OWN_PARAMS or _is_run_arg(name)):
                continue  # comet-ml ≤ 3.2x logs its step counters and the script's arguments unmarked
            elif isinstance(name, str) and source in (None, "manual"):
                params[name] = param_text(param.get("paramValue"))
        elif kind == "metric_msg":
            metric = payload.get("metric") or {}
            name, value = metric.get("metricName"), metric.get("metricValue")
            if not isinstance(name, str) or name in SYSTEM_METRICS or name.startswith(SYSTEM_METRIC_PREFIXES):
                continue
            number = _number(value)
            if number is None:
                continue
            step = metric.get("step")
            numeric = isinstance(step, (int, float)) and not isinstance(step, bool)
            rank = (float(step) if numeric else float("-inf"), order)
            if name not in metrics or rank >= metrics[name][0]:
                metrics[name] = (rank, number)
        elif kind == "log_other":
            if isinstance(payload.get("key"), str):
                others[payload["key"]] = payload.get("value")
        elif kind == "system_details":
            system.update(payload)
        elif kind == "git_metadata":
            git.update(payload.get("git_metadata") or {})
        elif kind == "system_info":
            info = payload.get("system_info") or payload.get("log_system_info") or {}
            if isinstance(info, dict) and isinstance(info.get("key"), str):
                system_info[info["key"]] = info.get("value")
        elif kind == "file_name":  # the script comet-ml saw (log_code)
            file_name = _text(payload.get("file_name") or payload.get("fileName"))
        elif kind == "gpu_static_info":
            gpus = payload.get("gpu_static_info")
        elif kind == "installed_packages":
            packages = [p for p in payload.get("installed_packages") or [] if isinstance(p, str)]
        elif kind == "file_upload":
            uploads.append(payload)
        elif kind == "register_model":
            registrations.append((payload, where[order]))
    user = _text(system.get("user"))
    name = _text(others.get("Name"))
    project = _text(meta.get("project_name"))
    command = system.get("command") if isinstance(system.get("command"), list) else []
    branch = _text(git.get("branch"))
    if branch and branch.startswith("refs/heads/"):
        branch = branch[len("refs/heads/"):]
    upload_types = sorted({str(u.get("upload_type")) for u in uploads if u.get("upload_type")})
    tags: dict[str, str] = {str(t): "" for t in meta.get("tags") or [] if isinstance(t, str)}
    tags.update({k: param_text(v) for k, v in others.items() if k not in OWN_OTHERS and v is not None})
    facts = {
        "mlflow.runName": name, "mlflow.user": user,
        "mlflow.source.name": (_text(command[0]) if command else None) or file_name,
        "mlflow.source.git.commit": _text(git.get("parent")), "mlflow.source.git.branch": branch,
        "mlflow.source.git.repoURL": _text(git.get("origin")),
        "comet.workspace": _text(meta.get("workspace")), "comet.hostname": _text(system.get("hostname")),
        "comet.os": _text(system.get("os")), "comet.python_version": _text(system.get("python_version")),
        "comet.python_exe": _text(system.get("python_exe")),
        "comet.machine": _text(system.get("machine")), "comet.processor": _text(system.get("processor")),
        "comet.gpus": json.dumps(gpus) if gpus else None,
        "comet.command": " ".join(str(c) for c in command) or None, "comet.file_name": file_name,
        "comet.installed_packages": "\n".join(packages) or None,
        "comet.crash": _text(meta.get("customer_error_message")) if meta.get("customer_error_reported") else None,
        "comet.git_patch": "true" if "git-patch" in upload_types else None,
        "comet.uploads": ",".join(upload_types) or None,
    }
    tags.update({k: v for k, v in facts.items() if v})
    tags.update({f"comet.system_info.{k}": param_text(v) for k, v in system_info.items() if v is not None})
    datasets = _datasets(others.get("dataset_info"), dataset_hash)
    start, end = ms_to_datetime(first.experiment.get("start_time")), ms_to_datetime(meta.get("stop_time"))
    if meta.get("customer_error_reported"):
        status = "FAILED"
    elif "customer_error_reported" not in last.experiment:
        status = None  # comet-ml ≤ 3.2x records no crash: ended, but not whether it failed
    else:
        status = "FINISHED" if end is not None else "RUNNING"
    if len(archives) > 1:
        tags["comet.archives"] = ", ".join(a.path.name for a in archives)
    run = Run(run_id=run_id, experiment_id=project or "", experiment=project, run_name=name, user=user,
              status=status, start_time=start, end_time=end, artifact_uri=first.path.resolve().as_uri(),
              params=params, metrics={k: v for k, (_, v) in metrics.items()}, tags=tags, datasets=datasets)
    versions = [_version(reg, run, path) for reg, path in registrations]
    return run, [v for v in versions if v is not None]


def _version(reg: dict[str, Any], run: Run, path: Path) -> ModelVersion | None:
    name = _text(reg.get("registry_name")) or _text(reg.get("model_name"))
    version = _text(reg.get("version"))
    if name is None:
        return None
    stages = [s for s in reg.get("stages") or [] if isinstance(s, str)]
    tags = {str(t): "" for t in reg.get("tags") or [] if isinstance(t, str)}
    if len(stages) > 1:
        tags["comet.stages"] = ",".join(stages)
    if reg.get("comment"):
        tags["comet.comment"] = str(reg["comment"])
    if reg.get("workspace"):
        tags["comet.workspace"] = str(reg["workspace"])
    model = _text(reg.get("model_name")) or name
    return ModelVersion(
        name=name, version=version or "1.0.0", stage=stages[0] if stages else None, tags=tags,
        source=f"comet model {model!r} of experiment {run.run_id} ({path.name})",
        run_id=_text(reg.get("experiment_id")) or run.run_id, creator=run.user,
        description=_text(reg.get("description")), status=_text(reg.get("status")),
    )


def _datasets(info: Any, digest: str | None) -> tuple[DatasetRef, ...]:
    if not isinstance(info, str) or not info:
        return ()
    name, sep, source = info.partition(", ")
    return (DatasetRef(name=name, digest=digest, source_type="comet-dataset-info",
                       source=source if sep else None, tags={"comet.dataset_info": info}),)


def param_text(value: Any) -> str:
    """A logged value as MLflow would store it: text as is, JSON for lists, dicts, numbers and booleans."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _is_run_arg(name: str) -> bool:
    """comet-ml's name for the script's N-th command-line argument (``parse_args``)."""
    return name.startswith("run_arg_") and name[len("run_arg_"):].isdigit()


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text or None


__all__ = ["COMET_CANNOT_CARRY", "CometConnector", "build_run"]

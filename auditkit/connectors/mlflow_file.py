"""Read-only connector for MLflow's file store: an ``mlruns/`` folder (``file:///…/mlruns``).

Layout (MLflow 1.x to 3.x; see :mod:`.mlflow_file_registry` for ``models/``):

- ``<root>/<experiment id>/meta.yaml`` and ``tags/``; deleted experiments move to
  ``<root>/.trash/<experiment id>/``.
- ``<experiment>/<run id>/meta.yaml`` (numeric ``status`` enum, ``lifecycle_stage`` ``deleted``
  for deleted runs, which stay in place), ``params/``, ``tags/``, ``metrics/`` (lines
  ``timestamp value step``), ``inputs/<id>/meta.yaml`` (dataset links; the dataset lives in
  ``<experiment>/datasets/<source_id>/meta.yaml``; the run is the folder the input lies in —
  MLflow writes the dataset id into ``destination_id``), ``outputs/<model id>/`` (MLflow 3).

The folder is read once, on first use, and kept (open a new connector to see later writes).
Nothing is ever written. A malformed file never stops the whole read: what cannot be read is
skipped, listed in :attr:`StoreInfo.warnings <auditkit.records.StoreInfo>` and reported once
through :func:`warnings.warn` (:class:`~.mlflow_file_io.MlrunsWarning`); asking for a skipped
record by id raises the one-line error that explains why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from .. import errors
from ..records import DatasetRef, Experiment, LoggedModel, ModelVersion, RegisteredModel, Run, StoreInfo, ms_to_datetime
from .base import Connector, profile_rows, unknown_experiment, unknown_model, unknown_run
from .messages import (
    MLRUNS_BAD_STATUS,
    MLRUNS_ID_MISMATCH,
    MLRUNS_MISSING_DATASET,
    MLRUNS_NOT_A_FOLDER,
    MLRUNS_VERSION_RUN_MISSING,
    STORE_PATH_MISSING,
)
from .mlflow_file_io import (
    META,
    RUN_STATUS,
    MlrunsWarning,
    Problems,
    Refused,
    as_int,
    as_str,
    cut,
    join_in_store,
    list_files,
    read_metric,
    read_values,
    read_yaml,
    scan_dirs,
)
from .mlflow_file_registry import Registry, read_logged_models, read_registry

TRASH = ".trash"
#: Folders of an experiment that are not runs (MLflow's RESERVED_EXPERIMENT_FOLDERS).
RESERVED = frozenset({"tags", "datasets", "traces", "models"})
CONTEXT_TAG = "mlflow.data.context"
RUN_NAME_TAG = "mlflow.runName"

__all__ = ["MlflowFileConnector", "MlrunsWarning"]


@dataclass
class _Tracking:
    """Everything read from the experiment folders."""

    experiments: list[Experiment] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    runs_by_id: dict[str, Run] = field(default_factory=dict)
    #: run id -> why its folder was skipped.
    bad_runs: dict[str, str] = field(default_factory=dict)
    #: (experiment id, folder) of every experiment folder read, trash included.
    experiment_dirs: list[tuple[str, str]] = field(default_factory=list)
    #: logged model id -> id of the run whose outputs/ names it.
    outputs: dict[str, str] = field(default_factory=dict)


def store_root(uri: str) -> str:
    """The folder of a ``file://`` URI or a plain path."""
    if uri.startswith("file:"):
        return os.path.abspath(unquote(urlparse(uri).path))
    return os.path.abspath(os.path.expanduser(uri))


class MlflowFileConnector(Connector):
    """An MLflow ``mlruns`` folder, read-only.

    Raises :class:`~auditkit.errors.StoreNotFoundError` when the folder does not exist and
    :class:`~auditkit.errors.NotAStoreError` when the path is not a folder.
    """

    backend = "mlflow-file"

    def __init__(self, uri: str) -> None:
        # The root the user names may itself be a link (that choice is theirs): it is resolved
        # once here; below it, no link is ever followed.
        root = os.path.realpath(store_root(uri))
        if not os.path.exists(root):
            raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=root))
        if not os.path.isdir(root):
            raise errors.NotAStoreError(MLRUNS_NOT_A_FOLDER.format(path=root))
        super().__init__(root)
        self.root = root
        self._problems = Problems(root)
        self._tracking: _Tracking | None = None
        self._registry: Registry | None = None
        self._logged: list[LoggedModel] | None = None
        self._checked_versions = False

    # -- Connector API ----------------------------------------------------------------------
    def info(self) -> StoreInfo:
        """Backend, counts (deleted records included) and every problem met while reading."""
        tracking = self._load_tracking()
        registry = self._load_registry()
        logged = self._load_logged_models()
        self._check_version_runs()
        versions = [mv for vs in registry.versions.values() for mv in vs]
        counts = {  # the SQL connector's keys
            "experiments": len(tracking.experiments),
            "runs": len(tracking.runs),
            "deleted_runs": sum(r.deleted for r in tracking.runs),
            "registered_models": len(registry.models),
            "model_versions": len(versions),
            "deleted_model_versions": sum(mv.deleted for mv in versions),
            "datasets": sum(len(scan_dirs(os.path.join(f, "datasets"))) for _, f in tracking.experiment_dirs),
            "logged_models": len(logged),
        }
        self._problems.flush()
        return StoreInfo(
            backend=self.backend, uri=self.root, schema_revision=None, counts=counts,
            warnings=tuple(self._problems.lines),
        )

    def experiments(self) -> list[Experiment]:
        """Every experiment, ``.trash`` ones with ``lifecycle_stage == 'deleted'``; by id."""
        tracking = self._load_tracking()
        self._problems.flush()
        return list(tracking.experiments)

    def runs(self, experiment: str | None = None) -> list[Run]:
        """Every readable run (deleted ones included), oldest first, optionally of one experiment.

        Raises :class:`~auditkit.errors.RecordNotFoundError` for an unknown experiment name.
        """
        tracking = self._load_tracking()
        self._problems.flush()
        if experiment is None:
            return list(tracking.runs)
        ids = {e.experiment_id for e in tracking.experiments if e.name == experiment}
        if not ids:
            names = sorted({e.name for e in tracking.experiments})
            raise unknown_experiment(experiment, names)
        return [r for r in tracking.runs if r.experiment_id in ids]

    def get_run(self, run_id: str) -> Run:
        """One run by id. Raises :class:`~auditkit.errors.RecordNotFoundError` (for a run folder
        that could not be read, or one a model version names but that is gone, with the reason)."""
        tracking = self._load_tracking()
        self._problems.flush()
        if run_id in tracking.runs_by_id:
            return tracking.runs_by_id[run_id]
        if run_id in tracking.bad_runs:
            raise unknown_run(run_id, tracking.bad_runs[run_id])
        for versions in self._load_registry().versions.values():
            for mv in versions:
                if mv.run_id == run_id:
                    raise unknown_run(run_id, self._missing_run_message(mv))
        raise unknown_run(run_id)

    def registered_models(self) -> list[RegisteredModel]:
        """Every registered model with its aliases, by name."""
        registry = self._load_registry()
        self._problems.flush()
        return [registry.models[n] for n in sorted(registry.models)]

    def model_versions(self, name: str | None = None) -> list[ModelVersion]:
        """Every version (``Deleted_Internal`` ones flagged ``deleted``), by name then number.

        Raises :class:`~auditkit.errors.RecordNotFoundError` for an unknown model name.
        """
        registry = self._load_registry()
        self._check_version_runs()
        self._problems.flush()
        if name is None:
            return [mv for n in sorted(registry.versions) for mv in registry.versions[n]]
        if name not in registry.versions:
            raise unknown_model(name, sorted(registry.versions))
        return list(registry.versions[name])

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """One version. Raises :class:`~auditkit.errors.RecordNotFoundError` (with the reason
        when its meta.yaml could not be read)."""
        registry = self._load_registry()
        bad = registry.bad_versions.get((name, str(version)))
        if bad is not None:
            raise errors.RecordNotFoundError(bad, kind="model_version", name=f"{name}/{version}")
        return super().get_model_version(name, version)

    def logged_models(self) -> list[LoggedModel]:
        """MLflow 3 logged models (``<experiment>/models/m-…``), by id."""
        logged = self._load_logged_models()
        self._problems.flush()
        return list(logged)

    def metric_history(self, run_id: str, key: str) -> list[tuple[int, float, int]]:
        """The distinct ``(timestamp_ms, value, step)`` points of one metric, in logged order.

        Raises :class:`~auditkit.errors.RecordNotFoundError` for an unknown run or metric and
        :class:`~auditkit.errors.StoreError` for a malformed metric file.
        """
        run = self.get_run(run_id)
        for exp_id, folder in self._load_tracking().experiment_dirs:
            if exp_id == run.experiment_id:
                try:
                    path = join_in_store(folder, run_id, "metrics", *key.split("/"), what="the metric key")
                except Refused:
                    break
                if os.path.lexists(path):
                    return read_metric(path, history=True)[0]
        raise errors.RecordNotFoundError(f"run {run_id!r} has no metric {key!r}; metrics: "
                                         f"{errors.choices(sorted(run.metrics))}", kind="metric", name=key)

    # -- reading ------------------------------------------------------------------------------
    def _load_tracking(self) -> _Tracking:
        if self._tracking is not None:
            return self._tracking
        tracking = _Tracking()
        candidates = [(e, False) for e in scan_dirs(self.root, problems=self._problems)
                      if e.name not in (TRASH, "models")]
        candidates += [(e, True) for e in scan_dirs(os.path.join(self.root, TRASH), problems=self._problems)]
        for entry, in_trash in candidates:
            self._read_experiment(entry.path, entry.name, in_trash, tracking)
        # The same orders as the SQL connector: experiments by id, runs oldest first.
        tracking.experiments.sort(key=lambda e: _id_key(e.experiment_id))
        tracking.runs.sort(key=lambda r: (r.start_time is None, r.start_time, r.run_id))
        self._tracking = tracking
        return tracking

    def _read_experiment(self, folder: str, folder_id: str, in_trash: bool, tracking: _Tracking) -> None:
        path = os.path.join(folder, META)
        name: str | None = None
        try:
            meta = read_yaml(path, what="experiment meta.yaml", required=("experiment_id", "name"))
            exp_id = as_str(meta.get("experiment_id"))
            if exp_id != folder_id:
                raise errors.StoreError(
                    MLRUNS_ID_MISMATCH.format(path=path, key="experiment_id", found=cut(exp_id), folder=folder_id)
                )
        except errors.StoreError as exc:
            if not os.path.exists(path):  # not an experiment folder at all: MLflow skips it too
                self._problems.skip(str(exc), f"folder {folder!r} (not an experiment)")
                return
            self._problems.skip(str(exc), f"experiment {folder_id!r} (its runs are read without its name)")
        else:
            name = as_str(meta.get("name"))
            tracking.experiments.append(
                Experiment(
                    experiment_id=exp_id,
                    name=name or "",
                    lifecycle_stage=as_str(meta.get("lifecycle_stage")) or ("deleted" if in_trash else "active"),
                    artifact_location=as_str(meta.get("artifact_location")),
                    creation_time=ms_to_datetime(meta.get("creation_time"), what=f"creation_time of {path!r}"),
                    last_update_time=ms_to_datetime(meta.get("last_update_time"), what=f"last_update_time of {path!r}"),
                    tags=read_values(os.path.join(folder, "tags"), self._problems, f"experiment {exp_id!r}", "tag"),
                )
            )
        tracking.experiment_dirs.append((folder_id, folder))
        datasets: dict[str, DatasetRef | str] = {}
        for entry in scan_dirs(folder, problems=self._problems):
            if entry.name in RESERVED:
                continue
            run = self._read_run(entry.path, entry.name, folder_id, folder, name, datasets, tracking)
            if run is not None:
                tracking.runs.append(run)
                tracking.runs_by_id[run.run_id] = run

    def _read_run(
        self, folder: str, run_id: str, exp_id: str, exp_folder: str, exp_name: str | None,
        datasets: dict[str, DatasetRef | str], tracking: _Tracking,
    ) -> Run | None:
        path = os.path.join(folder, META)
        problems = self._problems
        try:
            meta = read_yaml(path, what="run meta.yaml", required=(("run_id", "run_uuid"), "experiment_id"))
            found_id = as_str(meta.get("run_id") or meta.get("run_uuid"))
            if found_id != run_id:
                raise errors.StoreError(
                    MLRUNS_ID_MISMATCH.format(path=path, key="run_id", found=cut(found_id), folder=run_id)
                )
            found_exp = as_str(meta.get("experiment_id"))
            if found_exp != exp_id:
                raise errors.StoreError(
                    MLRUNS_ID_MISMATCH.format(path=path, key="experiment_id", found=cut(found_exp), folder=exp_id)
                )
        except errors.StoreError as exc:
            if not os.path.exists(path) and not any(
                os.path.isdir(os.path.join(folder, sub)) for sub in ("metrics", "params", "tags")
            ):
                return None  # some other folder (MLflow skips it silently too)
            tracking.bad_runs[run_id] = str(exc)
            problems.skip(str(exc), f"run {run_id!r}")
            return None
        owner = f"run {run_id!r}"
        tags = read_values(os.path.join(folder, "tags"), problems, owner, "tag")
        metrics: dict[str, float] = {}
        for key, metric_path, regular in list_files(os.path.join(folder, "metrics"), problems=problems):
            try:
                metrics[key] = read_metric(metric_path, regular=regular)[1][1]
            except errors.StoreError as exc:
                problems.skip(str(exc), f"metric {key!r} of {owner}")
        for model_dir in scan_dirs(os.path.join(folder, "outputs"), problems=problems):
            tracking.outputs.setdefault(model_dir.name, run_id)
        return Run(
            run_id=run_id,
            experiment_id=exp_id,
            experiment=exp_name,
            run_name=as_str(meta.get("run_name")) or tags.get(RUN_NAME_TAG) or None,
            user=as_str(meta.get("user_id")) or None,
            status=self._status(meta, path, owner),
            start_time=ms_to_datetime(meta.get("start_time"), what=f"start_time of {path!r}"),
            end_time=ms_to_datetime(meta.get("end_time"), what=f"end_time of {path!r}"),
            lifecycle_stage=as_str(meta.get("lifecycle_stage")) or "active",
            artifact_uri=as_str(meta.get("artifact_uri")),
            params=read_values(os.path.join(folder, "params"), problems, owner, "param"),
            metrics=metrics,
            tags=tags,
            datasets=self._read_inputs(folder, exp_folder, datasets, owner),
        )

    def _status(self, meta: dict, path: str, owner: str) -> str | None:
        value = meta.get("status", 1)  # MLflow reads a missing status as RUNNING
        if isinstance(value, str) and value in RUN_STATUS.values():
            return value
        status = RUN_STATUS.get(as_int(value))  # type: ignore[arg-type]
        if status is None:
            self._problems.skip(MLRUNS_BAD_STATUS.format(path=path, value=cut(value)), f"status of {owner}")
        return status

    def _read_inputs(
        self, run_folder: str, exp_folder: str, datasets: dict[str, DatasetRef | str], owner: str
    ) -> tuple[DatasetRef, ...]:
        refs: list[DatasetRef] = []
        for input_dir in scan_dirs(os.path.join(run_folder, "inputs"), problems=self._problems):
            path = os.path.join(input_dir.path, META)
            try:
                link = read_yaml(path, what="run input meta.yaml", required=("source_type", "source_id"))
            except errors.StoreError as exc:
                self._problems.skip(str(exc), f"an input of {owner}")
                continue
            if as_str(link.get("source_type")) != "DATASET":
                continue  # a logged model used as input (MLflow 3), not a dataset
            dataset_id = as_str(link.get("source_id")) or ""
            if dataset_id not in datasets:
                datasets[dataset_id] = _read_dataset(exp_folder, dataset_id, path)
            base = datasets[dataset_id]
            if isinstance(base, str):
                self._problems.skip(base, f"a dataset input of {owner}")
                continue
            raw_tags = link.get("tags")
            tags = {str(k): as_str(v) or "" for k, v in raw_tags.items()} if isinstance(raw_tags, dict) else {}
            refs.append(DatasetRef(
                name=base.name, digest=base.digest, source_type=base.source_type, source=base.source,
                schema=base.schema, profile=base.profile, rows=base.rows, context=tags.get(CONTEXT_TAG),
                tags=tags,
            ))
        refs.sort(key=lambda d: (d.name, d.context or "", d.digest or ""))
        return tuple(refs)

    def _load_registry(self) -> Registry:
        if self._registry is None:
            self._registry = read_registry(self.root, self._problems)
        return self._registry

    def _load_logged_models(self) -> list[LoggedModel]:
        if self._logged is None:
            tracking = self._load_tracking()
            self._logged = read_logged_models(tracking.experiment_dirs, tracking.outputs, self._problems)
        return self._logged

    def _check_version_runs(self) -> None:
        """Warn about versions naming a run whose folder is not in the store."""
        if self._checked_versions:
            return
        self._checked_versions = True
        tracking = self._load_tracking()
        for versions in self._load_registry().versions.values():
            for mv in versions:
                if mv.run_id and mv.run_id not in tracking.runs_by_id and mv.run_id not in tracking.bad_runs:
                    self._problems.skip(self._missing_run_message(mv), "reading that run (the version is still listed)")

    def _missing_run_message(self, mv: ModelVersion) -> str:
        path = self._load_registry().paths.get((mv.name, mv.version), "")
        return MLRUNS_VERSION_RUN_MISSING.format(
            name=mv.name, version=mv.version, path=path, run_id=mv.run_id, root=self.root
        )


def _read_dataset(exp_folder: str, dataset_id: str, input_path: str) -> DatasetRef | str:
    """The dataset an input names (``<experiment>/datasets/<id>/meta.yaml``), or why not."""
    try:
        path = join_in_store(exp_folder, "datasets", dataset_id, META, what=f"source_id in {input_path!r}")
    except Refused as exc:
        return str(exc)
    if not os.path.exists(path):
        return MLRUNS_MISSING_DATASET.format(path=input_path, dataset_id=dataset_id, expected_path=path)
    try:
        meta = read_yaml(path, what="dataset meta.yaml", required=("name", "digest"))
    except errors.StoreError as exc:
        return str(exc)
    profile = as_str(meta.get("profile"))
    return DatasetRef(
        name=as_str(meta.get("name")) or "",
        digest=as_str(meta.get("digest")),
        source_type=as_str(meta.get("source_type")),
        source=as_str(meta.get("source")),
        schema=as_str(meta.get("schema")),
        profile=profile,
        rows=profile_rows(profile),
    )


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)

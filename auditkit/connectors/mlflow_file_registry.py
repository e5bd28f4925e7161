"""The model registry (``mlruns/models/<name>/``) and MLflow 3 logged models of an mlruns folder.

Layout read here (as MLflow's file stores write it):

- ``models/<name>/meta.yaml`` (name, description, timestamps), ``tags/<key>``,
  ``aliases/<alias>`` (the file holds the version number; MLflow reads aliases from these files,
  the ``aliases`` key of meta.yaml is a copy it does not read back);
- ``models/<name>/version-<n>/meta.yaml`` (stage, source, run id, status, …) and ``tags/<key>``;
  a deleted version stays on disk with stage ``Deleted_Internal``;
- ``<experiment>/models/m-<id>/meta.yaml`` with ``tags/`` and ``params/`` (MLflow 3 logged models).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .. import errors
from ..records import LoggedModel, ModelVersion, RegisteredModel, ms_to_datetime
from .messages import MLRUNS_ID_MISMATCH
from .mlflow_file_io import (
    LOGGED_MODEL_STATUS,
    META,
    Problems,
    as_int,
    as_str,
    cut,
    read_values,
    read_yaml,
    scan_dirs,
)

DELETED_STAGE = "Deleted_Internal"
MODELS_FOLDER = "models"


@dataclass
class Registry:
    """Everything read from ``models/``: models by name, their versions, and what was skipped."""

    models: dict[str, RegisteredModel] = field(default_factory=dict)
    versions: dict[str, list[ModelVersion]] = field(default_factory=dict)
    #: (name, version) -> error message, for versions whose meta.yaml could not be read.
    bad_versions: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (name, version) -> path of the version's meta.yaml, for messages.
    paths: dict[tuple[str, str], str] = field(default_factory=dict)


def read_registry(root: str, problems: Problems) -> Registry:
    """Read every registered model and version under ``<root>/models`` (none when it is absent)."""
    registry = Registry()
    for model_dir in scan_dirs(os.path.join(root, MODELS_FOLDER), problems=problems):
        folder_name = model_dir.name
        aliases = read_values(os.path.join(model_dir.path, "aliases"), problems, f"model {folder_name!r}", "alias")
        aliases = {alias: version.strip() for alias, version in aliases.items()}
        name = folder_name
        model_meta = os.path.join(model_dir.path, META)
        try:
            meta = read_yaml(model_meta, what="registered model meta.yaml", required=("name",))
        except errors.StoreError as exc:
            problems.skip(str(exc), f"registered model {folder_name!r} (its versions are still listed)")
        else:
            name = as_str(meta.get("name")) or folder_name
            registry.models[name] = RegisteredModel(
                name=name,
                creation_time=ms_to_datetime(meta.get("creation_timestamp"), what=f"creation_timestamp of {model_meta!r}"),
                last_updated_time=ms_to_datetime(meta.get("last_updated_timestamp"),
                                                 what=f"last_updated_timestamp of {model_meta!r}"),
                description=as_str(meta.get("description")),
                tags=read_values(os.path.join(model_dir.path, "tags"), problems, f"model {name!r}", "tag"),
                aliases=aliases,
            )
        versions: list[ModelVersion] = []
        for version_dir in scan_dirs(model_dir.path, problems=problems):
            if not version_dir.name.startswith("version-"):
                continue
            folder_version = version_dir.name[len("version-"):]
            path = os.path.join(version_dir.path, META)
            registry.paths[(name, folder_version)] = path
            try:
                mv = _read_version(version_dir.path, path, name, folder_version, aliases, problems)
            except errors.StoreError as exc:
                registry.bad_versions[(name, folder_version)] = str(exc)
                problems.skip(str(exc), f"model {name!r} version {folder_version}")
                continue
            versions.append(mv)
        versions.sort(key=lambda v: _version_number(v.version))
        registry.versions[name] = versions
    return registry


def _read_version(
    folder: str, path: str, name: str, folder_version: str, aliases: dict[str, str], problems: Problems
) -> ModelVersion:
    meta = read_yaml(path, what="model version meta.yaml", required=("version", "current_stage"))
    version = as_str(meta.get("version"))
    if version != folder_version:
        raise errors.StoreError(
            MLRUNS_ID_MISMATCH.format(path=path, key="version", found=cut(version), folder=f"version-{folder_version}")
        )
    source = as_str(meta.get("source"))
    stage = as_str(meta.get("current_stage"))
    return ModelVersion(
        name=as_str(meta.get("name")) or name,
        version=version,
        stage=None if stage == DELETED_STAGE else stage,  # deleted is no stage: see ``deleted``
        aliases=tuple(alias for alias, v in aliases.items() if v == version),
        tags=read_values(os.path.join(folder, "tags"), problems, f"model {name!r} version {version}", "tag"),
        source=source,
        run_id=as_str(meta.get("run_id")) or None,
        creator=as_str(meta.get("user_id")) or None,
        creation_time=ms_to_datetime(meta.get("creation_timestamp"), what=f"creation_timestamp of {path!r}"),
        last_updated_time=ms_to_datetime(meta.get("last_updated_timestamp"), what=f"last_updated_timestamp of {path!r}"),
        description=as_str(meta.get("description")),
        status=as_str(meta.get("status")),
        run_link=as_str(meta.get("run_link")) or None,
        model_id=as_str(meta.get("model_id")) or model_id_from_source(source),
        deleted=stage == DELETED_STAGE,
    )


def model_id_from_source(source: str | None) -> str | None:
    """The logged model id in a ``models:/m-…`` source (MLflow 3), else ``None``."""
    if source and source.startswith("models:/m-"):
        return source[len("models:/"):].split("/", 1)[0]
    return None


def _version_number(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (1 << 62, version)


def read_logged_models(
    experiment_dirs: list[tuple[str, str]], outputs: dict[str, str], problems: Problems
) -> list[LoggedModel]:
    """Read ``<experiment>/models/m-*`` of each ``(experiment_id, folder)``.

    ``outputs`` maps model id -> run id from the runs' ``outputs/`` folders; it names the run of
    a model whose meta.yaml has no ``source_run_id``.
    """
    models: list[LoggedModel] = []
    for experiment_id, folder in experiment_dirs:
        for model_dir in scan_dirs(os.path.join(folder, MODELS_FOLDER), problems=problems):
            path = os.path.join(model_dir.path, META)
            try:
                meta = read_yaml(path, what="logged model meta.yaml", required=("model_id", "experiment_id"))
                model_id = as_str(meta.get("model_id"))
                if model_id != model_dir.name:
                    raise errors.StoreError(
                        MLRUNS_ID_MISMATCH.format(path=path, key="model_id", found=cut(model_id), folder=model_dir.name)
                    )
            except errors.StoreError as exc:
                problems.skip(str(exc), f"logged model {model_dir.name!r}")
                continue
            status = meta.get("status")
            owner = f"logged model {model_id!r}"
            models.append(
                LoggedModel(
                    model_id=model_id,
                    experiment_id=as_str(meta.get("experiment_id")) or experiment_id,
                    name=as_str(meta.get("name")),
                    source_run_id=as_str(meta.get("source_run_id")) or outputs.get(model_id),
                    status=LOGGED_MODEL_STATUS.get(as_int(status), as_str(status)) if status is not None else None,
                    creation_time=ms_to_datetime(meta.get("creation_timestamp"), what=f"creation_timestamp of {path!r}"),
                    last_updated_time=ms_to_datetime(meta.get("last_updated_timestamp"), what=f"last_updated_timestamp of {path!r}"),
                    artifact_location=as_str(meta.get("artifact_location")),
                    lifecycle_stage=as_str(meta.get("lifecycle_stage")) or "active",
                    tags=read_values(os.path.join(model_dir.path, "tags"), problems, owner, "tag"),
                    params=read_values(os.path.join(model_dir.path, "params"), problems, owner, "param"),
                )
            )
    models.sort(key=lambda m: m.model_id)
    return models

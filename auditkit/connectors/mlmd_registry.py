"""Kubeflow Model Registry records in ML Metadata → auditkit records.

Kubeflow Model Registry (kubeflow/model-registry ``internal/db/service/spec.go``,
``internal/converter``):

* ``kf.RegisteredModel`` context → :class:`RegisteredModel` (description; every other property
  and custom property as a tag, e.g. ``owner``, ``state``, labels with empty values);
* ``kf.ModelVersion`` context (named ``<registered model id>:<version>``, parent: its registered
  model) → :class:`ModelVersion`: version = the name after the prefix, creator = ``author``,
  status = ``state`` (LIVE/ARCHIVED), tags = custom properties; its ``kf.ModelArtifact``
  (attribution) gives ``source`` (URI), tags ``kf.<property>`` (model format, storage,
  ``model_source_*``) and ``run_id``: ``model_source_id`` when ``model_source_class`` is
  ``pipelinerun`` (a KFP run), else the artifact's ``experiment_run_id`` (a registry run);
* ``kf.InferenceService`` contexts naming a version (``model_version_id``) → the version's tag
  ``kf.inference_services``: ``<serving environment>/<service> (<desired_state>)``, comma-separated;
* ``kf.Experiment`` / ``kf.ExperimentRun`` contexts → :class:`Experiment` / :class:`Run`
  (run id = the context id; owner, status, start/end properties), with ``kf.Parameter``,
  ``kf.Metric`` (latest step) and ``kf.DataSet`` artifacts attributed to the run.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..records import DatasetRef, Experiment, LoggedModel, ModelVersion, RegisteredModel, Run, ms_to_datetime
from .mlmd_tables import Node, Tables, number, owned_name, param_text, parent_of, row_count

REGISTERED_MODEL = "kf.RegisteredModel"
MODEL_VERSION = "kf.ModelVersion"
MODEL_ARTIFACT = "kf.ModelArtifact"
INFERENCE_SERVICE = "kf.InferenceService"
SERVING_ENVIRONMENT = "kf.ServingEnvironment"
EXPERIMENT = "kf.Experiment"
EXPERIMENT_RUN = "kf.ExperimentRun"
PARAMETER = "kf.Parameter"
METRIC = "kf.Metric"
DATA_SET = "kf.DataSet"
#: ``model_source_class`` values that name a Kubeflow pipeline run.
PIPELINE_RUN_CLASSES = ("pipelinerun",)


def registry_runs(t: Tables) -> tuple[list[Experiment], list[Run]]:
    experiments = []
    for c in t.contexts_of_type(EXPERIMENT):
        tags = {k: param_text(v) for k, v in {**c.properties, **c.custom}.items() if k != "description" and v is not None}
        if c.prop("description"):
            tags["mlflow.note.content"] = c.prop("description")
        experiments.append(Experiment(
            experiment_id=str(c.id), name=c.name or str(c.id),
            lifecycle_stage="deleted" if c.prop("state") == "ARCHIVED" else "active",
            creation_time=ms_to_datetime(c.create_ms), last_update_time=ms_to_datetime(c.update_ms), tags=tags))
    runs = []
    for ctx in t.contexts_of_type(EXPERIMENT_RUN):
        exp = parent_of(t, ctx, EXPERIMENT)
        exp_id = ctx.prop("experiment_id") if exp is None else exp.id
        params: dict[str, str] = {}
        metrics: dict[str, tuple[Any, float]] = {}
        datasets = []
        for art_id in t.attributions.get(ctx.id, []):
            art = t.artifacts.get(art_id)
            if art is None:
                continue
            name = owned_name(art, ctx.id)
            if art.type == PARAMETER:
                params[name] = param_text(art.prop("value"))
            elif art.type == METRIC and number(art.prop("value")) is not None:
                order = (art.prop("step") or 0, param_text(art.prop("timestamp")), art.id)
                if name not in metrics or order >= metrics[name][0]:
                    metrics[name] = (order, number(art.prop("value")))
            elif art.type == DATA_SET:
                profile = art.prop("profile")
                rows = None
                if isinstance(profile, str):
                    try:
                        rows = row_count(json.loads(profile))
                    except (ValueError, AttributeError, TypeError):
                        rows = None
                datasets.append(DatasetRef(
                    name=name, digest=art.prop("digest") or None, source_type=art.prop("source_type") or None,
                    source=art.prop("source") or art.uri or None, schema=art.prop("schema") or None,
                    profile=profile or None, rows=rows, tags={"kf.artifact_id": str(art.id)}))
        tags = {k: param_text(v) for k, v in ctx.custom.items() if v is not None}
        if ctx.prop("description"):
            tags["mlflow.note.content"] = ctx.prop("description")
        state = ctx.prop("state")
        runs.append(Run(
            run_id=str(ctx.id), experiment_id=str(exp_id) if exp_id is not None else "",
            experiment=exp.name if exp is not None else None, run_name=owned_name(ctx, exp_id),
            user=ctx.prop("owner") or None, status=ctx.prop("status") or None,
            start_time=ms_to_datetime(ctx.prop("start_time_since_epoch")),
            end_time=ms_to_datetime(ctx.prop("end_time_since_epoch")),
            lifecycle_stage="deleted" if state == "ARCHIVED" else "active",
            params=params, metrics={k: v for k, (_, v) in metrics.items()}, tags=tags, datasets=tuple(datasets)))
    return experiments, runs


# -- Model Registry: registered models and versions -------------------------------------------
def registry_models(t: Tables) -> tuple[list[RegisteredModel], list[ModelVersion]]:
    models = []
    by_id: dict[int, Node] = {}
    for c in t.contexts_of_type(REGISTERED_MODEL):
        by_id[c.id] = c
        tags = {k: param_text(v) for k, v in {**c.properties, **c.custom}.items() if k != "description" and v is not None}
        models.append(RegisteredModel(name=c.name or str(c.id), creation_time=ms_to_datetime(c.create_ms),
                                      last_updated_time=ms_to_datetime(c.update_ms),
                                      description=c.prop("description") or None, tags=tags))
    served: dict[int, list[str]] = {}  # model version context id -> "<environment>/<service> (<state>)"
    for isvc in t.contexts_of_type(INFERENCE_SERVICE):
        env = parent_of(t, isvc, SERVING_ENVIRONMENT) or t.contexts.get(isvc.prop("serving_environment_id") or -1)
        name = f"{env.name}/{owned_name(isvc, env.id)}" if env is not None else (isvc.name or str(isvc.id))
        if isvc.prop("model_version_id") is not None:
            served.setdefault(int(isvc.prop("model_version_id")), []).append(
                f"{name} ({isvc.prop('desired_state') or 'state unknown'})")
    versions = []
    for c in t.contexts_of_type(MODEL_VERSION):
        rm = parent_of(t, c, REGISTERED_MODEL) or by_id.get(c.prop("registered_model_id") or -1)
        if rm is None:
            continue
        mv = _version(t, c, rm)
        if c.id in served:
            mv = dataclasses.replace(mv, tags={**mv.tags, "kf.inference_services": ", ".join(sorted(served[c.id]))})
        versions.append(mv)
    models.sort(key=lambda m: m.name)
    versions.sort(key=lambda v: (v.name, _version_order(v)))
    return models, versions


def _version_order(v: ModelVersion) -> tuple:
    created = v.creation_time.timestamp() if v.creation_time else 0.0
    return (created, v.version)


def _version(t: Tables, c: Node, rm: Node) -> ModelVersion:
    arts = [t.artifacts[i] for i in t.attributions.get(c.id, []) if i in t.artifacts
            and t.artifacts[i].type == MODEL_ARTIFACT]
    art = arts[0] if arts else None
    tags = {k: param_text(v) for k, v in c.custom.items() if v is not None}
    for key, value in c.properties.items():
        if key not in ("author", "description", "state", "registered_model_id") and value is not None:
            tags[f"kf.{key}"] = param_text(value)
    run_id = None
    if art is not None:
        for key, value in {**art.properties, **art.custom}.items():
            if key != "description" and value not in (None, ""):
                tags[f"kf.{key}"] = param_text(value)
        if len(arts) > 1:
            tags["kf.model_artifacts"] = ",".join(a.uri or str(a.id) for a in arts)
        if (art.prop("model_source_class") or "").lower() in PIPELINE_RUN_CLASSES and art.prop("model_source_id"):
            run_id = param_text(art.prop("model_source_id"))
        elif art.prop("experiment_run_id") is not None:
            run_id = param_text(art.prop("experiment_run_id"))
    return ModelVersion(
        name=rm.name or str(rm.id), version=owned_name(c, rm.id), stage=None, tags=tags,
        source=art.uri if art is not None else None, run_id=run_id, creator=c.prop("author") or None,
        creation_time=ms_to_datetime(c.create_ms), last_updated_time=ms_to_datetime(c.update_ms),
        description=c.prop("description") or None, status=c.prop("state") or None)


def link_versions(versions: list[ModelVersion], logged: list[LoggedModel]) -> list[ModelVersion]:
    """Give each registry version whose model artifact URI is exactly the URI of a pipeline
    run's ``system.Model`` output that logged model's id (``model_id``): the registered artifact is
    then proven to be that run's output, and a version without ``model_source_*`` still finds its
    run (lineage reports a conflict when the two name different runs)."""
    by_uri: dict[str, list[LoggedModel]] = {}
    for lm in logged:
        if lm.artifact_location:
            by_uri.setdefault(lm.artifact_location, []).append(lm)
    out = []
    for v in versions:
        found = by_uri.get(v.source or "", [])
        out.append(dataclasses.replace(v, model_id=found[0].model_id) if len(found) == 1 else v)
    return out

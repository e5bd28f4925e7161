"""Kubeflow records in ML Metadata → auditkit records.

Kubeflow Pipelines v2 (kubeflow/pipelines ``backend/src/v2/metadata/client.go``):

* a ``system.PipelineRun`` context (named by the KFP run id; custom properties ``namespace``,
  ``resource_name``, ``pipeline_root``, ``store_session_info``; parent: the ``system.Pipeline``
  context) → :class:`Run` (``run_id`` = the KFP run id; ``experiment`` = the pipeline's name,
  since KFP experiments live in the API server database, not in MLMD);
* its executions (``Association``): the root ``system.DAGExecution`` (``run/<run id>``) gives
  the status (COMPLETE/CACHED → FINISHED, FAILED, CANCELED → KILLED, else RUNNING) and the
  pipeline parameters (its ``inputs`` struct) as ``params``; each ``system.ContainerExecution``
  adds its own ``inputs`` as ``params["<task>.<name>"]`` and its image as a tag; start/end are
  the first creation and (for a finished run) the last update of the run's executions;
* ``system.Metrics`` artifacts written by the run's executions (OUTPUT events) → ``metrics``:
  every numeric custom property but ``display_name``/``store_session_info`` (scalars, no steps);
* ``system.Dataset`` artifacts → :class:`DatasetRef`: name = ``display_name``, source = the URI,
  source_type = its scheme, digest = a ``digest`` custom property when the component set one
  (KFP computes none), rows = ``num_rows``/``rows``; context ``input`` when an execution of the
  run read it (INPUT event), else ``output``.

Kubeflow Pipelines v1 (its metadata-writer, ``backend/metadata_writer``): a ``KfpRun`` context
(named by the Argo workflow) → :class:`Run` with params from the ``components.*`` executions'
``input:<name>`` custom properties and the artifacts they read as datasets; v1 records no status,
metrics or pipeline name.

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
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ..records import DatasetRef, Experiment, LoggedModel, ModelVersion, RegisteredModel, Run, ms_to_datetime
from .mlmd_tables import Node, Tables

PIPELINE_RUN = "system.PipelineRun"
PIPELINE = "system.Pipeline"
DAG_EXECUTION = "system.DAGExecution"
CONTAINER_EXECUTION = "system.ContainerExecution"
DATASET = "system.Dataset"
METRICS = "system.Metrics"
MODEL = "system.Model"
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
#: Custom properties KFP puts on every artifact; not metrics.
KFP_BOOKKEEPING = ("display_name", "store_session_info")
STATUS = {"COMPLETE": "FINISHED", "CACHED": "FINISHED", "FAILED": "FAILED", "CANCELED": "KILLED"}
#: Kubeflow Pipelines v1 (its metadata-writer): run context type and execution type prefix.
KFP_V1_RUN = "KfpRun"
KFP_V1_COMPONENT = "components."
#: Tag marking a run read from KFP v1 records.
V1_TAG = "kfp.v1.workflow"
#: ``model_source_class`` values that name a Kubeflow pipeline run.
PIPELINE_RUN_CLASSES = ("pipelinerun",)


@dataclass
class Mapped:
    experiments: list[Experiment]
    runs: list[Run]
    models: list[RegisteredModel]
    versions: list[ModelVersion]
    logged: list[LoggedModel]


def map_store(t: Tables, *, id_prefix: str = "m-kfp-") -> Mapped:
    """Every Kubeflow record of an MLMD store as auditkit records. ``id_prefix`` starts the ids
    of the logged models (``system.Model`` artifacts) so that ids stay unique across databases."""
    experiments, runs = pipeline_runs(t)
    runs += pipeline_v1_runs(t)
    mr_experiments, mr_runs = registry_runs(t)
    models, versions = registry_models(t)
    never = -1
    runs = sorted(runs + mr_runs, key=lambda r: r.start_time.timestamp() if r.start_time else never, reverse=True)
    return Mapped(experiments=sorted(experiments + mr_experiments, key=lambda e: e.name), runs=runs,
                  models=models, versions=versions, logged=pipeline_models(t, id_prefix=id_prefix))


def pipeline_models(t: Tables, *, id_prefix: str) -> list[LoggedModel]:
    """``system.Model`` artifacts written by a pipeline run → :class:`LoggedModel` (id
    ``<prefix><artifact id>``, source run = the KFP run id, location = the URI)."""
    run_of: dict[int, Node] = {}
    for ctx in t.contexts_of_type(PIPELINE_RUN):
        for exec_id in t.associations.get(ctx.id, []):
            run_of.setdefault(exec_id, ctx)
    out = []
    for ev in t.events:
        art = t.artifacts.get(ev.artifact_id)
        run = run_of.get(ev.execution_id)
        if art is None or art.type != MODEL or run is None or ev.type not in ("OUTPUT", "DECLARED_OUTPUT"):
            continue
        pipeline = _parent(t, run, PIPELINE)
        out.append(LoggedModel(
            model_id=f"{id_prefix}{art.id}", experiment_id=str(pipeline.id) if pipeline else None,
            name=art.custom.get("display_name") or art.name or ",".join(ev.keys) or None, source_run_id=run.name,
            status=art.state, creation_time=ms_to_datetime(art.create_ms), last_updated_time=ms_to_datetime(art.update_ms),
            artifact_location=art.uri or None,
            tags={k: text(v) for k, v in art.custom.items() if k not in KFP_BOOKKEEPING and v is not None}))
    return out


# -- shared helpers ---------------------------------------------------------------------------
def text(value: Any) -> str:
    """A property value as MLflow stores a param: integral numbers without ``.0``, JSON for
    structs and lists."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _owned_name(node: Node, owner_id: int | None) -> str:
    """The user-facing name of a Model Registry entity named ``<owner id>:<name>``."""
    name = node.name or ""
    prefix, sep, rest = name.partition(":")
    if sep and (owner_id is None or prefix == str(owner_id)):
        return rest
    return name


def _parent(t: Tables, node: Node, type_name: str) -> Node | None:
    for pid in t.parents.get(node.id, []):
        parent = t.contexts.get(pid)
        if parent is not None and parent.type == type_name:
            return parent
    return None


def _rows(values: dict[str, Any]) -> int | None:
    for key in ("num_rows", "rows", "n_rows"):
        v = values.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
    return None


# -- Kubeflow Pipelines -----------------------------------------------------------------------
def pipeline_runs(t: Tables) -> tuple[list[Experiment], list[Run]]:
    experiments: dict[int, Experiment] = {}
    runs = []
    for ctx in t.contexts_of_type(PIPELINE_RUN):
        pipeline = _parent(t, ctx, PIPELINE)
        if pipeline is not None and pipeline.id not in experiments:
            experiments[pipeline.id] = Experiment(
                experiment_id=str(pipeline.id), name=pipeline.name or str(pipeline.id),
                creation_time=ms_to_datetime(pipeline.create_ms), last_update_time=ms_to_datetime(pipeline.update_ms),
                tags={"kfp.type": PIPELINE})
        runs.append(_pipeline_run(t, ctx, pipeline))
    return list(experiments.values()), runs


def _pipeline_run(t: Tables, ctx: Node, pipeline: Node | None) -> Run:
    execs = [t.executions[i] for i in t.associations.get(ctx.id, []) if i in t.executions]
    root = next((e for e in execs if e.type == DAG_EXECUTION and e.name == f"run/{ctx.name}"), None)
    if root is None:
        root = next((e for e in execs if e.type == DAG_EXECUTION and e.custom.get("parent_dag_id") is None), None)
    containers = [e for e in execs if e.type == CONTAINER_EXECUTION]
    params: dict[str, str] = {}
    if root is not None and isinstance(root.custom.get("inputs"), dict):
        params.update({k: text(v) for k, v in root.custom["inputs"].items()})
    tags = {f"kfp.{k}": text(ctx.custom[k]) for k in ("namespace", "resource_name", "pipeline_root")
            if ctx.custom.get(k) not in (None, "")}
    if pipeline is not None:
        tags["kfp.pipeline"] = pipeline.name or ""
    images = set()
    for e in containers:
        task = e.custom.get("task_name") or e.custom.get("display_name") or str(e.id)
        inputs = e.custom.get("inputs")
        if isinstance(inputs, dict):
            params.update({f"{task}.{k}": text(v) for k, v in inputs.items()})
        image = e.custom.get("image")
        if image:
            images.add(image)
            tags[f"kfp.image.{task}"] = image
        tags[f"kfp.state.{task}"] = e.state or "UNKNOWN"
    if images:  # the code behind a KFP task is its container image
        tags["mlflow.source.name"] = ", ".join(sorted(images))
    status = _run_status(root, execs)
    task_of = {e.id: e.custom.get("task_name") or e.custom.get("display_name") or str(e.id) for e in execs}
    metrics: dict[str, float] = {}
    read: dict[int, list[Any]] = {}
    written: dict[int, list[Any]] = {}
    for ev in (ev for e in execs for ev in t.events_by_execution.get(e.id, [])):
        if ev.type in ("INPUT", "DECLARED_INPUT", "INTERNAL_INPUT"):
            read.setdefault(ev.artifact_id, []).append(ev)
        elif ev.type in ("OUTPUT", "DECLARED_OUTPUT", "INTERNAL_OUTPUT"):
            written.setdefault(ev.artifact_id, []).append(ev)
    for art_id in written:
        art = t.artifacts.get(art_id)
        if art is not None and art.type == METRICS:
            for key, value in sorted(art.custom.items()):
                number = _number(value)
                if key not in KFP_BOOKKEEPING and number is not None:
                    metrics[key] = number
    datasets = []
    for art_id in list(dict.fromkeys(list(read) + list(written))):
        art = t.artifacts.get(art_id)
        if art is None or art.type != DATASET:
            continue
        ds_tags = {"kfp.artifact_id": str(art.id)}
        if art_id in read:
            ds_tags["kfp.input_name"] = ",".join(k for ev in read[art_id] for k in ev.keys)
        if art_id in written:
            ds_tags["kfp.producer_task"] = ",".join(task_of[ev.execution_id] for ev in written[art_id])
        digest = art.prop("digest")
        datasets.append(DatasetRef(
            name=art.custom.get("display_name") or art.name or str(art.id),
            digest=text(digest) if digest not in (None, "") else None,
            source_type=(urlparse(art.uri).scheme or None) if art.uri else None, source=art.uri or None,
            rows=_rows({**art.properties, **art.custom}), context="input" if art_id in read else "output",
            tags=ds_tags))
    starts = [e.create_ms for e in execs if e.create_ms] + ([ctx.create_ms] if ctx.create_ms else [])
    ends = [e.update_ms for e in execs if e.update_ms]
    return Run(
        run_id=ctx.name or str(ctx.id), experiment_id=str(pipeline.id) if pipeline else "",
        experiment=pipeline.name if pipeline else None, run_name=None, user=None, status=status,
        start_time=ms_to_datetime(min(starts)) if starts else None,
        end_time=ms_to_datetime(max(ends)) if ends and status != "RUNNING" else None,
        artifact_uri=ctx.custom.get("pipeline_root") or None, params=params, metrics=metrics, tags=tags,
        datasets=tuple(datasets))


def pipeline_v1_runs(t: Tables) -> list[Run]:
    """Kubeflow Pipelines v1 runs (``KfpRun`` contexts of the v1 metadata-writer, named by the
    Argo workflow): params = each component execution's ``input:<name>`` custom properties as
    ``<component>.<name>``; datasets = the artifacts the run's executions read (INPUT events,
    keyed by input name); no status (v1 records no execution state), metrics or pipeline name."""
    runs = []
    for ctx in t.contexts_of_type(KFP_V1_RUN):
        execs = [t.executions[i] for i in t.associations.get(ctx.id, []) if i in t.executions]
        params: dict[str, str] = {}
        tags = {V1_TAG: ctx.name or str(ctx.id)}
        for e in execs:
            component = e.prop("component_id") or e.type[len(KFP_V1_COMPONENT):]
            params.update({f"{component}.{k[len('input:'):]}": text(v) for k, v in e.custom.items()
                           if k.startswith("input:") and v is not None})
            if e.custom.get("kfp_pod_name"):
                tags[f"kfp.pod.{component}"] = e.custom["kfp_pod_name"]
        datasets = []
        seen: set[int] = set()
        for e in execs:
            for ev in t.events_by_execution.get(e.id, []):
                art = t.artifacts.get(ev.artifact_id)
                if art is None or ev.type != "INPUT" or art.id in seen:
                    continue
                seen.add(art.id)
                digest = art.prop("digest")
                datasets.append(DatasetRef(
                    name=",".join(ev.keys) or art.custom.get("name") or str(art.id),
                    digest=text(digest) if digest not in (None, "") else None,
                    source_type=(urlparse(art.uri).scheme or None) if art.uri else None, source=art.uri or None,
                    context="input", tags={"kfp.artifact_id": str(art.id), "kfp.artifact_type": art.type,
                                           "kfp.output_name": text(art.custom.get("name"))}))
        states = {e.state for e in execs} - {"UNKNOWN", None}
        status = _run_status(None, execs) if states else None
        starts = [e.create_ms for e in execs if e.create_ms] + ([ctx.create_ms] if ctx.create_ms else [])
        ends = [e.update_ms for e in execs if e.update_ms]
        runs.append(Run(
            run_id=ctx.name or str(ctx.id), experiment_id="", experiment=None, run_name=None, user=None,
            status=status, start_time=ms_to_datetime(min(starts)) if starts else None,
            end_time=ms_to_datetime(max(ends)) if ends and status in ("FINISHED", "FAILED", "KILLED") else None,
            params=params, tags=tags, datasets=tuple(datasets)))
    return runs


def _run_status(root: Node | None, execs: list[Node]) -> str:
    if root is not None and root.state in STATUS:
        return STATUS[root.state]
    states = {e.state for e in execs}
    if "FAILED" in states:
        return "FAILED"
    if execs and states <= {"COMPLETE", "CACHED"}:
        return "FINISHED"
    return "RUNNING"


# -- Model Registry: experiments and runs -----------------------------------------------------
def registry_runs(t: Tables) -> tuple[list[Experiment], list[Run]]:
    experiments = []
    for c in t.contexts_of_type(EXPERIMENT):
        tags = {k: text(v) for k, v in {**c.properties, **c.custom}.items() if k != "description" and v is not None}
        if c.prop("description"):
            tags["mlflow.note.content"] = c.prop("description")
        experiments.append(Experiment(
            experiment_id=str(c.id), name=c.name or str(c.id),
            lifecycle_stage="deleted" if c.prop("state") == "ARCHIVED" else "active",
            creation_time=ms_to_datetime(c.create_ms), last_update_time=ms_to_datetime(c.update_ms), tags=tags))
    runs = []
    for ctx in t.contexts_of_type(EXPERIMENT_RUN):
        exp = _parent(t, ctx, EXPERIMENT)
        exp_id = ctx.prop("experiment_id") if exp is None else exp.id
        params: dict[str, str] = {}
        metrics: dict[str, tuple[Any, float]] = {}
        datasets = []
        for art_id in t.attributions.get(ctx.id, []):
            art = t.artifacts.get(art_id)
            if art is None:
                continue
            name = _owned_name(art, ctx.id)
            if art.type == PARAMETER:
                params[name] = text(art.prop("value"))
            elif art.type == METRIC and _number(art.prop("value")) is not None:
                order = (art.prop("step") or 0, text(art.prop("timestamp")), art.id)
                if name not in metrics or order >= metrics[name][0]:
                    metrics[name] = (order, _number(art.prop("value")))
            elif art.type == DATA_SET:
                profile = art.prop("profile")
                rows = None
                if isinstance(profile, str):
                    try:
                        rows = _rows(json.loads(profile))
                    except (ValueError, AttributeError, TypeError):
                        rows = None
                datasets.append(DatasetRef(
                    name=name, digest=art.prop("digest") or None, source_type=art.prop("source_type") or None,
                    source=art.prop("source") or art.uri or None, schema=art.prop("schema") or None,
                    profile=profile or None, rows=rows, tags={"kf.artifact_id": str(art.id)}))
        tags = {k: text(v) for k, v in ctx.custom.items() if v is not None}
        if ctx.prop("description"):
            tags["mlflow.note.content"] = ctx.prop("description")
        state = ctx.prop("state")
        runs.append(Run(
            run_id=str(ctx.id), experiment_id=str(exp_id) if exp_id is not None else "",
            experiment=exp.name if exp is not None else None, run_name=_owned_name(ctx, exp_id),
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
        tags = {k: text(v) for k, v in {**c.properties, **c.custom}.items() if k != "description" and v is not None}
        models.append(RegisteredModel(name=c.name or str(c.id), creation_time=ms_to_datetime(c.create_ms),
                                      last_updated_time=ms_to_datetime(c.update_ms),
                                      description=c.prop("description") or None, tags=tags))
    served: dict[int, list[str]] = {}  # model version context id -> "<environment>/<service> (<state>)"
    for isvc in t.contexts_of_type(INFERENCE_SERVICE):
        env = _parent(t, isvc, SERVING_ENVIRONMENT) or t.contexts.get(isvc.prop("serving_environment_id") or -1)
        name = f"{env.name}/{_owned_name(isvc, env.id)}" if env is not None else (isvc.name or str(isvc.id))
        if isvc.prop("model_version_id") is not None:
            served.setdefault(int(isvc.prop("model_version_id")), []).append(
                f"{name} ({isvc.prop('desired_state') or 'state unknown'})")
    versions = []
    for c in t.contexts_of_type(MODEL_VERSION):
        rm = _parent(t, c, REGISTERED_MODEL) or by_id.get(c.prop("registered_model_id") or -1)
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
    tags = {k: text(v) for k, v in c.custom.items() if v is not None}
    for key, value in c.properties.items():
        if key not in ("author", "description", "state", "registered_model_id") and value is not None:
            tags[f"kf.{key}"] = text(value)
    run_id = None
    if art is not None:
        for key, value in {**art.properties, **art.custom}.items():
            if key != "description" and value not in (None, ""):
                tags[f"kf.{key}"] = text(value)
        if len(arts) > 1:
            tags["kf.model_artifacts"] = ",".join(a.uri or str(a.id) for a in arts)
        if (art.prop("model_source_class") or "").lower() in PIPELINE_RUN_CLASSES and art.prop("model_source_id"):
            run_id = text(art.prop("model_source_id"))
        elif art.prop("experiment_run_id") is not None:
            run_id = text(art.prop("experiment_run_id"))
    return ModelVersion(
        name=rm.name or str(rm.id), version=_owned_name(c, rm.id), stage=None, tags=tags,
        source=art.uri if art is not None else None, run_id=run_id, creator=c.prop("author") or None,
        creation_time=ms_to_datetime(c.create_ms), last_updated_time=ms_to_datetime(c.update_ms),
        description=c.prop("description") or None, status=c.prop("state") or None)


def link_versions(m: Mapped) -> Mapped:
    """Give each registry version whose model artifact URI is exactly the URI of a pipeline
    run's ``system.Model`` output that logged model's id (``model_id``): the registered artifact is
    then proven to be that run's output, and a version without ``model_source_*`` still finds its
    run (lineage reports a conflict when the two name different runs)."""
    by_uri: dict[str, list[LoggedModel]] = {}
    for lm in m.logged:
        if lm.artifact_location:
            by_uri.setdefault(lm.artifact_location, []).append(lm)
    versions = []
    for v in m.versions:
        found = by_uri.get(v.source or "", [])
        versions.append(dataclasses.replace(v, model_id=found[0].model_id) if len(found) == 1 else v)
    return Mapped(experiments=m.experiments, runs=m.runs, models=m.models, versions=versions, logged=m.logged)


"""Kubeflow Pipelines records in ML Metadata → auditkit records.

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
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from ..records import DatasetRef, Experiment, LoggedModel, Run, ms_to_datetime
from .mlmd_tables import Node, Tables, number, param_text, parent_of, row_count

PIPELINE_RUN = "system.PipelineRun"
PIPELINE = "system.Pipeline"
DAG_EXECUTION = "system.DAGExecution"
CONTAINER_EXECUTION = "system.ContainerExecution"
DATASET = "system.Dataset"
METRICS = "system.Metrics"
MODEL = "system.Model"
#: Custom properties KFP puts on every artifact; not metrics.
KFP_BOOKKEEPING = ("display_name", "store_session_info")
STATUS = {"COMPLETE": "FINISHED", "CACHED": "FINISHED", "FAILED": "FAILED", "CANCELED": "KILLED"}
#: Kubeflow Pipelines v1 (its metadata-writer): run context type and execution type prefix.
KFP_V1_RUN = "KfpRun"
KFP_V1_COMPONENT = "components."
#: Tag marking a run read from KFP v1 records.
V1_TAG = "kfp.v1.workflow"


def pipeline_runs(t: Tables) -> tuple[list[Experiment], list[Run]]:
    experiments: dict[int, Experiment] = {}
    runs = []
    for ctx in t.contexts_of_type(PIPELINE_RUN):
        pipeline = parent_of(t, ctx, PIPELINE)
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
        params.update({k: param_text(v) for k, v in root.custom["inputs"].items()})
    tags = {f"kfp.{k}": param_text(ctx.custom[k]) for k in ("namespace", "resource_name", "pipeline_root")
            if ctx.custom.get(k) not in (None, "")}
    if pipeline is not None:
        tags["kfp.pipeline"] = pipeline.name or ""
    images = set()
    for e in containers:
        task = e.custom.get("task_name") or e.custom.get("display_name") or str(e.id)
        inputs = e.custom.get("inputs")
        if isinstance(inputs, dict):
            params.update({f"{task}.{k}": param_text(v) for k, v in inputs.items()})
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
                as_float = number(value)
                if key not in KFP_BOOKKEEPING and as_float is not None:
                    metrics[key] = as_float
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
            digest=param_text(digest) if digest not in (None, "") else None,
            source_type=(urlparse(art.uri).scheme or None) if art.uri else None, source=art.uri or None,
            rows=row_count({**art.properties, **art.custom}), context="input" if art_id in read else "output",
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
            params.update({f"{component}.{k[len('input:'):]}": param_text(v) for k, v in e.custom.items()
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
                    digest=param_text(digest) if digest not in (None, "") else None,
                    source_type=(urlparse(art.uri).scheme or None) if art.uri else None, source=art.uri or None,
                    context="input", tags={"kfp.artifact_id": str(art.id), "kfp.artifact_type": art.type,
                                           "kfp.output_name": param_text(art.custom.get("name"))}))
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
        pipeline = parent_of(t, run, PIPELINE)
        out.append(LoggedModel(
            model_id=f"{id_prefix}{art.id}", experiment_id=str(pipeline.id) if pipeline else None,
            name=art.custom.get("display_name") or art.name or ",".join(ev.keys) or None, source_run_id=run.name,
            status=art.state, creation_time=ms_to_datetime(art.create_ms), last_updated_time=ms_to_datetime(art.update_ms),
            artifact_location=art.uri or None,
            tags={k: param_text(v) for k, v in art.custom.items() if k not in KFP_BOOKKEEPING and v is not None}))
    return out


# -- shared helpers ---------------------------------------------------------------------------

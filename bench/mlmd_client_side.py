"""The ml-metadata side of bench/bench_mlmd.py; runs in .venv-mlmd (scripts/mlmd_venv.sh).

    .venv-mlmd/bin/python bench/mlmd_client_side.py build STORE.sqlite RUNS
    .venv-mlmd/bin/python bench/mlmd_client_side.py read STORE.sqlite REPEAT

``build`` writes RUNS Kubeflow Pipelines v2 runs with the real client (per run: a
``system.PipelineRun`` context, a root ``system.DAGExecution`` with 10 pipeline parameters, a
``load-data`` and a ``train`` ``system.ContainerExecution``, a ``system.Dataset`` read by train,
a ``system.Model`` and a ``system.Metrics`` artifact with 5 metrics). ``read`` builds the runs
table the direct way with ml-metadata's own API (runs by context type; per run its executions,
their events and the artifacts behind them), REPEAT times, and prints the timings and the table
(JSON) for the equality check.
"""

from __future__ import annotations

import json
import sys
import time

from google.protobuf import json_format
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd


def connect(path: str) -> metadata_store.MetadataStore:
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(config)


def build(path: str, runs: int) -> None:
    store = connect(path)
    t = {}
    for kind, name in (("context", "system.Pipeline"), ("context", "system.PipelineRun"),
                       ("execution", "system.DAGExecution"), ("execution", "system.ContainerExecution"),
                       ("artifact", "system.Dataset"), ("artifact", "system.Model"), ("artifact", "system.Metrics")):
        cls = {"artifact": mlmd.ArtifactType, "execution": mlmd.ExecutionType, "context": mlmd.ContextType}[kind]
        t[name] = getattr(store, f"put_{kind}_type")(cls(name=name))
    [pipeline_id] = store.put_contexts([mlmd.Context(type_id=t["system.Pipeline"], name="bench-pipeline")])
    for i in range(runs):
        run_id = f"run-{i:06d}"
        run = mlmd.Context(type_id=t["system.PipelineRun"], name=run_id)
        run.custom_properties["namespace"].string_value = "bench"
        run.custom_properties["pipeline_root"].string_value = f"minio://mlpipeline/v2/artifacts/bench/{run_id}"
        [run_ctx] = store.put_contexts([run])
        store.put_parent_contexts([mlmd.ParentContext(child_id=run_ctx, parent_id=pipeline_id)])
        contexts = list(store.get_contexts_by_id([pipeline_id, run_ctx]))
        dag = mlmd.Execution(type_id=t["system.DAGExecution"], name=f"run/{run_id}",
                             last_known_state=mlmd.Execution.COMPLETE)
        dag.custom_properties["inputs"].struct_value.update(
            {f"p{k}": (i * 10 + k) / 7 if k % 2 else f"value-{i}-{k}" for k in range(10)})
        store.put_execution(dag, [], contexts)
        load = mlmd.Execution(type_id=t["system.ContainerExecution"], last_known_state=mlmd.Execution.COMPLETE)
        load.custom_properties["task_name"].string_value = "load-data"
        data = mlmd.Artifact(type_id=t["system.Dataset"], uri=f"minio://bench/{run_id}/dataset")
        data.custom_properties["display_name"].string_value = "dataset"
        data.custom_properties["digest"].string_value = f"{i:064x}"
        ev = mlmd.Event(type=mlmd.Event.OUTPUT)
        ev.path.steps.add().key = "dataset"
        _, [data_id], _ = store.put_execution(load, [(data, ev)], contexts)
        train = mlmd.Execution(type_id=t["system.ContainerExecution"], last_known_state=mlmd.Execution.COMPLETE)
        train.custom_properties["task_name"].string_value = "train"
        [stored] = store.get_artifacts_by_id([data_id])
        pairs = [(stored, mlmd.Event(type=mlmd.Event.INPUT))]
        model = mlmd.Artifact(type_id=t["system.Model"], uri=f"minio://bench/{run_id}/model")
        metrics = mlmd.Artifact(type_id=t["system.Metrics"], uri=f"minio://bench/{run_id}/metrics")
        metrics.custom_properties["display_name"].string_value = "metrics"
        for k in range(5):
            metrics.custom_properties[f"m{k}"].double_value = ((i * 31 + k * 17) % 1000) / 1000
        pairs += [(model, mlmd.Event(type=mlmd.Event.OUTPUT)), (metrics, mlmd.Event(type=mlmd.Event.OUTPUT))]
        store.put_execution(train, pairs, contexts)


def _value(v):
    which = v.WhichOneof("value")
    return json_format.MessageToDict(v.struct_value) if which == "struct_value" else getattr(v, which)


def read(store) -> list[dict]:
    """One row per pipeline run: id, status, params, metrics, input dataset digests."""
    rows = []
    for ctx in store.get_contexts_by_type("system.PipelineRun"):
        execs = store.get_executions_by_context(ctx.id)
        row = {"run_id": ctx.name, "params": {}, "metrics": {}, "digests": []}
        for e in execs:
            if e.type == "system.DAGExecution":
                row["status"] = mlmd.Execution.State.Name(e.last_known_state)
                row["params"] = _value(e.custom_properties["inputs"])
        events = store.get_events_by_execution_ids([e.id for e in execs])
        arts = {a.id: a for a in store.get_artifacts_by_id(list({ev.artifact_id for ev in events}))}
        for ev in events:
            a = arts[ev.artifact_id]
            if a.type == "system.Metrics" and ev.type == mlmd.Event.OUTPUT:
                row["metrics"].update({k: v.double_value for k, v in a.custom_properties.items()
                                       if k not in ("display_name", "store_session_info")})
            elif a.type == "system.Dataset" and ev.type == mlmd.Event.INPUT:
                row["digests"].append(a.custom_properties["digest"].string_value)
        rows.append(row)
    return rows


def main(argv: list[str]) -> int:
    command, path, number = argv[0], argv[1], int(argv[2])
    if command == "build":
        build(path, number)
        return 0
    times, rows = [], []
    for _ in range(number):
        start = time.perf_counter()
        store = connect(path)
        rows = read(store)
        times.append(time.perf_counter() - start)
    sys.stdout.write(json.dumps({"times": times, "rows": rows}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Read-only connector for ML Metadata (MLMD) databases: Kubeflow Pipelines v2 runs and
Kubeflow Model Registry entries.

Store forms: ``mlmd:///abs/path.sqlite`` (an MLMD sqlite file, opened ``mode=ro``),
``mlmd+mysql://user@host:port/metadb`` and ``mlmd+postgresql://user@host:port/db`` (any
SQLAlchemy URL after ``mlmd+``; sessions are read-only transactions). A Model Registry usually
has a database of its own apart from Kubeflow Pipelines' ``metadb``: name the second one after
``?pipelines=`` (``mlmd+mysql://u@mr-db/model_registry?pipelines=mlmd+mysql://u@kfp-db/metadb``)
and both are read as one store, so a version's ``model_source_id`` finds its pipeline run. The tables are read
directly with SQLAlchemy (:mod:`auditkit.connectors.mlmd_tables`), never through the
``ml-metadata`` client, and mapped to records by :mod:`auditkit.connectors.mlmd_pipelines` (Kubeflow
Pipelines v2 and v1 runs) and :mod:`auditkit.connectors.mlmd_registry` (Kubeflow Model Registry).

Kubeflow Pipelines' API server database (``mlpipeline``: runs, experiments, and in releases
after the MLMD removal proposal also ``artifacts``/``artifact_tasks``) is not MLMD; it is
refused in one line naming it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from .. import errors
from ..records import Experiment, LoggedModel, ModelVersion, RegisteredModel, Run, StoreInfo
from .base import Connector, redact_uri, unknown_experiment, unknown_model
from .messages import STORE_PATH_MISSING
from .mlmd_pipelines import (
    CONTAINER_EXECUTION,
    KFP_V1_RUN,
    PIPELINE_RUN,
    V1_TAG,
    pipeline_models,
    pipeline_runs,
    pipeline_v1_runs,
)
from .mlmd_registry import EXPERIMENT_RUN, link_versions, registry_models, registry_runs
from .mlmd_tables import Tables, read_tables
from .sql_engine import make_engine, normalize_server_url

#: Facts of a Kubeflow pipeline run that ML Metadata does not hold (KFP keeps the run's name,
#: its experiment and the user who started it in the API server database; MLMD records the
#: container image, not the source revision; metrics are scalars). Each becomes a lineage gap.
KFP_CANNOT_CARRY = (
    "the run's name",
    "the user who started the run",
    "the run's KFP experiment",
    "run tags",
    "git commit",
    "git branch",
    "repository URL",
    "metric steps",
    "dataset context (training or evaluation)",
    "run deletion",
    "Python version and packages",
)
#: A Kubeflow Pipelines v1 run (metadata-writer) lacks all of the above, and more.
KFP_V1_CANNOT_CARRY = KFP_CANNOT_CARRY + (
    "the run's status",
    "metrics",
    "the pipeline's name",
)
#: Facts of the Kubeflow Model Registry that it has no field for.
REGISTRY_CANNOT_CARRY = (
    "model version aliases",
    "model version stages",
)
#: Facts of a Model Registry experiment run (``kf.ExperimentRun``) it cannot hold.
REGISTRY_RUN_CANNOT_CARRY = (
    "git commit",
    "git branch",
    "repository URL",
    "metric steps",
    "dataset context (training or evaluation)",
    "Python version and packages",
)
#: Everything an MLMD store cannot carry (the union of the lists above, in order).
MLMD_CANNOT_CARRY = tuple(dict.fromkeys(KFP_CANNOT_CARRY + REGISTRY_CANNOT_CARRY + REGISTRY_RUN_CANNOT_CARRY
                                         + KFP_V1_CANNOT_CARRY))

#: Query parameter naming a second MLMD database (KFP's metadb beside a Model Registry database).
PIPELINES_PARAM = "pipelines="
BAD_MLMD_URI = ("store {uri} is not an ML Metadata URI: expected mlmd:///abs/path.sqlite, "
                "mlmd+mysql://user@host:port/db or mlmd+postgresql://user@host:port/db")


@dataclass
class Mapped:
    """The records of one or more MLMD databases."""

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


class MlmdStoreWarning(errors.AuditkitWarning):
    """An MLMD store was read with a caveat (unknown schema version, unversioned store)."""


class MlmdConnector(Connector):
    """An ML Metadata database, read-only. Raises :class:`~auditkit.errors.NotAStoreError` for a
    database that is not MLMD (one line naming what it is), :class:`~auditkit.errors.StoreNotFoundError`
    for a missing file or a server that does not answer."""

    backend = "mlmd"
    cannot_carry = MLMD_CANNOT_CARRY

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self._engines: list = []
        self._parts: list[Tables] = []
        self._notes: list[str] = []
        try:
            for part in split_uri(uri):
                sa_url, where = engine_url(part)
                self._engines.append(make_engine(sa_url))
                tables, notes = read_tables(self._engines[-1], where)
                self._parts.append(tables)
                self._notes.extend(notes)
        except BaseException:
            self.close()
            raise
        for note in self._notes:
            warnings.warn(note, MlmdStoreWarning, stacklevel=2)
        self._mapped: Mapped | None = None

    # -- reads --------------------------------------------------------------------------------
    def info(self) -> StoreInfo:
        m, parts = self._map(), self._parts
        counts = {
            "experiments": len(m.experiments), "runs": len(m.runs), "registered_models": len(m.models),
            "model_versions": len(m.versions), "logged_models": len(m.logged),
            "datasets": len({(d.name, d.digest, d.source) for r in m.runs for d in r.datasets}),
            "pipeline_runs": sum(len(t.contexts_of_type(PIPELINE_RUN)) for t in parts),
            "kfp_v1_runs": sum(len(t.contexts_of_type(KFP_V1_RUN)) for t in parts),
            "container_executions": sum(1 for t in parts for e in t.executions.values()
                                        if e.type == CONTAINER_EXECUTION),
            "contexts": sum(len(t.contexts) for t in parts), "executions": sum(len(t.executions) for t in parts),
            "artifacts": sum(len(t.artifacts) for t in parts),
        }
        versions = [str(t.schema_version) for t in parts if t.schema_version is not None]
        revision = ",".join(dict.fromkeys(versions)) or None
        return StoreInfo(backend=self.backend, uri=redact_uri(self.uri), schema_revision=revision, counts=counts,
                         warnings=tuple(self._notes))

    def experiments(self) -> list[Experiment]:
        return list(self._map().experiments)

    def runs(self, experiment: str | None = None) -> list[Run]:
        runs = self._map().runs
        if experiment is None:
            return list(runs)
        names = sorted({e.name for e in self._map().experiments})
        if experiment not in names:
            raise unknown_experiment(experiment, names)
        return [r for r in runs if r.experiment == experiment]

    def registered_models(self) -> list[RegisteredModel]:
        return list(self._map().models)

    def model_versions(self, name: str | None = None) -> list[ModelVersion]:
        versions = self._map().versions
        if name is None:
            return list(versions)
        names = [m.name for m in self._map().models]
        if name not in names:
            raise unknown_model(name, names)
        return [v for v in versions if v.name == name]

    def logged_models(self) -> list[LoggedModel]:
        """The ``system.Model`` artifacts written by Kubeflow pipeline runs (ids ``m-kfp-<artifact id>``)."""
        return list(self._map().logged)

    def unrecorded(self, run: Run | None) -> tuple[str, ...]:
        """What this store cannot carry about ``run`` (a KFP pipeline run or a Model Registry
        experiment run) and the registry version behind it."""
        if run is None:
            return REGISTRY_CANNOT_CARRY
        if self._is_registry_run(run):
            return REGISTRY_RUN_CANNOT_CARRY + REGISTRY_CANNOT_CARRY
        if V1_TAG in run.tags:
            return KFP_V1_CANNOT_CARRY + REGISTRY_CANNOT_CARRY
        return KFP_CANNOT_CARRY + REGISTRY_CANNOT_CARRY

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()

    # -- loading ------------------------------------------------------------------------------
    def _map(self) -> Mapped:
        if self._mapped is None:
            mapped = [map_store(t, id_prefix="m-kfp-" if i == 0 else f"m-kfp{i}-") for i, t in enumerate(self._parts)]
            logged = [x for m in mapped for x in m.logged]
            self._mapped = Mapped(
                experiments=[e for m in mapped for e in m.experiments],
                runs=sorted((r for m in mapped for r in m.runs),
                            key=lambda r: r.start_time.timestamp() if r.start_time else -1, reverse=True),
                models=[x for m in mapped for x in m.models],
                versions=link_versions([v for m in mapped for v in m.versions], logged), logged=logged)
        return self._mapped

    def _is_registry_run(self, run: Run) -> bool:
        if not run.run_id.isdigit():
            return False
        return any(ctx is not None and ctx.type == EXPERIMENT_RUN
                   for ctx in (t.contexts.get(int(run.run_id)) for t in self._parts))

    @property
    def tables(self) -> list[Tables]:
        """The raw MLMD tables as read, one entry per database (for inspection and benchmarks)."""
        return list(self._parts)


def split_uri(uri: str) -> list[str]:
    """The MLMD databases a store URI names: the first, and the one after ``?pipelines=`` (the
    rest of the URI, unencoded) when the Model Registry and Kubeflow Pipelines keep separate
    databases, e.g. ``mlmd+mysql://root@mr-db/model_registry?pipelines=mlmd+mysql://root@kfp-db/metadb``."""
    head, sep, tail = uri.partition(PIPELINES_PARAM)
    if not sep:
        return [uri]
    head = head[:-1] if head.endswith(("?", "&")) else head
    if not tail:
        raise errors.NotAStoreError(BAD_MLMD_URI.format(uri=redact_uri(uri)))
    return [head, tail]


def engine_url(uri: str) -> tuple[str, str]:
    """``(SQLAlchemy URL, where)`` for an ``mlmd:`` / ``mlmd+DIALECT:`` store URI.

    Raises :class:`~auditkit.errors.NotAStoreError` for another scheme and
    :class:`~auditkit.errors.StoreNotFoundError` for a sqlite path that does not exist.
    """
    scheme, sep, rest = uri.partition("://")
    scheme = scheme.lower()
    if not sep or not scheme.startswith("mlmd"):
        raise errors.NotAStoreError(BAD_MLMD_URI.format(uri=redact_uri(uri)))
    if scheme == "mlmd":
        path = Path(unquote(urlparse(uri).path))
        if not path.exists():
            raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(path)))
        return "sqlite:///" + str(path.resolve()), str(path)
    dialect = scheme[len("mlmd+"):]
    if not dialect or dialect.split("+", 1)[0] not in ("mysql", "mariadb", "postgresql", "postgres", "sqlite"):
        raise errors.NotAStoreError(BAD_MLMD_URI.format(uri=redact_uri(uri)))
    sa_url = normalize_server_url(f"{dialect}://{rest}")
    return sa_url, redact_uri(sa_url)


__all__ = ["KFP_CANNOT_CARRY", "KFP_V1_CANNOT_CARRY", "MLMD_CANNOT_CARRY", "MlmdConnector", "MlmdStoreWarning",
           "REGISTRY_CANNOT_CARRY", "REGISTRY_RUN_CANNOT_CARRY", "engine_url"]

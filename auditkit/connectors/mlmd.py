"""Read-only connector for ML Metadata (MLMD) databases: Kubeflow Pipelines v2 runs and
Kubeflow Model Registry entries.

Store forms: ``mlmd:///abs/path.sqlite`` (an MLMD sqlite file, opened ``mode=ro``),
``mlmd+mysql://user@host:port/metadb`` and ``mlmd+postgresql://user@host:port/db`` (any
SQLAlchemy URL after ``mlmd+``; sessions are read-only transactions). The tables are read
directly with SQLAlchemy (:mod:`auditkit.connectors.mlmd_tables`), never through the
``ml-metadata`` client, and mapped to records by :mod:`auditkit.connectors.mlmd_kubeflow`.

Kubeflow Pipelines' API server database (``mlpipeline``: runs, experiments, and in releases
after the MLMD removal proposal also ``artifacts``/``artifact_tasks``) is not MLMD; it is
refused in one line naming it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

from .. import errors
from ..records import Experiment, ModelVersion, RegisteredModel, Run, StoreInfo
from .base import Connector, redact_uri, unknown_experiment, unknown_model
from .mlmd_kubeflow import CONTAINER_EXECUTION, EXPERIMENT_RUN, PIPELINE_RUN, Mapped, map_store
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
MLMD_CANNOT_CARRY = tuple(dict.fromkeys(KFP_CANNOT_CARRY + REGISTRY_CANNOT_CARRY + REGISTRY_RUN_CANNOT_CARRY))

BAD_MLMD_URI = ("store {uri} is not an ML Metadata URI: expected mlmd:///abs/path.sqlite, "
                "mlmd+mysql://user@host:port/db or mlmd+postgresql://user@host:port/db")


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
        sa_url, self._where = engine_url(uri)
        self._engine = make_engine(sa_url)
        try:
            self._tables, self._notes = read_tables(self._engine, self._where)
        except BaseException:
            self._engine.dispose()
            raise
        for note in self._notes:
            warnings.warn(note, MlmdStoreWarning, stacklevel=2)
        self._mapped: Mapped | None = None

    # -- reads --------------------------------------------------------------------------------
    def info(self) -> StoreInfo:
        m, t = self._map(), self._tables
        counts = {
            "experiments": len(m.experiments), "runs": len(m.runs), "registered_models": len(m.models),
            "model_versions": len(m.versions),
            "datasets": len({(d.name, d.digest, d.source) for r in m.runs for d in r.datasets}),
            "pipeline_runs": len(t.contexts_of_type(PIPELINE_RUN)),
            "container_executions": sum(1 for e in t.executions.values() if e.type == CONTAINER_EXECUTION),
            "contexts": len(t.contexts), "executions": len(t.executions), "artifacts": len(t.artifacts),
        }
        revision = None if t.schema_version is None else str(t.schema_version)
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

    def unrecorded(self, run: Run | None) -> tuple[str, ...]:
        """What this store cannot carry about ``run`` (a KFP pipeline run or a Model Registry
        experiment run) and the registry version behind it."""
        if run is None:
            return REGISTRY_CANNOT_CARRY
        if self._is_registry_run(run):
            return REGISTRY_RUN_CANNOT_CARRY + REGISTRY_CANNOT_CARRY
        return KFP_CANNOT_CARRY + REGISTRY_CANNOT_CARRY

    def close(self) -> None:
        self._engine.dispose()

    # -- loading ------------------------------------------------------------------------------
    def _map(self) -> Mapped:
        if self._mapped is None:
            self._mapped = map_store(self._tables)
        return self._mapped

    def _is_registry_run(self, run: Run) -> bool:
        if not run.run_id.isdigit():
            return False
        ctx = self._tables.contexts.get(int(run.run_id))
        return ctx is not None and ctx.type == EXPERIMENT_RUN

    @property
    def tables(self) -> Tables:
        """The raw MLMD tables as read (for inspection and benchmarks)."""
        return self._tables


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
            raise errors.StoreNotFoundError(errors.STORE_PATH_MISSING.format(path=str(path)))
        return "sqlite:///" + str(path.resolve()), str(path)
    dialect = scheme[len("mlmd+"):]
    if not dialect or dialect.split("+", 1)[0] not in ("mysql", "mariadb", "postgresql", "postgres", "sqlite"):
        raise errors.NotAStoreError(BAD_MLMD_URI.format(uri=redact_uri(uri)))
    sa_url = normalize_server_url(f"{dialect}://{rest}")
    return sa_url, redact_uri(sa_url)


__all__ = ["KFP_CANNOT_CARRY", "MLMD_CANNOT_CARRY", "MlmdConnector", "MlmdStoreWarning",
           "REGISTRY_CANNOT_CARRY", "REGISTRY_RUN_CANNOT_CARRY", "engine_url"]

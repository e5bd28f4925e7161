"""The one connector interface every backend implements.

A connector is a read-only view of stored tracking data. It returns :mod:`auditkit.records`
types only. Constructors do no I/O beyond opening the store read-only; nothing is ever written.
"""

from __future__ import annotations

import abc
import json
import re
from typing import TYPE_CHECKING

from .. import errors
from ..records import Experiment, LoggedModel, ModelVersion, RegisteredModel, Run, StoreInfo
from .messages import UNKNOWN_EXPERIMENT, UNKNOWN_MODEL, UNKNOWN_RUN, UNKNOWN_VERSION

if TYPE_CHECKING:  # pandas is imported lazily: `auditkit --help` should not pay for it.
    import pandas as pd

#: Fixed leading columns of :meth:`Connector.runs_frame`, in order.
RUN_FRAME_COLUMNS = (
    "run_id",
    "experiment",
    "run_name",
    "user",
    "status",
    "start_time",
    "end_time",
)


class Connector(abc.ABC):
    """A read-only tracking store. Use as a context manager or call :meth:`close`.

    Subclasses implement the abstract methods; the rest is derived from them.
    """

    #: Short backend name shown by ``auditkit inspect`` (e.g. ``"mlflow-sql"``).
    backend: str = ""
    #: Facts this backend has no place for (one short noun phrase each, e.g. ``"git branch"``).
    #: Lineage reports each one that concerns a decision as a gap naming the backend
    #: (:meth:`unrecorded`), so an absent fact is never a silent null.
    cannot_carry: tuple[str, ...] = ()

    def __init__(self, uri: str) -> None:
        self.uri = uri

    # -- abstract reads ---------------------------------------------------------------------
    @abc.abstractmethod
    def info(self) -> StoreInfo:
        """Backend, schema revision, record counts and warnings."""

    @abc.abstractmethod
    def experiments(self) -> list[Experiment]:
        """Every experiment, deleted ones included (``lifecycle_stage == 'deleted'``)."""

    @abc.abstractmethod
    def runs(self, experiment: str | None = None) -> list[Run]:
        """Every run (deleted included), optionally of one experiment (by name).

        Raises :class:`~auditkit.errors.RecordNotFoundError` for an unknown experiment name.
        """

    @abc.abstractmethod
    def registered_models(self) -> list[RegisteredModel]:
        """Every registered model with its aliases."""

    @abc.abstractmethod
    def model_versions(self, name: str | None = None) -> list[ModelVersion]:
        """Every model version (soft-deleted ones flagged ``deleted``), optionally of one model.

        Raises :class:`~auditkit.errors.RecordNotFoundError` for an unknown model name.
        """

    def logged_models(self) -> list[LoggedModel]:
        """MLflow 3 logged models; backends without them return an empty list."""
        return []

    def close(self) -> None:
        """Release connections and file handles (idempotent)."""

    def unrecorded(self, run: Run | None) -> tuple[str, ...]:
        """The facts of :attr:`cannot_carry` that concern ``run`` (the run behind a decision,
        ``None`` when none is known) and the model version behind it. Backends whose records
        differ in what they can hold (e.g. two kinds of run) narrow this per run."""
        return self.cannot_carry

    def unreadable(self) -> tuple[str, ...]:
        """One sentence per part of the store its own format says must be there but that cannot be
        read (e.g. a registry table missing from a known schema revision): reads of that part come
        back empty. Empty when everything could be read (the default)."""
        return ()

    # -- derived reads ----------------------------------------------------------------------
    def get_run(self, run_id: str) -> Run:
        """One run by id. Raises :class:`~auditkit.errors.RecordNotFoundError`."""
        for run in self.runs():
            if run.run_id == run_id:
                return run
        raise unknown_run(run_id)

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """One version of a registered model. Raises :class:`~auditkit.errors.RecordNotFoundError`."""
        versions = self.model_versions(name)
        for mv in versions:
            if mv.version == str(version):
                return mv
        raise errors.RecordNotFoundError(
            UNKNOWN_VERSION.format(
                name=name, version=str(version), choices=errors.choices([v.version for v in versions])
            ),
            kind="model_version", name=f"{name}/{version}",
        )

    def runs_frame(self, experiment: str | None = None) -> "pd.DataFrame":
        """One row per run, like ``mlflow.search_runs``: fixed columns, then ``params.<k>``,
        ``metrics.<k>`` (latest value) and ``tags.<k>`` columns, each group sorted by key."""
        return runs_to_frame(self.runs(experiment))

    # -- context manager --------------------------------------------------------------------
    def __enter__(self) -> "Connector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.backend} {redact_uri(self.uri)!r}>"


def unknown_experiment(name: str, names: list[str]) -> errors.RecordNotFoundError:
    """The error for an experiment name the store does not hold (``names``: the valid ones)."""
    return errors.RecordNotFoundError(UNKNOWN_EXPERIMENT.format(
        name=_short(name), choices=errors.choices([_short(n) for n in names])), kind="experiment", name=name)


def unknown_model(name: str, names: list[str]) -> errors.RecordNotFoundError:
    """The error for a registered model name the store does not hold (``names``: the valid ones)."""
    return errors.RecordNotFoundError(UNKNOWN_MODEL.format(
        name=_short(name), choices=errors.choices([_short(n) for n in names])), kind="model", name=name)


def unknown_run(run_id: str, message: str | None = None) -> errors.RecordNotFoundError:
    """The error for a run id the store does not hold (``message``: a more specific text)."""
    return errors.RecordNotFoundError(message or UNKNOWN_RUN.format(run_id=_short(run_id)), kind="run", name=run_id)


def _short(text: str, limit: int = 80) -> str:
    """A stored name as shown in a message: a name longer than ``limit`` is cut, its length noted."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def runs_to_frame(runs: list[Run]) -> "pd.DataFrame":
    """Build the ``runs_frame`` DataFrame from Run records (shared by every backend)."""
    import pandas as pd  # heavy: loaded on first use

    param_keys = sorted({k for r in runs for k in r.params})
    metric_keys = sorted({k for r in runs for k in r.metrics})
    tag_keys = sorted({k for r in runs for k in r.tags})
    columns: dict[str, list] = {c: [] for c in RUN_FRAME_COLUMNS}
    for prefix, keys in (("params.", param_keys), ("metrics.", metric_keys), ("tags.", tag_keys)):
        for k in keys:
            columns[prefix + k] = []
    for r in runs:
        columns["run_id"].append(r.run_id)
        columns["experiment"].append(r.experiment)
        columns["run_name"].append(r.run_name)
        columns["user"].append(r.user)
        columns["status"].append(r.status)
        columns["start_time"].append(r.start_time)
        columns["end_time"].append(r.end_time)
        for k in param_keys:
            columns["params." + k].append(r.params.get(k))
        for k in metric_keys:
            columns["metrics." + k].append(r.metrics.get(k))
        for k in tag_keys:
            columns["tags." + k].append(r.tags.get(k))
    frame = pd.DataFrame(columns)
    for col in ("start_time", "end_time"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    for k in metric_keys:
        frame["metrics." + k] = frame["metrics." + k].astype("float64")
    return frame


def profile_rows(profile: str | None) -> int | None:
    """``num_rows`` of an MLflow dataset profile (JSON text); ``None`` when it has none."""
    if not profile:
        return None
    try:
        rows = json.loads(profile).get("num_rows")
    except (ValueError, AttributeError, RecursionError):
        return None
    return rows if isinstance(rows, int) and not isinstance(rows, bool) else None


def redact_uri(uri: str) -> str:
    """Hide a password in a server URI before it is shown or written into evidence."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", uri)

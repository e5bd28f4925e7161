"""auditkit's own record types: one normalized, immutable shape for every backend.

Connectors turn stored tracking data (MLflow SQL, MLflow ``mlruns/``, W&B run folders) into these
records; nothing past :mod:`auditkit.connectors` sees a backend's own shapes. Timestamps are
timezone-aware UTC :class:`datetime.datetime` objects (``None`` when the store has none), versions
are strings, and absent facts are ``None``, never invented.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from . import errors
from .times import format_time, from_epoch


class FrozenDict(dict):
    """A ``dict`` that refuses mutation, so records stay immutable (and JSON-serializable)."""

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("record mappings are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: kv[0])))

    def __reduce__(self) -> tuple:
        return (FrozenDict, (dict(self),))


def frozen(mapping: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> FrozenDict:
    """Return an immutable, key-sorted copy of ``mapping`` (``None`` gives an empty one)."""
    items = dict(mapping or {})
    return FrozenDict(sorted(items.items(), key=lambda kv: kv[0]))


#: Epoch milliseconds a :class:`~datetime.datetime` can hold: 0001-01-01 to 9999-12-31 UTC.
MIN_MS = -62_135_596_800_000
MAX_MS = 253_402_300_799_999
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TIME_OUT_OF_RANGE = (
    "timestamp {value} (epoch milliseconds){where} is outside the dates auditkit can represent "
    "(years 1 to 9999 UTC); left it empty"
)


def ms_to_datetime(value: Any, *, what: str | None = None) -> datetime | None:
    """Convert epoch milliseconds (as MLflow stores them) to an aware UTC datetime.

    ``None`` for ``None`` and for a value that is not a number. A number outside
    :data:`MIN_MS`..:data:`MAX_MS` (or infinite) gives ``None`` too, with an
    :class:`~auditkit.errors.AuditkitWarning` naming the value and ``what`` held it
    (e.g. ``"runs.start_time"``), so a damaged timestamp is reported, never a crash.
    """
    if value is None:
        return None
    try:
        ms = int(value)
    except OverflowError:  # float infinity
        ms = None
    except (TypeError, ValueError):
        return None
    if ms is not None and MIN_MS <= ms <= MAX_MS:
        try:
            return from_epoch(ms, "ms")
        except errors.UsageError:  # cannot happen inside the bounds; kept as a guard
            pass
    shown = repr(value) if isinstance(value, str) else str(value)
    if len(shown) > 40:
        shown = f"{shown[:40]}… ({len(shown)} characters)"
    where = f" in {what}" if what else ""
    warnings.warn(TIME_OUT_OF_RANGE.format(value=shown, where=where), errors.AuditkitWarning, stacklevel=2)
    return None


def version_key(version: str) -> tuple:
    """Sort key for version strings: numbers in numeric order ("10" after "9"), others after."""
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC text for a timestamp, ``None`` for none (the contract's JSON form)."""
    return format_time(value)


class _Record:
    """Shared behaviour: a JSON-ready ``to_dict`` (timestamps as ISO 8601 UTC)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = jsonable(getattr(self, f.name))
        return out


def jsonable(value: Any) -> Any:
    """``value`` with records, timestamps and mappings turned into JSON-ready data."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _freeze_fields(obj: Any, mapping_fields: tuple[str, ...], tuple_fields: tuple[str, ...] = ()) -> None:
    for name in mapping_fields:
        object.__setattr__(obj, name, frozen(getattr(obj, name)))
    for name in tuple_fields:
        object.__setattr__(obj, name, tuple(getattr(obj, name) or ()))


@dataclass(frozen=True)
class Experiment(_Record):
    """An experiment (MLflow) or project (W&B)."""

    experiment_id: str
    name: str
    lifecycle_stage: str = "active"
    artifact_location: str | None = None
    creation_time: datetime | None = None
    last_update_time: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze_fields(self, ("tags",))

    @property
    def deleted(self) -> bool:
        return self.lifecycle_stage == "deleted"


@dataclass(frozen=True)
class DatasetRef(_Record):
    """A dataset a run used, as logged (MLflow ``log_input``, W&B artifact use).

    ``digest`` is what the tracking tool recorded (MLflow: 8 hex characters of an MD5 over a
    sample of the data; W&B: the artifact digest). ``rows`` comes from the logged profile.
    """

    name: str
    digest: str | None
    source_type: str | None = None
    source: str | None = None
    schema: str | None = None
    profile: str | None = None
    rows: int | None = None
    context: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze_fields(self, ("tags",))


@dataclass(frozen=True)
class Run(_Record):
    """One training or evaluation run with its latest metrics."""

    run_id: str
    experiment_id: str
    experiment: str | None
    run_name: str | None
    user: str | None
    status: str | None
    start_time: datetime | None
    end_time: datetime | None
    lifecycle_stage: str = "active"
    artifact_uri: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    datasets: tuple[DatasetRef, ...] = ()

    def __post_init__(self) -> None:
        _freeze_fields(self, ("params", "metrics", "tags"), ("datasets",))

    @property
    def deleted(self) -> bool:
        return self.lifecycle_stage == "deleted"


@dataclass(frozen=True)
class LoggedModel(_Record):
    """An MLflow 3 logged model (``models:/m-…``), the link from a version to its run."""

    model_id: str
    experiment_id: str | None
    name: str | None
    source_run_id: str | None
    status: str | None = None
    creation_time: datetime | None = None
    last_updated_time: datetime | None = None
    artifact_location: str | None = None
    lifecycle_stage: str = "active"
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze_fields(self, ("tags", "params"))


@dataclass(frozen=True)
class RegisteredModel(_Record):
    """A registered model with its aliases (alias → version)."""

    name: str
    creation_time: datetime | None = None
    last_updated_time: datetime | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze_fields(self, ("tags", "aliases"))


@dataclass(frozen=True)
class ModelVersion(_Record):
    """One registered model version.

    ``deleted`` is true for versions the store keeps only as soft-deleted rows (MLflow's
    ``Deleted_Internal`` stage, which is no stage: ``stage`` is then ``None``); their redacted
    fields are reported as stored.
    ``creator`` is the stored user id, ``None`` when the store holds none (MLflow leaves it empty
    unless its auth layer is on). ``model_id`` is the MLflow 3 logged model behind the version.
    """

    name: str
    version: str
    stage: str | None
    aliases: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    run_id: str | None = None
    creator: str | None = None
    creation_time: datetime | None = None
    last_updated_time: datetime | None = None
    description: str | None = None
    status: str | None = None
    run_link: str | None = None
    model_id: str | None = None
    deleted: bool = False

    def __post_init__(self) -> None:
        _freeze_fields(self, ("tags",), ("aliases",))
        object.__setattr__(self, "version", str(self.version))
        object.__setattr__(self, "aliases", tuple(sorted(self.aliases)))


@dataclass(frozen=True)
class StoreInfo(_Record):
    """What ``auditkit inspect`` reports about a store (``uri`` with any password redacted)."""

    backend: str
    uri: str
    schema_revision: str | None
    counts: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _freeze_fields(self, ("counts",), ("warnings",))


def to_json(value: Any, **kwargs: Any) -> str:
    """Serialize records (or lists/dicts of them) to JSON text."""
    return json.dumps(jsonable(value), **kwargs)


__all__ = [
    "DatasetRef",
    "Experiment",
    "FrozenDict",
    "LoggedModel",
    "ModelVersion",
    "RegisteredModel",
    "Run",
    "StoreInfo",
    "frozen",
    "iso",
    "jsonable",
    "ms_to_datetime",
    "to_json",
    "version_key",
]

"""A model version's input signature, read from its ``MLmodel`` file where the artifacts are
local (a ``file:`` artifact root or a plain path): the columns the model was scored on, in
signature order. Remote artifact roots (``mlflow-artifacts:``, ``s3://``, …) are not fetched;
the answer then says why not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import safeyaml
from ..records import LoggedModel, ModelVersion
from .artifacts import local_path


@dataclass(frozen=True)
class Signature:
    """The input columns of a model (``None`` when unknown), and where they were read or why not."""

    inputs: tuple[str, ...] | None
    evidence: str


def _absolute_local_path(uri: str | None) -> Path | None:
    """An absolute local path (a ``file:`` URI or a path starting with ``/``), else ``None``."""
    path = local_path(uri) if uri else None
    return path if path is not None and path.is_absolute() else None


def model_signature(version: ModelVersion, logged: LoggedModel | None = None) -> Signature:
    """The input signature of ``version`` from its MLmodel file (``logged``: its MLflow 3 logged
    model, whose artifact location holds the model; else the version's source)."""
    where = (logged.artifact_location if logged is not None else None) or version.source
    folder = _absolute_local_path(where)
    if folder is None:
        return Signature(None, f"the model's artifacts are at {where or 'no recorded location'}, not in a local "
                               f"folder, so its MLmodel signature was not read")
    mlmodel = folder / "MLmodel"
    try:
        text = mlmodel.read_text(encoding="utf-8")
    except OSError as exc:
        return Signature(None, f"{mlmodel} cannot be read ({exc.strerror or exc})")
    import yaml  # loaded only to read an MLmodel file

    try:
        data = safeyaml.load(text) or {}  # bounded: an MLmodel from a store is untrusted input
        spec = json.loads(((data.get("signature") or {}).get("inputs")) or "null")
    except (yaml.YAMLError, ValueError, AttributeError) as exc:
        return Signature(None, f"{mlmodel} holds no readable signature ({' '.join(str(exc).split())[:120]})")
    if not isinstance(spec, list) or not all(isinstance(c, dict) and c.get("name") for c in spec):
        return Signature(None, f"{mlmodel} records no named input columns")
    return Signature(tuple(str(c["name"]) for c in spec), f"signature inputs of {mlmodel}")


__all__ = ["Signature", "model_signature"]

"""Model references as a prediction log gives them, parsed.

A decision names its model by ``model_name`` + ``model_version`` columns or by a ``model_uri``:
``models:/NAME/VERSION``, ``models:/NAME@ALIAS``, ``models:/NAME/STAGE``, ``models:/m-ID`` (an
MLflow 3 logged model) or ``runs:/RUN_ID/PATH``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .. import errors
from ..errors import PredictionLogError
from ..logs import PredictionLog
from ..logs.messages import PREDICTIONS_NO_MODEL_COLUMNS
from .messages import LINEAGE_BAD_MODEL_URI

#: Stage names MLflow accepts in ``models:/NAME/STAGE`` (plus ``latest``).
STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived",
          "latest": "latest"}

_URI = re.compile(r"^models:/(?P<body>[^/@]+)(?:(?P<sep>[/@])(?P<rest>[^/]+))?/?$")
_RUN_URI = re.compile(r"^runs:/(?P<run>[^/]+)(?:/(?P<path>.*))?$")


@dataclass(frozen=True)
class ModelRef:
    """A decision's model reference, parsed. ``kind``: version, alias, stage, logged_model, run."""

    kind: str
    text: str
    evidence: str
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    stage: str | None = None
    model_id: str | None = None
    run_id: str | None = None


def normalize_version(value: Any) -> str | None:
    """A logged version as the registry spells it (``3``, ``3.0`` and ``"3"`` → ``"3"``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if re.fullmatch(r"[0-9]+\.0+", text):
        text = text.split(".")[0]
    return text or None


def parse_model_uri(text: str, prediction_id: Any, evidence: str) -> ModelRef:
    """Parse ``models:/NAME/VERSION``, ``models:/NAME@ALIAS``, ``models:/NAME/STAGE``,
    ``models:/m-ID`` or ``runs:/RUN_ID/PATH``. Raises :class:`PredictionLogError` otherwise."""
    text = text.strip()
    m = _RUN_URI.match(text)
    if m and m.group("run"):
        return ModelRef("run", text, evidence, run_id=m.group("run"))
    m = _URI.match(text)
    if m:
        body, sep, rest = m.group("body"), m.group("sep"), m.group("rest")
        if sep is None and body.startswith("m-"):
            return ModelRef("logged_model", text, evidence, model_id=body)
        if sep == "@" and rest:
            return ModelRef("alias", text, evidence, name=body, alias=rest)
        if sep == "/" and rest and rest.isdigit():
            return ModelRef("version", text, evidence, name=body, version=str(int(rest)))
        if sep == "/" and rest and rest.lower() in STAGES:
            return ModelRef("stage", text, evidence, name=body, stage=STAGES[rest.lower()])
    raise PredictionLogError(LINEAGE_BAD_MODEL_URI.format(ref=text, id=str(prediction_id)))


def model_ref_columns(log: PredictionLog) -> list[str]:
    """The log's model reference columns; raises :class:`PredictionLogError` if it has none."""
    cols = [log.roles[r] for r in ("model_name", "model_version") if r in log.roles]
    if len(cols) == 2:
        return cols + ([log.roles["model_uri"]] if "model_uri" in log.roles else [])
    if "model_uri" in log.roles:
        return [log.roles["model_uri"]]
    raise PredictionLogError(PREDICTIONS_NO_MODEL_COLUMNS.format(
        source=log.source, choices=errors.choices(log.column_names(), limit=30)))


def model_ref_of(log: PredictionLog, row: dict[str, Any], prediction_id: Any) -> ModelRef | None:
    """The model reference of one row (``None`` when its reference cells are empty)."""
    model_ref_columns(log)
    name_col, ver_col = log.roles.get("model_name"), log.roles.get("model_version")
    if name_col and ver_col:
        name, version = row.get(name_col), normalize_version(row.get(ver_col))
        if name is not None and not (isinstance(name, float) and math.isnan(name)) and version is not None:
            return ModelRef("version", f"{name}/{version}",
                            f"prediction log columns {name_col}, {ver_col}", name=str(name), version=version)
    uri_col = log.roles.get("model_uri")
    if uri_col:
        uri = row.get(uri_col)
        if uri is not None and not (isinstance(uri, float) and math.isnan(uri)) and str(uri).strip():
            return parse_model_uri(str(uri), prediction_id, f"prediction log column {uri_col}")
    return None

"""Which decisions of a prediction log an assessment covers: one model (or one model version,
attributed through a registry ledger for alias- and stage-logged decisions) and a time window.

``since`` is inclusive, ``until`` exclusive; both go through :mod:`auditkit.times` (a date alone
is midnight UTC). Decisions that cannot be attributed to a version are counted and said so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import FairnessError, PredictionLogError
from ..logs import parse_timestamps
from ..provenance import attribute_versions, attribution_columns, parse_model_uri
from ..times import format_time, parse_time
from .messages import FAIRNESS_BAD_MODEL_REF, FAIRNESS_LEDGER_NEEDS_MODEL, FAIRNESS_VERSION_NEEDS_MODEL

if TYPE_CHECKING:  # type names only: pandas is loaded by the fairness package
    import pandas as pd


@dataclass(frozen=True)
class Selection:
    """The filters of one assessment: model name and version, time window, ledger."""

    model: str | None = None
    version: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ledger: str | None = None

    @property
    def active(self) -> bool:
        return self.model is not None or self.since is not None or self.until is not None

    def describe(self) -> str:
        """One line saying which decisions were assessed (empty when all were)."""
        parts = []
        if self.model is not None:
            parts.append(f"model {self.model}" + (f" version {self.version}" if self.version else ""))
        if self.since is not None:
            parts.append(f"from {format_time(self.since)}")
        if self.until is not None:
            parts.append(f"before {format_time(self.until)}")
        return ", ".join(parts)


def make_selection(*, model: str | None = None, version: Any = None, since: Any = None, until: Any = None,
                   ledger: str | os.PathLike | None = None) -> Selection:
    """Check and normalise the filters. ``model`` is a registered model name or a
    ``models:/NAME`` / ``models:/NAME/VERSION`` reference.

    Raises :class:`~auditkit.errors.FairnessError` (a version or ledger without a model, an alias,
    stage or run reference) and :class:`~auditkit.errors.UsageError` (a time that does not parse).
    """
    name = None if model is None else str(model).strip()
    number = None if version is None else str(version).strip()
    if name is not None and name.startswith(("models:/", "runs:/")):
        bare = name[len("models:/"):].rstrip("/") if name.startswith("models:/") else ""
        if bare and not any(c in bare for c in "/@") and not bare.startswith("m-"):
            name = bare
        else:
            try:
                ref = parse_model_uri(name, "--model", "--model")
            except PredictionLogError:
                ref = None
            if ref is None or ref.kind != "version" or (number is not None and number != ref.version):
                raise FairnessError(FAIRNESS_BAD_MODEL_REF.format(ref=model))
            name, number = ref.name, ref.version
    if number is not None and name is None:
        raise FairnessError(FAIRNESS_VERSION_NEEDS_MODEL.format(version=number))
    if ledger is not None and name is None:
        raise FairnessError(FAIRNESS_LEDGER_NEEDS_MODEL)
    return Selection(model=name, version=number,
                     since=None if since is None else parse_time(since, what="--since"),
                     until=None if until is None else parse_time(until, what="--until"),
                     ledger=None if ledger is None else str(ledger))


def select_rows(log: Any, frame: "pd.DataFrame", selection: Selection, *,
                versions: Any = None) -> tuple[Any, dict[str, Any], list[str]]:
    """``(row mask, selection document, warnings)`` for ``frame`` (read from ``log`` with
    :func:`selection_columns`)."""
    import numpy as np  # heavy: loaded on first use

    mask = np.ones(len(frame), dtype=bool)
    warnings: list[str] = []
    doc: dict[str, Any] = {"model": selection.model, "version": selection.version,
                           "since": format_time(selection.since), "until": format_time(selection.until),
                           "ledger": selection.ledger, "decisions_in_log": int(len(frame))}
    if selection.since is not None or selection.until is not None:
        ts = parse_timestamps(frame[log.roles["timestamp"]], log=log).array.asi8
        if selection.since is not None:
            mask &= ts >= _ns(selection.since)
        if selection.until is not None:
            mask &= ts < _ns(selection.until)
        doc["decisions_in_window"] = int(mask.sum())
    if selection.model is not None:
        found = attribute_versions(log, frame, ledger=selection.ledger, versions=versions)
        windowed = mask.copy()
        mask &= found.rows_of(selection.model, selection.version)
        unattributed = ~(found.names != None) & windowed  # noqa: E711 - an object array compared elementwise
        doc["unattributed"] = int(unattributed.sum())
        if doc["unattributed"]:
            counted = attribute_versions(log, frame[windowed].reset_index(drop=True), ledger=selection.ledger,
                                         versions=versions)
            sentence = counted.sentence()
            doc["unattributed_why"] = dict(counted.why)
            if sentence:
                warnings.append(sentence + ("" if selection.ledger else " (--ledger FILE attributes alias- and "
                                                                        "stage-logged decisions)"))
    doc["decisions_selected"] = int(mask.sum())
    return mask, doc, warnings


def selection_columns(log: Any, selection: Selection) -> list[str]:
    """The log columns :func:`select_rows` reads."""
    cols: list[str] = []
    if selection.model is not None:
        cols += attribution_columns(log, ledger=selection.ledger)
    if selection.since is not None or selection.until is not None:
        log.require("timestamp")
        cols.append(log.roles["timestamp"])
    return list(dict.fromkeys(cols))


def _ns(when: datetime) -> int:
    import pandas as pd  # heavy: loaded on first use

    return int(pd.Timestamp(when).as_unit("ns").value)


__all__ = ["Selection", "make_selection", "select_rows", "selection_columns"]

"""The background data contributions and counterfactuals are measured against.

In order: the data the caller gives (a DataFrame or a ``.csv``/``.parquet``/``.jsonl`` file), the
run's training dataset when its logged source is a readable local file, else the prediction log's
own rows decided by the same model version. :class:`Background` says which was used; the explain
document states it in ``method``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from ..errors import UsageError
from ..provenance import Resolution
from .messages import EXPLAIN_BACKGROUND_UNREADABLE

#: At most this many background rows are kept (a deterministic sample of larger data).
MAX_ROWS = 5000


@dataclass
class Background:
    """Background rows (only the model's input columns) and where they came from."""

    frame: pd.DataFrame
    description: str


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A ``.csv``, ``.parquet`` or ``.jsonl`` file as a DataFrame. Raises UsageError."""
    p = Path(path)
    try:
        if p.suffix.lower() == ".parquet":
            return pd.read_parquet(p)
        if p.suffix.lower() in (".jsonl", ".json"):
            return pd.read_json(p, lines=True)
        return pd.read_csv(p)
    except (OSError, ValueError) as exc:
        raise UsageError(EXPLAIN_BACKGROUND_UNREADABLE.format(path=str(path), why=str(exc).splitlines()[0])) from None


def _sample(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if len(frame) <= MAX_ROWS else frame.sample(n=MAX_ROWS, random_state=0).sort_index()


def dataset_path(source: str | None) -> Path | None:
    """The local file a logged dataset source names, when it exists here."""
    if not source:
        return None
    text = source
    try:
        doc = json.loads(source)
        if isinstance(doc, dict):
            text = str(doc.get("uri") or doc.get("path") or doc.get("url") or "")
    except ValueError:
        pass
    if text.startswith("file://"):
        text = text[len("file://"):]
    p = Path(text)
    return p if text and p.is_file() else None


def choose_background(*, given: Any, res: Resolution, features: Sequence[str],
                      log_rows: Callable[[], pd.DataFrame | None]) -> Background | None:
    """The background for one model version (see the module docstring); ``None`` when no source
    holds the model's input columns. ``log_rows()`` reads the log's rows of the version (only
    called when nothing before it serves)."""
    if given is not None:
        if isinstance(given, pd.DataFrame):
            frame, desc = given, f"the background data given ({len(given)} rows)"
        else:
            frame = read_table(given)
            desc = f"the background file {given} ({len(frame)} rows)"
        if all(f in frame.columns for f in features):
            return Background(_sample(frame[list(features)].reset_index(drop=True)), desc)
    run = res.run
    if run is not None:
        for ds in run.datasets:
            if (ds.context or "") != "training":
                continue
            path = dataset_path(ds.source)
            if path is None:
                continue
            frame = read_table(path)
            if all(f in frame.columns for f in features):
                return Background(_sample(frame[list(features)].reset_index(drop=True)),
                                  f"the run's training dataset {ds.name} ({path}, {len(frame)} rows)")
    rows = log_rows()
    if rows is not None and len(rows) and all(f in rows.columns for f in features):
        return Background(_sample(rows[list(features)].reset_index(drop=True)),
                          f"the prediction log's decisions by the same model version ({len(rows)} rows)")
    return None

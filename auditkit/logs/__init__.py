"""Prediction logs: the decisions a served model made, read from a file or a SQL table.

- :mod:`.source`: opening a log (``.csv``, ``.parquet``, ``.jsonl``, ``TABLE@SQLALCHEMY_URL``),
  reading it whole, in chunks, or one decision by id;
- :mod:`.roles`: which column plays which role;
- :mod:`.values`: timestamps, ids, reasons and cells as read.
"""

from __future__ import annotations

from .roles import REQUIRED_ROLES, ROLES, parse_column_options
from .source import CHUNK_ROWS, PredictionLog, is_sql_source, open_predictions
from .values import UnparseableTimestampError, check_unique_ids, parse_timestamp, parse_timestamps, reasons_of

__all__ = [
    "CHUNK_ROWS", "PredictionLog", "REQUIRED_ROLES", "ROLES", "UnparseableTimestampError", "check_unique_ids",
    "is_sql_source", "open_predictions", "parse_column_options", "parse_timestamp", "parse_timestamps", "reasons_of",
]

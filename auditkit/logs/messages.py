"""Messages of prediction logs. One line each, naming the log, the column or row, and what was
expected.
"""

from __future__ import annotations

PREDICTIONS_BAD_SOURCE = (
    "prediction log {source!r} is not a .csv, .parquet or .jsonl file or TABLE@SQLALCHEMY_URL"
)
PREDICTIONS_MISSING = "prediction log {source!r} does not exist"
PREDICTIONS_UNREADABLE = "cannot read prediction log {source!r}: {reason}"
PREDICTIONS_NO_TABLE = "prediction log {source!r}: table {table!r} is not in the database; tables: {choices}"
PREDICTIONS_UNKNOWN_ROLE = "column role {role!r} is not known; roles: {choices}"
PREDICTIONS_BAD_COLUMN_OPTION = "--column {value!r} is not ROLE=NAME (e.g. prediction_id=request_ref)"
PREDICTIONS_MAPPED_MISSING = (
    "column {name!r} given for role {role!r} is not in prediction log {source!r}; columns: {choices}"
)
PREDICTIONS_MISSING_COLUMN = (
    "prediction log {source!r} has no {role} column {name!r}; columns: {choices} "
    "(name yours with --column {role}=NAME)"
)
PREDICTIONS_NO_MODEL_COLUMNS = (
    "prediction log {source!r} names no model: expected columns model_name and model_version, "
    "or model_uri; columns: {choices}"
)
PREDICTIONS_DUPLICATE_IDS = (
    "prediction log {source!r} has {count} duplicated prediction id(s): {examples}; expected each id once"
)
PREDICTIONS_BAD_TIMESTAMPS = (
    "prediction log {source!r} has {count} unparseable timestamp(s) in column {column!r} at {where}; "
    "expected ISO 8601 (e.g. 2026-03-01T12:00:00Z) or epoch numbers (unit: --time-unit)"
)
PREDICTIONS_UNKNOWN_ID = "prediction id {id!r} is not in prediction log {source!r} (column {column!r})"
PREDICTIONS_BAD_REASONS = (
    "column {column!r} of prediction {id!r} holds {value!r}; expected a JSON list of reason texts"
)
PREDICTIONS_UNKNOWN_COLUMN = "column {name!r} is not in prediction log {source!r}; columns: {choices}"
PREDICTIONS_EPOCH_UNIT = (
    "prediction log {source!r} column {column!r} holds epoch numbers ({low} … {high}) that no single "
    "unit places between 1990 and 2100; name their unit with --time-unit s|ms|us|ns (time_unit=…)"
)
PREDICTIONS_SHADOWED_COLUMN = ("--column {role}={name} is shadowed by column {shadow!r}: {role} is read only together "
                               "with {other}, which the log does not have, so the model comes from {shadow!r}; "
                               "map both (--column {other}=…) or neither")

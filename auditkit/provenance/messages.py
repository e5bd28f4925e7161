"""Messages of lineage and data verification. One line each, naming the bad thing and what was
expected.
"""

from __future__ import annotations

LINEAGE_BAD_MODEL_URI = (
    "model reference {ref!r} of prediction {id!r} is not models:/NAME/VERSION, models:/NAME@ALIAS, "
    "models:/m-ID or runs:/RUN_ID/PATH"
)
LINEAGE_UNKNOWN_MODEL_REF = "prediction {id!r} names model {ref!r}, which the store does not hold: {why}"
LINEAGE_BAD_APPROVAL_KEYS = (
    "approval keys {value!r} must be a pair of tag names (by, at) or a list of such pairs, "
    "e.g. ('approved_by', 'approved_at')"
)
DATA_FILE_MISSING = "data file {path!r} does not exist"
DATA_FILE_FORM = "data file {path!r} is not a .csv, .parquet or .jsonl file"
DATA_FILE_UNREADABLE = "cannot read data file {path!r}: {reason}"
DATA_NO_DATASETS = "run {run_id!r} logged no datasets; expected a dataset logged with mlflow.log_input"
DATA_UNKNOWN_DATASET = "run {run_id!r} logged no dataset named {name!r}; datasets: {choices}"
DATA_MISMATCH = "{path!r} (digest {digest}) matches no dataset logged for run {run_id!r} ({logged})"

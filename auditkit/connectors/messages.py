"""Messages of the connectors: stores that cannot be found, opened or read, and records a
store does not hold. One line each, naming the bad thing and what was expected.
"""

from __future__ import annotations

UNKNOWN_STORE_FORM = (
    "cannot tell which backend reads {uri!r}; expected one of: {forms}"
)
STORE_PATH_MISSING = "store {path!r} does not exist"
NOT_SQLITE = "{path!r} is not an SQLite database (expected an MLflow tracking store such as mlflow.db)"
NO_MLFLOW_TABLES = (
    "{where} holds no MLflow tracking tables (expected tables {tables}; found {found})"
)
MISSING_TABLE = (
    "table {table!r} is missing from {where}, though its schema revision {revision} has it; "
    "its records cannot be read"
)
SERVER_UNREACHABLE = "cannot connect to {where}: {reason}"
UNKNOWN_EXPERIMENT = "experiment {name!r} is not in the store; experiments: {choices}"
UNKNOWN_MODEL = "registered model {name!r} is not in the store; models: {choices}"
UNKNOWN_RUN = "run {run_id!r} is not in the store"
UNKNOWN_VERSION = "model {name!r} has no version {version!r}; versions: {choices}"
NO_STORE_GIVEN = "no store given: pass --store URI or set AUDITKIT_STORE or MLFLOW_TRACKING_URI"
MLRUNS_NOT_A_FOLDER = (
    "{path!r} is not a folder; expected an MLflow mlruns folder (experiment folders with meta.yaml)"
)
MLRUNS_NO_META = "{path!r} does not exist; expected the {what} there ({expected})"
MLRUNS_BAD_META = "{path!r} is not a valid {what}: {problem}; expected {expected}"
MLRUNS_ID_MISMATCH = "{path!r} gives {key} {found!r} but lies in folder {folder!r}; expected the folder's name"
MLRUNS_BAD_STATUS = "{path!r} gives run status {value!r}; expected one of 1-5 (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)"
MLRUNS_BAD_TEXT = "{path!r} cannot be read as UTF-8 text ({reason}); expected the stored value as text"
MLRUNS_BAD_METRIC_LINE = (
    "{path!r} line {line}: {text!r} is not a metric point; expected 'timestamp value step' "
    "(integer timestamp and step, numeric value)"
)
MLRUNS_EMPTY_METRIC = "{path!r} holds no metric point; expected lines 'timestamp value step'"
MLRUNS_MISSING_DATASET = (
    "{path!r} names dataset {dataset_id!r}, but {expected_path!r} does not exist; expected the "
    "dataset's meta.yaml there"
)
MLRUNS_VERSION_RUN_MISSING = (
    "model {name!r} version {version} ({path!r}) names run {run_id!r}, but the store has no run "
    "folder {run_id!r}; expected a folder <experiment id>/{run_id} with a meta.yaml under {root!r}"
)
MLRUNS_SKIPPED = "{problem}; skipped {what}"
MLRUNS_WARNING_SUMMARY = "mlruns folder {root!r}: {count} item(s) skipped or left out: {items}"
WANDB_NOT_INSTALLED = (
    "reading W&B run logs needs the wandb package; install the extra: pip install 'auditkit[wandb]'"
)
WANDB_BAD_HEADER = (
    "{path!r} is not a W&B run log: expected the 7-byte header ':W&B', 0xbee1, version 0; found {found}"
)
WANDB_TRUNCATED = "{path!r} is cut short at byte {offset}: expected {expected}, found {found} bytes"
WANDB_BAD_CHECKSUM = (
    "{path!r} has a bad checksum in the chunk at byte {offset}: expected CRC-32 {expected:#010x}, "
    "found {found:#010x}"
)
WANDB_BAD_CHUNK = "{path!r} has a malformed chunk at byte {offset}: {problem}"
WANDB_BAD_PAYLOAD = (
    "{path!r} record at byte {offset} is not a W&B Record protobuf (expected wandb_internal_pb2.Record): {reason}"
)
WANDB_UNREADABLE = "cannot read W&B run log {path!r}: {reason}"
WANDB_NO_LOG = "run folder {path!r} holds no run-<id>.wandb log (expected one binary run log); skipped it"
WANDB_NO_RUN_RECORD = "{path!r} holds no run record (expected one after the header); skipped it"
WANDB_SKIPPED = "{error}; skipped {skipped}"
WANDB_BAD_TEXT_FILE = "{path!r} is not valid JSON/YAML as wandb writes it: {reason}; ignored it"

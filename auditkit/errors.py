"""The one error hierarchy of auditkit.

Library code raises these; only the CLI turns them into an ``error:`` line and an exit code.
Every message is one line that names the bad thing and what was expected.
"""

from __future__ import annotations


class AuditkitError(Exception):
    """Base of every error auditkit raises on purpose."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        # One line, always: a multi-line message would look like a traceback to a user.
        super().__init__(" ".join(str(message).split()))


class AuditkitWarning(UserWarning):
    """Base of auditkit's warnings (skipped records, unknown schema revisions, …); the CLI prints
    each as one ``warning:`` line on stderr."""


class UsageError(AuditkitError):
    """An argument or option has a value auditkit cannot use."""


class StoreError(AuditkitError):
    """A tracking store cannot be opened or read."""


class StoreNotFoundError(StoreError):
    """The store's path or server does not exist or does not answer."""


class NotAStoreError(StoreError):
    """The path or database exists but does not hold what the backend expects."""


class RecordNotFoundError(AuditkitError):
    """An experiment, run, model or version named by the user is not in the store."""


class PredictionLogError(AuditkitError):
    """A prediction log is missing, unreadable or violates its column contract."""


class LedgerError(AuditkitError):
    """A registry ledger cannot be read or written."""


class FairnessError(AuditkitError):
    """A fairness assessment cannot be computed from the given data."""


class PolicyError(UsageError):
    """A policy file is missing, unreadable, not YAML, or breaks the policy format (exit 2)."""


class ReportError(AuditkitError):
    """A report cannot be built or rendered."""


# Message templates. Tests compare messages word for word, so the text lives in one place.
UNKNOWN_STORE_FORM = (
    "cannot tell which backend reads {uri!r}; expected one of: {forms}"
)
STORE_PATH_MISSING = "store {path!r} does not exist"
NOT_SQLITE = "{path!r} is not an SQLite database (expected an MLflow tracking store such as mlflow.db)"
NO_MLFLOW_TABLES = (
    "{where} holds no MLflow tracking tables (expected tables {tables}; found {found})"
)
SERVER_UNREACHABLE = "cannot connect to {where}: {reason}"
UNKNOWN_EXPERIMENT = "experiment {name!r} is not in the store; experiments: {choices}"
UNKNOWN_MODEL = "registered model {name!r} is not in the store; models: {choices}"
UNKNOWN_RUN = "run {run_id!r} is not in the store"
UNKNOWN_VERSION = "model {name!r} has no version {version!r}; versions: {choices}"
BAD_FORMAT = "format {value!r} is not supported here; choose one of: {choices}"
NO_STORE_GIVEN = "no store given: pass --store URI or set AUDITKIT_STORE or MLFLOW_TRACKING_URI"


def choices(values: "list[str] | tuple[str, ...]", limit: int = 10) -> str:
    """Render a list of valid choices for an error message (at most ``limit`` shown)."""
    values = list(values)
    if not values:
        return "(none)"
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", … ({len(values) - limit} more)"
    return shown

# Fairness (auditkit.fairness, `auditkit fairness`).
FAIRNESS_UNKNOWN_COLUMN = "column {name!r} is not in {where}; columns: {choices}"
FAIRNESS_NO_SENSITIVE = "no sensitive feature given; name at least one column (e.g. --sensitive sex)"
FAIRNESS_NO_RECORDS = "{where} holds no records to assess"
FAIRNESS_LENGTH_MISMATCH = "{what} has {got} values but the decisions have {expected}; expected one value per decision"
FAIRNESS_ONE_GROUP = (
    "sensitive feature(s) {features} form only one group ({group}); need at least two groups to compare"
)
FAIRNESS_NOT_BINARY = (
    "decisions are not binary 0/1 or -1/1 (values seen: {values}); name the favourable one "
    "with --positive VALUE (pos_label=…)"
)
FAIRNESS_POSITIVE_NOT_SEEN = "positive value {value!r} is not among the {what} values seen: {values}"
FAIRNESS_LABEL_HINT = "; name the favourable label with --label-positive VALUE (label_pos_label=…)"
FAIRNESS_LABEL_NOT_BINARY = (
    "labels have more than two values (values seen: {values}); expected a binary outcome"
)
FAIRNESS_MISSING_DECISION = "{count} record(s) have no decision; expected a decision on every record"
FAIRNESS_BAD_BINS = "bins for {column!r} must be at least two increasing numbers, got {value!r}"
FAIRNESS_BIN_NOT_IN_FEATURES = "bins name column {column!r}, which is not a sensitive feature ({features})"
FAIRNESS_BIN_NOT_NUMERIC = "column {column!r} is not numeric (e.g. {example!r}); binning needs numbers"
FAIRNESS_BIN_RANGE = (
    "{count} value(s) of {column!r} fall outside the bins {edges}; widen the first or last edge"
)
FAIRNESS_UNKNOWN_REFERENCE = "reference group {group} is not among the groups: {choices}"
FAIRNESS_BAD_CI = "confidence level {value!r} must be a number between 0 and 1 (e.g. 0.95)"
FAIRNESS_BAD_N_BOOT = "bootstrap resamples {value!r} must be a positive integer (e.g. 1000)"
FAIRNESS_BAD_MIN_GROUP = "minimum group size {value!r} must be a non-negative integer"
FAIRNESS_TOO_MANY_CELLS = (
    "the grouped counts have more than {limit} rows; check that the decision and label columns "
    "hold outcomes, not scores"
)
FAIRNESS_BAD_BIN_OPTION = "--bin {value!r} is not COLUMN=EDGE,EDGE,… (e.g. age_years=0,25,40,60,120)"
FAIRNESS_BAD_REFERENCE_OPTION = (
    "--reference-group {value!r} is not VALUE or FEATURE=VALUE[,FEATURE=VALUE…]"
)
FAIRNESS_BAD_SEED = "--seed {value!r} must be an integer (e.g. 0)"
FAIRNESS_NOTHING_INPUT = "no decisions given; pass y_pred (an array, or a column name with data=, engine= or log=)"

# -- reports (auditkit/reports) ---------------------------------------------------------------
REPORT_UNKNOWN_ALIAS = "model {name!r} has no alias {alias!r}; aliases: {choices}"
REPORT_VERSION_OR_ALIAS = "give exactly one of --version or --alias for model {name!r}"
REPORT_BAD_OUTPUT = "output {path!r} has no report extension; expected one of: .pdf, .html"
REPORT_BAD_AS_OF = "--as-of {value!r} is not a date/time; expected ISO 8601 such as 2026-11-26T12:00:00Z"
REPORT_BAD_SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH {value!r} is not an integer number of seconds"
REPORT_TEMPLATES_MISSING = "templates folder {path!r} does not exist or is not a folder"
REPORT_TEMPLATE_MISSING = "template {name!r} is in neither {dirs}"
REPORT_TEMPLATE_ERROR = "template {name!r} failed to render: {reason}"
REPORT_FIELDS_UNREADABLE = "fields file {path!r} cannot be read: {reason}"
REPORT_FIELDS_NOT_MAPPING = "fields file {path!r} must hold a mapping of field names to text, found {found}"
REPORT_CANNOT_WRITE = "cannot write report {path!r}: {reason}"
REPORT_NO_SAMPLE_DATA = "sample data folder {path!r} holds no {what}; expected {expected}"

# MLflow file store (mlruns folder) connector: one line naming the file and what was expected.
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

# W&B run folders (auditkit.connectors.wandb, auditkit.connectors.wandb_log).
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

# -- prediction logs (auditkit/predictions.py) and lineage (auditkit/lineage.py) -----------------
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
    "expected ISO 8601 (e.g. 2026-03-01T12:00:00Z) or epoch milliseconds"
)
PREDICTIONS_UNKNOWN_ID = "prediction id {id!r} is not in prediction log {source!r} (column {column!r})"
PREDICTIONS_BAD_REASONS = (
    "column {column!r} of prediction {id!r} holds {value!r}; expected a JSON list of reason texts"
)
LINEAGE_BAD_MODEL_URI = (
    "model reference {ref!r} of prediction {id!r} is not models:/NAME/VERSION, models:/NAME@ALIAS, "
    "models:/m-ID or runs:/RUN_ID/PATH"
)
LINEAGE_UNKNOWN_MODEL_REF = "prediction {id!r} names model {ref!r}, which the store does not hold: {why}"
LINEAGE_BAD_APPROVAL_KEYS = (
    "approval keys {value!r} must be a pair of tag names (by, at) or a list of such pairs, "
    "e.g. ('approved_by', 'approved_at')"
)
LINEAGE_BAD_OUTPUT = "output {path!r} has no lineage table extension; expected one of: .csv, .parquet, .jsonl"
LINEAGE_ID_OR_ALL = "give a prediction ID or --all (with -o OUT), not {what}"

# -- registry ledger and verify-data (auditkit/ledger.py, auditkit/datadigest.py) ------------------
class LedgerTamperedError(LedgerError):
    """A ledger entry was edited, deleted, reordered or inserted (the hash chain is broken)."""

    exit_code = 1


class DataMismatchError(AuditkitError):
    """A data file's recomputed digest matches no dataset logged for the run."""

    exit_code = 1


LEDGER_MISSING = "ledger {path!r} does not exist; expected a JSON-lines file written by `auditkit snapshot`"
LEDGER_UNREADABLE = "cannot read ledger {path!r}: {reason}"
LEDGER_NOT_WRITABLE = "cannot write ledger {path!r}: {reason}"
LEDGER_BAD_ENTRY = "ledger {path!r} line {line} (seq {seq}): {problem}"
LEDGER_OTHER_STORE = (
    "ledger {path!r} records store {recorded!r}; refusing to append a snapshot of {given!r} "
    "(expected one ledger per store)"
)
LEDGER_CLOCK_BACKWARDS = (
    "snapshot time {taken_at} is earlier than the last entry's ({last}, seq {seq}) in ledger "
    "{path!r}; expected a time at or after it"
)
LEDGER_BAD_TIME = "{what} {value!r} is not a date/time; expected ISO 8601 such as 2026-11-26T12:00:00Z"
LEDGER_ANCHOR_MISSING = (
    "ledger {path!r} holds no entry with sha256 {anchor}; expected the anchored entry to be in the "
    "chain (the ledger was truncated or rewritten)"
)
LEDGER_BAD_ANCHOR = "--anchor {value!r} is not a SHA-256; expected 64 hex characters"
# Problems `verify` names for the first bad entry (the {…} fields are filled in per entry).
LEDGER_P_INCOMPLETE = "the line has no newline at its end (an interrupted write)"
LEDGER_P_EMPTY = "the line is empty; expected one JSON entry per line"
LEDGER_P_NOT_JSON = "the line is not a JSON object ({reason})"
LEDGER_P_FIELD = "field {field!r} is missing or not {expected}"
LEDGER_P_HASH = "its content does not match its sha256 (the entry was edited)"
LEDGER_P_SEQ = (
    "seq {got} where {expected} was expected (an entry was deleted, inserted or reordered)"
)
LEDGER_P_PREV = (
    "prev_sha256 does not match the sha256 of the entry before it (an entry was deleted, "
    "inserted, reordered or rewritten)"
)
LEDGER_P_TIME = "taken_at {got} is earlier than the previous entry's {previous}"
LEDGER_P_STORE = "it records store {got!r} but the first entry records {expected!r}"
LEDGER_P_CHANGE = "change to {key} gives old value {old!r} but the earlier entries give {actual!r}"
LEDGER_P_STATE = "state_sha256 does not match the state rebuilt from entries 1..{seq}"

DATA_FILE_MISSING = "data file {path!r} does not exist"
DATA_FILE_FORM = "data file {path!r} is not a .csv, .parquet or .jsonl file"
DATA_FILE_UNREADABLE = "cannot read data file {path!r}: {reason}"
DATA_NO_DATASETS = "run {run_id!r} logged no datasets; expected a dataset logged with mlflow.log_input"
DATA_UNKNOWN_DATASET = "run {run_id!r} logged no dataset named {name!r}; datasets: {choices}"
DATA_MISMATCH = "{path!r} (digest {digest}) matches no dataset logged for run {run_id!r} ({logged})"
FAIRNESS_UNKNOWN_TABLE = "table {name!r} is not in {where}; tables: {choices}"
PREDICTIONS_UNKNOWN_COLUMN = "column {name!r} is not in prediction log {source!r}; columns: {choices}"
REPORT_PREDICTIONS_AND_SENSITIVE = "--predictions and --sensitive go together: the fairness section needs both"

# -- compliance policy (auditkit/policy.py, auditkit/policy_rules.py, `auditkit check`) -----------
POLICY_MISSING = "policy file {path!r} does not exist"
POLICY_UNREADABLE = "cannot read policy {source!r}: {reason}"
POLICY_BAD_YAML = "policy {source!r} line {line}: not valid YAML: {problem}"
POLICY_EMPTY = "policy {source!r} is empty; expected a mapping with keys auditkit_policy, serving and rules"
POLICY_MISSING_KEY = "policy {source!r} line {line}: {where} has no key {key!r}; expected {expected}"
POLICY_WRONG_TYPE = "policy {source!r} line {line}: {key} is {found}; expected {expected}"
POLICY_UNKNOWN_KEY = "policy {source!r} line {line}: {where} has an unknown key {key!r}; keys: {choices}"
POLICY_UNKNOWN_RULE = "policy {source!r} line {line}: unknown rule {rule!r}; rules: {choices}"
POLICY_DUPLICATE_KEY = "policy {source!r} line {line}: key {key!r} appears twice in {where}"
POLICY_BAD_REGEX = "policy {source!r} line {line}: {key} {value!r} is not a valid regular expression ({reason})"
POLICY_NO_SERVING = (
    "policy {source!r} line {line}: serving names no stage and no alias; expected at least one "
    "(e.g. aliases: [champion])"
)
POLICY_NO_RULES = "policy {source!r} line {line}: rules is empty; expected at least one rule ({choices})"
POLICY_NO_LIMIT = "policy {source!r} line {line}: {key} gives neither min nor max; expected at least one"
POLICY_BAD_AS_OF = "as-of time {value!r} is not a date/time; expected ISO 8601 such as 2026-11-26T12:00:00Z"
REPORT_UNKNOWN_SENSITIVE = "sensitive column {column!r} is not in prediction log {source}; columns: {choices}"

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
    "{features} define only one group ({group}); need at least two groups to compare"
)
FAIRNESS_NOT_BINARY = (
    "decisions are not binary 0/1 or -1/1 (values seen: {values}); name the favourable one "
    "with --positive VALUE (pos_label=…)"
)
FAIRNESS_POSITIVE_NOT_SEEN = "positive value {value!r} is not among the {what} values seen: {values}"
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
FAIRNESS_BAD_COLUMN_OPTION = "--column {value!r} is not ROLE=NAME (e.g. decision=approved)"
FAIRNESS_BAD_SOURCE = (
    "prediction log {source!r} is not a .csv, .parquet or .jsonl file or TABLE@SQLALCHEMY_URL"
)
FAIRNESS_SOURCE_MISSING = "prediction log {source!r} does not exist"
FAIRNESS_SOURCE_UNREADABLE = "cannot read prediction log {source!r}: {reason}"
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
REPORT_NOT_AVAILABLE = "the {what} is not available in this installation: {reason}"

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

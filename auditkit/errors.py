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

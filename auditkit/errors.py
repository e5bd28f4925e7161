"""The one error hierarchy of auditkit.

Library code raises these; only the CLI turns them into an ``error:`` line and an exit code.
Every message is one line that names the bad thing and what was expected; the message texts
live beside the code that raises them (each part's ``messages`` module, or the module itself).
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
    """An experiment, run, model, version or prediction named by the user is not there.

    Besides its text it carries ``kind`` (``"experiment"``, ``"run"``, ``"model"``,
    ``"model_version"``, ``"alias"``, ``"logged_model"``, ``"prediction"`` …) and ``name`` (what
    was asked for), so a script can tell what was missing without parsing the message."""

    def __init__(self, message: str, *, kind: str | None = None, name: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name


class PredictionLogError(AuditkitError):
    """A prediction log is missing, unreadable or violates its column contract."""


class UnknownPredictionError(PredictionLogError, RecordNotFoundError):
    """A prediction id is not in the log (``kind="prediction"``, ``name`` the id)."""


class LedgerError(AuditkitError):
    """A registry ledger cannot be read or written."""


class FairnessError(AuditkitError):
    """A fairness assessment cannot be computed from the given data."""


class PolicyError(UsageError):
    """A policy file is missing, unreadable, not YAML, or breaks the policy format (exit 2)."""


class ReportError(AuditkitError):
    """A report cannot be built or rendered."""


class LedgerTamperedError(LedgerError):
    """A ledger entry was edited, deleted, reordered or inserted (the hash chain is broken)."""

    exit_code = 1


class DataMismatchError(AuditkitError):
    """A data file's recomputed digest matches no dataset logged for the run."""

    exit_code = 1


def choices(values: "list[str] | tuple[str, ...]", limit: int = 10) -> str:
    """Render a list of valid choices for an error message (at most ``limit`` shown)."""
    values = list(values)
    if not values:
        return "(none)"
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", … ({len(values) - limit} more)"
    return shown


__all__ = [
    "AuditkitError", "AuditkitWarning", "DataMismatchError", "FairnessError", "LedgerError",
    "LedgerTamperedError", "NotAStoreError", "PolicyError", "PredictionLogError", "RecordNotFoundError",
    "ReportError", "StoreError", "StoreNotFoundError", "UnknownPredictionError", "UsageError", "choices",
]

"""Re-performance (``auditkit explain``) on the decision page and ``/api/explain/{id}``, when this
build of auditkit has the explain part; otherwise a clear "not available" state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import errors
from ..connectors import Connector
from ..logs import PredictionLog
from .messages import WEB_NO_REPERFORM

try:
    from ..reperform import explain as _explain  # the explain part (issue 12), when this build has it
except ModuleNotFoundError as exc:  # only its absence is expected; a broken install still fails
    if exc.name != "auditkit.reperform":
        raise
    _explain = None


def reperform_available() -> bool:
    """Whether this build can re-perform a decision (``auditkit.explain``)."""
    return _explain is not None


def explain_document(store: Connector, log: PredictionLog, prediction_id: str, *,
                     ledger: str | None = None, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The explain JSON of one decision. Raises :class:`NotImplementedError` (with
    :data:`~.messages.WEB_NO_REPERFORM`) when this build has no explain part, and what
    ``auditkit.explain`` raises."""
    if _explain is None:
        raise NotImplementedError(WEB_NO_REPERFORM)
    return _explain(store, log, prediction_id, ledger=ledger, **dict(options or {}))


def reperform_section(store: Connector, log: PredictionLog, prediction_id: str, *,
                      ledger: str | None = None, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the decision page shows under "Re-performance": ``{"status": "unavailable"|"error"|"done",
    "message", "document"}``. An auditkit error of the explain part is shown as its line; the
    rest of the page stands."""
    if _explain is None:
        return {"status": "unavailable", "message": WEB_NO_REPERFORM.capitalize() + ": replay, contributions "
                "and counterfactuals need the explain part of auditkit.", "document": None}
    try:
        return {"status": "done", "message": None,
                "document": explain_document(store, log, prediction_id, ledger=ledger, options=options)}
    except errors.AuditkitError as exc:
        return {"status": "error", "message": str(exc), "document": None}

"""What the model and decision reports add beyond the records: a ledger's history and a
fairness summary from a prediction log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..connectors import Connector
from ..ledger import alias_history, load_ledger
from ..logs import open_predictions, parse_column_options
from .context import HistoryEvent
from .fairness_view import assess_version
from .model import resolve_version


def ledger_history(ledger: str | Path, name: str, version: str | None = None) -> tuple[tuple[HistoryEvent, ...], str]:
    """Stage/alias moves and version registrations of model ``name`` recorded in a ledger (only
    those of ``version`` when given: its own stage, registration and deletion, and alias moves
    to or from it), and a sentence naming the source.

    Raises :class:`~auditkit.errors.LedgerError` (unreadable or tampered ledger).
    """
    changes = [c for c in alias_history(ledger, name=name) if version is None or _concerns(c, str(version))]
    events = tuple(
        HistoryEvent(at=c.to_taken_at, what=c.change,
                     source=(f"ledger snapshot #{c.to_seq}" + (f" (previous #{c.from_seq} at {c.from_taken_at})"
                                                               if c.from_seq is not None else " (first snapshot)")))
        for c in changes
    )
    source = (f"the hash-chained registry ledger {Path(ledger).name}: each change happened after the previous "
              f"snapshot and by the one named. {ledger_head(ledger)}")
    return events, source


def ledger_head(ledger: str | Path) -> str:
    """One sentence on the ledger's newest entry: its hash, and whether it is signed and with which
    key (the signature is checked by ``auditkit verify --trust KEY.pub``, not here).

    Raises :class:`~auditkit.errors.LedgerError` (unreadable or tampered ledger).
    """
    entries = load_ledger(str(ledger)).entries
    if not entries:
        return "The ledger holds no entry."
    head = entries[-1]
    sig = head.get("signature")
    key = sig.get("key_sha256") if isinstance(sig, dict) else None
    signed = (f"signed with the Ed25519 key whose SHA-256 is {key} (check: auditkit verify --ledger "
              f"{Path(ledger).name} --trust KEY.pub)" if key else
              "not signed, so whoever holds the file could have rewritten it (see auditkit snapshot --sign-key)")
    return f"Ledger head: snapshot #{head['seq']} at {head['taken_at']}, sha256 {head['sha256']}, {signed}."


def _concerns(change: Any, version: str) -> bool:
    """Whether a registry change is about ``version``: its own stage/registration/deletion, or an
    alias moving to or from it."""
    if change.kind == "alias":
        return version in (str(change.old), str(change.new))
    return change.subject.startswith(f"version {version} ")


def parse_sensitive(sensitive: str | Sequence[str] | None) -> list[str]:
    if sensitive is None:
        return []
    if isinstance(sensitive, str):
        return [c.strip() for c in sensitive.split(",") if c.strip()]
    return list(sensitive)


def model_extras(store: Connector, name: str, *, version: str | None, alias: str | None,
                 ledger: str | None = None, predictions: str | None = None, columns: Sequence[str] = (),
                 time_unit: str | None = None,
                 sensitive: str | Sequence[str] | None = None, positive: Any = None,
                 label_positive: Any = None) -> dict[str, Any]:
    """Keyword arguments for :func:`~auditkit.reports.build_model_report` from a ledger and a
    prediction log (each optional): ``history``, ``history_source``, ``fairness``, ``extra_gaps``.
    The ledger also attributes the log's alias- and stage-logged decisions to versions.

    Raises :class:`~auditkit.errors.LedgerError`, :class:`~auditkit.errors.PredictionLogError`,
    :class:`~auditkit.errors.FairnessError` and what resolving the version raises.
    """
    out: dict[str, Any] = {}
    if ledger:
        number = resolve_version(store, name, version=version, alias=alias)
        out["history"], out["history_source"] = ledger_history(ledger, name, number)
    if predictions:

        number = resolve_version(store, name, version=version, alias=alias)
        log = open_predictions(predictions, columns=parse_column_options(list(columns)),
                               time_unit=time_unit)  # type: ignore[arg-type]
        try:
            summary, gaps = assess_version(log, name=name, version=number, sensitive=parse_sensitive(sensitive),
                                           positive=positive, label_positive=label_positive, ledger=ledger,
                                           versions=store.model_versions(name))
        finally:
            log.close()
        out["fairness"] = summary
        out["extra_gaps"] = tuple(gaps)
    return out

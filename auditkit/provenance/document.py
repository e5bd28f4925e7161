"""Lineage of one automated decision: which model version decided, and everything behind it.

``lineage(store, log, prediction_id)`` answers "why was this decision made, by what?" as the
contract's lineage JSON (schema_version "1"): the decision as logged → the model version (from
``model_name`` + ``model_version`` or ``model_uri``; an alias through the registry ledger at the
decision's time) → its source run (through the MLflow 3 logged model where needed) → the datasets
the run logged (context, digest) → the code (git commit, branch, repo URL, source) → the owner →
approvals (version tags) → ``gaps``, one sentence per fact that is missing or cannot be proven.
Every fact carries the record it came from (``evidence``); nothing is guessed.
:func:`auditkit.provenance.batch.lineage_frame` does the same for every decision at once.

Approval tags: by default a version's ``approved_by`` (who) and ``approved_at`` (when) tags;
pass ``approval_keys=("signed_off_by", "signed_off_at")`` or a list of such pairs for others.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, NamedTuple, Sequence

from ..accountability import DEFAULT_APPROVAL_KEYS
from ..connectors import Connector
from ..errors import UnknownPredictionError
from ..ledger import alias_history, resolve_alias_at
from ..logs import PredictionLog, parse_timestamp, reasons_of
from ..logs.messages import PREDICTIONS_UNKNOWN_ID
from ..records import ModelVersion, iso
from .acceptance import load_accepted
from .facts import approval_pairs, approvals_of, owner_of, run_facts, timing_gaps, version_doc
from .gaps import GAP_NO_REASONS
from .references import ModelRef, model_ref_columns, model_ref_of
from .resolution import Resolution, Resolver

SCHEMA_VERSION = "1"


def reason_gaps(log: PredictionLog) -> tuple[str, ...]:
    """The gap of a log with no reason columns at all (empty when it has some)."""
    return () if (log.reason_columns() or "reasons" in log.roles) else (GAP_NO_REASONS,)


def known_aliases(ledger: str | os.PathLike, name: str) -> set[str]:
    """Every alias of model ``name`` the ledger ever recorded."""
    return {c.subject.split(" ", 1)[1] for c in alias_history(ledger, name=name, kinds=("alias",))}


def lineage(store: Connector, log: PredictionLog, prediction_id: Any, *,
            ledger: str | os.PathLike | None = None,
            approval_keys: Any = DEFAULT_APPROVAL_KEYS, accept: Any = None) -> dict[str, Any]:
    """The lineage JSON (CONTRACT.md, schema_version "1") of one decision.

    Reads one row of the log (see :meth:`PredictionLog.find`) and only the store records it
    leads to. ``ledger`` (a registry ledger file from ``auditkit snapshot``) resolves
    ``models:/NAME@ALIAS`` at the decision's time; without one an alias is resolved at today's
    state and ``gaps`` says so. ``approval_keys``: ``(by_tag, at_tag)`` or a list of such pairs.
    ``accept`` (an accept file or :class:`~auditkit.provenance.AcceptedGaps`) moves known gaps
    from ``gaps`` to ``accepted_gaps`` (each with who accepted it, when and why).

    Raises :class:`~auditkit.errors.PredictionLogError` (a required column is missing, the id is
    not in the log or occurs twice, its timestamp does not parse, its model reference is malformed
    or names a model, version, logged model or run the store does not hold),
    :class:`~auditkit.errors.LedgerError` (ledger unreadable or tampered) and
    :class:`~auditkit.errors.UsageError` (bad ``approval_keys``).
    """
    pairs = approval_pairs(approval_keys)
    row, where, at, ref, res = locate_decision(store, log, prediction_id, ledger=ledger)
    doc = build_document(log, row, where, at, res, pairs)
    if ledger is not None and doc["model_version"] is not None:
        held, unresolved = aliases_at(ledger, res.version, at)
        doc["model_version"]["aliases_at_decision"] = held
        doc["gaps"] = list(dict.fromkeys(doc["gaps"] + unresolved))
    accepted = load_accepted(accept)
    if accepted is not None:
        mv = doc["model_version"] or {}
        doc["gaps"], doc["accepted_gaps"] = accepted.split(
            doc["gaps"], model=mv.get("name") or (ref.name if ref is not None else None), version=mv.get("version"))
    return doc


class LocatedDecision(NamedTuple):
    """One decision found in its log and resolved: its row, where it is (``"line 12"``), its time,
    its model reference (``None`` when the row names none) and what that resolves to."""

    row: dict[str, Any]
    where: str
    at: datetime
    ref: ModelRef | None
    resolution: Resolution


def locate_decision(store: Connector, log: PredictionLog, prediction_id: Any, *,
                    ledger: str | os.PathLike | None = None) -> LocatedDecision:
    """Find decision ``prediction_id`` in ``log`` and resolve its model reference against
    ``store`` (through ``ledger`` for aliases and stages) — the first step of lineage and of
    re-performing a decision.

    Raises :class:`~auditkit.errors.UnknownPredictionError` for an id the log does not hold, and
    what :meth:`~auditkit.logs.PredictionLog.locate`, :func:`~auditkit.logs.parse_timestamp` and
    :meth:`Resolver.resolve` raise."""
    log.require("prediction_id", "timestamp", "decision")
    ref_columns = model_ref_columns(log)
    found = log.locate(prediction_id)
    if found is None:
        raise UnknownPredictionError(PREDICTIONS_UNKNOWN_ID.format(
            id=str(prediction_id), source=log.source, column=log.roles["prediction_id"]),
            kind="prediction", name=str(prediction_id))
    row, where = found
    at = parse_timestamp(row.get(log.roles["timestamp"]), log=log, where=where)
    ref = model_ref_of(log, row, prediction_id)
    res = Resolution.no_model(ref_columns) if ref is None else Resolver(store, ledger=ledger).resolve(
        ref, prediction_id, at)
    return LocatedDecision(row, where, at, ref, res)


def aliases_at(ledger: str | os.PathLike, version: ModelVersion,
               at: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """The aliases the ledger proves pointed to ``version`` at time ``at`` (``[{"alias",
    "evidence"}]``), and the ledger's gap sentences for aliases that may have pointed to it but
    cannot be resolved there (never guessed either way)."""
    held, gaps = [], []
    for alias in sorted(known_aliases(ledger, version.name) | set(version.aliases)):
        res = resolve_alias_at(ledger, name=version.name, alias=alias, at=at)
        if res.version == version.version:
            held.append({"alias": alias, "evidence": f"ledger {ledger}: {res.evidence}"})
        elif res.version is None and version.version in res.candidates:
            gaps.extend(res.gaps)
    return held, gaps


def build_document(log: PredictionLog, row: dict[str, Any], where: str, at: datetime, res: Resolution,
                   pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Assemble the lineage JSON of one decision from its row and its resolution."""
    roles = log.roles
    reason_cols = set(log.reason_columns()) | ({roles["reasons"]} if "reasons" in roles else set())
    inputs = {c: row.get(c) for c in log.attribute_columns() if c not in reason_cols}
    pid = row.get(roles["prediction_id"])
    gaps = list(res.gaps)
    run_doc, code, datasets, run_gaps = run_facts(res)
    owner, owner_gaps = owner_of(res)
    approvals, approval_gaps = approvals_of(res, pairs)
    reasons = reasons_of(log, row, pid)
    gaps += run_gaps + owner_gaps + approval_gaps + timing_gaps(res, approvals, at) + list(reason_gaps(log))
    ref = res.ref
    return {
        "schema_version": SCHEMA_VERSION,
        "prediction": {
            "id": None if pid is None else str(pid), "timestamp": iso(at),
            "decision": row.get(roles["decision"]), "score": row.get(roles["score"]) if "score" in roles else None,
            "label": row.get(roles["label"]) if "label" in roles else None, "inputs": inputs,
            "source": log.source, "evidence": f"prediction log {log.source} {where}",
        },
        "model_reference": {"kind": ref.kind if ref.kind != "none" else None, "logged": ref.text or None,
                            "evidence": ref.evidence or None},
        "model_version": version_doc(res),
        "run": run_doc,
        "code": code,
        "datasets": datasets,
        "owner": owner,
        "reasons": reasons,
        "approvals": approvals,
        "gaps": list(dict.fromkeys(gaps)),
    }

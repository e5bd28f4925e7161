"""Lineage of automated decisions: which model version decided, and everything behind it.

``lineage(store, log, prediction_id)`` answers "why was this decision made, by what?" as the
contract's lineage JSON (schema_version "1"): the decision as logged → the model version (from
``model_name`` + ``model_version`` or ``model_uri``; an alias through the registry ledger at the
decision's time) → its source run (through the MLflow 3 logged model where needed) → the datasets
the run logged (context, digest) → the code (git commit, branch, repo URL, source) → the owner →
approvals (version tags) → ``gaps``, one sentence per fact that is missing or cannot be proven.
Every fact carries the record it came from (``evidence``); nothing is guessed.
:func:`auditkit.lineage_batch.lineage_frame` does the same for every decision at once.

Approval tags: by default a version's ``approved_by`` (who) and ``approved_at`` (when) tags;
pass ``approval_keys=("signed_off_by", "signed_off_at")`` or a list of such pairs for others.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from . import errors
from .errors import PredictionLogError
from .predictions import PredictionLog, parse_timestamps, reasons_of
from .records import LoggedModel, ModelVersion, Run, iso
from .lineage_facts import (  # noqa: F401  (re-exported: the gap sentences are public here too)
    CODE_TAGS,
    GAP_ALIAS_GONE,
    GAP_ALIAS_TODAY,
    GAP_ALIAS_VERSION_GONE,
    GAP_APPROVED_AFTER,
    GAP_BEFORE_VERSION,
    GAP_CANNOT_CARRY,
    GAP_LOGGED_MANY,
    GAP_LOGGED_UNREGISTERED,
    GAP_NO_APPROVAL,
    GAP_NO_APPROVAL_TIME,
    GAP_NO_APPROVAL_VERSION,
    GAP_NO_CODE,
    GAP_NO_DATASETS,
    GAP_NO_DIGEST,
    GAP_NO_MODEL,
    GAP_NO_OWNER,
    GAP_NO_REASONS,
    GAP_NO_RUN,
    GAP_NO_RUN_RESOLVED,
    GAP_NO_TRAINING,
    GAP_OWNER_FROM_RUN,
    GAP_OWNER_FROM_RUN_NO_VERSION,
    GAP_OWNER_FROM_TAG,
    GAP_OWNER_TAG_DIFFERS,
    GAP_RUN_CONFLICT,
    GAP_RUN_MISSING,
    GAP_RUN_REF,
    GAP_STAGE_NONE,
    GAP_STAGE_TODAY,
    GAP_STAGE_VERSION_GONE,
    GAP_VERSION_DELETED,
    approval_time,
    approvals_of,
    cannot_carry_gaps,
    first_approval,
    owner_of,
    run_facts,
    timing_gaps,
    version_doc,
)

if TYPE_CHECKING:
    import os

    from .connectors.base import Connector

SCHEMA_VERSION = "1"
#: (who, when) tag pairs read from a model version as approvals, by default.
DEFAULT_APPROVAL_KEYS: tuple[tuple[str, str], ...] = (("approved_by", "approved_at"),)
#: Stage names MLflow accepts in ``models:/NAME/STAGE`` (plus ``latest``).
STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived",
          "latest": "latest"}

_URI = re.compile(r"^models:/(?P<body>[^/@]+)(?:(?P<sep>[/@])(?P<rest>[^/]+))?/?$")
_RUN_URI = re.compile(r"^runs:/(?P<run>[^/]+)(?:/(?P<path>.*))?$")


@dataclass(frozen=True)
class ModelRef:
    """A decision's model reference, parsed. ``kind``: version, alias, stage, logged_model, run."""

    kind: str
    text: str
    evidence: str
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    stage: str | None = None
    model_id: str | None = None
    run_id: str | None = None


def normalize_version(value: Any) -> str | None:
    """A logged version as the registry spells it (``3``, ``3.0`` and ``"3"`` → ``"3"``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if re.fullmatch(r"[0-9]+\.0+", text):
        text = text.split(".")[0]
    return text or None


def parse_model_uri(text: str, prediction_id: Any, evidence: str) -> ModelRef:
    """Parse ``models:/NAME/VERSION``, ``models:/NAME@ALIAS``, ``models:/NAME/STAGE``,
    ``models:/m-ID`` or ``runs:/RUN_ID/PATH``. Raises :class:`PredictionLogError` otherwise."""
    text = text.strip()
    m = _RUN_URI.match(text)
    if m and m.group("run"):
        return ModelRef("run", text, evidence, run_id=m.group("run"))
    m = _URI.match(text)
    if m:
        body, sep, rest = m.group("body"), m.group("sep"), m.group("rest")
        if sep is None and body.startswith("m-"):
            return ModelRef("logged_model", text, evidence, model_id=body)
        if sep == "@" and rest:
            return ModelRef("alias", text, evidence, name=body, alias=rest)
        if sep == "/" and rest and rest.isdigit():
            return ModelRef("version", text, evidence, name=body, version=str(int(rest)))
        if sep == "/" and rest and rest.lower() in STAGES:
            return ModelRef("stage", text, evidence, name=body, stage=STAGES[rest.lower()])
    raise PredictionLogError(errors.LINEAGE_BAD_MODEL_URI.format(ref=text, id=str(prediction_id)))


def model_ref_columns(log: PredictionLog) -> list[str]:
    """The log's model reference columns; raises :class:`PredictionLogError` if it has none."""
    cols = [log.roles[r] for r in ("model_name", "model_version") if r in log.roles]
    if len(cols) == 2:
        return cols + ([log.roles["model_uri"]] if "model_uri" in log.roles else [])
    if "model_uri" in log.roles:
        return [log.roles["model_uri"]]
    raise PredictionLogError(errors.PREDICTIONS_NO_MODEL_COLUMNS.format(
        source=log.source, choices=errors.choices(log.column_names(), limit=30)))


def model_ref_of(log: PredictionLog, row: dict[str, Any], prediction_id: Any) -> ModelRef | None:
    """The model reference of one row (``None`` when its reference cells are empty)."""
    model_ref_columns(log)
    name_col, ver_col = log.roles.get("model_name"), log.roles.get("model_version")
    if name_col and ver_col:
        name, version = row.get(name_col), normalize_version(row.get(ver_col))
        if name is not None and not (isinstance(name, float) and math.isnan(name)) and version is not None:
            return ModelRef("version", f"{name}/{version}",
                            f"prediction log columns {name_col}, {ver_col}", name=str(name), version=version)
    uri_col = log.roles.get("model_uri")
    if uri_col:
        uri = row.get(uri_col)
        if uri is not None and not (isinstance(uri, float) and math.isnan(uri)) and str(uri).strip():
            return parse_model_uri(str(uri), prediction_id, f"prediction log column {uri_col}")
    return None


def approval_pairs(approval_keys: Any) -> tuple[tuple[str, str], ...]:
    """``("by", "at")`` or a list of such pairs, checked. Raises :class:`~auditkit.errors.UsageError`."""
    keys = approval_keys
    if isinstance(keys, (tuple, list)) and len(keys) == 2 and all(isinstance(k, str) for k in keys):
        return ((keys[0], keys[1]),)
    try:
        pairs = tuple((str(a), str(b)) for a, b in keys)
    except (TypeError, ValueError):
        raise errors.UsageError(errors.LINEAGE_BAD_APPROVAL_KEYS.format(value=approval_keys)) from None
    if not pairs or not all(isinstance(a, str) and isinstance(b, str) for a, b in keys):
        raise errors.UsageError(errors.LINEAGE_BAD_APPROVAL_KEYS.format(value=approval_keys))
    return pairs


def reason_gaps(log: PredictionLog) -> tuple[str, ...]:
    """The gap of a log with no reason columns at all (empty when it has some)."""
    return () if (log.reason_columns() or "reasons" in log.roles) else (GAP_NO_REASONS,)


def known_aliases(ledger: "str | os.PathLike", name: str) -> set[str]:
    """Every alias of model ``name`` the ledger ever recorded."""
    from .ledger import alias_history

    return {c.subject.split(" ", 1)[1] for c in alias_history(ledger, name=name, kinds=("alias",))}


@dataclass
class Resolution:
    """What one model reference resolves to: version, logged model, run, how, and gaps."""

    ref: ModelRef
    version: ModelVersion | None = None
    logged_model: LoggedModel | None = None
    run: Run | None = None
    run_evidence: str | None = None
    version_evidence: str | None = None
    registered_owner_tag: str | None = None
    gaps: list[str] = field(default_factory=list)

    @classmethod
    def no_model(cls, ref_columns: Sequence[str]) -> "Resolution":
        """The resolution of a decision whose model reference cells are all empty."""
        return cls(ModelRef("none", "", ""), gaps=[GAP_NO_MODEL.format(columns=", ".join(ref_columns))])


class Resolver:
    """Resolves model references against one store, reading each record once (cached)."""

    def __init__(self, store: "Connector", *, ledger: "str | os.PathLike | None" = None) -> None:
        self.store = store
        self.ledger = ledger
        self._versions: dict[str, dict[str, ModelVersion]] = {}
        self._registered: dict[str, Any] | None = None
        self._logged: dict[str, LoggedModel] | None = None
        self._runs: dict[str, Run | None] = {}

    # -- records ----------------------------------------------------------------------------
    def versions_of(self, name: str, ref: ModelRef, pid: Any) -> dict[str, ModelVersion]:
        if name not in self._versions:
            try:
                found = self.store.model_versions(name)
            except errors.RecordNotFoundError as exc:
                raise PredictionLogError(errors.LINEAGE_UNKNOWN_MODEL_REF.format(
                    id=str(pid), ref=ref.text, why=str(exc))) from None
            self._versions[name] = {v.version: v for v in found}
        return self._versions[name]

    def registered(self) -> dict[str, Any]:
        if self._registered is None:
            self._registered = {m.name: m for m in self.store.registered_models()}
        return self._registered

    def logged(self) -> dict[str, LoggedModel]:
        if self._logged is None:
            self._logged = {m.model_id: m for m in self.store.logged_models()}
        return self._logged

    def run(self, run_id: str) -> Run | None:
        if run_id not in self._runs:
            try:
                self._runs[run_id] = self.store.get_run(run_id)
            except errors.RecordNotFoundError:
                self._runs[run_id] = None
        return self._runs[run_id]

    def all_versions(self) -> list[ModelVersion]:
        out = []
        for name in self.registered():
            out.extend(self.versions_of(name, ModelRef("version", name, ""), "").values())
        return out

    # -- resolution -------------------------------------------------------------------------
    def ledger_at(self, ref: ModelRef, at: datetime | None):
        """The ledger's :class:`~auditkit.ledger_history.AliasResolution` for an alias or stage
        reference at time ``at`` (a ledger was given)."""
        from .ledger import resolve_alias_at, resolve_stage_at

        if ref.kind == "stage":
            return resolve_stage_at(self.ledger, name=ref.name, stage=ref.stage, at=at)
        return resolve_alias_at(self.ledger, name=ref.name, alias=ref.alias, at=at)

    def resolve(self, ref: ModelRef, pid: Any, at: datetime | None, alias_resolution: Any = None) -> Resolution:
        """Resolve ``ref`` for a decision at ``at``. Raises :class:`PredictionLogError` for a
        reference the store does not hold (unknown model, version, logged model or run)."""
        res = Resolution(ref)
        if ref.kind == "version":
            versions = self.versions_of(ref.name, ref, pid)
            if ref.version not in versions:
                raise PredictionLogError(errors.LINEAGE_UNKNOWN_MODEL_REF.format(
                    id=str(pid), ref=ref.text, why=errors.UNKNOWN_VERSION.format(
                        name=ref.name, version=ref.version, choices=errors.choices(list(versions)))))
            res.version = versions[ref.version]
            res.version_evidence = ref.evidence
        elif ref.kind in ("alias", "stage") and self.ledger is not None:
            versions = self.versions_of(ref.name, ref, pid)
            lr = alias_resolution or self.ledger_at(ref, at)
            res.gaps.extend(lr.gaps)
            if lr.version is not None:
                res.version = versions.get(lr.version)
                res.version_evidence = f"{ref.evidence} ({ref.text}); ledger {self.ledger}: {lr.evidence}"
                if res.version is None:
                    gone = GAP_ALIAS_VERSION_GONE if ref.kind == "alias" else GAP_STAGE_VERSION_GONE
                    res.gaps.append(gone.format(alias=ref.alias, name=ref.name, ref=ref.text, version=lr.version))
        elif ref.kind == "alias":
            versions = self.versions_of(ref.name, ref, pid)
            today = self.registered()[ref.name].aliases.get(ref.alias)
            if today is None:
                res.gaps.append(GAP_ALIAS_GONE.format(name=ref.name, alias=ref.alias, ref=ref.text))
            else:
                res.version = versions.get(today)
                res.version_evidence = (f"{ref.evidence} ({ref.text}); registered model {ref.name} "
                                        f"alias {ref.alias} today")
                res.gaps.append(GAP_ALIAS_TODAY.format(name=ref.name, alias=ref.alias, version=today))
        elif ref.kind == "stage":
            versions = self.versions_of(ref.name, ref, pid)
            live = [v for v in versions.values() if not v.deleted and (ref.stage == "latest" or v.stage == ref.stage)]
            if not live:
                res.gaps.append(GAP_STAGE_NONE.format(name=ref.name, stage=ref.stage, ref=ref.text))
            else:
                res.version = max(live, key=lambda v: int(v.version) if v.version.isdigit() else -1)
                res.version_evidence = f"{ref.evidence} ({ref.text}); registry state today"
                res.gaps.append(GAP_STAGE_TODAY.format(ref=ref.text, version=res.version.version))
        elif ref.kind == "logged_model":
            lm = self.logged().get(ref.model_id)
            if lm is None:
                raise PredictionLogError(errors.LINEAGE_UNKNOWN_MODEL_REF.format(
                    id=str(pid), ref=ref.text, why=f"logged model {ref.model_id!r} is not in the store"))
            res.logged_model = lm
            registered = [v for v in self.all_versions() if v.model_id == ref.model_id]
            if len(registered) == 1:
                res.version = registered[0]
                res.version_evidence = (f"{ref.evidence} ({ref.text}); the only model version registered "
                                        f"from logged model {ref.model_id}")
            elif not registered:
                res.gaps.append(GAP_LOGGED_UNREGISTERED.format(model_id=ref.model_id))
            else:
                res.gaps.append(GAP_LOGGED_MANY.format(
                    model_id=ref.model_id, versions=", ".join(f"{v.name}/{v.version}" for v in registered)))
        elif ref.kind == "run":
            run = self.run(ref.run_id)
            if run is None:
                raise PredictionLogError(errors.LINEAGE_UNKNOWN_MODEL_REF.format(
                    id=str(pid), ref=ref.text, why=errors.UNKNOWN_RUN.format(run_id=ref.run_id)))
            res.run, res.run_evidence = run, f"{ref.evidence} ({ref.text})"
            from_run = [f"{v.name}/{v.version}" for v in self.all_versions() if v.run_id == ref.run_id]
            res.gaps.append(GAP_RUN_REF.format(run_id=ref.run_id, ref=ref.text,
                                               versions=", ".join(from_run) or "none"))
        self._follow_version(res)
        if res.version is not None:
            rm = self.registered().get(res.version.name)
            res.registered_owner_tag = rm.tags.get("owner") if rm is not None else None
        res.gaps.extend(cannot_carry_gaps(self.store))
        return res

    def _follow_version(self, res: Resolution) -> None:
        """Version → run (directly, or through its logged model)."""
        mv = res.version
        if mv is None:
            if res.run is None and res.logged_model is not None and res.logged_model.source_run_id:
                lm = res.logged_model
                res.run = self.run(lm.source_run_id)
                res.run_evidence = f"logged model {lm.model_id} (source_run_id)"
                if res.run is None:
                    res.gaps.append(GAP_RUN_MISSING.format(run_id=lm.source_run_id, by=f"logged model {lm.model_id}"))
            return
        ref = f"{mv.name}/{mv.version}"
        if mv.deleted:
            res.gaps.append(GAP_VERSION_DELETED.format(ref=ref))
        lm = res.logged_model
        if lm is None and mv.model_id:
            lm = res.logged_model = self.logged().get(mv.model_id)
        if mv.run_id:
            res.run, res.run_evidence = self.run(mv.run_id), f"model version {ref} (run_id)"
            if res.run is None:
                res.gaps.append(GAP_RUN_MISSING.format(run_id=mv.run_id, by=f"model version {ref}"))
            if lm is not None and lm.source_run_id and lm.source_run_id != mv.run_id:
                res.gaps.append(GAP_RUN_CONFLICT.format(ref=ref, run_id=mv.run_id, model_id=lm.model_id,
                                                        other=lm.source_run_id))
        elif lm is not None and lm.source_run_id:
            res.run = self.run(lm.source_run_id)
            res.run_evidence = f"logged model {lm.model_id} (source_run_id), the source of model version {ref}"
            if res.run is None:
                res.gaps.append(GAP_RUN_MISSING.format(run_id=lm.source_run_id, by=f"logged model {lm.model_id}"))
        elif not mv.deleted:
            res.gaps.append(GAP_NO_RUN.format(ref=ref))


# -- one decision -------------------------------------------------------------------------------
def lineage(store: "Connector", log: PredictionLog, prediction_id: Any, *,
            ledger: "str | os.PathLike | None" = None,
            approval_keys: Any = DEFAULT_APPROVAL_KEYS) -> dict[str, Any]:
    """The lineage JSON (CONTRACT.md, schema_version "1") of one decision.

    Reads one row of the log (see :meth:`PredictionLog.find`) and only the store records it
    leads to. ``ledger`` (a registry ledger file from ``auditkit snapshot``) resolves
    ``models:/NAME@ALIAS`` at the decision's time; without one an alias is resolved at today's
    state and ``gaps`` says so. ``approval_keys``: ``(by_tag, at_tag)`` or a list of such pairs.

    Raises :class:`~auditkit.errors.PredictionLogError` (a required column is missing, the id is
    not in the log or occurs twice, its timestamp does not parse, its model reference is malformed
    or names a model, version, logged model or run the store does not hold),
    :class:`~auditkit.errors.LedgerError` (ledger unreadable or tampered) and
    :class:`~auditkit.errors.UsageError` (bad ``approval_keys``).
    """
    import pandas as pd

    pairs = approval_pairs(approval_keys)
    log.require("prediction_id", "timestamp", "decision")
    ref_columns = model_ref_columns(log)
    found = log.locate(prediction_id)
    if found is None:
        raise PredictionLogError(errors.PREDICTIONS_UNKNOWN_ID.format(
            id=str(prediction_id), source=log.source, column=log.roles["prediction_id"]))
    row, where = found
    tscol = log.roles["timestamp"]
    try:
        at = parse_timestamps(pd.Series([row.get(tscol)], name=tscol, dtype=object)).iloc[0]
    except PredictionLogError:
        raise PredictionLogError(errors.PREDICTIONS_BAD_TIMESTAMPS.format(
            source=log.source, count=1, column=tscol, where=f"{where} (e.g. {row.get(tscol)!r})")) from None
    ref = model_ref_of(log, row, prediction_id)
    if ref is None:
        res = Resolution.no_model(ref_columns)
    else:
        res = Resolver(store, ledger=ledger).resolve(ref, prediction_id, at.to_pydatetime())
    doc = build_document(log, row, where, at, res, pairs)
    if ledger is not None and doc["model_version"] is not None:
        held, unresolved = aliases_at(ledger, res.version, at.to_pydatetime())
        doc["model_version"]["aliases_at_decision"] = held
        doc["gaps"] = list(dict.fromkeys(doc["gaps"] + unresolved))
    return doc


def aliases_at(ledger: "str | os.PathLike", version: ModelVersion,
               at: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """The aliases the ledger proves pointed to ``version`` at time ``at`` (``[{"alias",
    "evidence"}]``), and the ledger's gap sentences for aliases that may have pointed to it but
    cannot be resolved there (never guessed either way)."""
    from .ledger import resolve_alias_at

    held, gaps = [], []
    for alias in sorted(known_aliases(ledger, version.name) | set(version.aliases)):
        res = resolve_alias_at(ledger, name=version.name, alias=alias, at=at)
        if res.version == version.version:
            held.append({"alias": alias, "evidence": f"ledger {ledger}: {res.evidence}"})
        elif res.version is None and version.version in res.candidates:
            gaps.extend(res.gaps)
    return held, gaps


def build_document(log: PredictionLog, row: dict[str, Any], where: str, at: Any, res: Resolution,
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
            "id": None if pid is None else str(pid), "timestamp": iso(at.to_pydatetime()),
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


def lineage_frame(store: "Connector", log: PredictionLog, *, ledger: "str | os.PathLike | None" = None,
                  approval_keys: Any = DEFAULT_APPROVAL_KEYS) -> "Any":
    """Every decision's key lineage facts, one row each (see :mod:`auditkit.lineage_batch`)."""
    from .lineage_batch import lineage_frame as _frame

    return _frame(store, log, ledger=ledger, approval_keys=approval_keys)


__all__ = ["DEFAULT_APPROVAL_KEYS", "ModelRef", "Resolution", "Resolver", "lineage", "lineage_frame",
           "parse_model_uri"]

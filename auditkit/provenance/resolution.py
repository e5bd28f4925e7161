"""Resolving a model reference to the registry's records: version, logged model, run.

An alias or stage reference is resolved through the registry ledger at the decision's time when
a ledger is given; without one it resolves to no version, and a gap names today's target.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from .. import errors
from ..connectors import Connector
from ..connectors.messages import UNKNOWN_RUN, UNKNOWN_VERSION
from ..errors import PredictionLogError
from ..ledger import resolve_alias_at, resolve_stage_at
from ..records import LoggedModel, ModelVersion, RegisteredModel, Run
from .gaps import (
    GAP_ALIAS_GONE,
    GAP_ALIAS_TODAY,
    GAP_ALIAS_VERSION_GONE,
    GAP_CANNOT_CARRY,
    GAP_LOGGED_MANY,
    GAP_LOGGED_UNREGISTERED,
    GAP_NO_MODEL,
    GAP_NO_RUN,
    GAP_RUN_CONFLICT,
    GAP_RUN_MISSING,
    GAP_RUN_REF,
    GAP_STAGE_NONE,
    GAP_STAGE_TODAY,
    GAP_STAGE_VERSION_GONE,
    GAP_VERSION_DELETED,
)
from .messages import LINEAGE_UNKNOWN_MODEL_REF
from .references import ModelRef


@dataclass
class Resolution:
    """What one model reference resolves to: version, logged model, run, how, and gaps."""

    ref: ModelRef
    version: ModelVersion | None = None
    logged_model: LoggedModel | None = None
    run: Run | None = None
    run_evidence: str | None = None
    version_evidence: str | None = None
    registered: RegisteredModel | None = None
    gaps: list[str] = field(default_factory=list)

    @classmethod
    def no_model(cls, ref_columns: Sequence[str]) -> "Resolution":
        """The resolution of a decision whose model reference cells are all empty."""
        return cls(ModelRef("none", "", ""), gaps=[GAP_NO_MODEL.format(columns=", ".join(ref_columns))])


def cannot_carry_gaps(store: Connector, run: Run | None) -> list[str]:
    """One gap per fact the store's backend cannot carry about ``run`` and its model version
    (:meth:`auditkit.connectors.Connector.unrecorded`)."""
    return [GAP_CANNOT_CARRY.format(backend=store.backend, fact=fact) for fact in store.unrecorded(run)]


class Resolver:
    """Resolves model references against one store, reading each record once (cached)."""

    def __init__(self, store: Connector, *, ledger: str | os.PathLike | None = None) -> None:
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
                raise PredictionLogError(LINEAGE_UNKNOWN_MODEL_REF.format(
                    id=str(pid), ref=ref.text, why=str(exc))) from None
            self._versions[name] = {v.version: v for v in found}
        return self._versions[name]

    def registered(self) -> dict[str, RegisteredModel]:
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
        """The ledger's :class:`~auditkit.ledger.AliasResolution` for an alias or stage
        reference at time ``at`` (a ledger was given)."""
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
                raise PredictionLogError(LINEAGE_UNKNOWN_MODEL_REF.format(
                    id=str(pid), ref=ref.text, why=UNKNOWN_VERSION.format(
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
            self.versions_of(ref.name, ref, pid)
            today = self.registered()[ref.name].aliases.get(ref.alias)
            if today is None:
                res.gaps.append(GAP_ALIAS_GONE.format(name=ref.name, alias=ref.alias, ref=ref.text))
            else:  # today's target is named, never taken for the version that decided
                res.gaps.append(GAP_ALIAS_TODAY.format(name=ref.name, alias=ref.alias, version=today))
        elif ref.kind == "stage":
            versions = self.versions_of(ref.name, ref, pid)
            live = [v for v in versions.values() if not v.deleted and (ref.stage == "latest" or v.stage == ref.stage)]
            if not live:
                res.gaps.append(GAP_STAGE_NONE.format(name=ref.name, stage=ref.stage, ref=ref.text))
            else:
                today = max(live, key=lambda v: int(v.version) if v.version.isdigit() else -1)
                res.gaps.append(GAP_STAGE_TODAY.format(ref=ref.text, version=today.version))
        elif ref.kind == "logged_model":
            lm = self.logged().get(ref.model_id)
            if lm is None:
                raise PredictionLogError(LINEAGE_UNKNOWN_MODEL_REF.format(
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
                raise PredictionLogError(LINEAGE_UNKNOWN_MODEL_REF.format(
                    id=str(pid), ref=ref.text, why=UNKNOWN_RUN.format(run_id=ref.run_id)))
            res.run, res.run_evidence = run, f"{ref.evidence} ({ref.text})"
            from_run = [f"{v.name}/{v.version}" for v in self.all_versions() if v.run_id == ref.run_id]
            res.gaps.append(GAP_RUN_REF.format(run_id=ref.run_id, ref=ref.text,
                                               versions=", ".join(from_run) or "none"))
        self._follow_version(res)
        if res.version is not None:
            res.registered = self.registered().get(res.version.name)
        res.gaps.extend(cannot_carry_gaps(self.store, res.run))
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

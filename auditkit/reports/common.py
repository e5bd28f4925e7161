"""Shared pieces of the report builders: time of generation, cover, and record → context views."""

from __future__ import annotations

import dataclasses
import functools
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from .. import errors
from ..accountability import USER_TAG, approvals_of, model_owner_of
from ..accountability import owner_of as find_owner
from ..connectors import Connector, redact_uri
from ..records import ModelVersion, RegisteredModel, Run, iso, version_key
from ..times import parse_time
from ..version import __version__
from .context import Approval, CodeInfo, Cover, DatasetInfo, Owner, RunInfo, VersionInfo
from .messages import REPORT_BAD_SOURCE_DATE_EPOCH

# MLflow's system tags (mlflow.utils.mlflow_tags), read by name only.
TAG_COMMIT = "mlflow.source.git.commit"
TAG_BRANCH = "mlflow.source.git.branch"
TAG_REPO = "mlflow.source.git.repoURL"
TAG_SOURCE = "mlflow.source.name"
TAG_SOURCE_TYPE = "mlflow.source.type"



@contextmanager
def store_warnings() -> Iterator[list[str]]:
    """Collect the warnings a connector raises while a report reads the store (a W&B file cut
    short, an unreadable mlruns entry …) as gap sentences, and pass them on as warnings too."""
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", errors.AuditkitWarning)
        yield found
    for w in caught:
        if issubclass(w.category, errors.AuditkitWarning):
            found.append("The store reader warned: " + " ".join(str(w.message).split()))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def with_store_warnings(builder: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a report builder: the store's warnings during the build join the report's gaps."""

    @functools.wraps(builder)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with store_warnings() as found:
            ctx = builder(*args, **kwargs)
        if found:
            ctx = dataclasses.replace(ctx, gaps=tuple(dict.fromkeys((*ctx.gaps, *found))))
        return ctx

    return wrapped


def parse_as_of(value: str) -> datetime:
    """Parse ``--as-of`` by :mod:`auditkit.times`' grammar. Raises :class:`~auditkit.errors.UsageError`."""
    return parse_time(value, what="--as-of")


def generated_at(as_of: datetime | str | None = None) -> datetime:
    """When a report counts as generated: ``as_of``, else ``$SOURCE_DATE_EPOCH``, else now.

    Always UTC with whole seconds, so the same inputs give the same report.
    Raises :class:`~auditkit.errors.UsageError` for a malformed ``as_of`` or SOURCE_DATE_EPOCH.
    """
    if isinstance(as_of, str):
        as_of = parse_as_of(as_of)
    if as_of is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            try:
                as_of = datetime.fromtimestamp(int(epoch), tz=timezone.utc)
            except (ValueError, OverflowError, OSError):
                raise errors.UsageError(REPORT_BAD_SOURCE_DATE_EPOCH.format(value=epoch)) from None
        else:
            as_of = datetime.now(timezone.utc)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    return as_of.astimezone(timezone.utc).replace(microsecond=0)


def iso_seconds(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_cover(store: Connector, *, kind: str, title: str, subject: str, when: datetime) -> Cover:
    """The cover block: what, when, which store (password hidden), which auditkit."""
    return Cover(
        kind=kind,
        title=title,
        subject=subject,
        generated_at=iso_seconds(when),
        store=redact_uri(str(store.uri)),
        backend=store.backend or type(store).__name__,
        auditkit_version=__version__,
    )


def approval_of(mv: ModelVersion) -> Approval:
    """Approval status from the version tags ``approved_by`` / ``approved_at``
    (:func:`auditkit.accountability.approvals_of`)."""
    found = approvals_of(mv)[0]
    where = f"tags of model version {mv.name} v{mv.version}"
    if found.status == "approved":
        return Approval(status="approved", by=found.by, at=found.at,
                        evidence=f"{found.by_tag}, {found.at_tag} in {where}")
    if found.status == "incomplete":
        present, missing = (found.by_tag, found.at_tag) if found.by else (found.at_tag, found.by_tag)
        return Approval(status="incomplete", by=found.by, at=found.at,
                        evidence=f"{present} in {where}; {missing} missing")
    return Approval(status="not approved", by=None, at=None,
                    evidence=f"no {found.by_tag}/{found.at_tag} tag in {where}")


#: How the reports word each owner source (:func:`auditkit.accountability.owner_of`).
_OWNER_EVIDENCE = {
    "version_creator": "creator of model version {name} v{version}",
    "run_user": "user of training run {run_id}",
    "run_user_tag": "tag mlflow.user of training run {run_id}",
    "version_owner_tag": "tag 'owner' of model version {name} v{version}",
    "model_owner_tag": "tag 'owner' of registered model {model}",
}


def owner_of(rm: RegisteredModel | None, mv: ModelVersion | None, run: Run | None, *,
             whole_model: bool = False) -> Owner:
    """Owner, by :func:`auditkit.accountability.owner_of` (the rule lineage and the policy use),
    worded for a report; ``whole_model``: the registered model's owner
    (:func:`auditkit.accountability.model_owner_of`, ``mv`` its newest version)."""
    if whole_model and rm is not None:
        found = model_owner_of(registered=rm, newest=mv, run=run)
    else:
        found = find_owner(version=mv, run=run, registered=rm)
    if found.source is None:
        return Owner(user=None, evidence="no record names an owner")
    evidence = _OWNER_EVIDENCE[found.source].format(
        name=mv.name if mv else None, version=mv.version if mv else None,
        run_id=run.run_id if run else None, model=rm.name if rm else None)
    return Owner(user=found.user, evidence=evidence)


def version_info(mv: ModelVersion, *, run_id: str | None = None) -> VersionInfo:
    return VersionInfo(
        name=mv.name,
        version=mv.version,
        stage=mv.stage,
        aliases=tuple(mv.aliases),
        status=mv.status,
        run_id=mv.run_id or run_id,
        creator=mv.creator,
        created=iso(mv.creation_time),
        last_updated=iso(mv.last_updated_time),
        description=mv.description,
        source=mv.source,
        model_id=mv.model_id,
        deleted=mv.deleted,
        tags=dict(mv.tags),
        approval=approval_of(mv),
    )


def code_info(run: Run) -> CodeInfo:
    t = run.tags
    return CodeInfo(
        git_commit=t.get(TAG_COMMIT) or None,
        git_branch=t.get(TAG_BRANCH) or None,
        repo_url=t.get(TAG_REPO) or None,
        source=t.get(TAG_SOURCE) or None,
        source_type=t.get(TAG_SOURCE_TYPE) or None,
    )


def run_info(run: Run, *, registered_as: Iterable[str] = ()) -> RunInfo:
    duration = None
    if run.start_time is not None and run.end_time is not None:
        duration = round((run.end_time - run.start_time).total_seconds(), 3)
    return RunInfo(
        run_id=run.run_id,
        name=run.run_name,
        experiment=run.experiment,
        user=run.user or run.tags.get(USER_TAG) or None,
        status=run.status,
        start_time=iso(run.start_time),
        end_time=iso(run.end_time),
        duration_seconds=duration,
        deleted=run.deleted,
        code=code_info(run),
        params=dict(run.params),
        metrics=dict(run.metrics),
        datasets=tuple(
            DatasetInfo(name=d.name, digest=d.digest, source_type=d.source_type, source=d.source,
                        rows=d.rows, context=d.context)
            for d in run.datasets
        ),
        registered_as=tuple(registered_as),
    )


def version_run_ids(store: Connector, versions: Iterable[ModelVersion]) -> dict[tuple[str, str], str]:
    """(name, version) → source run id, through the version's own run id or its MLflow 3
    logged model's source run."""
    versions = list(versions)
    out: dict[tuple[str, str], str] = {}
    need_logged = False
    for mv in versions:
        if mv.run_id:
            out[(mv.name, mv.version)] = mv.run_id
        elif mv.model_id:
            need_logged = True
    if need_logged:
        by_id = {lm.model_id: lm for lm in store.logged_models()}
        for mv in versions:
            if (mv.name, mv.version) not in out and mv.model_id in by_id and by_id[mv.model_id].source_run_id:
                out[(mv.name, mv.version)] = by_id[mv.model_id].source_run_id  # type: ignore[assignment]
    return out


def latest(values: Iterable[str | None]) -> str | None:
    """The latest of some ISO 8601 UTC strings (they sort as text), ``None`` if none."""
    present = [v for v in values if v]
    return max(present) if present else None


def listing(items: list[str], limit: int = 5) -> str:
    """``a, b, c and 4 more`` for gap sentences."""
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown


def sort_versions(versions: Iterable[Any]) -> list[Any]:
    """Versions in numeric order (``"10"`` after ``"9"``)."""
    return sorted(versions, key=lambda v: (v.name, version_key(v.version)))

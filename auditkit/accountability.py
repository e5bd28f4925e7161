"""Who owns a model version, who created it and who approved it: decided once, here.

Lineage, the reports and the policy each word the evidence their own way, but they all ask
these functions, so they cannot disagree about the facts:

- :func:`owner_of`: the version's creator; else its source run's user; else the run's
  ``mlflow.user`` tag; else the version's ``owner`` tag; else the registered model's ``owner``
  tag. A run user or tag of ``unknown`` (what MLflow writes when it cannot tell) and blank text
  name nobody. An ``owner`` tag naming someone other than the owner found is reported as a
  conflict.
- :func:`model_owner_of`: a registered model's own ``owner`` tag, else its newest version's owner.
- :func:`creator_of`: the version's creator, else its source run's user (for the four-eyes
  check: an approver must not be the creator).
- :func:`approvals_of`: the (who, when) tag pairs of a version, by default ``approved_by`` and
  ``approved_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .records import ModelVersion, RegisteredModel, Run
from .times import try_parse_time

__all__ = [
    "DEFAULT_APPROVAL_KEYS",
    "Approval",
    "Creator",
    "Owner",
    "OwnerSource",
    "approval_time",
    "approvals_of",
    "creator_of",
    "model_owner_of",
    "owner_of",
]

#: (who, when) tag pairs read from a model version as approvals, by default.
DEFAULT_APPROVAL_KEYS: tuple[tuple[str, str], ...] = (("approved_by", "approved_at"),)
#: The run tag MLflow writes with the user who started a run.
USER_TAG = "mlflow.user"
#: The tag naming an owner, on a model version or a registered model.
OWNER_TAG = "owner"

OwnerSource = Literal["version_creator", "run_user", "run_user_tag", "version_owner_tag", "model_owner_tag"]


def _text(value: Any) -> str | None:
    """Stored text as a name: stripped, ``None`` when blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _user(value: Any) -> str | None:
    """A run's user as a name: ``unknown`` (MLflow's placeholder) names nobody."""
    text = _text(value)
    return None if text is None or text.casefold() == "unknown" else text


@dataclass(frozen=True)
class Owner:
    """The owner found, which record named them, and owner tags that name someone else.

    ``record`` names the record (``"model version credit-risk/3"``, ``"run 0a1b…"``,
    ``"registered model credit-risk"``); ``conflicts`` holds ``(source, record, name)`` of each
    ``owner`` tag that names another person."""

    user: str | None
    source: OwnerSource | None
    record: str | None
    conflicts: tuple[tuple[OwnerSource, str, str], ...] = ()

    @property
    def from_creator(self) -> bool:
        return self.source == "version_creator"


def _version_ref(mv: ModelVersion) -> str:
    return f"model version {mv.name}/{mv.version}"


def owner_of(*, version: ModelVersion | None, run: Run | None,
             registered: RegisteredModel | None) -> Owner:
    """The owner of a model version (or of a run when no version is known), by the order in this
    module's docstring."""
    candidates: list[tuple[OwnerSource, str, str | None]] = []
    if version is not None:
        candidates.append(("version_creator", _version_ref(version), _text(version.creator)))
    if run is not None:
        candidates.append(("run_user", f"run {run.run_id}", _user(run.user)))
        candidates.append(("run_user_tag", f"run {run.run_id}", _user(run.tags.get(USER_TAG))))
    tags: list[tuple[OwnerSource, str, str | None]] = []
    if version is not None:
        tags.append(("version_owner_tag", _version_ref(version), _text(version.tags.get(OWNER_TAG))))
    if registered is not None:
        tags.append(("model_owner_tag", f"registered model {registered.name}",
                     _text(registered.tags.get(OWNER_TAG))))
    for source, record, user in [*candidates, *tags]:
        if user is not None:
            conflicts = tuple((s, r, v) for s, r, v in tags
                              if v is not None and v != user and s != source)
            return Owner(user=user, source=source, record=record, conflicts=conflicts[:1])
    return Owner(user=None, source=None, record=None)


def model_owner_of(*, registered: RegisteredModel, newest: ModelVersion | None, run: Run | None) -> Owner:
    """The owner of a registered model as a whole: its own ``owner`` tag, else the owner of its
    newest live version (:func:`owner_of`)."""
    declared = _text(registered.tags.get(OWNER_TAG))
    if declared is not None:
        return Owner(user=declared, source="model_owner_tag", record=f"registered model {registered.name}")
    return owner_of(version=newest, run=run, registered=registered)


@dataclass(frozen=True)
class Creator:
    """Who created a model version: its ``creator``, else its source run's user."""

    user: str | None
    source: Literal["version_creator", "run_user"] | None
    record: str | None


def creator_of(*, version: ModelVersion, run: Run | None) -> Creator:
    """The creator of ``version`` for the four-eyes check (see :class:`Creator`)."""
    if _text(version.creator):
        return Creator(_text(version.creator), "version_creator", _version_ref(version))
    if run is not None:
        user = _user(run.user) or _user(run.tags.get(USER_TAG))
        if user is not None:
            return Creator(user, "run_user", f"run {run.run_id}")
    return Creator(None, None, None)


@dataclass(frozen=True)
class Approval:
    """One (who, when) tag pair of a version as recorded: ``by``/``at`` are the stripped tag
    values (``None`` when absent or blank)."""

    by_tag: str
    at_tag: str
    by: str | None
    at: str | None

    @property
    def status(self) -> Literal["approved", "incomplete", "not approved"]:
        if self.by and self.at:
            return "approved"
        return "incomplete" if (self.by or self.at) else "not approved"

    @property
    def time(self) -> datetime | None:
        """``at`` as an aware UTC time (a date alone is midnight UTC), ``None`` when absent or
        not a time."""
        return approval_time(self.at)


def approvals_of(version: ModelVersion,
                 pairs: Sequence[tuple[str, str]] = DEFAULT_APPROVAL_KEYS) -> list[Approval]:
    """One :class:`Approval` per (who, when) tag pair, in the order given."""
    return [Approval(by_tag=by_key, at_tag=at_key, by=_text(version.tags.get(by_key)),
                     at=_text(version.tags.get(at_key))) for by_key, at_key in pairs]


def approval_time(text: Any) -> datetime | None:
    """An approval time tag as an aware UTC datetime, or ``None`` when absent or unreadable."""
    return try_parse_time(text) if _text(text) else None

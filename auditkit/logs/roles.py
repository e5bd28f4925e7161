"""Column roles of a prediction log (CONTRACT.md "Prediction logs").

``prediction_id``, ``timestamp`` and ``decision`` are required; ``model_name`` + ``model_version``
or ``model_uri`` name the model; ``score`` and ``label`` are optional; ``reason_1`` …
``reason_N`` (or ``reasons``, a JSON list) hold the principal reasons as logged. A column named
like a role takes it unless the user maps that role elsewhere (``--column ROLE=NAME``); every
other column is an attribute (input feature) of the subject.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .. import errors
from ..errors import PredictionLogError
from .messages import (
    PREDICTIONS_BAD_COLUMN_OPTION,
    PREDICTIONS_MAPPED_MISSING,
    PREDICTIONS_SHADOWED_COLUMN,
    PREDICTIONS_UNKNOWN_ROLE,
)

#: Column roles, in the order the contract lists them; reason_1 … reason_N come on top.
ROLES = ("prediction_id", "timestamp", "model_name", "model_version", "model_uri", "decision",
         "score", "label", "reasons")
REQUIRED_ROLES = ("prediction_id", "timestamp", "decision")
REASON_ROLE = re.compile(r"^reason_([1-9][0-9]*)$")


def parse_column_options(values: Sequence[str]) -> dict[str, str]:
    """``["prediction_id=request_ref", …]`` (the CLI's ``--column ROLE=NAME``) as a mapping.

    Raises :class:`~auditkit.errors.PredictionLogError` for an item that is not ``ROLE=NAME``."""
    out: dict[str, str] = {}
    for value in values or ():
        role, eq, name = value.partition("=")
        if not eq or not role.strip() or not name.strip():
            raise PredictionLogError(PREDICTIONS_BAD_COLUMN_OPTION.format(value=value))
        out[role.strip()] = name.strip()
    return out


def check_role_names(mapping: Mapping[str, str]) -> None:
    """Raise :class:`~auditkit.errors.PredictionLogError` for a role name that is not known."""
    for role in mapping:
        if role not in ROLES and not REASON_ROLE.match(role):
            raise PredictionLogError(PREDICTIONS_UNKNOWN_ROLE.format(
                role=role, choices=errors.choices([*ROLES, "reason_N"], limit=20)))


def assign_roles(columns: Sequence[str], mapping: Mapping[str, str], *, source: str) -> dict[str, str]:
    """Role → actual column for the roles present in a log with ``columns``, after the user's
    renames in ``mapping``. Raises :class:`~auditkit.errors.PredictionLogError` for a renamed
    column the log does not have."""
    present = set(columns)
    for role, name in mapping.items():
        if name not in present:
            raise PredictionLogError(PREDICTIONS_MAPPED_MISSING.format(
                name=name, role=role, source=source, choices=errors.choices(list(columns), limit=30)))
    roles: dict[str, str] = {}
    taken = set(mapping.values())
    for role in ROLES:
        if role in mapping:
            roles[role] = mapping[role]
        elif role in present and role not in taken:
            roles[role] = role
    for role, name in mapping.items():
        if REASON_ROLE.match(role):
            roles[role] = name
    if not any(REASON_ROLE.match(r) for r in mapping):
        for col in columns:
            if REASON_ROLE.match(col) and col not in taken:
                roles[col] = col
    for role, other in (("model_version", "model_name"), ("model_name", "model_version")):
        if role in mapping and other not in roles and "model_uri" in roles:
            raise PredictionLogError(PREDICTIONS_SHADOWED_COLUMN.format(
                role=role, name=mapping[role], other=other, shadow=roles["model_uri"]))
    return roles


def reason_columns(roles: Mapping[str, str]) -> list[str]:
    """The actual ``reason_N`` columns in rank order (empty when there are none)."""
    ranked = sorted((int(m.group(1)), c) for r, c in roles.items() if (m := REASON_ROLE.match(r)))
    return [c for _, c in ranked]

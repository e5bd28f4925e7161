"""User-supplied fields: what a report must show but records cannot know.

Each report kind has a fixed list of labelled fields, each with the provision that asks for it
(docs/fields.md lists them; ``auditkit report KIND --list-fields`` prints them). A user fills them with a fields file (``--fields FILE``, YAML or JSON)::

    purpose: Scores consumer credit applications for unsecured loans up to EUR 20,000.
    prepared_by: Model Risk, J. Doe
    models:                       # inventory only: per registered model
      credit-risk:
        purpose: Consumer credit scoring
        validator: Model Validation team

A field left empty is shown as an empty labelled line, never invented. A key the report does not
have is an error listing the ones it has (a misspelt key would leave a blank line in a report
meant for filing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .. import errors, safeyaml
from .context import UserField
from .messages import REPORT_FIELDS_NOT_MAPPING, REPORT_FIELDS_UNKNOWN, REPORT_FIELDS_UNREADABLE

# (key, label, provision) per report kind.
FIELD_DEFINITIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "experiment": (
        ("prepared_by", "Prepared by", "AI Act Annex IV 2(g)"),
        ("metric_choice", "Metrics chosen and why", "AI Act Annex IV 4; SR 11-7 V"),
        ("trade_offs", "Trade-offs between candidates", "AI Act Annex IV 2(b)"),
        ("candidate_fairness", "Fairness of each candidate", "AI Act Annex IV 2(g)"),
        ("selection_rationale", "Why the registered candidate was chosen", "SR 11-7 V"),
    ),
    "diff": (
        ("prepared_by", "Prepared by", "SR 11-7 VI"),
        ("purpose", "Why the two were compared", "SR 11-7 V"),
    ),
    "impact": (
        ("incident", "Incident reference", "SR 11-7 V (issue tracking)"),
        ("prepared_by", "Prepared by", "SR 11-7 VI"),
        ("what_was_wrong", "What was wrong with the target", "AI Act Art. 20, 73"),
        ("action_taken", "Action taken (rollback, notification)", "AI Act Art. 20"),
    ),
    "inventory": (
        ("organisation", "Organisation", "SR 11-7 VI"),
        ("prepared_by", "Prepared by", "SR 11-7 VI"),
        ("scope", "Scope (in use, in development, recently retired)", "SR 11-7 VI"),
    ),
    "inventory_model": (
        ("purpose", "Purpose", "SR 11-7 VI"),
        ("usage", "Usage and restrictions", "SR 11-7 VI"),
        ("inputs", "Inputs and their sources; upstream models", "SR 11-7 VI"),
        ("outputs", "Outputs", "SR 11-7 VI"),
        ("developer", "Developer", "SR 11-7 VI"),
        ("validator", "Validator", "SR 11-7 VI"),
        ("validation_dates", "Validation done / planned", "SR 11-7 VI"),
        ("next_review", "Next review (at least annually)", "SR 11-7 VI"),
        ("policy_exceptions", "Policy exceptions", "SR 11-7 VI"),
        ("high_risk", "High-risk system (Annex III point)", "AI Act Art 6(2)"),
        ("fria_status", "Fundamental-rights impact assessment", "AI Act Art 27"),
        ("post_market_monitoring", "Post-market monitoring", "AI Act Art 72"),
    ),
    "model": (
        ("purpose", "Intended purpose", "AI Act Annex IV 1(a)"),
        ("provider", "Provider", "AI Act Annex IV 1(a)"),
        ("library_versions", "Library versions", "AI Act Annex IV 1(c)"),
        ("serving_form", "Form in which the model is served", "AI Act Annex IV 1(d)"),
        ("design_choices", "Design choices and key assumptions (incl. about groups of persons)",
         "AI Act Annex IV 2(b); SR 11-7 VI"),
        ("optimisation_target", "Optimisation target", "AI Act Annex IV 2(b)"),
        ("compute", "Compute used", "AI Act Annex IV 2(c)"),
        ("data_preparation", "Data selection, labelling and cleaning", "AI Act Annex IV 2(d); Art 10"),
        ("validation_data", "Validation / test data", "AI Act Annex IV 2(g)"),
        ("metric_rationale", "Why these metrics", "AI Act Annex IV 4"),
        ("limitations", "Limitations and foreseeable unintended outcomes",
         "AI Act Annex IV 3; Art 13(3)(b)"),
        ("monitoring", "Ongoing monitoring and outcomes analysis", "SR 11-7 V"),
        ("logging", "Events logged and how a deployer collects them", "AI Act Art 12(2); Art 13(3)(f)"),
        ("validated_by", "Validated and signed by (name, role, date)", "AI Act Annex IV 2(g)"),
    ),
    "decision": (
        ("creditor", "Creditor name and address", "Reg B 12 CFR 1002.9(a)(2)"),
        ("agency", "Agency administering compliance (name, address)", "Reg B 12 CFR 1002.9(a)(2)"),
        ("cutoff", "Decision cutoff / threshold", "AI Act Art 12(2)"),
        ("human_review", "Human reviewer or override", "AI Act Art 14"),
        ("system_role", "Role of the system in the decision", "AI Act Art 86(1)"),
        ("procedure", "Procedure and principles applied; personal data used",
         "GDPR Art 15(1)(h); Recital 71"),
        ("contest_channel", "How to contest and request human intervention", "GDPR Art 22(3)"),
        ("bureau_score", "Credit bureau score used (score, range, date, source, key factors)",
         "FCRA 15 U.S.C. 1681g(f)"),
        ("notice_date", "Date the notice was sent (due within 30 days)", "Reg B 1002.9(a)(1)(i)"),
    ),
}


def load_fields(path: str | Path | None) -> dict[str, Any]:
    """Read a fields file (YAML or JSON mapping). ``None`` gives an empty mapping.

    Raises :class:`~auditkit.errors.ReportError` when the file is missing, unreadable or not a
    mapping.
    """
    if path is None:
        return {}
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except OSError as exc:
        raise errors.ReportError(REPORT_FIELDS_UNREADABLE.format(path=str(p), reason=exc.strerror or exc)) from None
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
        raise errors.ReportError(REPORT_FIELDS_UNREADABLE.format(path=str(p), reason=reason)) from None
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = safeyaml.load(text)  # bounded: aliases, nesting and tags are limited
    except yaml.YAMLError as exc:
        line, problem = safeyaml.problem_of(exc)
        reason = f"line {line}: {' '.join(problem.split())}"
        raise errors.ReportError(REPORT_FIELDS_UNREADABLE.format(path=str(p), reason=reason)) from None
    except (ValueError, RecursionError) as exc:  # JSON syntax, or JSON nested past Python's limit
        reason = " ".join(str(exc).split())[:200]
        raise errors.ReportError(REPORT_FIELDS_UNREADABLE.format(path=str(p), reason=reason)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise errors.ReportError(REPORT_FIELDS_NOT_MAPPING.format(path=str(p), found=type(data).__name__))
    return _Fields(data, source=str(p))


class _Fields(dict):
    """A fields file's mapping, remembering the file it came from (for messages)."""

    def __init__(self, data: Mapping[str, Any], *, source: str) -> None:
        super().__init__(data)
        self.source = source


def field_keys(kind: str) -> list[str]:
    """The keys a fields file may hold for one report kind (``inventory`` also takes ``models``)."""
    keys = [key for key, _, _ in FIELD_DEFINITIONS[kind]]
    return keys + ["models"] if kind == "inventory" else keys


def check_fields(kind: str, values: Mapping[str, Any] | None, *, path: str | Path | None = None) -> None:
    """Raise :class:`~auditkit.errors.ReportError` for a key ``kind``'s report does not have
    (and, for an inventory, for a per-model key no model entry has)."""
    values = values or {}
    command = "inventory" if kind == "inventory_model" else kind
    where = str(path) if path is not None else getattr(values, "source", "(given)")
    for key in values:
        if key not in field_keys(kind):
            raise errors.ReportError(REPORT_FIELDS_UNKNOWN.format(
                path=where, kind=kind.replace("_", " "), key=key, command=command,
                choices=errors.choices(field_keys(kind), limit=30)))
    if kind == "inventory" and isinstance(values.get("models"), Mapping):
        for name, entry in values["models"].items():
            if isinstance(entry, Mapping):
                for key in entry:
                    if key not in field_keys("inventory_model"):
                        raise errors.ReportError(REPORT_FIELDS_UNKNOWN.format(
                            path=where, kind=f"inventory (models.{name})", key=key, command="inventory",
                            choices=errors.choices(field_keys("inventory_model"), limit=30)))


def list_fields(kind: str) -> str:
    """The fields of one report kind as text: key, label and provision per line."""
    kinds = [kind, "inventory_model"] if kind == "inventory" else [kind]
    lines = []
    for k in kinds:
        if k == "inventory_model":
            lines += ["", "per model, under models: {NAME: {…}}"]
        rows = FIELD_DEFINITIONS[k]
        width = max(len(key) for key, _, _ in rows)
        lines += [f"{key:<{width}}  {label}  [{provision}]" for key, label, provision in rows]
    return "\n".join(lines)


def user_fields(kind: str, values: Mapping[str, Any] | None) -> tuple[UserField, ...]:
    """The labelled fields of one report kind, filled from ``values`` where given.

    Raises :class:`~auditkit.errors.ReportError` for a key the report does not have."""
    values = values or {}
    if kind != "inventory_model":  # per-model entries are checked with the inventory's own keys
        check_fields(kind, values)
    out = []
    for key, label, provision in FIELD_DEFINITIONS[kind]:
        raw = values.get(key)
        out.append(UserField(key=key, label=label, provision=provision,
                             value=None if raw is None or raw == "" else str(raw)))
    return tuple(out)


def model_field_values(values: Mapping[str, Any] | None, name: str) -> Mapping[str, Any]:
    """Per-model values of an inventory fields file (``models: {NAME: {...}}``)."""
    models = (values or {}).get("models") or {}
    entry = models.get(name) if isinstance(models, dict) else None
    return entry if isinstance(entry, dict) else {}

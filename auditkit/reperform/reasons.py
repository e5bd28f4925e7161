"""Principal reasons recomputed from contributions, and the logged reasons checked against them.

A reason-code map (YAML) words a feature's reason: keys are ``feature`` (a text that may use
``{value}``, e.g. ``"Loan duration of {value} months"``) or ``feature=value`` (a text for one
value, e.g. ``checking_status=A11: "Checking account balance below 0 DM"``); ``feature=value``
wins. Without a map a reason reads ``feature = value``. The map's SHA-256 goes into the evidence.

Principal reasons (Regulation B 1002.9(b)(2); CFPB circular 2023-03): at most ``max_reasons``
(four), only features the model uses whose contribution lowered the favourable outcome,
strongest first. A logged reason is *supported* when the feature it names (by the map's wording
for this applicant's value, or by naming the feature) is among them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from .. import safeyaml
from ..errors import UsageError
from .messages import EXPLAIN_REASON_MAP_SHAPE, EXPLAIN_REASON_MAP_UNREADABLE

MAX_REASONS = 4
#: A contribution must be below -EPS to count as lowering the outcome.
EPS = 1e-12


@dataclass
class ReasonMap:
    """Reason texts by ``feature`` and ``feature=value``, with the file and its SHA-256."""

    texts: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    sha256: str | None = None

    def text(self, feature: str, value: Any) -> str:
        """The reason text of ``feature`` at ``value``."""
        shown = display_value(value)
        exact = self.texts.get(f"{feature}={shown}")
        if exact is not None:
            return exact
        template = self.texts.get(feature)
        if template is None:
            return f"{feature} = {shown}"
        try:
            return template.format(value=value if not isinstance(value, float) or not value.is_integer()
                                   else int(value))
        except (ValueError, KeyError, IndexError):
            return template.replace("{value}", str(shown))


def display_value(value: Any) -> str:
    """A value as a reason shows it (``12.0`` → ``12``)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load_reason_map(source: str | os.PathLike | Mapping[str, str] | None) -> ReasonMap:
    """Read a reason-code map (a YAML file, or a mapping). Raises :class:`UsageError`."""
    if source is None:
        return ReasonMap()
    if isinstance(source, Mapping):
        texts = {str(k): str(v) for k, v in source.items()}
        digest = hashlib.sha256(yaml.safe_dump(texts, sort_keys=True).encode("utf-8")).hexdigest()
        return ReasonMap(texts, None, digest)
    path = Path(source)
    try:
        data = path.read_bytes()
        doc = safeyaml.load(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(EXPLAIN_REASON_MAP_UNREADABLE.format(path=str(source), why=str(exc).splitlines()[0])) from None
    if not isinstance(doc, dict):
        raise UsageError(EXPLAIN_REASON_MAP_SHAPE.format(path=str(source), why=f"found {type(doc).__name__}"))
    bad = [k for k, v in doc.items() if not isinstance(v, str)]
    if bad:
        raise UsageError(EXPLAIN_REASON_MAP_SHAPE.format(path=str(source), why=f"{bad[0]!r} has no text"))
    return ReasonMap({str(k): v for k, v in doc.items()}, str(source), hashlib.sha256(data).hexdigest())


def principal_reasons(features: Sequence[str], contributions: Sequence[float], row: Mapping[str, Any],
                      rmap: ReasonMap, *, max_reasons: int = MAX_REASONS) -> list[dict[str, Any]]:
    """``[{rank, feature, text, contribution}]``: features that lowered the outcome, strongest first."""
    order = sorted(range(len(features)), key=lambda k: (contributions[k], k))
    out = []
    for k in order:
        if contributions[k] >= -EPS or len(out) >= max_reasons:
            break
        f = features[k]
        out.append({"rank": len(out) + 1, "feature": f, "text": rmap.text(f, row.get(f)),
                    "contribution": float(contributions[k])})
    return out


def check_logged(logged: Sequence[Mapping[str, Any]], reasons: Sequence[Mapping[str, Any]],
                 features: Sequence[str], row: Mapping[str, Any], rmap: ReasonMap) -> list[dict[str, Any]]:
    """Each logged reason ``{rank, text, feature, supported}``: supported when the feature it names
    (the map's wording for this applicant, else the ``feature`` the log reader found the text to
    name) is one of the recomputed principal ``reasons``."""
    wording = {rmap.text(f, row.get(f)).strip().casefold(): f for f in features}
    supported = {r["feature"] for r in reasons}
    out = []
    for item in logged:
        text = str(item.get("text"))
        feature = wording.get(text.strip().casefold()) or item.get("feature")
        out.append({"rank": item.get("rank"), "text": text, "feature": feature,
                    "supported": feature is not None and feature in supported})
    return out

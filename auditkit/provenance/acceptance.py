"""Accepted gaps: known gaps a person has looked at and accepted, with who, when and why.

An accept file (``--accept FILE``, YAML) lists them::

    accepted:
      - gap: "the model version records no creator; owner taken from run user"
        model: credit-risk          # optional: only this model's decisions / findings
        version: "3"                # optional: only this version
        by: a.khan
        at: 2026-05-04
        why: MLflow runs without its auth layer here; the creator is in release ticket REL-118

``gap`` is the gap sentence, or a pattern of it where ``*`` stands for any text and ``?`` for
one character (``"run * records no git branch*"``). An accepted gap is still listed — with
who accepted it, when and why — but is not counted as open: lineage moves it from ``gaps`` to
``accepted_gaps``, the reports show it apart, and ``check`` does not fail on it.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .. import errors
from ..times import format_time, parse_time

#: Keys of one accepted gap: required, then optional.
REQUIRED_KEYS = ("gap", "by", "at", "why")
OPTIONAL_KEYS = ("model", "version")

ACCEPT_UNREADABLE = "accept file {path!r} cannot be read: {reason}"
ACCEPT_NOT_A_LIST = ("accept file {path!r} must hold 'accepted:' with a list of gaps (each with gap, by, at, why), "
                     "found {found}")
ACCEPT_BAD_ENTRY = "accept file {path!r} entry {n}: {problem}; expected keys gap, by, at, why (and model, version)"


@dataclass(frozen=True)
class Acceptance:
    """One accepted gap: the pattern, its scope, who accepted it, when and why."""

    gap: str
    by: str
    at: str
    why: str
    model: str | None = None
    version: str | None = None

    def matches(self, sentence: str, *, model: str | None = None, version: str | None = None) -> bool:
        """Whether ``sentence`` (a gap of ``model``/``version``) is this accepted gap."""
        if self.model is not None and self.model != model:
            return False
        if self.version is not None and self.version != (None if version is None else str(version)):
            return False
        return sentence == self.gap or fnmatch.fnmatchcase(sentence, self.gap)

    def to_dict(self, sentence: str) -> dict[str, Any]:
        return {"gap": sentence, "accepted_by": self.by, "accepted_at": self.at, "why": self.why,
                "pattern": self.gap, "model": self.model, "version": self.version}


@dataclass(frozen=True)
class AcceptedGaps:
    """The accepted gaps of one accept file."""

    source: str
    entries: tuple[Acceptance, ...] = ()

    def find(self, sentence: str, *, model: str | None = None, version: str | None = None) -> Acceptance | None:
        """The first entry accepting ``sentence``, or ``None``."""
        return next((a for a in self.entries if a.matches(sentence, model=model, version=version)), None)

    def split(self, gaps: Iterable[str], *, model: str | None = None,
              version: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
        """``(open gaps, accepted gaps as dicts with who, when, why)``, in the given order."""
        open_gaps: list[str] = []
        accepted: list[dict[str, Any]] = []
        for g in gaps:
            found = self.find(g, model=model, version=version)
            if found is None:
                open_gaps.append(g)
            else:
                accepted.append(found.to_dict(g))
        return open_gaps, accepted


def load_accepted(path: str | os.PathLike | AcceptedGaps | None) -> AcceptedGaps | None:
    """Read an accept file (``None`` gives ``None``; an :class:`AcceptedGaps` is returned as is).

    Raises :class:`~auditkit.errors.UsageError` for a missing or unreadable file, or an entry
    without gap, by, at or why, with an unknown key, or with an ``at`` that is not a time.
    """
    if path is None or isinstance(path, AcceptedGaps):
        return path
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise errors.UsageError(ACCEPT_UNREADABLE.format(path=str(p), reason=exc.strerror or exc)) from None
    import yaml  # loaded only for an accept file

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise errors.UsageError(ACCEPT_UNREADABLE.format(path=str(p), reason=" ".join(str(exc).split()))) from None
    items = data.get("accepted") if isinstance(data, dict) else None
    if not isinstance(items, list):
        found = "no 'accepted' list" if isinstance(data, dict) else type(data).__name__
        raise errors.UsageError(ACCEPT_NOT_A_LIST.format(path=str(p), found=found))
    return AcceptedGaps(str(p), tuple(_entry(item, n, str(p)) for n, item in enumerate(items, 1)))


def _entry(item: Any, n: int, path: str) -> Acceptance:
    if not isinstance(item, dict):
        raise errors.UsageError(ACCEPT_BAD_ENTRY.format(path=path, n=n, problem=f"is {type(item).__name__}"))
    unknown = sorted(set(map(str, item)) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise errors.UsageError(ACCEPT_BAD_ENTRY.format(path=path, n=n, problem=f"unknown key {unknown[0]!r}"))
    for key in REQUIRED_KEYS:
        if item.get(key) in (None, ""):
            raise errors.UsageError(ACCEPT_BAD_ENTRY.format(path=path, n=n, problem=f"no {key!r}"))
    at = item["at"]
    try:
        when = format_time(parse_time(str(at) if not hasattr(at, "isoformat") else at.isoformat(), what="at"))
    except errors.UsageError:
        raise errors.UsageError(ACCEPT_BAD_ENTRY.format(path=path, n=n, problem=f"'at' {at!r} is not a time")) \
            from None
    version = item.get("version")
    return Acceptance(gap=str(item["gap"]), by=str(item["by"]), at=str(when), why=str(item["why"]),
                      model=None if item.get("model") is None else str(item["model"]),
                      version=None if version is None else str(version))


def split_frame_gaps(gaps: Sequence[tuple[str, ...]], models: Sequence[Any], versions: Sequence[Any],
                     accepted: AcceptedGaps) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Per row of a lineage frame: ``(open gaps, accepted gap sentences)``; rows with the same
    gaps, model and version are split once."""
    cache: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    open_out, accepted_out = [], []
    for g, m, v in zip(gaps, models, versions):
        m = None if m is None or m != m else str(m)  # NaN != NaN: a missing model
        v = None if v is None or v != v else str(v)
        key = (tuple(g), m, v)
        if key not in cache:
            kept, taken = accepted.split(key[0], model=m, version=v)
            cache[key] = (tuple(kept), tuple(a["gap"] for a in taken))
        open_out.append(cache[key][0])
        accepted_out.append(cache[key][1])
    return open_out, accepted_out


__all__ = ["AcceptedGaps", "Acceptance", "load_accepted", "split_frame_gaps"]

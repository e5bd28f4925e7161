"""What an impact question starts from: a commit, a dataset, a run or a model version, parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import errors
from .messages import IMPACT_BAD_COMMIT, IMPACT_BAD_DATASET, IMPACT_BAD_VERSION, IMPACT_ONE_TARGET

_HEX = re.compile(r"^[0-9a-fA-F]{4,40}$")
KINDS = ("commit", "dataset", "run", "version")


@dataclass(frozen=True)
class Target:
    """``kind`` (commit, dataset, run, version) and ``value`` as given; ``name``/``part`` are its
    parsed pieces (dataset name and digest; model name and version)."""

    kind: str
    value: str
    name: str | None = None
    part: str | None = None

    def describe(self) -> str:
        if self.kind == "commit":
            return f"commit {self.value}"
        if self.kind == "dataset":
            return f"dataset {self.name}" + (f" with digest {self.part}" if self.part else "")
        if self.kind == "run":
            return f"run {self.value}"
        return f"model version {self.name}/{self.part}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


def parse_target(*, commit: str | None = None, dataset: str | None = None, run: str | None = None,
                 version: str | None = None) -> Target:
    """The one target given. Raises :class:`~auditkit.errors.UsageError` for none, several, or a
    malformed one."""
    given = {k: v for k, v in (("commit", commit), ("dataset", dataset), ("run", run), ("version", version))
             if v is not None}
    if len(given) != 1:
        raise errors.UsageError(IMPACT_ONE_TARGET.format(given=", ".join(f"--{k}" for k in given) or "none"))
    kind, raw = next(iter(given.items()))
    value = str(raw).strip()
    if kind == "commit":
        if not _HEX.match(value):
            raise errors.UsageError(IMPACT_BAD_COMMIT.format(value=raw))
        return Target("commit", value.lower())
    if kind == "dataset":
        name, _, digest = value.partition("@")
        if not name or (_ and not digest):
            raise errors.UsageError(IMPACT_BAD_DATASET.format(value=raw))
        return Target("dataset", value, name=name, part=digest or None)
    if kind == "run":
        if not value:
            raise errors.UsageError(IMPACT_ONE_TARGET.format(given="an empty --run"))
        return Target("run", value)
    name, _, number = value.rpartition("/")
    if value.startswith("models:/"):
        name = name[len("models:/"):]
    if not name or not number:
        raise errors.UsageError(IMPACT_BAD_VERSION.format(value=raw))
    return Target("version", f"{name}/{number}", name=name, part=number)

"""Low-level, read-only readers for MLflow's file store (an ``mlruns/`` folder).

MLflow keeps each fact in its own small file: ``meta.yaml`` mappings, one-value files (params,
tags, aliases; a key with ``/`` in it is a nested path) and append-only metric files with one
``timestamp value step`` point per line. These helpers read them without ever opening a file for
writing, and turn every malformed file into one :class:`~auditkit.errors.StoreError` line that
names the file and what was expected. :class:`Problems` collects what a bulk read skipped.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Iterable

import yaml

from .. import errors

#: libyaml's safe loader when pyyaml has it (same rules as ``yaml.safe_load``, several times faster).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

META = "meta.yaml"

#: MLflow's numeric run status enum (``RunStatus`` in its protos), as written to a run's meta.yaml.
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
#: MLflow 3's numeric logged-model status (``LoggedModelStatus.to_int``).
LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


class MlrunsWarning(UserWarning):
    """Part of an mlruns folder was unreadable and was skipped (the message lists what)."""


class Problems:
    """What a bulk read skipped or left out: one line each, in the order met, without repeats."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.lines: list[str] = []
        self._seen: set[str] = set()
        self._reported = 0

    def skip(self, problem: str, what: str) -> None:
        """Record that ``what`` was skipped because of ``problem`` (an error message)."""
        line = errors.MLRUNS_SKIPPED.format(problem=problem, what=what)
        if line not in self._seen:
            self._seen.add(line)
            self.lines.append(line)

    def flush(self) -> None:
        """Emit one :class:`MlrunsWarning` listing the lines recorded since the last flush."""
        new = self.lines[self._reported:]
        self._reported = len(self.lines)
        if new:
            warnings.warn(
                errors.MLRUNS_WARNING_SUMMARY.format(root=self.root, count=len(new), items=" | ".join(new)),
                MlrunsWarning,
                stacklevel=3,
            )


def read_yaml(path: str, *, what: str, required: Iterable[str | tuple[str, ...]] = ()) -> dict[str, Any]:
    """Read a ``meta.yaml`` mapping.

    ``required`` lists keys that must be present (a tuple means any one of them). Raises
    :class:`~auditkit.errors.StoreError` for a missing, unreadable, invalid, empty or incomplete file.
    """
    required = list(required)
    expected = _expected(required)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise errors.StoreError(errors.MLRUNS_NO_META.format(path=path, what=what, expected=expected)) from None
    except OSError as exc:
        raise _bad(path, what, f"cannot be read ({exc.strerror or exc})", expected) from None
    try:
        doc = yaml.load(data, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader (libyaml's SafeLoader)
    except yaml.YAMLError as exc:
        raise _bad(path, what, _yaml_problem(exc), expected) from None
    if doc is None:
        raise _bad(path, what, "the file is empty", expected)
    if not isinstance(doc, dict):
        raise _bad(path, what, f"it holds a {type(doc).__name__}, not a mapping", expected)
    for key in required:
        names = key if isinstance(key, tuple) else (key,)
        if not any(n in doc for n in names):
            raise _bad(path, what, f"it has no {' or '.join(names)} (cut short?)", expected)
    return doc


def _expected(required: list[str | tuple[str, ...]]) -> str:
    if not required:
        return "a YAML mapping"
    keys = ", ".join("/".join(k) if isinstance(k, tuple) else k for k in required)
    return f"a YAML mapping with {keys}"


def _bad(path: str, what: str, problem: str, expected: str) -> errors.StoreError:
    return errors.StoreError(errors.MLRUNS_BAD_META.format(path=path, what=what, problem=problem, expected=expected))


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}" if mark is not None else ""
    return f"invalid YAML{where} ({problem})"


def read_text(path: str) -> str:
    """The whole content of a one-value file (param, tag, alias), exactly as stored.

    Raises :class:`~auditkit.errors.StoreError` when it is unreadable or not UTF-8.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.StoreError(errors.MLRUNS_BAD_TEXT.format(path=path, reason=str(exc))) from None
    except OSError as exc:
        raise errors.StoreError(errors.MLRUNS_BAD_TEXT.format(path=path, reason=exc.strerror or str(exc))) from None


def list_files(folder: str) -> list[tuple[str, str]]:
    """``(key, path)`` of every file under ``folder``, keys relative with ``/`` (MLflow stores a key
    ``a/b`` as a nested file). A missing folder gives an empty list."""
    out: list[tuple[str, str]] = []
    stack = [(folder, "")]
    while stack:
        current, prefix = stack.pop()
        try:
            entries = list(os.scandir(current))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            key = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, key + "/"))
            else:
                out.append((key, entry.path))
    return out


def read_values(folder: str, problems: Problems, owner: str, kind: str) -> dict[str, str]:
    """Every one-value file under ``folder`` as ``{key: text}``; unreadable ones are skipped into
    ``problems`` (``owner`` and ``kind`` say what was left out, e.g. ``run 'abc'`` / ``tag``)."""
    values: dict[str, str] = {}
    for key, path in list_files(folder):
        try:
            values[key] = read_text(path)
        except errors.StoreError as exc:
            problems.skip(str(exc), f"{kind} {key!r} of {owner}")
    return values


def read_metric(path: str) -> tuple[list[tuple[int, float, int]], tuple[int, float, int]]:
    """Parse one metric file into ``(points, latest)``.

    ``points`` are the distinct ``(timestamp, value, step)`` points in the order first written
    (MLflow appends a point again when a batch is retried, so repeats are dropped). ``latest`` is
    the run's value as MLflow picks it: the greatest step, then the latest timestamp, then the
    greatest value. Lines may carry a trailing dataset name and digest (MLflow 3); a line with
    only ``timestamp value`` (old MLflow) has step 0.

    Raises :class:`~auditkit.errors.StoreError` naming the file and line for a malformed point,
    and for a file with no point at all.
    """
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.StoreError(errors.MLRUNS_BAD_TEXT.format(path=path, reason=str(exc))) from None
    points: list[tuple[int, float, int]] = []
    seen: set[tuple[int, float, int]] = set()
    best_key: tuple[int, int, float] | None = None
    latest: tuple[int, float, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) < 2:
                raise ValueError(line)
            ts = int(parts[0])
            value = float(parts[1])
            step = int(parts[2]) if len(parts) >= 3 else 0
        except ValueError:
            raise errors.StoreError(
                errors.MLRUNS_BAD_METRIC_LINE.format(path=path, line=number, text=line.strip())
            ) from None
        point = (ts, value, step)
        key = (step, ts, value)
        if best_key is None or key > best_key:
            best_key, latest = key, point
        if point not in seen:
            seen.add(point)
            points.append(point)
    if latest is None:
        raise errors.StoreError(errors.MLRUNS_EMPTY_METRIC.format(path=path))
    return points, latest


def scan_dirs(folder: str) -> list[os.DirEntry]:
    """Sub-folders of ``folder`` (a missing folder gives none), sorted by name."""
    try:
        entries = [e for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    entries.sort(key=lambda e: e.name)
    return entries


def as_str(value: Any) -> str | None:
    """A stored id or text as ``str`` (old MLflow wrote some ids as YAML integers)."""
    if value is None:
        return None
    return str(value)


def as_int(value: Any) -> int | None:
    """An epoch-ms or other integer field, ``None`` when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

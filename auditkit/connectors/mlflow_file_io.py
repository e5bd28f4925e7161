"""Low-level, read-only readers for MLflow's file store (an ``mlruns/`` folder).

MLflow keeps each fact in its own small file: ``meta.yaml`` mappings, one-value files (params,
tags, aliases; a key with ``/`` in it is a nested path) and append-only metric files with one
``timestamp value step`` point per line. These helpers read them without ever opening a file for
writing, and turn every malformed file into one :class:`~auditkit.errors.StoreError` line that
names the file and what was expected. :class:`Problems` collects what a bulk read skipped.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from typing import Any, Iterable

import yaml

from .. import errors
from .messages import (
    MLRUNS_BAD_META,
    MLRUNS_BAD_METRIC_LINE,
    MLRUNS_BAD_TEXT,
    MLRUNS_EMPTY_METRIC,
    MLRUNS_NO_META,
    MLRUNS_SKIPPED,
    MLRUNS_WARNING_SUMMARY,
)

#: libyaml's safe loader when pyyaml has it (same rules as ``yaml.safe_load``, several times faster).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

META = "meta.yaml"

#: MLflow's numeric run status enum (``RunStatus`` in its protos), as written to a run's meta.yaml.
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
#: MLflow 3's numeric logged-model status (``LoggedModelStatus.to_int``).
LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


class MlrunsWarning(errors.AuditkitWarning):
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
        line = MLRUNS_SKIPPED.format(problem=problem, what=what)
        if line not in self._seen:
            self._seen.add(line)
            self.lines.append(line)

    def flush(self) -> None:
        """Emit one :class:`MlrunsWarning` listing the lines recorded since the last flush."""
        new = self.lines[self._reported:]
        self._reported = len(self.lines)
        if new:
            warnings.warn(
                MLRUNS_WARNING_SUMMARY.format(root=self.root, count=len(new), items=" | ".join(new)),
                MlrunsWarning,
                stacklevel=3,
            )


def read_bytes(path: str) -> bytes:
    """A whole file, read-only (``os.open``: about twice as fast as ``open`` for small files).

    Raises :class:`OSError` as ``open`` would.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(fd, 1 << 16)]
        while chunks[-1]:
            chunks.append(os.read(fd, 1 << 20))
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_yaml(path: str, *, what: str, required: Iterable[str | tuple[str, ...]] = ()) -> dict[str, Any]:
    """Read a ``meta.yaml`` mapping.

    ``required`` lists keys that must be present (a tuple means any one of them). Raises
    :class:`~auditkit.errors.StoreError` for a missing, unreadable, invalid, empty or incomplete file.
    """
    required = list(required)
    expected = _expected(required)
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        raise errors.StoreError(MLRUNS_NO_META.format(path=path, what=what, expected=expected)) from None
    except OSError as exc:
        raise _bad(path, what, f"cannot be read ({exc.strerror or exc})", expected) from None
    doc = simple_yaml(data)
    if doc is None:
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


# -- a fast path for the flat meta.yaml files MLflow writes ---------------------------------------
# Parsing a small meta.yaml with PyYAML costs about a millisecond (most of it in Python-level
# object construction, even with libyaml), which dominates reading thousands of runs. MLflow's
# meta files are nearly always flat ``key: scalar`` lines (input links add one nested mapping).
# simple_yaml() reads exactly that subset and returns None for anything else, which then goes to
# yaml.load: every value it accepts is resolved with PyYAML's own implicit resolvers, so the result
# is the one yaml.safe_load gives (tests compare both on real and adversarial files).
_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
_INT_TAG = "tag:yaml.org,2002:int"
_NULL_TAG = "tag:yaml.org,2002:null"
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_LINE = re.compile(r"( {2})?([A-Za-z_][A-Za-z0-9_.\-]*):(?: (.*))?\Z")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
#: Characters outside plain printable text (or line breaks other than LF): left to PyYAML.
_UNUSUAL = re.compile("[^\x0a\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_FAIL = object()


def simple_yaml(data: bytes) -> dict[str, Any] | None:
    """The mapping in a flat MLflow meta.yaml, or ``None`` when it is not of the simple form."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text or _UNUSUAL.search(text):
        return None
    out: dict[str, Any] = {}
    nested: dict[str, Any] | None = None
    nested_key = ""
    for line in text.split("\n"):
        if not line:
            continue
        m = _LINE.match(line)
        if m is None:
            return None
        indent, key, raw = m.groups()
        if not _plain_key(key):
            return None
        if indent:
            if nested is None or raw is None:
                return None
            value = _scalar(raw)
            if value is _FAIL:
                return None
            nested[key] = value
            continue
        if nested is not None:
            out[nested_key] = nested or None
            nested = None
        if raw is None:
            nested, nested_key = {}, key
            continue
        value = _scalar(raw)
        if value is _FAIL:
            return None
        out[key] = value
    if nested is not None:
        out[nested_key] = nested or None
    return out


@functools.lru_cache(maxsize=256)
def _plain_key(key: str) -> bool:
    return _scalar(key) == key


def _scalar(raw: str) -> Any:
    if raw == "''":
        return ""
    if raw == "[]":
        return []
    if raw == "{}":
        return {}
    if not raw or raw != raw.strip(" "):
        return _FAIL
    if raw[0] == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner.replace("''", ""):
            return _FAIL
        return inner.replace("''", "'")
    if raw[0] in _INDICATORS or " #" in raw or ": " in raw or raw.endswith(":"):
        return _FAIL
    for tag, regexp in _RESOLVERS.get(raw[0], ()):
        if regexp.match(raw):
            if tag == _INT_TAG and _DECIMAL.match(raw):
                return int(raw)
            if tag == _NULL_TAG:
                return None
            return _FAIL  # bools, floats, timestamps, …: PyYAML decides
    return raw


def _expected(required: list[str | tuple[str, ...]]) -> str:
    if not required:
        return "a YAML mapping"
    keys = ", ".join("/".join(k) if isinstance(k, tuple) else k for k in required)
    return f"a YAML mapping with {keys}"


def _bad(path: str, what: str, problem: str, expected: str) -> errors.StoreError:
    return errors.StoreError(MLRUNS_BAD_META.format(path=path, what=what, problem=problem, expected=expected))


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
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.StoreError(MLRUNS_BAD_TEXT.format(path=path, reason=str(exc))) from None
    except OSError as exc:
        raise errors.StoreError(MLRUNS_BAD_TEXT.format(path=path, reason=exc.strerror or str(exc))) from None


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


def read_metric(path: str, *, history: bool = False) -> tuple[list[tuple[int, float, int]], tuple[int, float, int]]:
    """Parse one metric file into ``(points, latest)``, each point ``(timestamp, value, step)``.

    ``latest`` is the run's value as MLflow picks it: the greatest step, then the latest
    timestamp, then the greatest value. ``points`` (only with ``history=True``, else empty) are
    the distinct points in the order first written: MLflow appends a point again when a batch is
    re-sent, so repeats are dropped. Lines may carry a trailing dataset name and digest (MLflow 3);
    a line with only ``timestamp value`` (old MLflow) has step 0.

    Raises :class:`~auditkit.errors.StoreError` naming the file and line for a malformed point,
    and for a file with no point at all.
    """
    try:
        text = read_bytes(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.StoreError(MLRUNS_BAD_TEXT.format(path=path, reason=str(exc))) from None
    keys: list[tuple[int, int, float]] = []  # (step, timestamp, value): MLflow's order for "latest"
    append = keys.append
    for number, line in enumerate(text.split("\n"), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) >= 3:
                append((int(parts[2]), int(parts[0]), float(parts[1])))
            elif len(parts) == 2:
                append((0, int(parts[0]), float(parts[1])))
            else:
                raise ValueError(line)
        except ValueError:
            raise errors.StoreError(
                MLRUNS_BAD_METRIC_LINE.format(path=path, line=number, text=line.strip())
            ) from None
    if not keys:
        raise errors.StoreError(MLRUNS_EMPTY_METRIC.format(path=path))
    step, ts, value = max(keys)
    points = list(dict.fromkeys((t, v, s) for s, t, v in keys)) if history else []
    return points, (ts, value, step)


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

"""Low-level, read-only readers for MLflow's file store (an ``mlruns/`` folder).

MLflow keeps each fact in its own small file: ``meta.yaml`` mappings, one-value files (params,
tags, aliases; a key with ``/`` in it is a nested path) and append-only metric files with one
``timestamp value step`` point per line. These helpers read them without ever opening a file for
writing, and turn every malformed file into one :class:`~auditkit.errors.StoreError` line that
names the file and what was expected. :class:`Problems` collects what a bulk read skipped.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
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


#: Most bytes read from one value file (a param, tag or alias). MLflow itself caps values at a few
#: thousand characters; a bigger file is skipped with a warning that names this limit.
MAX_VALUE_BYTES = 1 << 20
#: Most bytes read from one ``meta.yaml`` (MLflow writes well under a kilobyte).
MAX_META_BYTES = 1 << 20
#: Longest line of a metric file (``timestamp value step`` plus an optional dataset name and digest).
MAX_METRIC_LINE_BYTES = 4096
#: Longest stored text quoted in a message; longer text is cut with its full length noted.
MESSAGE_TEXT_CHARS = 80
#: Deepest nesting accepted in a ``meta.yaml`` (MLflow's are one level deep, two with input tags).
MAX_META_DEPTH = 20

# Opening flags for every file read from a store: read-only, never through a symbolic link (the
# last path component; folders are walked without following links, see scan_dirs/list_files),
# and non-blocking so that opening a FIFO returns at once instead of waiting for a writer (the
# fstat check below then refuses it before any read).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_CHUNK = 1 << 20

VALUE_REFUSED = "{path!r} was not read: {problem}; expected a regular file holding the stored value as UTF-8 text"
METRIC_REFUSED = "{path!r} was not read: {problem}; expected a regular file of metric points"
LINK_PROBLEM = "it is a symbolic link (to {target!r}), and auditkit never follows links in a store"
KIND_PROBLEM = "it is a {kind}, not a regular file"
TOO_BIG_PROBLEM = (
    "it holds {size:,} bytes, more than the {cap:,}-byte limit auditkit reads for one {what} ({name})"
)
LINK_FOLDER = "{path!r} is a symbolic link (to {target!r}); auditkit never follows links in a store"
METRIC_LINE_TOO_LONG = (
    "{path!r} line {line} is longer than {cap:,} bytes (MAX_METRIC_LINE_BYTES), starting {text!r}; "
    "expected 'timestamp value step'"
)
BAD_PATH_PART = "{part!r} is not a plain file or folder name inside the store (from {what})"


class Refused(Exception):
    """A store file auditkit will not read (a link, a FIFO/device, or too big); ``str()`` says why."""


def cut(value: object, limit: int = MESSAGE_TEXT_CHARS) -> str:
    """``value`` as text for a message: at most ``limit`` characters, a longer one cut with its length."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def _link_target(path: str) -> str:
    try:
        return cut(os.readlink(path))
    except OSError:
        return "?"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"), (stat.S_ISLNK, "symbolic link")):
        if test(mode):
            return name
    return "special file"


def open_regular(path: str, *, regular: bool = False) -> tuple[int, int]:
    """A read-only file descriptor for the regular file at ``path`` and its size (caller closes it).

    ``regular=True`` says the caller has just seen ``path`` listed as a regular file (an
    ``os.scandir`` entry's type, which costs no system call), so the look before opening is skipped.

    Raises :class:`FileNotFoundError` (and other :class:`OSError`) as ``os.open`` does, and
    :class:`Refused` for a symbolic link or anything that is not a regular file (FIFO, device,
    socket, folder), which is never read.
    """
    if not regular:
        # Look before opening: a device may act on open alone (a tape rewinds), so anything but
        # a regular file is refused unopened. The flags and the fstat below close the gap in
        # which the entry could be swapped after the look (or after the listing).
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            raise Refused(LINK_PROBLEM.format(target=_link_target(path)))
        if not stat.S_ISREG(mode):
            raise Refused(KIND_PROBLEM.format(kind=_kind(mode)))
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise Refused(LINK_PROBLEM.format(target=_link_target(path))) from None
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO some systems refuse without a reader
            raise Refused(KIND_PROBLEM.format(kind=_kind(os.lstat(path).st_mode))) from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise Refused(KIND_PROBLEM.format(kind=_kind(st.st_mode)))
    return fd, st.st_size


def read_bytes(path: str, *, cap: int = MAX_VALUE_BYTES, what: str = "value", name: str = "MAX_VALUE_BYTES",
               regular: bool = False) -> bytes:
    """A whole regular file of at most ``cap`` bytes, read-only (``regular``: see :func:`open_regular`).

    Raises :class:`OSError` as ``open`` would and :class:`Refused` for a link, a non-regular file
    or a file larger than ``cap`` (``what``/``name`` word that message).
    """
    fd, size = open_regular(path, regular=regular)
    try:
        if size > cap:
            raise Refused(TOO_BIG_PROBLEM.format(size=size, cap=cap, what=what, name=name))
        data = os.read(fd, size + 1)  # one read for a file that is not being written to
        if len(data) <= size:
            return data
        chunks = [data]
        total = len(data)
        while chunks[-1] and total <= cap:
            chunks.append(os.read(fd, min(cap + 1 - total, _READ_CHUNK)))
            total += len(chunks[-1])
        if total > cap:  # grew while being read
            raise Refused(TOO_BIG_PROBLEM.format(size=total, cap=cap, what=what, name=name))
    finally:
        os.close(fd)
    return b"".join(chunks)


def is_link(path: str) -> bool:
    """True when ``path`` itself is a symbolic link (a missing path is not)."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def join_in_store(base: str, *parts: str, what: str) -> str:
    """``base`` joined with ``parts``, each a plain name (no ``/``, not ``.``/``..``) and no
    intermediate one a symbolic link, so the result stays inside the store.

    Raises :class:`Refused` naming the bad part (``what`` says where the name came from).
    """
    path = base
    for index, part in enumerate(parts):
        if not part or part in (".", "..") or "/" in part or "\\" in part or "\0" in part:
            raise Refused(BAD_PATH_PART.format(part=cut(part), what=what))
        path = os.path.join(path, part)
        if index < len(parts) - 1 and is_link(path):
            raise Refused(LINK_FOLDER.format(path=path, target=_link_target(path)))
    return path


def read_yaml(path: str, *, what: str, required: Iterable[str | tuple[str, ...]] = ()) -> dict[str, Any]:
    """Read a ``meta.yaml`` mapping.

    ``required`` lists keys that must be present (a tuple means any one of them). Raises
    :class:`~auditkit.errors.StoreError` for a missing, unreadable, invalid, empty or incomplete file.
    """
    required = list(required)
    expected = _expected(required)
    try:
        data = read_bytes(path, cap=MAX_META_BYTES, what="meta.yaml", name="MAX_META_BYTES")
    except FileNotFoundError:
        raise errors.StoreError(MLRUNS_NO_META.format(path=path, what=what, expected=expected)) from None
    except Refused as exc:
        raise _bad(path, what, str(exc), expected) from None
    except OSError as exc:
        raise _bad(path, what, f"cannot be read ({exc.strerror or exc})", expected) from None
    doc = simple_yaml(data)
    if doc is None:
        try:
            doc = yaml.load(data, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader (libyaml's SafeLoader)
        except yaml.YAMLError as exc:
            raise _bad(path, what, _yaml_problem(exc), expected) from None
        except RecursionError:
            raise _bad(path, what, f"it is nested more than {MAX_META_DEPTH} levels deep", expected) from None
        except (ValueError, TypeError, OverflowError) as exc:  # a tagged or date value PyYAML cannot build
            raise _bad(path, what, f"invalid YAML value ({cut(exc)})", expected) from None
        problem = _shape_problem(doc)
        if problem:
            raise _bad(path, what, problem, expected)
    if doc is None:
        raise _bad(path, what, "the file is empty", expected)
    if not isinstance(doc, dict):
        raise _bad(path, what, f"it holds a {type(doc).__name__}, not a mapping", expected)
    for key in required:
        names = key if isinstance(key, tuple) else (key,)
        if not any(n in doc for n in names):
            raise _bad(path, what, f"it has no {' or '.join(names)} (cut short?)", expected)
    return doc


def _shape_problem(doc: Any) -> str | None:
    """Why a parsed meta.yaml is refused (YAML aliases, or nesting deeper than MAX_META_DEPTH), or None.

    MLflow never writes anchors or aliases; an alias makes one node appear many times, and text
    built from such a document can grow exponentially (the "billion laughs" pattern).
    """
    seen: set[int] = set()
    stack = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth >= MAX_META_DEPTH:
                return f"it is nested more than {MAX_META_DEPTH} levels deep"
            if id(node) in seen:
                return "it repeats a node through a YAML alias (MLflow writes none)"
            seen.add(id(node))
            children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return None


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


def read_text(path: str, *, regular: bool = False) -> str:
    """The whole content of a one-value file (param, tag, alias), exactly as stored.

    Raises :class:`~auditkit.errors.StoreError` when it is unreadable, not UTF-8, not a regular
    file (links are never followed) or larger than :data:`MAX_VALUE_BYTES`.
    """
    try:
        return read_bytes(path, regular=regular).decode("utf-8")
    except Refused as exc:
        raise errors.StoreError(VALUE_REFUSED.format(path=path, problem=str(exc))) from None
    except UnicodeDecodeError as exc:
        raise errors.StoreError(MLRUNS_BAD_TEXT.format(path=path, reason=str(exc))) from None
    except OSError as exc:
        raise errors.StoreError(MLRUNS_BAD_TEXT.format(path=path, reason=exc.strerror or str(exc))) from None


def list_files(folder: str, *, problems: Problems | None = None) -> list[tuple[str, str, bool]]:
    """``(key, path, regular)`` of every entry under ``folder`` that is not a folder, keys relative
    with ``/`` (MLflow stores a key ``a/b`` as a nested file); ``regular`` is true for a regular
    file. A missing folder gives an empty list.

    Symbolic links are never followed: a linked ``folder`` is reported into ``problems`` and
    read as empty; a linked entry is listed like a file (reading it then refuses it).
    """
    out: list[tuple[str, str, bool]] = []
    if is_link(folder):
        if problems is not None:
            problems.skip(LINK_FOLDER.format(path=folder, target=_link_target(folder)), "what it links to")
        return out
    stack = [(folder, "")]
    while stack:
        current, prefix = stack.pop()
        try:
            entries = list(os.scandir(current))
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            if problems is not None:
                problems.skip(f"folder {current!r} cannot be listed ({exc.strerror or exc})", "everything under it")
            continue
        for entry in entries:
            key = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, key + "/"))
            else:
                out.append((key, entry.path, entry.is_file(follow_symlinks=False)))
    return out


def read_values(folder: str, problems: Problems, owner: str, kind: str) -> dict[str, str]:
    """Every one-value file under ``folder`` as ``{key: text}``; unreadable ones are skipped into
    ``problems`` (``owner`` and ``kind`` say what was left out, e.g. ``run 'abc'`` / ``tag``)."""
    values: dict[str, str] = {}
    for key, path, regular in list_files(folder, problems=problems):
        try:
            values[key] = read_text(path, regular=regular)
        except errors.StoreError as exc:
            problems.skip(str(exc), f"{kind} {cut(key)!r} of {owner}")
    return values


def read_metric(
    path: str, *, history: bool = False, regular: bool = False
) -> tuple[list[tuple[int, float, int]], tuple[int, float, int]]:
    """Parse one metric file into ``(points, latest)``, each point ``(timestamp, value, step)``.

    ``latest`` is the run's value as MLflow picks it: the greatest step, then the latest
    timestamp, then the greatest value. ``points`` (only with ``history=True``, else empty) are
    the distinct points in the order first written: MLflow appends a point again when a batch is
    re-sent, so repeats are dropped. Lines may carry a trailing dataset name and digest (MLflow 3);
    a line with only ``timestamp value`` (old MLflow) has step 0.

    The file is streamed in chunks: without ``history`` memory stays bounded whatever its size,
    and no line may exceed :data:`MAX_METRIC_LINE_BYTES`.

    Raises :class:`~auditkit.errors.StoreError` naming the file and line for a malformed or
    over-long point, for a file with no point at all, and for a link or non-regular file.
    """
    try:
        fd, _ = open_regular(path, regular=regular)
    except Refused as exc:
        raise errors.StoreError(METRIC_REFUSED.format(path=path, problem=str(exc))) from None
    except OSError as exc:
        raise errors.StoreError(MLRUNS_BAD_TEXT.format(path=path, reason=exc.strerror or str(exc))) from None
    best: tuple[int, int, float] | None = None  # (step, timestamp, value): MLflow's order for "latest"
    seen: dict[tuple[int, float, int], None] = {}
    number = 0
    tail = b""
    try:
        while True:
            try:
                chunk = os.read(fd, _READ_CHUNK)
            except OSError as exc:
                raise errors.StoreError(MLRUNS_BAD_TEXT.format(path=path, reason=exc.strerror or str(exc))) from None
            lines = (tail + chunk).split(b"\n") if chunk else [tail]
            tail = lines.pop() if chunk else b""
            if len(tail) > MAX_METRIC_LINE_BYTES:
                raise _long_line(path, number + len(lines) + 1, tail)
            for line in lines:
                number += 1
                parts = line.split()
                if not parts:
                    continue
                if len(line) > MAX_METRIC_LINE_BYTES:
                    raise _long_line(path, number, line)
                try:
                    if len(parts) >= 3:
                        key = (int(parts[2]), int(parts[0]), float(parts[1]))
                    elif len(parts) == 2:
                        key = (0, int(parts[0]), float(parts[1]))
                    else:
                        raise ValueError(line)
                except ValueError:
                    raise errors.StoreError(MLRUNS_BAD_METRIC_LINE.format(
                        path=path, line=number, text=cut(_show(line.strip())))) from None
                if best is None or key > best:
                    best = key
                if history:
                    seen[(key[1], key[2], key[0])] = None
            if not chunk:
                break
    finally:
        os.close(fd)
    if best is None:
        raise errors.StoreError(MLRUNS_EMPTY_METRIC.format(path=path))
    step, ts, value = best
    return list(seen), (ts, value, step)


def _show(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


def _long_line(path: str, number: int, line: bytes) -> errors.StoreError:
    return errors.StoreError(METRIC_LINE_TOO_LONG.format(
        path=path, line=number, cap=MAX_METRIC_LINE_BYTES, text=_show(line[:MESSAGE_TEXT_CHARS]) + "…"))


def scan_dirs(folder: str, *, problems: Problems | None = None) -> list[os.DirEntry]:
    """Sub-folders of ``folder`` (a missing folder gives none), sorted by name.

    Symbolic links are never followed: a linked ``folder``, and linked entries in it, are
    reported into ``problems`` (when given) and left out.
    """
    if is_link(folder):
        if problems is not None:
            problems.skip(LINK_FOLDER.format(path=folder, target=_link_target(folder)), "what it links to")
        return []
    try:
        entries = []
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                entries.append(entry)
            elif problems is not None and entry.is_symlink():
                problems.skip(LINK_FOLDER.format(path=entry.path, target=_link_target(entry.path)), "what it links to")
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        if problems is not None:
            problems.skip(f"folder {folder!r} cannot be listed ({exc.strerror or exc})", "everything under it")
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
    except (TypeError, ValueError, OverflowError):
        return None

"""Readers for Neptune's offline data, each giving :class:`NeptuneRunData` (fields as Neptune holds them).

* neptune 1.x, ``mode="offline"``: ``.neptune/offline/run__<uuid>__<pid>__<suffix>/`` with
  ``metadata.json`` (``containerId``, ``containerType``, ``structureVersion``, ``os``,
  ``pythonVersion``, ``neptuneClientVersion``, ``createdAt``) and ``data-<N>.log``: one JSON object
  per line, ``{"obj": {"type", "path": [...], ...}, "version", "at"}`` where ``type`` is one of
  Neptune's operations (``AssignString``/``Int``/``Float``/``Bool``/``Datetime``, ``AddStrings``,
  ``RemoveStrings``, ``LogFloats``/``LogStrings`` with ``values: [{"value", "step", "ts"}]``,
  ``UploadFile``, ``UploadFileSet``, ``TrackFilesToArtifact``, ``ClearFloatLog``, ``DeleteAttribute``…).
* neptune-scale, ``mode="offline"``: ``run_operations.sqlite3`` (table ``metadata``: version,
  project, run_id; table ``run_operations``: ``operation_type`` 1 = a ``neptune.ingest.v1.Run``
  protobuf, 0 = an ``UpdateRunSnapshot`` protobuf). The protobuf wire format is decoded here (field
  numbers from neptune-api's ``neptune_pb/ingest/v1/common.proto``), so no Neptune package is needed.
  The file is opened read-only (``mode=ro``).
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import sqlite3
import struct
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from .. import errors

V1_BAD_METADATA = "{path!r} is not a neptune offline metadata.json (expected a JSON object with containerId): {reason}"
V1_BAD_LINE = ("{path!r} line {line} is not a neptune operation "
               "{{\"obj\": {{\"type\", \"path\"}}, \"version\", \"at\"}}: {reason}")
V1_NO_LOG = "neptune run folder {path!r} holds no data-<N>.log (expected the operations of an offline run)"
V1_NOT_RUN = "{path!r} holds a neptune {kind}, not a run (only runs are read)"
SCALE_BAD_FILE = ("{path!r} is not a neptune-scale run_operations.sqlite3 (expected tables metadata and "
                  "run_operations): {reason}")
SCALE_BAD_OPERATION = "{path!r} operation {seq} is not a neptune.ingest.v1 {message} protobuf: {reason}"
SCALE_VERSIONS = ("v5",)
SCALE_BAD_VERSION = "{path!r} is neptune-scale storage format {version!r}; auditkit reads {known}"


@dataclass
class NeptuneRunData:
    """One run's fields: ``atoms`` (path → last value), ``series`` (path → [(step, order, value)]),
    ``sets`` (path → labels), ``files`` (path → what was uploaded), ``artifacts`` (path →
    tracked file entries) and facts about the run itself."""

    client: str  # "neptune 1.x" or "neptune-scale"
    source: Path
    run_id: str
    created: datetime | None = None
    last_seen: datetime | None = None
    project: str | None = None
    experiment: str | None = None
    client_version: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    atoms: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list[tuple[float, int, float]]] = field(default_factory=dict)
    sets: dict[str, set[str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)  # string series (1.x LogStrings)
    format_version: str | None = None

    def seen(self, when: datetime | None) -> None:
        if when is not None and (self.last_seen is None or when > self.last_seen):
            self.last_seen = when


# -- neptune 1.x ----------------------------------------------------------------------------------
def v1_run_folders(root: Path) -> list[Path]:
    """The offline run folders of a ``.neptune`` folder (or of its ``offline`` folder)."""
    base = root / "offline" if (root / "offline").is_dir() else root
    return sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("run__"))


def read_v1_run(folder: Path) -> NeptuneRunData:
    """One 1.x offline run folder. Raises :class:`~auditkit.errors.StoreError` (one line)."""
    meta_path = folder / "metadata.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise errors.StoreError(V1_BAD_METADATA.format(path=str(meta_path), reason=str(exc))) from None
    if not isinstance(meta, dict) or not meta.get("containerId"):
        raise errors.StoreError(V1_BAD_METADATA.format(path=str(meta_path), reason="no containerId"))
    if meta.get("containerType", "run") != "run":
        raise errors.StoreError(V1_NOT_RUN.format(path=str(folder), kind=meta.get("containerType")))
    data = NeptuneRunData(client="neptune 1.x", source=folder, run_id=str(meta["containerId"]),
                          created=_iso(meta.get("createdAt")), client_version=_str(meta.get("neptuneClientVersion")),
                          format_version=_str(meta.get("structureVersion")))
    for key, name in (("os", "os"), ("pythonVersion", "python_version")):
        if meta.get(key):
            data.environment[name] = str(meta[key])
    logs = sorted(folder.glob("data-*.log"), key=lambda p: _log_number(p))
    if not logs:
        raise errors.StoreError(V1_NO_LOG.format(path=str(folder)))
    order = 0
    for log in logs:
        for number, op in _v1_lines(log):
            order += 1
            _apply_v1(data, op, order, log, number)
    return data


def _log_number(path: Path) -> int:
    tail = path.stem.split("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _v1_lines(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.StoreError(V1_BAD_LINE.format(path=str(path), line=1, reason=str(exc))) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            raise errors.StoreError(V1_BAD_LINE.format(path=str(path), line=number, reason=str(exc))) from None
        obj = entry.get("obj") if isinstance(entry, dict) else None
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not isinstance(obj.get("path"), list):
            raise errors.StoreError(V1_BAD_LINE.format(path=str(path), line=number, reason="no obj with type and path"))
        obj = dict(obj, at=entry.get("at"))
        yield number, obj


def _apply_v1(data: NeptuneRunData, op: dict, order: int, log: Path, line: int) -> None:
    kind, path = op["type"], "/".join(str(p) for p in op["path"])
    data.seen(_epoch(op.get("at")))
    if kind.startswith("Assign"):
        value = op.get("value")
        data.atoms[path] = _iso(value) if kind == "AssignDatetime" else value
    elif kind == "AddStrings":
        data.sets.setdefault(path, set()).update(str(v) for v in op.get("values") or [])
    elif kind == "RemoveStrings":
        data.sets.setdefault(path, set()).difference_update(str(v) for v in op.get("values") or [])
    elif kind == "ClearStringSet":
        data.sets[path] = set()
    elif kind == "LogFloats":
        points = data.series.setdefault(path, [])
        for point in op.get("values") or []:
            value = _float(point.get("value")) if isinstance(point, dict) else None
            if value is not None:
                step = point.get("step")
                points.append((float(step) if isinstance(step, (int, float)) else -math.inf, order, value))
    elif kind == "LogStrings":
        data.texts.setdefault(path, []).extend(
            str(point.get("value")) for point in op.get("values") or [] if isinstance(point, dict))
    elif kind == "ClearFloatLog":
        data.series[path] = []
    elif kind in ("UploadFile", "UploadFileContent"):
        data.files[path] = str(op.get("file_path") or op.get("tmp_file_name") or "")
    elif kind == "UploadFileSet":
        data.files[path] = ", ".join(str(g) for g in op.get("file_globs") or [])
    elif kind == "TrackFilesToArtifact":
        entries = [str(e[0]) for e in op.get("entries") or [] if isinstance(e, list) and e]
        known = data.artifacts.setdefault(path, [])
        known.extend(e for e in entries if e not in known)
    elif kind == "DeleteAttribute":
        for table in (data.atoms, data.series, data.sets, data.files, data.artifacts):
            table.pop(path, None)


# -- neptune-scale ----------------------------------------------------------------------------------
def read_scale_file(path: Path) -> NeptuneRunData:
    """One neptune-scale ``run_operations.sqlite3`` (opened read-only). Raises
    :class:`~auditkit.errors.StoreError` (one line) for a file that is not one, or a bad operation."""
    with _readable_copy(path) as (db, flags):
        try:
            conn = sqlite3.connect(f"{db.resolve().as_uri()}?{flags}", uri=True)
        except sqlite3.Error as exc:
            raise errors.StoreError(SCALE_BAD_FILE.format(path=str(path), reason=str(exc))) from None
        return _read_scale(conn, path)


@contextlib.contextmanager
def _readable_copy(path: Path) -> Iterator[tuple[Path, str]]:
    """``(file to open, URI flags)`` that leave the store untouched: SQLite creates ``-shm``/``-wal``
    files beside a WAL-mode database even when it is opened ``mode=ro``, so a file without a
    pending WAL is opened ``immutable=1``, and one with a pending WAL (a client that did not
    close) is read from a temporary copy of both files."""
    wal = path.with_name(path.name + "-wal")
    if not wal.is_file() or wal.stat().st_size == 0:
        yield path, "mode=ro&immutable=1"
        return
    with tempfile.TemporaryDirectory(prefix="auditkit-neptune-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, Path(tmp) / wal.name)
        yield copy, "mode=ro"


def _read_scale(conn: sqlite3.Connection, path: Path) -> NeptuneRunData:
    try:
        try:
            meta = conn.execute("SELECT version, project, run_id FROM metadata ORDER BY id LIMIT 1").fetchone()
            rows = conn.execute("SELECT sequence_id, operation_type, operation FROM run_operations "
                                "ORDER BY sequence_id").fetchall()
        except sqlite3.Error as exc:
            raise errors.StoreError(SCALE_BAD_FILE.format(path=str(path), reason=str(exc))) from None
    finally:
        conn.close()
    if meta is None:
        raise errors.StoreError(SCALE_BAD_FILE.format(path=str(path), reason="the metadata table is empty"))
    version, project, run_id = meta
    if version not in SCALE_VERSIONS:
        raise errors.StoreError(SCALE_BAD_VERSION.format(path=str(path), version=version,
                                                         known=", ".join(SCALE_VERSIONS)))
    data = NeptuneRunData(client="neptune-scale", source=path, run_id=str(run_id), project=project,
                          format_version=version)
    for order, (seq, kind, blob) in enumerate(rows):
        message = "Run" if kind == 1 else "UpdateRunSnapshot"
        try:
            if kind == 1:
                _apply_scale_run(data, _fields(bytes(blob)))
            elif kind == 0:
                _apply_snapshot(data, _fields(bytes(blob)), order)
        except (ValueError, IndexError, struct.error, UnicodeDecodeError) as exc:
            raise errors.StoreError(SCALE_BAD_OPERATION.format(
                path=str(path), seq=seq, message=message, reason=str(exc) or type(exc).__name__)) from None
    return data


def _apply_scale_run(data: NeptuneRunData, msg: dict[int, list]) -> None:
    # Run: 1 run_id, 5 experiment_id, 4 family, 3 creation_time, 6 owner (1 user_id)
    if 1 in msg:
        data.run_id = _text(msg[1][-1])
    if 5 in msg:
        data.experiment = _text(msg[5][-1])
    if 3 in msg:
        data.created = _timestamp(msg[3][-1])
        data.seen(data.created)
    if 6 in msg:
        owner = _fields(msg[6][-1])
        if 1 in owner:
            data.atoms["sys/owner"] = _text(owner[1][-1])


def _apply_snapshot(data: NeptuneRunData, msg: dict[int, list], order: int) -> None:
    # UpdateRunSnapshot: 1 step (1 whole, 2 micro), 2 timestamp, 4 assign, 5 modify_sets, 8 append
    step = -math.inf
    if 1 in msg:
        s = _fields(msg[1][-1])
        step = float(s.get(1, [0])[-1]) + float(s.get(2, [0])[-1]) / 1e6
    if 2 in msg:
        data.seen(_timestamp(msg[2][-1]))
    for entry in msg.get(4, []):
        key, value = _entry(entry)
        data.atoms[key] = _value(value)
    for entry in msg.get(8, []):
        key, value = _entry(entry)
        number = _value(value)
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            data.series.setdefault(key, []).append((step, order, float(number)))
    for entry in msg.get(5, []):
        key, modify = _entry(entry)
        # ModifySet: 1 string = ModifyStringSet: 1 values (map entry: 1 key, 2 value enum ADD=1 REMOVE=2)
        labels = data.sets.setdefault(key, set())
        for string_set in _fields(modify).get(1, []):
            for item in _fields(string_set).get(1, []):
                item_fields = _fields(item)
                label = _text(item_fields.get(1, [b""])[-1])
                if item_fields.get(2, [0])[-1] == 2:
                    labels.discard(label)
                else:
                    labels.add(label)


def _entry(raw: bytes) -> tuple[str, bytes]:
    f = _fields(raw)
    return _text(f.get(1, [b""])[-1]), f.get(2, [b""])[-1]


def _value(raw: bytes) -> Any:
    # Value oneof: 1 float64, 3 int64, 5 bool, 6 string, 8 timestamp, 12 string_set, 13 file_ref
    f = _fields(raw)
    if 1 in f:
        return struct.unpack("<d", f[1][-1])[0]
    if 3 in f:
        v = f[3][-1]
        return v - (1 << 64) if v >= 1 << 63 else v
    if 5 in f:
        return bool(f[5][-1])
    if 6 in f:
        return _text(f[6][-1])
    if 8 in f:
        return _timestamp(f[8][-1])
    if 12 in f:
        return sorted(_text(v) for v in _fields(f[12][-1]).get(1, []))
    if 13 in f:
        return _text(_fields(f[13][-1]).get(1, [b""])[-1])
    return None


def _fields(buf: bytes) -> dict[int, list]:
    """Decode one protobuf message's fields: number → values (ints, or bytes for 64/32-bit and
    length-delimited fields). Raises ValueError on malformed input."""
    out: dict[int, list] = {}
    pos, size = 0, len(buf)
    while pos < size:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError(f"field number 0 at byte {pos}")
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire} at byte {pos}")
        if pos > size:
            raise ValueError(f"message cut short ({size} bytes)")
        out.setdefault(number, []).append(value)
    return out


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("varint cut short")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def _timestamp(raw: bytes) -> datetime:
    f = _fields(raw)
    seconds = f.get(1, [0])[-1]
    nanos = f.get(2, [0])[-1]
    return datetime.fromtimestamp(seconds + nanos / 1e9, tz=timezone.utc)


def _text(raw: Any) -> str:
    return raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else str(raw)


# -- small helpers ------------------------------------------------------------------------------------
def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):  # 1.x writes non-finite values as "NaN", "Infinity", "-Infinity"
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


__all__ = ["NeptuneRunData", "read_scale_file", "read_v1_run", "v1_run_folders"]

"""Reader for W&B's binary run log, ``run-<id>.wandb`` (read-only, checksums verified).

The framing is LevelDB's log format with a file header, as wandb's writers lay it out:

* a 7-byte file header: ``:W&B``, the magic number 0xBEE1 (little-endian uint16), version byte 0;
* then 32 KiB blocks counted from the start of the file (the header sits inside block 0);
* each chunk has a 7-byte header ``<IHB``: CRC-32 (IEEE, as :func:`zlib.crc32`) over the chunk
  type byte followed by the chunk data, the data length, and the type FULL=1, FIRST=2, MIDDLE=3,
  LAST=4 (a payload too long for the rest of its block is split FIRST, MIDDLE…, LAST);
* a chunk header never straddles a block end: fewer than 7 bytes left in a block are zero padding.

Each reassembled payload is one ``wandb.proto.wandb_internal_pb2.Record`` protobuf; parsing it
needs the optional ``wandb`` package (``pip install 'auditkit[wandb]'``), imported lazily.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .. import errors
from .messages import (
    WANDB_BAD_CHECKSUM,
    WANDB_BAD_CHUNK,
    WANDB_BAD_HEADER,
    WANDB_BAD_PAYLOAD,
    WANDB_NOT_INSTALLED,
    WANDB_TRUNCATED,
)

FILE_IDENT = b":W&B"
FILE_MAGIC = 0xBEE1
FILE_VERSION = 0
FILE_HEADER = struct.Struct("<4sHB")
CHUNK_HEADER = struct.Struct("<IHB")
HEADER_LEN = 7
BLOCK_LEN = 32768
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
#: Like WANDB_UNREADABLE ("cannot read W&B run log …"), for any file of a wandb folder.
FILE_UNREADABLE = "cannot read {what} {path!r}: {reason}"
_TYPE_NAMES = {FULL: "FULL", FIRST: "FIRST", MIDDLE: "MIDDLE", LAST: "LAST"}


def record_class() -> Any:
    """The ``Record`` protobuf class of the installed wandb.

    Raises :class:`~auditkit.errors.StoreError` (one line) when wandb is not installed.
    """
    try:
        from wandb.proto import wandb_internal_pb2  # optional extra: loaded on first use
    except ImportError:
        raise errors.StoreError(WANDB_NOT_INSTALLED) from None
    return wandb_internal_pb2.Record


def chunk_checksum(chunk_type: int, data: bytes) -> int:
    """The CRC-32 wandb stores for a chunk: over the type byte, then the data."""
    return zlib.crc32(data, zlib.crc32(bytes([chunk_type]))) & 0xFFFFFFFF


@dataclass
class LogScan:
    """What one ``.wandb`` file yielded: payloads read intact and, if reading stopped early,
    the error that stopped it (the payloads before it are still good)."""

    path: Path
    version: int | None = None
    payloads: list[tuple[int, bytes]] = field(default_factory=list)  # (file offset, payload)
    error: errors.StoreError | None = None


def read_header(data: bytes, path: Path) -> int:
    """Check the file header; return its version.

    Raises :class:`~auditkit.errors.StoreError` naming the file and the header expected.
    """
    if len(data) < HEADER_LEN:
        raise errors.StoreError(WANDB_BAD_HEADER.format(
            path=str(path), found=f"{len(data)} bytes in all"))
    ident, magic, version = FILE_HEADER.unpack_from(data, 0)
    if ident != FILE_IDENT or magic != FILE_MAGIC or version != FILE_VERSION:
        raise errors.StoreError(WANDB_BAD_HEADER.format(
            path=str(path), found=f"{ident!r}, {magic:#06x}, version {version}"))
    return version


def iter_payloads(data: bytes, path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, payload)`` for every record of a ``.wandb`` file's bytes, in order.

    Raises :class:`~auditkit.errors.StoreError` (one line naming the file, the byte offset and
    what was expected) at a bad header, a cut-off chunk, a bad checksum, bad padding or a chunk
    sequence that does not follow FULL | FIRST MIDDLE* LAST. Payloads yielded before are valid.
    """
    read_header(data, path)
    pos = HEADER_LEN
    size = len(data)
    pending: bytearray | None = None
    pending_at = 0
    while pos < size:
        left = BLOCK_LEN - pos % BLOCK_LEN
        if left < HEADER_LEN:  # block trailer: zero padding up to the next block
            if data[pos:pos + left].strip(b"\x00"):
                raise errors.StoreError(WANDB_BAD_CHUNK.format(
                    path=str(path), offset=pos, problem=f"the {left}-byte block trailer is not zero padding"))
            pos += left
            continue
        if size - pos < HEADER_LEN:
            raise errors.StoreError(WANDB_TRUNCATED.format(
                path=str(path), offset=pos, expected=f"a {HEADER_LEN}-byte chunk header", found=size - pos))
        checksum, length, ctype = CHUNK_HEADER.unpack_from(data, pos)
        if ctype not in _TYPE_NAMES:
            if ctype == 0 and length == 0 and not data[pos:].strip(b"\x00"):
                break  # zero-filled tail (preallocated or unflushed space): no more records
            raise errors.StoreError(WANDB_BAD_CHUNK.format(
                path=str(path), offset=pos, problem=f"chunk type {ctype} (expected 1-4: FULL, FIRST, MIDDLE, LAST)"))
        start = pos + HEADER_LEN
        if length > left - HEADER_LEN:
            raise errors.StoreError(WANDB_BAD_CHUNK.format(
                path=str(path), offset=pos,
                problem=f"length {length} runs past the block end ({left - HEADER_LEN} bytes left)"))
        if start + length > size:
            raise errors.StoreError(WANDB_TRUNCATED.format(
                path=str(path), offset=pos, expected=f"{length} bytes of {_TYPE_NAMES[ctype]} chunk data",
                found=size - start))
        chunk = data[start:start + length]
        computed = chunk_checksum(ctype, chunk)
        if computed != checksum:
            raise errors.StoreError(WANDB_BAD_CHECKSUM.format(
                path=str(path), offset=pos, expected=computed, found=checksum))
        if ctype == FULL or ctype == FIRST:
            if pending is not None:
                raise errors.StoreError(WANDB_BAD_CHUNK.format(
                    path=str(path), offset=pos,
                    problem=f"{_TYPE_NAMES[ctype]} chunk while the record begun at byte {pending_at} is unfinished"))
            if ctype == FULL:
                yield pos, bytes(chunk)
            else:
                pending, pending_at = bytearray(chunk), pos
        else:
            if pending is None:
                raise errors.StoreError(WANDB_BAD_CHUNK.format(
                    path=str(path), offset=pos, problem=f"{_TYPE_NAMES[ctype]} chunk without a FIRST chunk"))
            pending += chunk
            if ctype == LAST:
                yield pending_at, bytes(pending)
                pending = None
        pos = start + length
    if pending is not None:
        raise errors.StoreError(WANDB_TRUNCATED.format(
            path=str(path), offset=pending_at, expected="the MIDDLE/LAST chunks of a split record",
            found=size - pending_at))


def read_store_file(path: Path, *, what: str = "W&B run log", cap: int | None = None, name: str = "") -> bytes:
    """The bytes of a regular file in a wandb folder: read-only, never through a symbolic link,
    never opening a FIFO or device for reading, and at most ``cap`` bytes (``name`` is the
    constant named in the message).

    Raises :class:`~auditkit.errors.StoreError` (one line naming the file and the problem).
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):  # refused unopened (links, FIFOs, devices)
            raise OSError(errno.ELOOP if os.path.islink(path) else errno.EINVAL, "not a regular file")
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            reason = "it is a symbolic link, and auditkit never follows links in a store"
        elif exc.errno == errno.EINVAL:
            reason = "it is not a regular file"
        else:
            reason = exc.strerror or str(exc)
        raise errors.StoreError(FILE_UNREADABLE.format(what=what, path=str(path), reason=reason)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise errors.StoreError(FILE_UNREADABLE.format(what=what, path=str(path), reason="it is not a regular file"))
        if cap is not None and st.st_size > cap:
            raise errors.StoreError(FILE_UNREADABLE.format(
                what=what, path=str(path), reason=f"it holds {st.st_size:,} bytes, more than the {cap:,}-byte limit "
                                                  f"({name})"))
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read() if cap is None else f.read(cap)
    except OSError as exc:
        raise errors.StoreError(FILE_UNREADABLE.format(what=what, path=str(path), reason=exc.strerror or exc)) from None
    finally:
        os.close(fd)


def scan_log(path: Path) -> LogScan:
    """Read every intact payload of ``path``; stop at the first corruption and keep its error.

    Raises :class:`~auditkit.errors.StoreError` only when the file cannot be opened.
    """
    data = read_store_file(path)
    scan = LogScan(path=path)
    try:
        scan.version = read_header(data, path)
        for offset, payload in iter_payloads(data, path):
            scan.payloads.append((offset, payload))
    except errors.StoreError as exc:
        scan.error = exc
    return scan


def parse_records(scan: LogScan) -> list[Any]:
    """Parse a scan's payloads as ``Record`` protobufs (in file order).

    A payload that is not a Record stops parsing; its error becomes ``scan.error`` (it lies
    before any framing error). Raises :class:`~auditkit.errors.StoreError` when wandb is not installed.
    """
    from google.protobuf.message import DecodeError  # optional (with wandb): loaded on first use

    record_type = record_class()
    records = []
    for offset, payload in scan.payloads:
        record = record_type()
        try:
            record.ParseFromString(payload)
        except DecodeError as exc:
            # This payload lies before any framing error, so its error is the one to report.
            scan.error = errors.StoreError(WANDB_BAD_PAYLOAD.format(
                path=str(scan.path), offset=offset, reason=str(exc) or type(exc).__name__))
            break
        records.append(record)
    return records


__all__ = [
    "BLOCK_LEN", "FIRST", "FULL", "HEADER_LEN", "LAST", "LogScan", "MIDDLE", "chunk_checksum",
    "iter_payloads", "parse_records", "read_header", "read_store_file", "record_class", "scan_log",
]

"""pyHanko's PDF reader, with object streams indexed once.

pyHanko 0.38 re-parses an object stream's header (every object number and offset) for each object
it reads from it, which is quadratic in the objects per stream. WeasyPrint puts a report's ~1,300
objects (the structure tree of a tagged PDF) in few streams, and checking what changed after an
earlier signature reads all of them: about 8 seconds for a six-page report. This reader parses
each stream's header once (same result, same fallbacks for malformed streams).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any


def reader(data: bytes) -> Any:
    """A non-strict :class:`pyhanko.pdf_utils.reader.PdfFileReader` over ``data``."""
    from pyhanko.pdf_utils import generic  # pyhanko: loaded on use, not at import
    from pyhanko.pdf_utils.decode_limits import DecodePurpose
    from pyhanko.pdf_utils.reader import PdfFileReader

    class _IndexedReader(PdfFileReader):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream, strict=False)
            self._auditkit_objstm: dict[int, tuple[bytes, int, dict[int, int]] | None] = {}

        def _get_object_from_stream(self, idnum: int, stmnum: int, idx: int) -> Any:  # pyHanko's hook
            index = self._auditkit_objstm.get(stmnum, ...)
            if index is ...:
                index = self._auditkit_objstm[stmnum] = _index(stmnum)
            if index is None or idnum not in index[2]:
                return super()._get_object_from_stream(idnum, stmnum, idx)
            data, first, offsets = index
            buffer = BytesIO(data)
            buffer.seek(first + offsets[idnum])
            try:
                return generic.read_object(buffer, generic.Reference(idnum, 0, self))
            except Exception:  # let pyHanko decide (it logs and returns null, or raises)
                return super()._get_object_from_stream(idnum, stmnum, idx)

    def _index(stmnum: int) -> tuple[bytes, int, dict[int, int]] | None:
        try:
            stream = generic.Reference(stmnum, 0, pdf).get_object()
            data = stream.read_data(DecodePurpose.OBJECT_STREAM)
            first, count = int(stream["/First"]), int(stream["/N"])
            numbers = data[:first].split()
            if len(numbers) < 2 * count:
                return None
            offsets = {int(numbers[2 * i]): int(numbers[2 * i + 1]) for i in range(count)}
        except Exception:  # malformed: pyHanko's own path reports it
            return None
        return data, first, offsets

    pdf = _IndexedReader(BytesIO(data))
    return pdf

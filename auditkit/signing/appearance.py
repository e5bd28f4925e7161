"""How a signature looks on the page: the sign-off page, one block per signature, the font.

The first signature of a report adds a *sign-off page* at the end (in the same incremental update
as the signature, so nothing signed is changed); every signature draws a visible block on the last
page naming the signer, their organisation, role, date and reason. Later signatures only add their
field and block, which is what a signature may add without breaking the earlier ones.

PDF/A needs every font embedded, so the text is set in DejaVu Sans (``fonts-dejavu-core``, which
the reports use too), subset to the characters drawn and scaled to 1000 units per em (pyHanko
writes glyph widths in the font's own units; PDF wants thousandths of an em).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import errors

#: Environment variable naming a TrueType/OpenType font for the signature blocks.
FONT_ENV = "AUDITKIT_SIGNATURE_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)
NO_FONT = ("no TrueType font for the signature block: install fonts-dejavu-core or set "
           f"{FONT_ENV} to a .ttf/.otf file")
FONT_BAD = "signature font {path!r} cannot be read: {reason}"
NO_ROOM = ("the last page has no room for another signature block ({count} signature blocks on it); "
           "expected at most {limit}")

SIGNOFF_TITLE = "Sign-off"
SIGNOFF_NOTE = ("Electronic signatures (PAdES) over this report and its attached evidence.json.\n"
                "Check them with \"auditkit verify-report REPORT.pdf --trust CA.pem\" or a PDF reader.")
MARGIN = 50.0
BLOCK_HEIGHT = 96.0
BLOCK_GAP = 12.0
HEADER_HEIGHT = 110.0
BLOCK_FONT_SIZE = 9
TITLE_FONT_SIZE = 16
NOTE_FONT_SIZE = 9


def find_font() -> Path:
    """The font file for signature blocks: ``$AUDITKIT_SIGNATURE_FONT``, DejaVu Sans, or what
    fontconfig's ``fc-match`` names. Raises :class:`~auditkit.errors.ReportError`."""
    chosen = os.environ.get(FONT_ENV)
    if chosen:
        return Path(chosen)
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans:style=Book"],
                             capture_output=True, text=True, check=False)
        found = Path(out.stdout.strip())
        if out.returncode == 0 and found.suffix.lower() in (".ttf", ".otf") and found.is_file():
            return found
    raise errors.ReportError(NO_FONT)


@lru_cache(maxsize=16)
def _scaled_font(path: str, text: str) -> bytes:
    """The font subset to ``text``'s characters and scaled to 1000 units per em."""
    from fontTools import subset, ttLib  # fontTools (WeasyPrint's dependency): only when signing
    from fontTools.ttLib.scaleUpem import scale_upem

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" noise
    try:
        font = ttLib.TTFont(path)
        options = subset.Options()
        options.layout_features = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text + " ")
        subsetter.subset(font)
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        out = io.BytesIO()
        font.save(out)
    except Exception as exc:  # fontTools raises many types for a bad file
        raise errors.ReportError(FONT_BAD.format(path=path, reason=str(exc).split("\n")[0] or type(exc).__name__)) from None
    return out.getvalue()


def font_factory(text: str, size: int) -> Any:
    """A pyHanko font engine factory that embeds the signature font subset to ``text``."""
    from pyhanko.pdf_utils.font.api import FontEngineFactory  # pyHanko: only when signing
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

    data = _scaled_font(str(find_font()), text)

    class _Factory(FontEngineFactory):
        def create_font_engine(self, writer: Any, obj_stream: Any = None) -> Any:
            if obj_stream is None and writer.stream_xrefs:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(data), font_size=size,
                                    obj_stream=obj_stream)

    return _Factory()


def text_style(text: str, size: int, *, border: int = 1) -> Any:
    """A pyHanko text stamp style: ``text`` left-aligned at the top, in the embedded font."""
    from pyhanko.pdf_utils import layout  # pyhanko: loaded on use, not at import
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(
        stamp_text="%(block)s", border_width=border, background=None,
        text_box_style=TextBoxStyle(font=font_factory(text, size), font_size=size, leading=size + 3),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MAX,
            margins=layout.Margins(left=10, right=10, top=8, bottom=8)),
    )


@dataclass(frozen=True)
class BlockText:
    """What a signature block says."""

    signer: str
    organisation: str | None
    role: str | None
    signed_at: str
    reason: str | None
    issuer: str

    def lines(self) -> list[str]:
        who = self.signer + (f" ({self.organisation})" if self.organisation else "")
        out = [f"Signed by: {who}", f"Role: {self.role or 'not stated'}", f"Date: {self.signed_at}"]
        if self.reason:
            out.append(f"Reason: {_clip(self.reason, 90)}")
        out.append(f"Certificate issued by: {self.issuer}")
        return [_clip(line, 100) for line in out]

    def text(self) -> str:
        return "\n".join(self.lines())


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _box(obj: Any) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in obj)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def media_box(page: Any) -> tuple[float, float, float, float]:
    """A page's media box (inherited from the page tree when the page has none)."""
    node = page
    while node is not None:
        if "/MediaBox" in node:
            return _box(node["/MediaBox"])
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return 0.0, 0.0, 595.28, 841.89


def signature_rects(page: Any) -> list[tuple[float, float, float, float]]:
    """The rectangles of the signature widgets on a page."""
    rects = []
    for annot in page.get("/Annots", ()) or ():
        annot = annot.get_object()
        is_sig = annot.get("/FT") == "/Sig" or (annot.get("/Parent") is not None
                                                and annot["/Parent"].get_object().get("/FT") == "/Sig")
        if annot.get("/Subtype") == "/Widget" and is_sig and "/Rect" in annot:
            rects.append(_box(annot["/Rect"]))
    return rects


def add_signoff_page(writer: Any, *, evidence_sha256: str | None) -> int:
    """Append the sign-off page (same size as the last page) with its heading; return its index."""
    from pyhanko.pdf_utils import generic  # pyhanko: loaded on use, not at import
    from pyhanko.stamp import TextStamp

    last_ref, _ = writer.find_page_for_modification(-1)
    x0, y0, x1, y1 = media_box(last_ref.get_object())
    page = generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Page"),
        generic.pdf_name("/MediaBox"): generic.ArrayObject([generic.FloatObject(v) for v in (x0, y0, x1, y1)]),
        generic.pdf_name("/Resources"): generic.DictionaryObject(),
        generic.pdf_name("/Contents"): writer.add_object(generic.StreamObject(stream_data=b"")),
    })
    writer.insert_page(page)
    index = int(writer.root["/Pages"]["/Count"]) - 1
    TextStamp(writer, text_style(SIGNOFF_TITLE, TITLE_FONT_SIZE, border=0),
              text_params={"block": SIGNOFF_TITLE}).apply(index, int(x0 + MARGIN) - 10, int(y1 - MARGIN - 34))
    note = SIGNOFF_NOTE + (f"\nEvidence SHA-256: {evidence_sha256}" if evidence_sha256 else "")
    TextStamp(writer, text_style(note, NOTE_FONT_SIZE, border=0),
              text_params={"block": note}).apply(index, int(x0 + MARGIN) - 10, int(y1 - MARGIN - 80))
    return index


def next_block(page: Any) -> tuple[float, float, float, float]:
    """Where the next signature block goes on ``page``: below the lowest block there, else below
    the sign-off heading. Raises :class:`~auditkit.errors.ReportError` when the page is full."""
    x0, y0, x1, y1 = media_box(page)
    rects = signature_rects(page)
    top = (min(r[1] for r in rects) - BLOCK_GAP) if rects else (y1 - MARGIN - HEADER_HEIGHT)
    bottom = top - BLOCK_HEIGHT
    if bottom < y0 + MARGIN:
        limit = int((y1 - y0 - 2 * MARGIN - HEADER_HEIGHT + BLOCK_GAP) // (BLOCK_HEIGHT + BLOCK_GAP))
        raise errors.ReportError(NO_ROOM.format(count=len(rects), limit=limit))
    return x0 + MARGIN, bottom, x1 - MARGIN, top

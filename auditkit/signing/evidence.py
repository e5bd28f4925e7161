"""The evidence a report carries: ``evidence.json`` attached to the PDF, and the SHA-256
fingerprint of it printed on the report's cover ("Evidence SHA-256 …").

A report is consistent when exactly one ``evidence.json`` is attached and its SHA-256 equals the
fingerprint printed on the first page (where every auditkit report prints it).
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any

EVIDENCE_NAME = "evidence.json"
#: The label the report templates print before the fingerprint (report_templates/base.html).
PRINTED_LABEL = "Evidence SHA-256"

NO_ATTACHMENT = f"no {EVIDENCE_NAME} is attached to the PDF"
SEVERAL_ATTACHMENTS = "{count} files named " + EVIDENCE_NAME + " are attached; expected one"
NOT_PRINTED = f"the first page prints no '{PRINTED_LABEL}' fingerprint to compare {EVIDENCE_NAME} with"
MISMATCH = (f"the attached {EVIDENCE_NAME} has SHA-256 {{actual}} but the report prints {{printed}}: the "
            "evidence is not the one the report was made from")


@dataclass(frozen=True)
class EvidenceCheck:
    """Outcome of :func:`check_evidence`: ``ok`` when one ``evidence.json`` is attached and its
    SHA-256 (``sha256``) equals the fingerprint printed on the first page (``printed``)."""

    ok: bool
    sha256: str | None
    printed: str | None
    size: int | None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "name": EVIDENCE_NAME, "sha256": self.sha256, "printed_sha256": self.printed,
                "bytes": self.size, "problem": self.problem}


def printed_fingerprint(reader: Any) -> str | None:
    """The fingerprint printed after "Evidence SHA-256" on the first page of a :mod:`pypdf`
    reader (the 64 hex digits may wrap over lines)."""
    text = reader.pages[0].extract_text() or "" if len(reader.pages) else ""
    at = text.find(PRINTED_LABEL)
    if at < 0:
        return None
    tail = re.sub(r"\s+", "", text[at + len(PRINTED_LABEL):at + len(PRINTED_LABEL) + 120])
    found = re.match(r"[0-9a-fA-F]{64}", tail)
    return found.group(0).lower() if found else None


def check_evidence(data: bytes) -> EvidenceCheck:
    """Compare the attached ``evidence.json`` of a PDF (bytes) with the fingerprint it prints.

    Raises what :mod:`pypdf` raises for a file it cannot parse (the caller has checked it is a PDF).
    """
    import pypdf  # pypdf: only when a report is checked

    reader = pypdf.PdfReader(io.BytesIO(data))
    printed = printed_fingerprint(reader)
    found = reader.attachments.get(EVIDENCE_NAME) or []
    if not found:
        return EvidenceCheck(False, None, printed, None, NO_ATTACHMENT)
    if len(found) > 1:
        return EvidenceCheck(False, None, printed, None, SEVERAL_ATTACHMENTS.format(count=len(found)))
    content = found[0]
    actual = hashlib.sha256(content).hexdigest()
    if printed is None:
        return EvidenceCheck(False, actual, None, len(content), NOT_PRINTED)
    if printed != actual:
        return EvidenceCheck(False, actual, printed, len(content), MISMATCH.format(actual=actual, printed=printed))
    return EvidenceCheck(True, actual, printed, len(content))

"""Sign a report PDF: a PAdES baseline signature (B-B, or B-T with a time-stamp authority) added
as an incremental update, with a visible block on the last page.

Nothing already in the file changes: the signature is appended after the last byte, so earlier
signatures stay valid and PDF/A-3b conformance, the tagged content and the attached
``evidence.json`` are kept as they were. The signer's role (preparer, reviewer, approver) is
recorded as a claimed role in the CMS ``signer-attributes-v2`` attribute and in the signature's
``/Reason``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import errors
from ..reports import write_atomically
from .appearance import BLOCK_FONT_SIZE, BlockText, add_signoff_page, media_box, next_block, signature_rects, text_style
from .evidence import check_evidence
from .keys import SigningIdentity

#: Roles a signer may state (``--role``).
ROLES = ("preparer", "reviewer", "approver")
#: Prefix of the signature fields auditkit creates (numbered from 1).
FIELD_PREFIX = "AuditkitSignature"
#: URN form of a role in the claimed-role attribute.
ROLE_URN = "urn:auditkit:role:"

BAD_ROLE = "role {role!r} is not one of: {choices}"
PDF_MISSING = "report {path!r} does not exist"
NOT_A_PDF = "{path!r} is not a PDF file (it does not start with %PDF-)"
PDF_UNREADABLE = "cannot read PDF {path!r}: {reason}"
PDF_ENCRYPTED = "{path!r} is encrypted; auditkit signs its own (unencrypted) reports"
SAME_FILE = "the output {path!r} is the input; write the signed report to a new file"
TSA_FAILED = "the time-stamp authority {url!r} did not answer with a time stamp: {reason}"
BAD_TSA_URL = "time-stamp URL {url!r} is not an http:// or https:// URL"
SIGNING_FAILED = "pyHanko could not sign {path!r}: {reason}"


@dataclass(frozen=True)
class SignedReport:
    """What :func:`sign_report` wrote."""

    path: str
    field: str
    signer: str
    role: str | None
    signed_at: str
    page: int
    added_signoff_page: bool
    timestamped: bool

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": "1", "path": self.path, "field": self.field, "signer": self.signer,
                "role": self.role, "signed_at": self.signed_at, "page": self.page,
                "added_signoff_page": self.added_signoff_page, "timestamped": self.timestamped}


def read_pdf(path: str | Path) -> bytes:
    """The bytes of a PDF file. Raises :class:`~auditkit.errors.UsageError` when it is missing,
    unreadable or not a PDF."""
    p = Path(path)
    if not p.is_file():
        raise errors.UsageError(PDF_MISSING.format(path=str(p)))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise errors.UsageError(PDF_UNREADABLE.format(path=str(p), reason=exc.strerror or exc)) from None
    if not data.lstrip()[:5] == b"%PDF-":
        raise errors.UsageError(NOT_A_PDF.format(path=str(p)))
    return data


def _asn1(identity: SigningIdentity) -> tuple[Any, Any, list[Any]]:
    from asn1crypto import keys as akeys  # asn1crypto (with pyHanko): loaded on use, not at import
    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives import serialization  # cryptography: loaded on use, not at import

    key = akeys.PrivateKeyInfo.load(identity.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    der = serialization.Encoding.DER
    cert = ax509.Certificate.load(identity.cert.public_bytes(der))
    chain = [ax509.Certificate.load(c.public_bytes(der)) for c in identity.chain]
    return key, cert, chain


def _writer_class() -> type:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # pyhanko: loaded on use, not at import

    class _KeepMetadataWriter(IncrementalPdfFileWriter):
        """Leaves the Info dictionary and XMP metadata as the report wrote them: pyHanko would
        set Info's /Producer and XMP's pdf:Producer to different text, which PDF/A forbids."""

        def _update_meta(self) -> None:  # pyHanko's hook, called before writing
            return None

    return _KeepMetadataWriter


def _signer_class(when: datetime) -> type:
    from pyhanko.sign.signers import PdfSigner  # pyhanko: loaded on use, not at import

    class _UtcPdfSigner(PdfSigner):
        """The signing time is ``when`` (UTC, whole seconds): the one the visible block shows."""

        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = when
            return session

    return _UtcPdfSigner


def _timestamper(url: str | None) -> Any:
    if url is None:
        return None
    if not url.lower().startswith(("http://", "https://")):
        raise errors.UsageError(BAD_TSA_URL.format(url=url))
    from pyhanko.sign.timestamps import HTTPTimeStamper  # pyhanko: loaded on use, not at import

    return HTTPTimeStamper(url, timeout=20)


def sign_report(report: str | Path, out: str | Path, *, identity: SigningIdentity, role: str | None = None,
                reason: str | None = None, timestamp_url: str | None = None) -> SignedReport:
    """Sign ``report`` (a PDF) with ``identity`` and write the signed PDF to ``out``.

    ``role`` is one of :data:`ROLES` (or ``None``), ``reason`` free text shown in the block and
    the signature's ``/Reason``; ``timestamp_url`` an RFC 3161 time-stamp authority whose token
    is embedded (PAdES B-T). The file is written whole or not at all.

    Raises :class:`~auditkit.errors.UsageError` (bad input, role or URL),
    :class:`~auditkit.errors.ReportError` (no font, no room, time-stamp authority failing, file
    not writable).
    """
    from asn1crypto import cms  # asn1crypto: loaded on use, not at import
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.ades.api import CAdESSignedAttrSpec, SignerAttrSpec
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.timestamps import TimestampRequestError
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    if role is not None and role not in ROLES:
        raise errors.UsageError(BAD_ROLE.format(role=role, choices=", ".join(ROLES)))
    src, dst = Path(report), Path(out)
    data = read_pdf(src)
    if dst.exists() and dst.resolve() == src.resolve():
        raise errors.UsageError(SAME_FILE.format(path=str(dst)))
    timestamper = _timestamper(timestamp_url)
    key, cert, chain = _asn1(identity)
    signer = signers.SimpleSigner(signing_key=key, signing_cert=cert,
                                  cert_registry=SimpleCertificateStore.from_certs(chain))
    try:
        writer = _writer_class()(io.BytesIO(data))
    except (PdfError, ValueError, KeyError) as exc:
        raise errors.UsageError(PDF_UNREADABLE.format(path=str(src), reason=exc)) from None
    if writer.prev.encrypted:
        raise errors.UsageError(PDF_ENCRYPTED.format(path=str(src)))

    existing = [name for name, _, _ in fields.enumerate_sig_fields(writer.prev)]
    added_page = not existing
    if added_page:
        add_signoff_page(writer, evidence_sha256=_printed_fingerprint(data))
    count = int(writer.root["/Pages"]["/Count"])
    page_ref, _ = writer.find_page_for_modification(count - 1)
    page = page_ref.get_object()
    if added_page or signature_rects(page):
        box = next_block(page)
    else:  # signed before by another tool, without a block on the last page: use its foot
        x0, y0, x1, _ = media_box(page)
        box = (x0 + 50, y0 + 12, x1 - 50, y0 + 86)
    number = 1
    while f"{FIELD_PREFIX}{number}" in existing:
        number += 1
    field_name = f"{FIELD_PREFIX}{number}"

    now = datetime.now(timezone.utc).replace(microsecond=0)
    block = BlockText(signer=identity.subject, organisation=identity.organisation, role=role,
                      signed_at=now.strftime("%Y-%m-%d %H:%M:%S UTC"), reason=reason, issuer=identity.issuer)
    claimed = []
    if role is not None:
        claimed.append(cms.AttCertAttribute({"type": "role", "values": [cms.RoleSyntax({
            "role_name": ax509.GeneralName({"uniform_resource_identifier": ROLE_URN + role})})]}))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=("; ".join(x for x in (f"role: {role}" if role else None, reason) if x) or None),
        cades_signed_attr_spec=CAdESSignedAttrSpec(
            signer_attributes=SignerAttrSpec(claimed_attrs=claimed, certified_attrs=[]) if claimed else None),
    )
    spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=count - 1,
                               box=tuple(int(round(v)) for v in box))
    pdf_signer = _signer_class(now)(meta, signer, timestamper=timestamper,
                                 stamp_style=text_style(block.text(), BLOCK_FONT_SIZE), new_field_spec=spec)
    try:
        output = pdf_signer.sign_pdf(writer, appearance_text_params={"block": block.text()})
    except TimestampRequestError as exc:
        raise errors.ReportError(TSA_FAILED.format(url=timestamp_url, reason=str(exc).split("\n")[0])) from None
    except (SigningError, PdfError) as exc:
        text = str(exc).split("\n")[0]
        if timestamp_url and ("timestamp" in text.lower() or "tsa" in text.lower()):
            raise errors.ReportError(TSA_FAILED.format(url=timestamp_url, reason=text)) from None
        raise errors.ReportError(SIGNING_FAILED.format(path=str(src), reason=text)) from None
    write_atomically(dst, output.getvalue())
    return SignedReport(path=str(dst), field=field_name, signer=identity.subject, role=role,
                        signed_at=now.isoformat().replace("+00:00", "Z"), page=count,
                        added_signoff_page=added_page, timestamped=timestamper is not None)


def _printed_fingerprint(data: bytes) -> str | None:
    """The evidence fingerprint the report prints (``None`` for a PDF that is not an auditkit report)."""

    try:
        return check_evidence(data).printed
    except Exception:  # pypdf cannot read what pyHanko can: the sign-off page just omits it
        return None

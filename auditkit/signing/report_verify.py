"""Check a signed report: every signature, the attached evidence, and what follows the last
signature.

For each signature: is it intact (the signed bytes hash to the signed digest) and valid (the
signer's key made it); does it cover the whole file or which revision; were the changes made after
it (later revisions) of the kind a signature allows (more signatures and their blocks, form
filling) or anything else; who signed, in which role, when (as the signer claims and, when
time-stamped, as the time-stamp authority attests); does the signer's certificate chain to one of
the trust roots given. Then whether the attached ``evidence.json`` is the one whose fingerprint the
report prints, and whether anything was appended after the last signature.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from .. import errors
from .evidence import EvidenceCheck, check_evidence
from .keys import load_trust_roots
from .pdf_reader import reader as indexed_reader
from .report_sign import ROLE_URN, read_pdf

PDF_UNPARSABLE = "cannot read {path!r} as a PDF: {reason}"
P_NOT_INTACT = "the signed bytes were changed after signing (digest mismatch)"
P_NOT_VALID = "the signature does not verify with the signer's certificate"
P_UNTRUSTED = "the signer's certificate does not chain to the given trust roots ({why})"
P_COVERAGE = "the signature does not cover a whole revision of the file (byte range {byte_range})"
P_MODIFIED = "the file was changed after this signature in a way a signature does not allow ({level})"
P_TS_INVALID = "the time stamp does not verify"
P_TS_UNTRUSTED = "the time stamp's authority does not chain to the given trust roots"
P_APPENDED_REVISION = ("{count} revision(s) ({size} bytes) were appended after the last signature; they "
                       "are signed by no one")
P_APPENDED_BYTES = "{size} bytes follow the end of the last signature's revision; they are signed by no one"
P_NO_SIGNATURE = "the report carries no signature"
FAILED = "{path!r} failed verification: {problem}{more}"


class ReportVerificationError(errors.AuditkitError):
    """A report's signatures or evidence did not verify (exit code 1)."""

    exit_code = 1

    @classmethod
    def of(cls, result: "ReportVerification") -> "ReportVerificationError":
        more = f" (and {len(result.problems) - 1} more problem(s) above)" if len(result.problems) > 1 else ""
        return cls(FAILED.format(path=result.path, problem=result.problems[0], more=more))


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a report as :func:`verify_report` found it."""

    field: str
    signer: str
    signer_dn: str
    issuer: str
    role: str | None
    reason: str | None
    signed_at: str | None
    timestamp: str | None
    revision: int
    revisions: int
    covers: str
    intact: bool
    valid: bool
    trusted: bool | None
    changes_after: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "signer": self.signer, "signer_dn": self.signer_dn, "issuer": self.issuer,
                "role": self.role, "reason": self.reason, "signed_at": self.signed_at,
                "timestamp": self.timestamp, "revision": self.revision, "revisions": self.revisions,
                "covers": self.covers, "intact": self.intact, "valid": self.valid, "trusted": self.trusted,
                "changes_after": self.changes_after, "ok": self.ok, "problems": list(self.problems)}


@dataclass(frozen=True)
class ReportVerification:
    """Outcome of :func:`verify_report`; ``ok`` when every check passed (CLI exit 0)."""

    path: str
    size: int
    revisions: int
    trust_checked: bool
    signatures: tuple[SignatureCheck, ...]
    evidence: EvidenceCheck
    appended: str | None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": "1", "ok": self.ok, "path": self.path, "bytes": self.size,
                "revisions": self.revisions, "trust_checked": self.trust_checked,
                "signatures": [s.to_dict() for s in self.signatures], "evidence": self.evidence.to_dict(),
                "appended_after_last_signature": self.appended, "problems": list(self.problems)}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _name(name: Any) -> str:
    native = name.native
    return str(native.get("common_name") or name.human_friendly)


def _role(status: Any) -> str | None:
    """The role the signer claimed (``signer-attributes-v2``, written by :func:`sign_report`)."""
    attrs = status.cades_signer_attrs
    if attrs is None or "role" not in attrs.claimed_attrs:
        return None
    for value in attrs.claimed_attrs["role"].attr_values:
        name = value["role_name"]
        text = name.native if name.name == "uniform_resource_identifier" else None
        if isinstance(text, str) and text.startswith(ROLE_URN):
            return text[len(ROLE_URN):] or None
    return None


def _context(roots: list[Any]) -> Any:
    from asn1crypto import x509 as ax509  # asn1crypto: loaded on use, not at import
    from cryptography.hazmat.primitives import serialization
    from pyhanko_certvalidator import ValidationContext

    anchors = [ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in roots]
    return ValidationContext(trust_roots=anchors, allow_fetching=False, revocation_mode="soft-fail")


def verify_report(report: str | Path, *, trust: Iterable[str | Path] = ()) -> ReportVerification:
    """Check every signature of a report PDF, its attached evidence and what follows the last
    signature; ``trust`` names PEM/DER files of trust roots (none: the chain is not checked).

    Returns a :class:`ReportVerification` (it does not raise for a bad signature). Raises
    :class:`~auditkit.errors.UsageError` for a file that is missing, not a PDF or unreadable, and
    for trust files that hold no certificate.
    """
    from pyhanko.pdf_utils.misc import PdfError  # pyhanko: loaded on use, not at import

    trust = list(trust)
    roots = load_trust_roots(trust)
    data = read_pdf(report)
    try:
        reader = indexed_reader(data)
        embedded = list(reader.embedded_regular_signatures)
        revisions = reader.xrefs.total_revisions
        evidence = check_evidence(data)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise errors.UsageError(PDF_UNPARSABLE.format(path=str(report), reason=str(exc).split("\n")[0])) from None
    except Exception as exc:  # pypdf's own errors on a broken file
        if type(exc).__module__.startswith("pypdf"):
            raise errors.UsageError(PDF_UNPARSABLE.format(path=str(report), reason=str(exc).split("\n")[0])) from None
        raise

    context = _context(roots)  # no roots: nothing is trusted (and pyHanko does not fall back to the OS list)
    with _quiet():
        checks = _check_signatures(embedded, context, revisions, bool(trust))
    problems: list[str] = []
    appended = None
    if not checks:
        problems.append(P_NO_SIGNATURE)
    else:
        last = max(embedded, key=lambda s: s.byte_range[2] + s.byte_range[3])
        end = last.byte_range[2] + last.byte_range[3]
        if end < len(data):
            later = revisions - (last.signed_revision + 1)
            appended = (P_APPENDED_REVISION.format(count=later, size=len(data) - end) if later > 0
                        else P_APPENDED_BYTES.format(size=len(data) - end))
            problems.append(appended)
    for check in checks:
        problems.extend(f"{check.field} ({check.signer}): {p}" for p in check.problems)
    if not evidence.ok:
        problems.append(f"evidence: {evidence.problem}")
    return ReportVerification(path=str(report), size=len(data), revisions=revisions, trust_checked=bool(trust),
                              signatures=tuple(checks), evidence=evidence, appended=appended,
                              problems=tuple(problems))


@contextmanager
def _quiet() -> Iterator[None]:
    """pyHanko logs a traceback for every certificate path it cannot build; the result says it."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _check_signatures(embedded: list[Any], context: Any, revisions: int, trust: bool) -> list[SignatureCheck]:
    from pyhanko.sign.diff_analysis import ModificationLevel  # pyhanko: loaded on use, not at import
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    checks = []
    for sig in embedded:
        status = validate_pdf_signature(sig, context, ts_validation_context=context, key_usage_settings=usage)
        problems = []
        if not status.intact:
            problems.append(P_NOT_INTACT)
        elif not status.valid:
            problems.append(P_NOT_VALID)
        trusted = None
        if trust:
            trusted = bool(status.trusted)
            if not trusted and status.intact and status.valid:
                why = status.trust_problem_indic.name.lower().replace("_", " ") if status.trust_problem_indic else "no path"
                problems.append(P_UNTRUSTED.format(why=why))
        coverage = status.coverage
        if coverage == SignatureCoverageLevel.ENTIRE_FILE:
            covers = "whole file"
        elif coverage == SignatureCoverageLevel.ENTIRE_REVISION:
            covers = f"revision {sig.signed_revision + 1} of {revisions}"
        else:
            covers = "part of a revision"
            problems.append(P_COVERAGE.format(byte_range=list(sig.byte_range)))
        level = status.modification_level
        if coverage == SignatureCoverageLevel.ENTIRE_FILE or level in (None, ModificationLevel.NONE):
            changes = "none"
        elif level in (ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING) and status.docmdp_ok is not False:
            changes = "only what a signature allows (later signatures, form fields, metadata)"
        else:
            changes = "other changes"
            problems.append(P_MODIFIED.format(level=level.name.lower().replace("_", " ") if level else "unknown"))
        ts = status.timestamp_validity
        if ts is not None:
            if not (ts.intact and ts.valid):
                problems.append(P_TS_INVALID)
            elif trust and not ts.trusted:
                problems.append(P_TS_UNTRUSTED)
        reason = sig.sig_object.get("/Reason")
        checks.append(SignatureCheck(
            field=str(sig.field_name), signer=_name(status.signing_cert.subject),
            signer_dn=status.signing_cert.subject.human_friendly, issuer=_name(status.signing_cert.issuer),
            role=_role(status), reason=str(reason) if reason is not None else None,
            signed_at=_iso(status.signer_reported_dt), timestamp=_iso(ts.timestamp) if ts is not None else None,
            revision=sig.signed_revision + 1, revisions=revisions, covers=covers, intact=bool(status.intact),
            valid=bool(status.valid), trusted=trusted, changes_after=changes, problems=tuple(problems)))
    return checks

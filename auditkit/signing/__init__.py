"""Signed evidence: PAdES signatures on reports, checked again later.

    from auditkit.signing import load_identity, sign_report, verify_report

    me = load_identity("carol.key", "carol.pem")
    sign_report("model.pdf", "model-signed.pdf", identity=me, role="approver")
    result = verify_report("model-signed.pdf", trust=["bank-root-ca.pem"])
    result.ok, [s.signer for s in result.signatures]

    signer = load_ledger_signer("ledger.key")          # Ed25519, for the registry ledger
    snapshot(store, "ledger.jsonl", sign=signer)         # auditkit.ledger.snapshot's hook
    verify_ledger_signatures("ledger.jsonl", trust=["ledger.pub"]).ok

Sits between :mod:`auditkit.reports` and :mod:`auditkit.cli`: only the CLI imports it. pyHanko,
pypdf and cryptography are imported inside the functions that use them.
"""

from __future__ import annotations

from .evidence import EVIDENCE_NAME, EvidenceCheck, check_evidence
from .keys import PASSPHRASE_ENV, PassphraseRequired, SigningIdentity, load_identity, load_private_key, load_trust_roots
from .ledger_sign import (
    LedgerSignatureCheck,
    LedgerSignaturesError,
    LedgerSigner,
    entry_signer,
    key_fingerprint,
    load_ledger_signer,
    load_public_keys,
    verify_ledger_signatures,
)
from .report_sign import ROLES, SignedReport, sign_report
from .report_verify import ReportVerification, ReportVerificationError, SignatureCheck, verify_report

__all__ = [
    "EVIDENCE_NAME",
    "PASSPHRASE_ENV",
    "ROLES",
    "EvidenceCheck",
    "LedgerSignatureCheck",
    "LedgerSignaturesError",
    "LedgerSigner",
    "PassphraseRequired",
    "ReportVerification",
    "ReportVerificationError",
    "SignatureCheck",
    "SignedReport",
    "SigningIdentity",
    "check_evidence",
    "entry_signer",
    "key_fingerprint",
    "load_ledger_signer",
    "load_public_keys",
    "load_identity",
    "load_private_key",
    "load_trust_roots",
    "sign_report",
    "verify_ledger_signatures",
    "verify_report",
]

"""Signed ledger heads: Ed25519 signatures on registry-ledger entries.

The hash chain (``auditkit verify``) shows that no entry was changed *relative to the others*;
whoever holds the file can still rewrite it all and recompute every hash. A signature made with a
key the rewriter does not hold closes that gap: ``snapshot --sign-key KEY`` adds to each new entry

    "signature": {"alg": "ed25519", "key_sha256": "<SHA-256 of the raw public key>", "value": "<base64>"}

made over ``auditkit-ledger-entry-v1\\n`` followed by the entry's canonical JSON without its
``sha256`` and ``signature`` fields. The signature is added before the entry's ``sha256`` is
computed, so the chain covers it too, and old readers see one more field. Because every entry
names its predecessor's hash, a valid signature on entry *n* vouches for entries 1..n as they
stand; ``verify --trust KEY.pub`` checks every signed entry against the trusted public keys and
reports the unsigned stretches.

The ledger code calls :meth:`LedgerSigner.__call__` through a hook (``snapshot(..., sign=…)``); it
does not import this module.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .. import errors
from ..ledger import read_ledger
from .keys import load_private_key

SIGNATURE_FIELD = "signature"
ALGORITHM = "ed25519"
#: Signed bytes start with this, so a ledger signature cannot be replayed as another message.
DOMAIN = b"auditkit-ledger-entry-v1\n"

NOT_ED25519 = "ledger signing key {path!r} is a {kind} key; expected an Ed25519 key (openssl genpkey -algorithm ed25519)"
PUBLIC_MISSING = "public key file {path!r} does not exist"
PUBLIC_BAD = "{path!r} is not an Ed25519 public key (PEM, DER or OpenSSH 'ssh-ed25519 …')"
NO_TRUST = "no trusted public key given; pass --trust KEY.pub"
P_BAD_FIELD = "its signature field is malformed (expected alg ed25519, key_sha256 and a base64 value)"
P_UNKNOWN_KEY = "signed by key sha256 {key} which is not among the trusted keys"
P_BAD_SIGNATURE = ("its signature does not match its content: the entry (or one before it) was rewritten "
                   "after it was signed")
P_NONE_TRUSTED = "no entry is signed by a trusted key"
P_UNSIGNED_TAIL = "{entries} after the last signed entry: no signature vouches for them"
FAILED = "ledger {path!r} signatures do not hold: {problem}{more}"


class LedgerSignaturesError(errors.LedgerTamperedError):
    """A ledger's signatures do not verify with the trusted keys (exit code 1)."""

    @classmethod
    def of(cls, result: "LedgerSignatureCheck") -> "LedgerSignaturesError":
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        return cls(FAILED.format(path=result.path, problem=result.problems[0], more=more))


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON, keys sorted, no spaces: the ledger's canonical form."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def signed_message(entry: dict[str, Any]) -> bytes:
    """The bytes an entry's signature is made over."""
    body = {k: v for k, v in entry.items() if k not in ("sha256", SIGNATURE_FIELD)}
    return DOMAIN + canonical_json(body)


def key_fingerprint(public_key: Any) -> str:
    """SHA-256 (hex) of an Ed25519 public key's 32 raw bytes."""
    from cryptography.hazmat.primitives import serialization  # cryptography: loaded on use, not at import

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


class LedgerSigner:
    """Signs new ledger entries with an Ed25519 private key; pass it as ``snapshot(..., sign=…)``."""

    def __init__(self, private_key: Any, *, path: str = "") -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # loaded on use

        if not isinstance(private_key, Ed25519PrivateKey):
            kind = type(private_key).__name__.replace("_", "").replace("PrivateKey", "") or "non-Ed25519"
            raise errors.UsageError(NOT_ED25519.format(path=path, kind=kind))
        self._key = private_key
        self.key_sha256 = key_fingerprint(private_key.public_key())

    def __call__(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The fields to add to ``entry`` (before its ``sha256`` is computed): its signature."""
        value = base64.b64encode(self._key.sign(signed_message(entry))).decode("ascii")
        return {SIGNATURE_FIELD: {"alg": ALGORITHM, "key_sha256": self.key_sha256, "value": value}}


def load_ledger_signer(path: str | Path, *, passphrase: bytes | None = None) -> LedgerSigner:
    """A :class:`LedgerSigner` from an Ed25519 private key file (PEM/DER, maybe encrypted).

    Raises :class:`~auditkit.signing.PassphraseRequired` and :class:`~auditkit.errors.UsageError`.
    """
    return LedgerSigner(load_private_key(path, passphrase=passphrase), path=str(path))


def load_public_keys(paths: Iterable[str | Path]) -> dict[str, Any]:
    """Trusted Ed25519 public keys by fingerprint, from PEM/DER/OpenSSH files.

    Raises :class:`~auditkit.errors.UsageError` for a missing file or another kind of key.
    """
    from cryptography.hazmat.primitives import serialization  # cryptography: loaded on use, not at import
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys: dict[str, Any] = {}
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise errors.UsageError(PUBLIC_MISSING.format(path=str(p)))
        data = p.read_bytes()
        key = None
        for loader in (serialization.load_pem_public_key, serialization.load_der_public_key,
                       serialization.load_ssh_public_key):
            try:
                key = loader(data.strip())
                break
            except (ValueError, TypeError, Exception):  # noqa: B014 - try the next form
                continue
        if not isinstance(key, Ed25519PublicKey):
            raise errors.UsageError(PUBLIC_BAD.format(path=str(p)))
        keys[key_fingerprint(key)] = key
    return keys


@dataclass(frozen=True)
class LedgerSignatureCheck:
    """Outcome of :func:`verify_ledger_signatures`; ``ok`` when every signed entry verifies with
    a trusted key, at least one does, and the newest entry is covered by a signature."""

    path: str
    entries: int
    head_seq: int | None
    head_sha256: str | None
    signed: tuple[int, ...]
    signers: dict[int, str]
    unsigned_stretches: tuple[tuple[int, int], ...]
    bad: tuple[tuple[int, str], ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head_signed_by(self) -> str | None:
        """The key fingerprint that signed the newest entry (``None``: unsigned or bad)."""
        return self.signers.get(self.head_seq) if self.head_seq is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": "1", "ok": self.ok, "ledger": self.path, "entries": self.entries,
                "head_seq": self.head_seq, "head_sha256": self.head_sha256, "head_signed_by": self.head_signed_by,
                "signed_entries": len(self.signed),
                "signers": sorted(set(self.signers.values())),
                "unsigned_stretches": [{"from_seq": a, "to_seq": b} for a, b in self.unsigned_stretches],
                "bad_entries": [{"seq": s, "problem": p} for s, p in self.bad], "problems": list(self.problems)}


def verify_ledger_signatures(path: str | Path, *, trust: Iterable[str | Path]) -> LedgerSignatureCheck:
    """Check every signed entry of a ledger (whose hash chain must hold) against the trusted
    Ed25519 public keys in ``trust``.

    Raises :class:`~auditkit.errors.LedgerError` / :class:`~auditkit.errors.LedgerTamperedError`
    (unreadable, broken chain) and :class:`~auditkit.errors.UsageError` (bad key files).
    """
    from cryptography.exceptions import InvalidSignature  # cryptography: loaded on use, not at import


    keys = load_public_keys(trust)
    if not keys:
        raise errors.UsageError(NO_TRUST)
    entries = read_ledger(path)
    signed: list[int] = []
    signers: dict[int, str] = {}
    bad: list[tuple[int, str]] = []
    unsigned: list[int] = []
    for entry in entries:
        seq = entry["seq"]
        sig = entry.get(SIGNATURE_FIELD)
        if sig is None:
            unsigned.append(seq)
            continue
        try:
            if sig["alg"] != ALGORITHM:
                raise ValueError(sig["alg"])
            fingerprint = str(sig["key_sha256"])
            value = base64.b64decode(sig["value"], validate=True)
        except (KeyError, TypeError, ValueError):
            bad.append((seq, P_BAD_FIELD))
            continue
        key = keys.get(fingerprint)
        if key is None:
            bad.append((seq, P_UNKNOWN_KEY.format(key=fingerprint)))
            continue
        try:
            key.verify(value, signed_message(entry))
        except InvalidSignature:
            bad.append((seq, P_BAD_SIGNATURE))
            continue
        signed.append(seq)
        signers[seq] = fingerprint
    stretches = _stretches(unsigned)
    problems = [f"entry #{seq}: {problem}" for seq, problem in bad]
    if entries and not signed and not bad:
        problems.append(P_NONE_TRUSTED)
    if entries and signed and not bad and entries[-1]["seq"] != signed[-1]:
        first, last = signed[-1] + 1, entries[-1]["seq"]
        problems.append(P_UNSIGNED_TAIL.format(
            entries=f"entry #{first} comes" if first == last else f"entries #{first}..#{last} come"))
    head = entries[-1] if entries else None
    return LedgerSignatureCheck(path=str(path), entries=len(entries), head_seq=head and head["seq"],
                                head_sha256=head and head["sha256"], signed=tuple(signed), signers=signers,
                                unsigned_stretches=tuple(stretches), bad=tuple(bad), problems=tuple(problems))


def _stretches(seqs: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for seq in seqs:
        if out and out[-1][1] == seq - 1:
            out[-1] = (out[-1][0], seq)
        else:
            out.append((seq, seq))
    return out


def entry_signer(entry: dict[str, Any]) -> str | None:
    """The key fingerprint an entry claims to be signed with (not verified), or ``None``."""
    sig = entry.get(SIGNATURE_FIELD)
    return str(sig.get("key_sha256")) if isinstance(sig, dict) and sig.get("key_sha256") else None

"""Signing keys, certificates and trust roots read from files.

A signer's key is a PEM or DER private key with its certificate in a separate PEM/DER file (which
may also hold the issuing chain, signer first), or a PKCS#12 file (``.p12``/``.pfx``) holding
key, certificate and chain. An encrypted key's passphrase comes from the caller (the CLI reads it
from ``$AUDITKIT_KEY_PASSPHRASE`` or asks for it), never from a command-line argument.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .. import errors

#: Environment variable the CLI reads an encrypted key's passphrase from.
PASSPHRASE_ENV = "AUDITKIT_KEY_PASSPHRASE"
PKCS12_SUFFIXES = (".p12", ".pfx")

KEY_MISSING = "key file {path!r} does not exist"
KEY_UNREADABLE = "cannot read {what} {path!r}: {reason}"
KEY_NEEDS_PASSPHRASE = ("key {path!r} is encrypted; set {env} or run in a terminal to be asked for "
                        "its passphrase")
KEY_BAD_PASSPHRASE = "the passphrase does not open key {path!r}"
KEY_NOT_A_KEY = "{path!r} is not a PEM/DER private key or a PKCS#12 file ({reason})"
CERT_NEEDED = "key {path!r} holds no certificate; give the signer's certificate with --cert CERT"
CERT_NOT_CERT = "{path!r} holds no PEM/DER X.509 certificate"
CERT_KEY_MISMATCH = "certificate {cert!r} ({subject}) is not the certificate of key {key!r}"
TRUST_EMPTY = "trust file {path!r} holds no PEM/DER X.509 certificate"


class PassphraseRequired(errors.UsageError):
    """The key file is encrypted and no passphrase was given (the CLI then asks for one)."""


@dataclass(frozen=True)
class SigningIdentity:
    """A signer's private key, certificate and the certificates that chain it to a root.

    ``key`` and ``cert`` are :mod:`cryptography` objects; ``chain`` the other certificates found
    beside them (issuers, maybe the root)."""

    key: Any
    cert: Any
    chain: tuple[Any, ...] = ()
    key_path: str = ""

    @property
    def subject(self) -> str:
        """The certificate subject's common name (or the whole subject when it has none)."""
        return common_name(self.cert.subject)

    @property
    def organisation(self) -> str | None:
        from cryptography.x509.oid import NameOID  # cryptography: only when a key is used

        found = self.cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return str(found[0].value) if found else None

    @property
    def issuer(self) -> str:
        return common_name(self.cert.issuer)

    @property
    def cert_sha256(self) -> str:
        from cryptography.hazmat.primitives import serialization  # cryptography: loaded on use, not at import

        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def common_name(name: Any) -> str:
    """The CN of a :mod:`cryptography` X.509 name, else its RFC 4514 form."""
    from cryptography.x509.oid import NameOID  # cryptography: loaded on use, not at import

    found = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else name.rfc4514_string()


def _read(path: str | Path, what: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise errors.UsageError((KEY_MISSING if what == "key" else "{what} file {path!r} does not exist")
                                .format(path=str(p), what=what))
    try:
        return p.read_bytes()
    except OSError as exc:
        raise errors.UsageError(KEY_UNREADABLE.format(what=what, path=str(p), reason=exc.strerror or exc)) from None


def read_certificates(data: bytes) -> list[Any]:
    """Every X.509 certificate in PEM data (any number) or one DER certificate."""
    from cryptography import x509  # cryptography: loaded on use, not at import

    if b"-----BEGIN" in data:
        try:
            return list(x509.load_pem_x509_certificates(data))
        except ValueError:
            return []
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        return []


def load_private_key(path: str | Path, *, passphrase: bytes | None = None) -> Any:
    """A PEM or DER private key (any type :mod:`cryptography` reads).

    Raises :class:`PassphraseRequired` when it is encrypted and no passphrase was given, and
    :class:`~auditkit.errors.UsageError` when it cannot be read or opened.
    """
    from cryptography.hazmat.primitives import serialization  # cryptography: loaded on use, not at import

    data = _read(path, "key")
    loader = (serialization.load_pem_private_key if b"-----BEGIN" in data
              else serialization.load_der_private_key)
    try:
        return loader(data, password=passphrase)
    except TypeError as exc:  # encrypted without a password, or a password for a plain key
        if passphrase is None:
            raise PassphraseRequired(KEY_NEEDS_PASSPHRASE.format(path=str(path), env=PASSPHRASE_ENV)) from None
        return loader(data, password=None) if "not encrypted" in str(exc) else _bad_key(path, exc)
    except ValueError as exc:
        if passphrase is not None and ("decrypt" in str(exc).lower() or "password" in str(exc).lower()):
            raise errors.UsageError(KEY_BAD_PASSPHRASE.format(path=str(path))) from None
        return _bad_key(path, exc)
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm for odd keys
        return _bad_key(path, exc)


def _bad_key(path: str | Path, exc: Exception) -> Any:
    reason = str(exc).split("\n")[0].split(".")[0] or type(exc).__name__
    raise errors.UsageError(KEY_NOT_A_KEY.format(path=str(path), reason=reason))


def _load_pkcs12(path: str | Path, passphrase: bytes | None) -> tuple[Any, Any, list[Any]]:
    from cryptography.hazmat.primitives.serialization import pkcs12  # cryptography: loaded on use, not at import

    data = _read(path, "key")
    try:
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
        except ValueError:
            if passphrase is not None:
                raise
            key, cert, extra = pkcs12.load_key_and_certificates(data, b"")  # an empty passphrase is common
    except ValueError as exc:
        text = str(exc).lower()
        if "password" in text or "decrypt" in text or "mac" in text:
            if passphrase is None:
                raise PassphraseRequired(KEY_NEEDS_PASSPHRASE.format(path=str(path), env=PASSPHRASE_ENV)) from None
            raise errors.UsageError(KEY_BAD_PASSPHRASE.format(path=str(path))) from None
        return _bad_key(path, exc)
    except TypeError as exc:
        return _bad_key(path, exc)
    if key is None:
        _bad_key(path, ValueError("it holds no private key"))
    return key, cert, list(extra or [])


def _same_key(key: Any, cert: Any) -> bool:
    from cryptography.hazmat.primitives import serialization  # cryptography: loaded on use, not at import

    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)


def load_identity(key: str | Path, cert: str | Path | None = None, *,
                  passphrase: bytes | None = None) -> SigningIdentity:
    """A signer's key and certificate from files: a PEM/DER key with ``cert`` (its certificate,
    optionally followed by its issuers), or a PKCS#12 file (``cert`` optional: it replaces the
    certificate inside; extra certificates in it are added to the chain).

    Raises :class:`PassphraseRequired` (encrypted, no passphrase) and
    :class:`~auditkit.errors.UsageError` (missing, unreadable, wrong passphrase, certificate of
    another key).
    """
    chain: list[Any] = []
    certificate = None
    if Path(key).suffix.lower() in PKCS12_SUFFIXES:
        private, certificate, chain = _load_pkcs12(key, passphrase)
    else:
        private = load_private_key(key, passphrase=passphrase)
    if cert is not None:
        certs = read_certificates(_read(cert, "certificate"))
        if not certs:
            raise errors.UsageError(CERT_NOT_CERT.format(path=str(cert)))
        certificate, chain = certs[0], certs[1:] + chain
    if certificate is None:
        raise errors.UsageError(CERT_NEEDED.format(path=str(key)))
    if not _same_key(private, certificate):
        raise errors.UsageError(CERT_KEY_MISMATCH.format(cert=str(cert or key), subject=common_name(certificate.subject),
                                                         key=str(key)))
    return SigningIdentity(key=private, cert=certificate, chain=tuple(chain), key_path=str(key))


def load_trust_roots(paths: Iterable[str | Path]) -> list[Any]:
    """Every certificate in the given PEM/DER files (trust anchors for verification).

    Raises :class:`~auditkit.errors.UsageError` for a missing file or one holding no certificate.
    """
    roots: list[Any] = []
    for path in paths:
        certs = read_certificates(_read(path, "trust"))
        if not certs:
            raise errors.UsageError(TRUST_EMPTY.format(path=str(path)))
        roots.extend(certs)
    return roots

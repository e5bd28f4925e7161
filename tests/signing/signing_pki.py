"""A small PKI made at test time with `cryptography`: two root CAs, signers, a time-stamp
authority, Ed25519 ledger keys; and a local RFC 3161 time-stamp server (pyHanko's own TSA logic
behind a real HTTP socket on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import http.server
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORG = "Example Bank AG"
PASSPHRASE = "correct horse battery staple"


def _name(cn: str, org: str = ORG) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def _usage(**on: bool) -> x509.KeyUsage:
    flags = dict(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    flags.update(on)
    return x509.KeyUsage(**flags)


def _pem_key(key, password: bytes | None = None) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def _pem_cert(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Ca:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    pem: Path


@dataclass
class Signer:
    name: str
    key: Path
    cert: Path
    key_obj: rsa.RSAPrivateKey
    cert_obj: x509.Certificate


def make_ca(folder: Path, cn: str) -> Ca:
    now = dt.datetime.now(dt.timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    pem = folder / f"{cn.lower().replace(' ', '-')}.pem"
    pem.write_bytes(_pem_cert(cert))
    return Ca(key, cert, pem)


def issue(folder: Path, ca: Ca, cn: str, *, tsa: bool = False) -> Signer:
    now = dt.datetime.now(dt.timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=180))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False))
    if tsa:
        builder = (builder.add_extension(_usage(digital_signature=True, content_commitment=True), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True))
    else:
        builder = builder.add_extension(_usage(digital_signature=True, content_commitment=True), critical=True)
    cert = builder.sign(ca.key, hashes.SHA256())
    stem = cn.split()[0].lower()
    (folder / f"{stem}.key").write_bytes(_pem_key(key))
    (folder / f"{stem}.pem").write_bytes(_pem_cert(cert))
    return Signer(cn, folder / f"{stem}.key", folder / f"{stem}.pem", key, cert)


@dataclass
class Pki:
    folder: Path
    root: Ca
    other_root: Ca
    alice: Signer      # preparer
    carol: Signer      # approver
    tsa: Signer
    encrypted_key: Path   # Alice's key, PEM encrypted with PASSPHRASE
    p12: Path             # Carol's key + certificate + chain, PKCS#12 with PASSPHRASE
    ledger_key: Path
    ledger_pub: Path
    other_ledger_pub: Path


def make_pki(folder: Path) -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    root = make_ca(folder, "Test Root CA")
    other = make_ca(folder, "Other Root CA")
    alice = issue(folder, root, "Alice Preparer")
    carol = issue(folder, root, "Carol Approver")
    tsa = issue(folder, root, "Test TSA", tsa=True)
    encrypted = folder / "alice-encrypted.key"
    encrypted.write_bytes(_pem_key(alice.key_obj, PASSPHRASE.encode()))
    p12 = folder / "carol.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"carol", carol.key_obj, carol.cert_obj, [root.cert],
        serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    keys = []
    for stem in ("ledger", "other-ledger"):
        key = ed25519.Ed25519PrivateKey.generate()
        (folder / f"{stem}.key").write_bytes(_pem_key(key))
        (folder / f"{stem}.pub").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        keys.append(folder / f"{stem}.pub")
    return Pki(folder, root, other, alice, carol, tsa, encrypted, p12, folder / "ledger.key", keys[0], keys[1])


class TimeStampServer:
    """An RFC 3161 time-stamp authority on 127.0.0.1 (a free port): answers
    ``application/timestamp-query`` POSTs with tokens signed by the TSA certificate."""

    def __init__(self, pki: Pki) -> None:
        from asn1crypto import keys as akeys, x509 as ax509
        from pyhanko.sign.timestamps import DummyTimeStamper

        der = serialization.Encoding.DER
        stamper = DummyTimeStamper(
            tsa_cert=ax509.Certificate.load(pki.tsa.cert_obj.public_bytes(der)),
            tsa_key=akeys.PrivateKeyInfo.load(pki.tsa.key_obj.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
            certs_to_embed=[ax509.Certificate.load(pki.root.cert.public_bytes(der))])
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                from asn1crypto import tsp

                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tsr"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def nss_db(folder: Path, ca_pem: Path) -> str:
    """An NSS database (for poppler's pdfsig) trusting ``ca_pem`` for signing; returns its
    ``sql:`` path."""
    folder.mkdir(parents=True, exist_ok=True)
    db = f"sql:{folder}"
    subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", db, "-n", "trusted-root", "-t", "CT,C,C", "-i", str(ca_pem)],
                   check=True, capture_output=True)
    return db


def pdfsig(pdf: Path, nssdir: str | None = None) -> list[dict[str, str]]:
    """poppler's pdfsig report of a PDF, one dict per signature (its "- key: value" lines, and
    "total" for its "Total document signed" / "Not total document signed" line)."""
    args = ["pdfsig"] + (["-nssdir", nssdir] if nssdir else ["-nocert"]) + [str(pdf)]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    sigs: list[dict[str, str]] = []
    for line in out.stdout.splitlines():
        if line.startswith("Signature #"):
            sigs.append({})
        elif line.strip().startswith("- ") and sigs:
            text = line.strip()[2:]
            if text in ("Total document signed", "Not total document signed"):
                sigs[-1]["total"] = text
            elif ": " in text:
                key, value = text.split(": ", 1)
                sigs[-1][key] = value
    return sigs

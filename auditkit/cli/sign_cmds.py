"""``sign`` and ``verify-report``: PAdES signatures on report PDFs, and checking them."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

import click

from ..signing import (
    PassphraseRequired,
    ReportVerificationError,
    load_identity,
    sign_report,
    verify_report,
)
from .options import format_option
from .output import render_json

PASSPHRASE_ENV_DEFAULT = "AUDITKIT_KEY_PASSPHRASE"


def with_passphrase(load: Callable[[bytes | None], Any], *, env: str = PASSPHRASE_ENV_DEFAULT) -> Any:
    """Call ``load(passphrase)``: first with ``$env`` (or none); when the key turns out to be
    encrypted and no passphrase was set, ask for one on the terminal (never from an argument)."""

    value = os.environ.get(env)
    try:
        return load(value.encode("utf-8") if value is not None else None)
    except PassphraseRequired:
        if value is not None or not sys.stdin.isatty():
            raise
    typed = click.prompt("Key passphrase", hide_input=True, err=True)
    return load(typed.encode("utf-8"))


@click.command("sign")
@click.argument("report", metavar="REPORT.pdf", type=click.Path(dir_okay=False))
@click.option("--key", "key_path", required=True, metavar="KEY",
              help="The signer's private key: PEM/DER, or a PKCS#12 file (.p12/.pfx) holding key and "
              "certificate. An encrypted key's passphrase is read from $AUDITKIT_KEY_PASSPHRASE or asked for.")
@click.option("--cert", "cert_path", default=None, metavar="CERT",
              help="The signer's certificate (PEM/DER; issuing certificates may follow it). Required "
              "unless KEY is PKCS#12.")
@click.option("--role", default=None, metavar="ROLE",
              help="The signer's role: preparer, reviewer or approver (shown in the signature block and "
              "recorded in the signature).")
@click.option("--reason", default=None, metavar="TEXT", help="Why the report is signed (shown in the block).")
@click.option("--timestamp-url", default=None, metavar="URL",
              help="An RFC 3161 time-stamp authority: its time stamp is embedded (PAdES B-T).")
@click.option("-o", "--output", "out", required=True, metavar="OUT.pdf", type=click.Path(dir_okay=False),
              help="Where to write the signed PDF (a new file; the input is left as it is).")
def sign(report: str, key_path: str, cert_path: str | None, role: str | None, reason: str | None,
         timestamp_url: str | None, out: str) -> None:
    """Sign a report PDF (PAdES baseline) as preparer, reviewer or approver.

    The signature is appended as an incremental update: earlier signatures stay valid, PDF/A-3b
    and the attached evidence.json are kept. The first signature adds a sign-off page; each
    signature draws a block on it naming signer, organisation, role and date. Sign in sequence
    (preparer, then reviewer, then approver) by signing the previous output.

    \b
    Example:
      auditkit sign model.pdf --key alice.key --cert alice.pem --role preparer -o model-prepared.pdf
      auditkit sign model-prepared.pdf --key carol.p12 --role approver \\
          --timestamp-url http://tsa.example.com/tsr -o model-signed.pdf   # asks for the passphrase
    """

    identity = with_passphrase(lambda pw: load_identity(key_path, cert_path, passphrase=pw))
    done = sign_report(report, out, identity=identity, role=role, reason=reason, timestamp_url=timestamp_url)
    extra = " (sign-off page added)" if done.added_signoff_page else ""
    stamp = ", time-stamped" if done.timestamped else ""
    click.echo(f"signed {out} as {done.signer}" + (f", role {done.role}" if done.role else "")
               + f", at {done.signed_at}{stamp}: field {done.field}, block on page {done.page}{extra}")


def _yes(value: bool | None, none: str) -> str:
    return none if value is None else ("yes" if value else "NO")


@click.command("verify-report")
@click.argument("report", metavar="REPORT.pdf", type=click.Path(dir_okay=False))
@click.option("--trust", "trust", multiple=True, metavar="CA.pem", type=click.Path(dir_okay=False),
              help="Trust roots (PEM/DER certificates; repeatable): every signer must chain to one. "
              "Without it the chain is not checked.")
@format_option(["table", "json"])
def verify_report_cmd(report: str, trust: tuple[str, ...], fmt: str) -> None:
    """Check a signed report: every signature, the attached evidence, anything appended.

    For each signature: intact, whether it covers the whole file or which revision, what changed
    after it, signer, role, time (and time stamp), chain to the --trust roots. Then whether the
    attached evidence.json matches the SHA-256 printed on the report, and whether anything follows
    the last signature. Exit 0 when all holds, 1 when anything is invalid or modified (or the
    report is unsigned), 2 when the file cannot be used.

    \b
    Example:
      auditkit verify-report model-signed.pdf --trust bank-root-ca.pem
      auditkit verify-report model-signed.pdf --trust bank-root-ca.pem --format json
    """

    result = verify_report(report, trust=trust)
    if fmt == "json":
        click.echo(render_json(result.to_dict()))
    else:
        click.echo(f"report      {result.path} ({result.size} bytes, {result.revisions} revision(s))")
        for n, s in enumerate(result.signatures, start=1):
            click.echo(f"signature {n} {s.field}: {s.signer} ({s.signer_dn}), issued by {s.issuer}")
            click.echo(f"            role {s.role or 'not stated'}; signed at {s.signed_at} (signer's clock); "
                       f"time stamp {s.timestamp or 'none'}")
            click.echo(f"            covers {s.covers}; changes after it: {s.changes_after}")
            click.echo(f"            intact {_yes(s.intact, '?')}, valid {_yes(s.valid, '?')}, chains to trust "
                       f"roots {_yes(s.trusted, 'not checked (no --trust)')}: {'ok' if s.ok else 'INVALID'}")
        if not result.signatures:
            click.echo("signatures  none")
        ev = result.evidence
        if ev.ok:
            click.echo(f"evidence    evidence.json sha256 {ev.sha256} = the fingerprint printed on the report: ok")
        else:
            click.echo(f"evidence    {ev.problem}")
        click.echo(f"appended    {result.appended or 'nothing after the last signature'}")
        for problem in result.problems:
            click.echo(f"problem     {problem}")
    if not result.ok:
        raise ReportVerificationError.of(result)
    if fmt != "json":
        count = len(result.signatures)
        click.echo(f"ok: {count} signature{'s' if count != 1 else ''} valid"
                   + ("" if result.trust_checked else " (chains not checked: no --trust)")
                   + ", evidence matches, nothing appended")

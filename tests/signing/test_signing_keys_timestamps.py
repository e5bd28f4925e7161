"""Keys as encrypted PEM and PKCS#12 (passphrase from the environment or a prompt, never an
argument), and RFC 3161 time stamps from a local time-stamp authority."""

from __future__ import annotations

import json

from click.testing import CliRunner

from auditkit.cli import cli
from signing_fixtures import nss, pki, report_pdf, tsa  # noqa: F401  (pytest fixtures)
from signing_pki import PASSPHRASE, pdfsig

ENV = "AUDITKIT_KEY_PASSPHRASE"


def _run(*args, env=None, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, input=input)


def test_encrypted_pem_key_takes_its_passphrase_from_the_environment(pki, report_pdf, tmp_path):
    out = tmp_path / "signed.pdf"
    res = _run("sign", report_pdf, "--key", pki.encrypted_key, "--cert", pki.alice.cert, "--role", "reviewer",
               "-o", out, env={ENV: PASSPHRASE})
    assert res.exit_code == 0, res.output
    assert "signed" in res.output and "as Alice Preparer, role reviewer" in res.output
    res = _run("verify-report", out, "--trust", pki.root.pem, "--format", "json")
    doc = json.loads(res.stdout)
    assert res.exit_code == 0 and doc["signatures"][0]["role"] == "reviewer"


def test_missing_or_wrong_passphrase_is_one_error_line(pki, report_pdf, tmp_path):
    out = tmp_path / "signed.pdf"
    # no passphrase and no terminal to ask on (CliRunner's stdin is not a TTY)
    res = _run("sign", report_pdf, "--key", pki.encrypted_key, "--cert", pki.alice.cert, "-o", out, env={ENV: None})
    assert res.exit_code == 2 and res.stderr.count("\n") == 1
    assert "is encrypted; set AUDITKIT_KEY_PASSPHRASE or run in a terminal" in res.stderr
    res = _run("sign", report_pdf, "--key", pki.p12, "-o", out, env={ENV: "wrong"})
    assert res.exit_code == 2 and "the passphrase does not open key" in res.stderr
    assert not out.exists()
    # there is no option that would take a passphrase on the command line
    for command in ("sign", "snapshot"):
        options = [o for p in cli.commands[command].params for o in p.opts]
        assert options and not [o for o in options if "pass" in o or "pw" in o], options


def test_pkcs12_key_signs_without_a_separate_certificate(pki, report_pdf, tmp_path):
    out = tmp_path / "signed.pdf"
    res = _run("sign", report_pdf, "--key", pki.p12, "--role", "approver", "-o", out, env={ENV: PASSPHRASE})
    assert res.exit_code == 0, res.output
    res = _run("verify-report", out, "--trust", pki.root.pem)
    assert res.exit_code == 0 and "Carol Approver" in res.output
    assert pdfsig(out)[0]["Signer Certificate Common Name"] == "Carol Approver"


def test_time_stamped_signature_from_a_local_tsa(pki, nss, report_pdf, tsa, tmp_path):
    out = tmp_path / "stamped.pdf"
    before = tsa.requests
    res = _run("sign", report_pdf, "--key", pki.alice.key, "--cert", pki.alice.cert, "--role", "preparer",
               "--timestamp-url", tsa.url, "-o", out)
    assert res.exit_code == 0, res.output
    assert "time-stamped" in res.output and tsa.requests > before
    res = _run("verify-report", out, "--trust", pki.root.pem, "--format", "json")
    assert res.exit_code == 0, res.output
    sig = json.loads(res.stdout)["signatures"][0]
    assert sig["timestamp"] is not None and sig["timestamp"][:10] == sig["signed_at"][:10]
    # signed against another root, the time stamp's authority is not trusted either
    res = _run("verify-report", out, "--trust", pki.other_root.pem)
    assert res.exit_code == 1
    checked = pdfsig(out, nss["root"])[0]
    assert checked["Signature Validation"] == "Signature is Valid."
    assert checked["Certificate Validation"] == "Certificate is Trusted."


def test_unreachable_tsa_is_one_error_line_and_no_file(pki, report_pdf, tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "stamped.pdf"
    res = _run("sign", report_pdf, "--key", pki.alice.key, "--cert", pki.alice.cert,
               "--timestamp-url", f"http://127.0.0.1:{port}/tsr", "-o", out)
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert "time-stamp authority" in res.stderr
    assert not out.exists()


def test_passphrase_is_asked_for_on_a_terminal(pki, report_pdf, tmp_path):
    """Run `auditkit sign` on a pseudo-terminal: it asks for the passphrase, without echoing it."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    out = tmp_path / "signed.pdf"
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != ENV}
    proc = subprocess.Popen([sys.executable, "-m", "auditkit", "sign", str(report_pdf), "--key", str(pki.encrypted_key),
                             "--cert", str(pki.alice.cert), "-o", str(out)],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while b"Key passphrase:" not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                seen += os.read(master, 1024)
        assert b"Key passphrase:" in seen, seen
        os.write(master, PASSPHRASE.encode() + b"\n")
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                try:
                    seen += os.read(master, 1024)
                except OSError:
                    break
        assert proc.wait(timeout=60) == 0, seen
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert PASSPHRASE.encode() not in seen  # not echoed
    assert out.exists() and _run("verify-report", out, "--trust", pki.root.pem).exit_code == 0

"""Signing a real report as preparer then approver, checked by auditkit's verify-report and by
poppler's pdfsig (an independent PAdES/CMS implementation, with its own NSS trust store)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pypdf
from click.testing import CliRunner

from auditkit.cli import cli
from signing_fixtures import nss, pki, report_pdf, signed_twice  # noqa: F401  (pytest fixtures)
from signing_pki import pdfsig


def _run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _pages(pdf: Path) -> int:
    return len(pypdf.PdfReader(str(pdf)).pages)


def test_two_sequential_signatures_verify_with_auditkit_and_pdfsig(pki, nss, signed_twice):
    approved = signed_twice["approved"]
    res = _run("verify-report", approved, "--trust", pki.root.pem)
    assert res.exit_code == 0, res.output
    assert "ok: 2 signatures valid, evidence matches, nothing appended" in res.output

    res = _run("verify-report", approved, "--trust", pki.root.pem, "--format", "json")
    import json

    doc = json.loads(res.stdout.split("\nerror:")[0])
    first, second = doc["signatures"]
    assert (first["signer"], first["role"], first["trusted"]) == ("Alice Preparer", "preparer", True)
    assert (second["signer"], second["role"], second["trusted"]) == ("Carol Approver", "approver", True)
    assert first["covers"] == "revision 2 of 3" and second["covers"] == "whole file"
    assert first["reason"].endswith("Prepared for the Q4 validation")

    # poppler, trusting the test root in its own NSS database
    sigs = pdfsig(approved, nss["root"])
    assert [s["Signer Certificate Common Name"] for s in sigs] == ["Alice Preparer", "Carol Approver"]
    assert all(s["Signature Validation"] == "Signature is Valid." for s in sigs)
    assert all(s["Certificate Validation"] == "Certificate is Trusted." for s in sigs)
    assert all(s["Signature Type"] == "ETSI.CAdES.detached" for s in sigs)  # PAdES
    assert [s.get("total") for s in sigs] == ["Not total document signed", "Total document signed"]


def test_signing_keeps_report_bytes_pdfa_metadata_and_evidence(signed_twice):
    original = signed_twice["original"].read_bytes()
    prepared = signed_twice["prepared"].read_bytes()
    approved = signed_twice["approved"].read_bytes()
    # incremental updates: every earlier version is a prefix of the next
    assert prepared.startswith(original) and approved.startswith(prepared)

    before, after = pypdf.PdfReader(io.BytesIO(original)), pypdf.PdfReader(io.BytesIO(approved))
    assert after.attachments["evidence.json"] == before.attachments["evidence.json"]
    xmp = after.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert xmp == before.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    info = after.trailer["/Info"].get_object()
    assert info["/Producer"] == before.trailer["/Info"].get_object()["/Producer"]  # equal to XMP's pdf:Producer
    assert 'pdf:Producer="' + str(info["/Producer"]) + '"' in xmp or str(info["/Producer"]) in xmp
    assert after.trailer["/Root"].get("/Version") in (None, "/1.7")  # no PDF 2.0 claim in a PDF/A-3 file
    # every font, the signature blocks' included, is embedded (PDF/A)
    fonts = subprocess.run(["pdffonts", str(signed_twice["approved"])], capture_output=True, text=True, check=True)
    rows = [row.split() for row in fonts.stdout.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows), fonts.stdout  # columns: … emb sub uni object ID
    # signature widgets are printable (PDF/A: Print flag set, not hidden)
    for field in after.trailer["/Root"]["/AcroForm"]["/Fields"]:
        flags = int(field.get_object()["/F"])
        assert flags & 4 and not flags & 2


def test_visible_blocks_on_the_added_last_page(pki, signed_twice, tmp_path):
    original, approved = signed_twice["original"], signed_twice["approved"]
    last = _pages(approved)
    assert last == _pages(original) + 1  # the sign-off page, added by the first signature only
    assert _pages(signed_twice["prepared"]) == last
    text = subprocess.run(["pdftotext", "-layout", "-f", str(last), "-l", str(last), str(approved), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Sign-off" in text
    assert "Signed by: Alice Preparer (Example Bank AG)" in text and "Role: preparer" in text
    assert "Signed by: Carol Approver (Example Bank AG)" in text and "Role: approver" in text
    assert "Reason: Prepared for the Q4 validation" in text
    assert "Certificate issued by: Test Root CA" in text
    # the dates shown are the signing times the signatures carry
    from auditkit.signing import verify_report

    for sig in verify_report(approved).signatures:
        shown = sig.signed_at.replace("T", " ").replace("Z", " UTC")
        assert f"Date: {shown}" in text
    png = subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(last), "-l", str(last), str(approved),
                          str(tmp_path / "last")], capture_output=True, check=True)
    assert png.returncode == 0 and list(tmp_path.glob("last*.png"))


def test_one_changed_byte_fails_both_checkers(pki, signed_twice, tmp_path):
    data = signed_twice["approved"].read_bytes()
    # one byte inside a page's content stream (compressed drawing operators of the report itself)
    at = next(m.end() + 40 for m in re.finditer(rb"stream\r?\n", data)
              if not re.search(rb"/ObjStm|/XRef|/EmbeddedFile|/Metadata|/Length1|/Subtype", data[max(0, m.start() - 300):m.start()]))
    assert at < len(signed_twice["original"].read_bytes())
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:])
    res = _run("verify-report", changed, "--trust", pki.root.pem)
    assert res.exit_code == 1
    assert "the signed bytes were changed after signing (digest mismatch)" in res.output
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: ")
    assert all(s["Signature Validation"] == "Digest Mismatch." for s in pdfsig(changed))


def test_appended_byte_fails_both_checkers(pki, signed_twice, tmp_path):
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(signed_twice["approved"].read_bytes() + b"\n")
    res = _run("verify-report", appended, "--trust", pki.root.pem)
    assert res.exit_code == 1
    assert "1 bytes follow the end of the last signature's revision" in res.output
    assert pdfsig(appended)[-1]["total"] == "Not total document signed"


def test_incremental_update_after_last_signature_fails(pki, signed_twice, tmp_path):
    writer = pypdf.PdfWriter(pypdf.PdfReader(str(signed_twice["approved"])), incremental=True)
    writer.add_metadata({"/Title": "A different report"})
    updated = tmp_path / "updated.pdf"
    writer.write(str(updated))
    res = _run("verify-report", updated, "--trust", pki.root.pem)
    assert res.exit_code == 1
    assert re.search(r"1 revision\(s\) \(\d+ bytes\) were appended after the last signature", res.output)
    sigs = pdfsig(updated)
    assert sigs[-1]["total"] == "Not total document signed" and sigs[-1]["Signature Validation"] == "Signature is Valid."


def _with_other_evidence(src: Path, dst: Path, *, incremental: bool) -> None:
    reader = pypdf.PdfReader(str(src))
    writer = pypdf.PdfWriter(reader, incremental=incremental) if incremental else pypdf.PdfWriter(clone_from=reader)
    names = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[1].get_object()
    stream = spec["/EF"]["/F"].get_object()
    stream.set_data(b'{"schema_version":"1","note":"not the evidence this report was made from"}')
    writer.write(str(dst))


def test_swapped_evidence_fails(pki, signed_twice, tmp_path):
    # swapped after signing: an update after the last signature, and the fingerprint no longer matches
    after = tmp_path / "swapped-after.pdf"
    _with_other_evidence(signed_twice["approved"], after, incremental=True)
    res = _run("verify-report", after, "--trust", pki.root.pem)
    assert res.exit_code == 1
    assert "were appended after the last signature" in res.output
    assert "the evidence is not the one the report was made from" in res.output

    # swapped before signing: the signature is valid, the evidence check is what fails
    tampered, signed = tmp_path / "tampered.pdf", tmp_path / "tampered-signed.pdf"
    _with_other_evidence(signed_twice["original"], tampered, incremental=False)
    res = _run("sign", tampered, "--key", pki.alice.key, "--cert", pki.alice.cert, "-o", signed)
    assert res.exit_code == 0, res.output
    res = _run("verify-report", signed, "--trust", pki.root.pem)
    assert res.exit_code == 1
    assert "intact yes, valid yes, chains to trust roots yes: ok" in res.output
    assert "error: " in res.stderr and "the evidence is not the one the report was made from" in res.stderr


def test_another_ca_is_not_trusted(pki, nss, signed_twice):
    res = _run("verify-report", signed_twice["approved"], "--trust", pki.other_root.pem)
    assert res.exit_code == 1
    assert "does not chain to the given trust roots" in res.output
    assert all(s["Certificate Validation"] != "Certificate is Trusted." for s in pdfsig(signed_twice["approved"], nss["other"]))


def test_without_trust_roots_chains_are_reported_unchecked(signed_twice):
    res = _run("verify-report", signed_twice["approved"])
    assert res.exit_code == 0
    assert "chains to trust roots not checked (no --trust)" in res.output


def test_unsigned_report_is_not_valid(pki, signed_twice):
    res = _run("verify-report", signed_twice["original"], "--trust", pki.root.pem)
    assert res.exit_code == 1 and "the report carries no signature" in res.stderr
    assert "= the fingerprint printed on the report: ok" in res.output  # its evidence is still checked


def test_unusable_input_exits_2_with_one_line(pki, signed_twice, tmp_path):
    text = tmp_path / "notes.pdf"
    text.write_text("not a pdf\n")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    cases = {
        str(tmp_path / "missing.pdf"): "does not exist",
        str(text): "is not a PDF file",
        str(broken): "cannot read",
    }
    for path, expected in cases.items():
        res = _run("verify-report", path, "--trust", pki.root.pem)
        assert res.exit_code == 2, (path, res.output)
        assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1 and expected in res.stderr
    res = _run("verify-report", signed_twice["approved"], "--trust", text)
    assert res.exit_code == 2 and "holds no PEM/DER X.509 certificate" in res.stderr


def test_sign_refuses_bad_input(pki, signed_twice, tmp_path):
    out = tmp_path / "out.pdf"
    cases = [
        (["sign", tmp_path / "missing.pdf", "--key", pki.alice.key, "--cert", pki.alice.cert, "-o", out], "does not exist"),
        (["sign", signed_twice["original"], "--key", pki.alice.key, "--cert", pki.carol.cert, "-o", out],
         "is not the certificate of key"),
        (["sign", signed_twice["original"], "--key", pki.alice.key, "-o", out], "holds no certificate"),
        (["sign", signed_twice["original"], "--key", pki.alice.cert, "--cert", pki.alice.cert, "-o", out],
         "is not a PEM/DER private key"),
        (["sign", signed_twice["original"], "--key", pki.alice.key, "--cert", pki.alice.cert, "-o", out,
          "--timestamp-url", "ftp://tsa"], "is not an http:// or https:// URL"),
    ]
    for args, expected in cases:
        res = _run(*args)
        assert res.exit_code == 2, (args, res.output)
        assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1 and expected in res.stderr, res.stderr
    assert not out.exists()


def test_sign_off_page_holds_five_blocks(pki, signed_twice, tmp_path):
    current = signed_twice["approved"]
    for n in range(3, 6):
        nxt = tmp_path / f"signed-{n}.pdf"
        res = _run("sign", current, "--key", pki.carol.key, "--cert", pki.carol.cert, "--role", "reviewer", "-o", nxt)
        assert res.exit_code == 0, res.output
        current = nxt
    res = _run("sign", current, "--key", pki.carol.key, "--cert", pki.carol.cert, "-o", tmp_path / "sixth.pdf")
    assert res.exit_code == 2 and "no room for another signature block (5 signature blocks on it)" in res.stderr
    res = _run("verify-report", current, "--trust", pki.root.pem)
    assert res.exit_code == 0 and "ok: 5 signatures valid" in res.output
    assert [s["Signature Validation"] for s in pdfsig(current)] == ["Signature is Valid."] * 5


def test_unknown_role_is_one_error_line(pki, report_pdf, tmp_path):
    res = _run("sign", report_pdf, "--key", pki.alice.key, "--cert", pki.alice.cert, "--role", "boss",
               "-o", tmp_path / "out.pdf")
    assert res.exit_code == 2 and res.stderr == "error: role 'boss' is not one of: preparer, reviewer, approver\n"

"""Time to sign and to verify the six-page sample model report.

    .venv/bin/python bench/bench_signing.py              # table
    .venv/bin/python bench/bench_signing.py --repeat 5   # best of 5

Builds the sample model report (as ``auditkit demo`` does), a test CA and two signers (RSA 2048,
tests/signing/signing_pki.py), then measures in one process: signing as preparer (adds the
sign-off page), signing the result as approver, and verifying the twice-signed report with
``auditkit.signing.verify_report`` — against the same check on pyHanko's stock reader (the
obvious alternative: ``PdfFileReader`` + ``validate_pdf_signature``), whose verdicts must agree.
Then the commands as a user runs them (``auditkit sign`` / ``auditkit verify-report`` in a fresh
interpreter, start-up included).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "signing"))


def report(folder: Path) -> Path:
    from auditkit.connectors import open_store
    from auditkit.reports import build_model_report, write_report
    from auditkit.reports.demo import ALIAS, LABEL_POSITIVE, MODEL, POSITIVE, SENSITIVE
    from auditkit.reports.extras import model_extras

    sample = ROOT / "sample_data"
    with open_store(str(sample / "mlflow.db")) as store:
        extras = model_extras(store, MODEL, version=None, alias=ALIAS, ledger=str(sample / "registry-ledger.jsonl"),
                              predictions=str(sample / "predictions.csv"), sensitive=SENSITIVE,
                              positive=POSITIVE, label_positive=LABEL_POSITIVE)
        ctx = build_model_report(store, MODEL, alias=ALIAS, as_of="2026-07-01T00:00:00Z", **extras)
    return write_report(ctx, folder / "model.pdf")


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def stock_verdicts(path: Path, ca: Path) -> list[tuple[bool, bool, str]]:
    """pyHanko's stock reader and validation: (intact, trusted, coverage) per signature."""
    from asn1crypto import x509 as ax509
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    assert isinstance(load_cert_from_pemder(str(ca)), ax509.Certificate)
    vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(ca))], allow_fetching=False)
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    reader = PdfFileReader(io.BytesIO(path.read_bytes()), strict=False)
    out = []
    for sig in reader.embedded_regular_signatures:
        st = validate_pdf_signature(sig, vc, key_usage_settings=usage)
        out.append((st.intact and st.valid, st.trusted, st.coverage.name))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from signing_pki import make_pki

    from auditkit.signing import load_identity, sign_report, verify_report

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pki = make_pki(folder / "pki")
        src = report(folder)
        import pypdf

        pages = len(pypdf.PdfReader(str(src)).pages)
        alice = load_identity(pki.alice.key, pki.alice.cert)
        carol = load_identity(pki.carol.key, pki.carol.cert)
        first, second = folder / "prepared.pdf", folder / "approved.pdf"
        t_first, _ = best(lambda: sign_report(src, first, identity=alice, role="preparer"), args.repeat)
        t_second, _ = best(lambda: sign_report(first, second, identity=carol, role="approver"), args.repeat)
        t_verify, result = best(lambda: verify_report(second, trust=[pki.root.pem]), args.repeat)
        t_stock, stock = best(lambda: stock_verdicts(second, pki.root.pem), 1)
        ours = [(s.intact and s.valid, s.trusted,
                 "ENTIRE_FILE" if s.covers == "whole file" else "ENTIRE_REVISION") for s in result.signatures]
        assert result.ok and ours == stock, (ours, stock)

        exe = [sys.executable, "-m", "auditkit"]
        cold_sign, _ = best(lambda: subprocess.run(
            exe + ["sign", str(src), "--key", str(pki.alice.key), "--cert", str(pki.alice.cert),
                   "--role", "preparer", "-o", str(folder / "cli.pdf")], check=True, capture_output=True), args.repeat)
        cold_verify, _ = best(lambda: subprocess.run(
            exe + ["verify-report", str(second), "--trust", str(pki.root.pem)], check=True, capture_output=True),
            args.repeat)
        size = second.stat().st_size
    print(f"model report: {pages} pages, {size} bytes once signed twice")
    print("| step | time |")
    print("|---|---|")
    print(f"| sign as preparer (adds the sign-off page), in process | {t_first:.3f} s |")
    print(f"| sign as approver (second signature), in process | {t_second:.3f} s |")
    print(f"| verify-report, 2 signatures + evidence, in process | {t_verify:.3f} s |")
    print(f"| same verdicts with pyHanko's stock reader | {t_stock:.3f} s |")
    print(f"| `auditkit sign` (fresh interpreter) | {cold_sign:.3f} s |")
    print(f"| `auditkit verify-report` (fresh interpreter) | {cold_verify:.3f} s |")


if __name__ == "__main__":
    main()

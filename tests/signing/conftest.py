"""Fixtures of the signing tests: a PKI made at test time, a real model report PDF (built by
auditkit from sample_data/ with the report builders), that report signed by a preparer and then
an approver, and a local time-stamp authority."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from signing_pki import TimeStampServer, make_pki, nss_db  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-26T12:00:00Z"


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def nss(pki, tmp_path_factory):
    """NSS databases for pdfsig: one trusting the test root CA, one trusting the other root."""
    return {"root": nss_db(tmp_path_factory.mktemp("nss-root"), pki.root.pem),
            "other": nss_db(tmp_path_factory.mktemp("nss-other"), pki.other_root.pem)}


@pytest.fixture(scope="session")
def report_pdf(tmp_path_factory) -> Path:
    """The sample model report (six pages, PDF/A-3b, evidence.json attached) as auditkit writes it."""
    from auditkit.connectors import open_store
    from auditkit.reports import build_model_report, write_report
    from auditkit.reports.demo import ALIAS, LABEL_POSITIVE, LEDGER_NAMES, MODEL, POSITIVE, SENSITIVE
    from auditkit.reports.extras import model_extras

    sample = ROOT / "sample_data"
    out = tmp_path_factory.mktemp("report") / "model.pdf"
    ledger = next((str(sample / n) for n in LEDGER_NAMES if (sample / n).is_file()), None)
    with open_store(str(sample / "mlflow.db")) as store:
        extras = model_extras(store, MODEL, version=None, alias=ALIAS, ledger=ledger,
                              predictions=str(sample / "predictions.csv"), sensitive=SENSITIVE,
                              positive=POSITIVE, label_positive=LABEL_POSITIVE)
        ctx = build_model_report(store, MODEL, alias=ALIAS, as_of=AS_OF, **extras)
    write_report(ctx, out)
    return out


@pytest.fixture(scope="session")
def signed_twice(pki, report_pdf, tmp_path_factory) -> dict[str, Path]:
    """The report signed by Alice (preparer), then by Carol (approver), through the CLI."""
    from click.testing import CliRunner

    from auditkit.cli import cli

    folder = tmp_path_factory.mktemp("signed")
    first, second = folder / "prepared.pdf", folder / "approved.pdf"
    runner = CliRunner()
    for src, dst, who, role, reason in ((report_pdf, first, pki.alice, "preparer", "Prepared for the Q4 validation"),
                                        (first, second, pki.carol, "approver", None)):
        args = ["sign", str(src), "--key", str(who.key), "--cert", str(who.cert), "--role", role, "-o", str(dst)]
        if reason:
            args += ["--reason", reason]
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, res.output
    return {"original": report_pdf, "prepared": first, "approved": second}


@pytest.fixture(scope="session")
def tsa(pki):
    server = TimeStampServer(pki)
    yield server
    server.close()

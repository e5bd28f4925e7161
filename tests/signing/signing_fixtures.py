"""Fixtures of the signing tests: a PKI made at test time, a real model report PDF (built by
auditkit from sample_data/ with the report builders), that report signed by a preparer and then
an approver, and a local time-stamp authority.

Test modules import the fixtures they use (``from signing_fixtures import pki, …``; a second
``conftest.py`` would shadow the root one's module name). Each is built once per session however
many modules import it: the builders are cached.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

from signing_pki import TimeStampServer, make_pki, nss_db

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-26T12:00:00Z"


@lru_cache(maxsize=None)
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="auditkit-signing-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@lru_cache(maxsize=None)
def _pki():
    return make_pki(_folder() / "pki")


@lru_cache(maxsize=None)
def _nss():
    pki = _pki()
    return {"root": nss_db(_folder() / "nss-root", pki.root.pem),
            "other": nss_db(_folder() / "nss-other", pki.other_root.pem)}


@lru_cache(maxsize=None)
def _tsa() -> TimeStampServer:
    server = TimeStampServer(_pki())
    atexit.register(server.close)
    return server


@pytest.fixture(scope="session")
def pki():
    return _pki()


@pytest.fixture(scope="session")
def nss():
    """NSS databases for pdfsig: one trusting the test root CA, one trusting the other root."""
    return _nss()


@pytest.fixture(scope="session")
def tsa():
    """A local RFC 3161 time-stamp authority (see signing_pki.TimeStampServer)."""
    return _tsa()


@pytest.fixture(scope="session")
def report_pdf() -> Path:
    """The sample model report (six pages, PDF/A-3b, evidence.json attached) as auditkit writes it."""
    return _report_pdf()


@pytest.fixture(scope="session")
def signed_twice() -> dict[str, Path]:
    """The report signed by Alice (preparer), then by Carol (approver), through the CLI."""
    return _signed_twice()


@lru_cache(maxsize=None)
def _report_pdf() -> Path:
    from auditkit.connectors import open_store
    from auditkit.reports import build_model_report, write_report
    from auditkit.reports.demo import ALIAS, LABEL_POSITIVE, LEDGER_NAMES, MODEL, POSITIVE, SENSITIVE
    from auditkit.reports.extras import model_extras

    sample = ROOT / "sample_data"
    out = _folder() / "model.pdf"
    ledger = next((str(sample / n) for n in LEDGER_NAMES if (sample / n).is_file()), None)
    with open_store(str(sample / "mlflow.db")) as store:
        extras = model_extras(store, MODEL, version=None, alias=ALIAS, ledger=ledger,
                              predictions=str(sample / "predictions.csv"), sensitive=SENSITIVE,
                              positive=POSITIVE, label_positive=LABEL_POSITIVE)
        ctx = build_model_report(store, MODEL, alias=ALIAS, as_of=AS_OF, **extras)
    write_report(ctx, out)
    return out


@lru_cache(maxsize=None)
def _signed_twice() -> dict[str, Path]:
    from click.testing import CliRunner

    from auditkit.cli import cli

    pki, report_pdf = _pki(), _report_pdf()
    folder = _folder() / "signed"
    folder.mkdir()
    first, second = folder / "prepared.pdf", folder / "approved.pdf"
    runner = CliRunner()
    for src, dst, who, role, reason in ((report_pdf, first, pki.alice, "preparer", "Prepared for the Q4 validation"),
                                        (first, second, pki.carol, "approver", None)):
        args = ["sign", str(src), "--key", str(who.key), "--cert", str(who.cert), "--role", role, "-o", str(dst)]
        if reason:
            args += ["--reason", reason]
        res = runner.invoke(cli, args)
        if res.exit_code != 0:
            raise RuntimeError(f"auditkit sign failed: {res.output}")
    return {"original": report_pdf, "prepared": first, "approved": second}

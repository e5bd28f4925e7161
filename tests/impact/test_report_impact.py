"""``report impact``: the incident file as PDF (text read back with pypdf) and HTML."""

from __future__ import annotations

import hashlib
import io
import json

from click.testing import CliRunner
from pypdf import PdfReader

from auditkit.cli import cli


def _report(incident, out, *extra):
    return CliRunner().invoke(cli, [
        "report", "impact", "--commit", incident["commits"]["bad"], "--store", incident["uri"],
        "--predictions", str(incident["predictions"]), "--ledger", str(incident["ledger"]),
        "--as-of", "2030-05-02T09:00:00Z", "-o", str(out), *extra])


def test_pdf_names_versions_windows_counts_and_rollback(incident, tmp_path):
    out = tmp_path / "incident.pdf"
    result = _report(incident, out)
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Impact and rollback report" in text
    assert f"commit {incident['commits']['bad']}" in text
    assert "credit version 3" in text and "credit version 4" in text
    assert "champion" in text and "challenger" in text
    assert "Made by affected versions 14" in text
    assert "2030-03 8" in text and "2030-04 6" in text
    assert "version 1" in text and "none qualifies" in text and "Passed over version 2: not approved" in text
    evidence = reader.attachments["evidence.json"][0]
    sha = hashlib.sha256(evidence).hexdigest()
    assert f"evidence sha256 {sha}" in result.stdout
    assert sha in text.replace(" ", "") or sha[:16] in text


def test_same_inputs_give_the_same_pdf_and_html_too(incident, tmp_path):
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert _report(incident, first).exit_code == 0 and _report(incident, second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    html = tmp_path / "incident.html"
    assert _report(incident, html).exit_code == 0
    assert "Rollback targets" in html.read_text()


def test_model_report_has_a_reproducibility_section_with_sources_and_the_verdict(incident, tmp_path):
    out = tmp_path / "model.pdf"
    result = CliRunner().invoke(cli, ["report", "model", "credit", "--version", "1", "--store", incident["uri"],
                                      "--as-of", "2030-05-02T09:00:00Z", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    section = text[text.index("8. Reproducibility"):]
    run_id = incident["runs"]["a1"]["run_id"]
    assert "Verdict of auditkit reproduce: incomplete" in section
    assert incident["commits"]["good"] in section.replace(" ", "")
    assert "(verified against the file)" in section and "seed=7" in section
    assert "Gap: no hardware is recorded" in section
    assert "records no hardware" in section and run_id[:12] in section.replace(" ", "")


def test_diff_report_lists_the_differences_first(incident, tmp_path):
    out = tmp_path / "diff.pdf"
    result = CliRunner().invoke(cli, ["report", "diff", "models:/credit/2", "models:/credit/4", "--store",
                                      incident["uri"], "--as-of", "2030-05-02T09:00:00Z", "-o", str(out)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    first = text.index("Differences")
    assert first < text.index("params.C 0.5 1.0") < text.index("environment.numpy") < text.index("The two sides")
    assert "approvals none m.risk at 2030-02-26T10:00:00Z" in text
    evidence = json.loads(reader.attachments["evidence.json"][0])
    assert {d["field"] for d in evidence["differences"]} >= {"params.C", "code.git_commit", "environment.numpy"}
    assert evidence["a"]["code"]["git_commit"] == incident["commits"]["good"]

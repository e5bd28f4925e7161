"""Audit reports on a store written by real MLflow: what a reader of the PDF relies on.

Text is read back from the PDFs with pypdf; expected values come from what the MLflow writer
logged (tests/support/report_stores.py), never typed in here.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from conftest import ROOT
from report_stores import AS_OF, make_store, pdf_text, squash

from auditkit import errors, open_store
from auditkit.reports import (
    build_experiment_report,
    build_inventory_report,
    build_model_report,
    evidence_json,
    evidence_sha256,
    render_html,
    render_pdf,
)
from auditkit.reports.messages import REPORT_BAD_OUTPUT, REPORT_FIELDS_NOT_MAPPING, REPORT_VERSION_OR_ALIAS


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports-store")
    db, written = make_store(folder)
    return db, written


def attachments(data: bytes) -> dict[str, list[bytes]]:
    return pypdf.PdfReader(io.BytesIO(data)).attachments


# -- experiment ---------------------------------------------------------------------------------
def test_experiment_report_shows_runs_best_runs_commits_and_registrations(store):
    db, w = store
    with open_store(str(db)) as s:
        ctx = build_experiment_report(s, w["experiment"], as_of=AS_OF)
    text = pdf_text(render_pdf(ctx))
    flat = squash(text)
    for run in w["runs"]:
        assert run["run_id"] in flat
        assert run["name"] in text
        assert run["user"] in text
        assert run["commit"][:12] in flat
    # best run per metric, derived from what was logged
    best_auc = max(w["runs"], key=lambda r: r["metrics"]["val_auc"])
    best_loss = min(w["runs"], key=lambda r: r["metrics"]["val_loss"])
    best = {b.metric: b for b in ctx.best}
    assert best["val_auc"].run_id == best_auc["run_id"] and best["val_auc"].direction == "higher"
    assert best["val_loss"].run_id == best_loss["run_id"] and best["val_loss"].direction == "lower"
    section = flat[flat.index("Bestrunpermetric"):flat.index("R-numbersareused")]
    assert section.index("val_auc") < section.index(best_auc["run_id"]) < section.index("val_loss")
    assert section.index("val_loss") < section.index(best_loss["run_id"])
    # which runs became which registered versions
    for version, run_id in w["versions"].items():
        assert any(r.version == version and r.run_id == run_id for r in ctx.registered)
        assert f"{w['model']}v{version}" in flat
    # one chart per metric, embedded as SVG data URIs, described for screen readers
    assert [c.key for c in ctx.charts] == ["metric:val_auc", "metric:val_loss"]
    html = render_html(ctx)
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert "Experiment comparison" in text and "Page 1 of" in text


def test_experiment_report_cover_and_gaps(store):
    db, w = store
    with open_store(str(db)) as s:
        ctx = build_experiment_report(s, w["experiment"], as_of=AS_OF)
    text = pdf_text(render_pdf(ctx))
    assert "2026-11-26 12:00:00 UTC" in text
    assert squash(str(db)) in squash(text)
    from auditkit import __version__
    assert f"auditkit version {__version__}" in text or f"auditkitversion{__version__}" in squash(text)
    assert any("Metric history" in g for g in ctx.gaps)
    assert "Gaps: facts the records do not hold" in text


def test_unknown_experiment_is_a_one_line_error(store, cli_run, tmp_path):
    db, _ = store
    result = cli_run("report", "experiment", "no-such-exp", "--store", db, "-o", tmp_path / "x.pdf")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: experiment 'no-such-exp' is not in the store")
    assert not (tmp_path / "x.pdf").exists()


# -- evidence, PDF/A, determinism ------------------------------------------------------------
def test_evidence_attachment_round_trips_and_matches_printed_hash(store):
    db, w = store
    with open_store(str(db)) as s:
        ctx = build_inventory_report(s, as_of=AS_OF)
    data = render_pdf(ctx)
    files = attachments(data)
    assert list(files) == ["evidence.json"]
    attached = files["evidence.json"][0]
    assert attached == evidence_json(ctx)
    digest = hashlib.sha256(attached).hexdigest()
    assert digest == evidence_sha256(ctx)
    assert digest in squash(pdf_text(data))
    doc = json.loads(attached)
    assert doc["schema_version"] == "1" and doc["kind"] == "inventory"
    assert doc["cover"]["generated_at"] == "2026-11-26T12:00:00Z"
    assert {m["name"] for m in doc["models"]} == {w["model"], "unowned-model"}


def test_pdf_declares_pdfa3b_tagged_with_associated_file(store):
    db, w = store
    with open_store(str(db)) as s:
        ctx = build_experiment_report(s, w["experiment"], as_of=AS_OF)
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(ctx)))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert len(root["/AF"]) == 1
    assert root["/AF"][0].get_object()["/AFRelationship"] == "/Data"
    assert reader.metadata.title.startswith("Experiment comparison")


def _cli_pdf(db: Path, out: Path, env_extra: dict[str, str], *args: str) -> bytes:
    env = {**os.environ, **env_extra}
    subprocess.run([sys.executable, "-m", "auditkit", "report", *args, "--store", str(db), "-o", str(out)],
                   check=True, env=env, capture_output=True)
    return out.read_bytes()


def test_same_inputs_give_byte_identical_pdfs_across_processes(store, tmp_path):
    db, w = store
    before = file_sha256(db)
    a = _cli_pdf(db, tmp_path / "a.pdf", {"PYTHONHASHSEED": "1"}, "experiment", w["experiment"], "--as-of", AS_OF)
    b = _cli_pdf(db, tmp_path / "b.pdf", {"PYTHONHASHSEED": "2"}, "experiment", w["experiment"], "--as-of", AS_OF)
    assert a == b
    # SOURCE_DATE_EPOCH stands in for --as-of
    epoch = "1795694400"  # 2026-11-26T12:00:00Z
    c = _cli_pdf(db, tmp_path / "c.pdf", {"SOURCE_DATE_EPOCH": epoch, "PYTHONHASHSEED": "3"},
                 "experiment", w["experiment"])
    assert c == a
    assert file_sha256(db) == before  # reports never write into the store


def test_generated_at_changes_the_evidence(store):
    db, _w = store
    with open_store(str(db)) as s:
        one = build_inventory_report(s, as_of="2026-01-01")
        two = build_inventory_report(s, as_of="2026-01-02")
    assert one.cover.generated_at == "2026-01-01T00:00:00Z"
    assert evidence_sha256(one) != evidence_sha256(two)


# -- inventory ---------------------------------------------------------------------------------
def test_inventory_lists_versions_owner_approval_and_aliases(store):
    db, w = store
    with open_store(str(db)) as s:
        ctx = build_inventory_report(s, as_of=AS_OF)
        versions = s.model_versions(w["model"])
    text = pdf_text(render_pdf(ctx))
    flat = squash(text)
    model = next(m for m in ctx.models if m.name == w["model"])
    assert model.owner.user == w["owner_tag"] and "tag 'owner'" in model.owner.evidence
    assert [v.version for v in model.versions] == sorted(v.version for v in versions)
    approved = [v for v in model.versions if v.approval.status == "approved"]
    assert [(v.version, v.approval.by) for v in approved] == [
        (v.version, v.tags["approved_by"]) for v in versions if "approved_by" in v.tags]
    assert "approvedbycarolat2026-11-20T10:00:00Z" in flat
    assert "notapproved" in flat
    for v in versions:
        for alias in v.aliases:
            assert f"{alias}→v{v.version}" in flat
        assert v.run_id is None or v.run_id in flat
    unowned = next(m for m in ctx.models if m.name == "unowned-model")
    assert unowned.owner.user is None
    assert "Gaps for unowned-model" in text
    assert squash("No record names an owner") in flat
    assert ctx.summary.approved == len(approved) and not ctx.policy_given
    assert "Policy findings" in text


def test_user_supplied_fields_are_labelled_and_shown(store, tmp_path, cli_run):
    db, w = store
    fields = tmp_path / "fields.yaml"
    fields.write_text("organisation: Example Bank AG, Frankfurt\nmodels:\n"
                      f"  {w['model']}:\n    purpose: Consumer credit scoring <b>v2</b>\n", encoding="utf-8")
    out = tmp_path / "inv.html"
    result = cli_run("report", "inventory", "--store", db, "--fields", fields, "-o", out, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Example Bank AG, Frankfurt" in html
    assert "Consumer credit scoring &lt;b&gt;v2&lt;/b&gt;" in html
    assert "SR 11-7 VI" in html and "Information supplied by the user" in html


# -- model -------------------------------------------------------------------------------------
def test_model_report_by_alias_shows_run_commit_digest_and_approval(store):
    db, w = store
    with open_store(str(db)) as s:
        rm = next(m for m in s.registered_models() if m.name == w["model"])
        ctx = build_model_report(s, w["model"], alias="champion", as_of=AS_OF)
    version = rm.aliases["champion"]
    run = next(r for r in w["runs"] if r["run_id"] == w["versions"][version])
    text = pdf_text(render_pdf(ctx))
    flat = squash(text)
    assert ctx.model.version == version
    assert f"{w['model']}version{version}" in flat
    assert run["run_id"] in flat and run["commit"] in flat and run["digest"] in flat
    assert "approved" in text and "carol" in text
    assert any("No ledger was given" in g for g in ctx.gaps)
    assert "1. Identity" in text and "6. Change and approval history" in text


def test_model_report_needs_exactly_one_of_version_and_alias(store, cli_run, tmp_path):
    db, w = store
    result = cli_run("report", "model", w["model"], "--store", db, "-o", tmp_path / "m.pdf")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: " + REPORT_VERSION_OR_ALIAS.format(name=w["model"])
    result = cli_run("report", "model", w["model"], "--alias", "nope", "--store", db, "-o", tmp_path / "m.pdf")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: model {w['model']!r} has no alias 'nope'; aliases: 'challenger', 'champion'")


# -- output, templates -------------------------------------------------------------------------
def test_output_extension_picks_the_format(store, cli_run, tmp_path):
    db, w = store
    html = tmp_path / "e.html"
    pdf = tmp_path / "e.pdf"
    assert cli_run("report", "experiment", w["experiment"], "--store", db, "-o", html, "--as-of", AS_OF).exit_code == 0
    assert cli_run("report", "experiment", w["experiment"], "--store", db, "-o", pdf, "--as-of", AS_OF).exit_code == 0
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert pdf.read_bytes().startswith(b"%PDF-1.7")
    bad = cli_run("report", "experiment", w["experiment"], "--store", db, "-o", tmp_path / "e.docx")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "error: " + REPORT_BAD_OUTPUT.format(path=str(tmp_path / "e.docx"))


def test_user_template_folder_overrides_packaged_templates(store, tmp_path):
    db, w = store
    user = tmp_path / "tpl"
    user.mkdir()
    (user / "report.css").write_text("h1 { color: #123456; }\n", encoding="utf-8")
    (user / "_macros.html").write_text(
        (Path(__file__).resolve().parents[2] / "report_templates" / "_macros.html").read_text(encoding="utf-8")
        .replace("Gaps: facts the records do not hold", "Missing evidence (house style)"), encoding="utf-8")
    with open_store(str(db)) as s:
        ctx = build_experiment_report(s, w["experiment"], as_of=AS_OF, charts=False)
    html = render_html(ctx, templates=user)
    assert "h1 { color: #123456; }" in html and "Missing evidence (house style)" in html
    assert "Missing evidence (house style)" in pdf_text(render_pdf(ctx, templates=user))
    with pytest.raises(errors.ReportError, match="templates folder"):
        render_html(ctx, templates=tmp_path / "absent")


def test_html_report_is_self_contained(store):
    db, w = store
    with open_store(str(db)) as s:
        ctx = build_experiment_report(s, w["experiment"], as_of=AS_OF)
    html = render_html(ctx)
    assert "<link" not in html and "http://" not in html and "https://" not in html
    assert "<style>" in html and "@page" in html


def test_bad_fields_file_is_a_one_line_error(store, cli_run, tmp_path):
    db, _ = store
    listed = tmp_path / "fields.yaml"
    listed.write_text("- purpose\n- owner\n", encoding="utf-8")
    result = cli_run("report", "inventory", "--store", db, "--fields", listed, "-o", tmp_path / "i.pdf")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: " + REPORT_FIELDS_NOT_MAPPING.format(path=str(listed), found="list")
    missing = tmp_path / "absent.yaml"
    result = cli_run("report", "inventory", "--store", db, "--fields", missing, "-o", tmp_path / "i.pdf")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: fields file {str(missing)!r} cannot be read: ")
    assert not (tmp_path / "i.pdf").exists()


def test_store_reader_warnings_become_gaps():
    """A W&B run file cut short (a fixture of the W&B connector) is reported as a gap."""
    import warnings

    folder = Path(__file__).resolve().parents[1] / "fixtures" / "wandb" / "legacy-0.17.9" / "wandb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_store(str(folder)) as s:
            expected = list(s.info().warnings)
            project = next(e.name for e in s.experiments())
    assert expected, "the fixture is meant to hold a damaged run file"
    with open_store(str(folder)) as s, pytest.warns(errors.AuditkitWarning):
        ctx = build_experiment_report(s, project, as_of=AS_OF, charts=False)
    for warning in expected:
        assert any(" ".join(warning.split()) in gap for gap in ctx.gaps)


def test_every_field_key_is_documented_and_listed(cli_run):
    from auditkit.reports.fields import FIELD_DEFINITIONS

    docs = (ROOT / "docs" / "fields.md").read_text(encoding="utf-8")
    for kind, rows in FIELD_DEFINITIONS.items():
        listed = cli_run("report", "inventory" if kind == "inventory_model" else kind, "--list-fields")
        assert listed.exit_code == 0
        for key, label, provision in rows:
            assert f"| `{key}` | {label} | {provision} |" in docs
            assert any(line.startswith(key + " ") and label in line and provision in line
                       for line in listed.stdout.splitlines())


def test_unknown_field_key_is_an_error_listing_the_valid_ones(store, cli_run, tmp_path):
    db, w = store
    fields = tmp_path / "fields.yaml"
    fields.write_text(f"organisation: Example Bank AG\nmodels:\n  {w['model']}:\n    purpse: scoring\n",
                      encoding="utf-8")
    result = cli_run("report", "inventory", "--store", db, "--fields", fields, "-o", tmp_path / "i.html")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: fields file {str(fields)!r}: inventory (models.{w['model']}) report has "
                                    "no field 'purpse'; fields: 'purpose', 'usage', ")
    assert result.stderr.endswith(" (auditkit report inventory --list-fields)\n")

"""``auditkit serve`` over plain HTTP on the sample data: the JSON API is the CLI's JSON, every
response carries the security headers, only GET/HEAD are served, hostile ids come back as
escaped text in a 404, and decision views are written to the access log."""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import re
import subprocess
import sys
import time
from urllib.parse import quote

import httpx
import pytest
from web_server import ROOT, SAMPLE_ARGS, serve

HOSTILE_IDS = ["<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "../../etc/passwd", "a\x00b",
               "APP-004711/../x", "%2e%2e%2f", "id with spaces & ampersand"]
REPERFORM = importlib.util.find_spec("auditkit.reperform") is not None


def auditkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditkit", *args], capture_output=True, text=True, cwd=str(ROOT))


def lineage_args(pid: str) -> list[str]:
    return ["lineage", pid, *SAMPLE_ARGS[:6], "--format", "json"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    access = tmp_path_factory.mktemp("web") / "access.jsonl"
    with serve([*SAMPLE_ARGS, "--access-log", str(access)]) as base:
        with httpx.Client(base_url=base, timeout=120) as client:
            yield client, access


def test_api_lineage_is_the_cli_json_byte_for_byte(server):
    client, _ = server
    cli = auditkit(*lineage_args("APP-004711"))
    assert cli.returncode == 0, cli.stderr
    r = client.get("/api/lineage/APP-004711")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.text == cli.stdout
    doc = r.json()
    assert doc["schema_version"] == "1" and doc["prediction"]["id"] == "APP-004711"


def test_api_explain_in_this_build(server):
    client, _ = server
    r = client.get("/api/explain/APP-004711")
    if REPERFORM:  # a build with the explain part: the CLI's explain JSON
        cli = auditkit("explain", "APP-004711", *SAMPLE_ARGS[:6], "--format", "json")
        assert r.status_code == 200 and r.text == cli.stdout
    else:
        assert r.status_code == 501
        assert r.json() == {"schema_version": "1", "error": "re-performance not available in this build"}
        page = client.get("/decisions/APP-004711").text
        assert "Re-performance not available in this build" in page


def test_every_response_carries_the_security_headers(server):
    client, _ = server
    responses = [client.get(p) for p in ("/", "/models/credit-risk", "/decisions/APP-004711", "/api/lineage/APP-004711",
                                         "/static/web.css", "/no/such/page", "/decisions/NOPE",
                                         "/download/decision/evidence.json?id=APP-004711")]
    responses.append(client.post("/"))
    for r in responses:
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'none'" in csp, r.url
        assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp and "base-uri 'none'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp  # no external source, no inline anything
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "server" not in r.headers


def test_report_styles_are_allowed_by_hash_only(server):
    client, _ = server
    r = client.get("/decisions/APP-004711")
    style = re.search(r"<style>(.*?)</style>", r.text, re.S).group(1)
    digest = __import__("base64").b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_only_get_and_head(server, method):
    client, _ = server
    r = client.request(method, "/api/lineage/APP-004711")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    assert r.json()["error"] == f"method {method} is not allowed: this server is read-only (GET and HEAD only)"


def test_head_is_served(server):
    client, _ = server
    r = client.head("/")
    assert r.status_code == 200 and r.content == b""


def lineage_error(pid: str) -> str:
    """The one-line error the library (and so ``auditkit lineage``) gives for ``pid``."""
    import auditkit

    log = auditkit.open_predictions(SAMPLE_ARGS[3])
    try:
        with auditkit.open_store(SAMPLE_ARGS[1]) as store:
            with pytest.raises(auditkit.AuditkitError) as caught:
                auditkit.lineage(store, log, pid, ledger=SAMPLE_ARGS[5])
    finally:
        log.close()
    return str(caught.value)


@pytest.mark.parametrize("pid", HOSTILE_IDS)
def test_hostile_ids_are_escaped_text_in_a_404(server, pid):
    client, _ = server
    expected = lineage_error(pid)
    if "\x00" not in pid:  # the CLI says the same (a NUL cannot be passed on a command line)
        assert auditkit(*lineage_args(pid)).stderr.strip() == "error: " + expected
    r = client.get("/decisions/" + quote(pid, safe=""))
    assert r.status_code == 404
    message = re.search(r'<p class="web-message" id="error-message">(.*?)</p>', r.text, re.S).group(1)
    assert html.unescape(message) == expected  # (the message names the id by its repr: no raw NUL)
    for raw in ("<script>alert", "<img src=x", "\x00"):  # the search box shows a NUL as \x00
        assert raw not in r.text
    assert "Traceback" not in r.text
    api = client.get("/api/lineage/" + quote(pid, safe=""))
    assert api.status_code == 404 and api.json()["error"] == expected


def test_the_lookup_form_redirects_to_the_decision_with_the_id_encoded(server):
    client, _ = server
    r = client.get("/decisions", params={"id": "  APP-004711 "})
    assert r.status_code == 303 and r.headers["location"] == "/decisions/APP-004711"
    r = client.get("/decisions", params={"id": HOSTILE_IDS[1]})
    assert r.headers["location"] == "/decisions/" + quote(HOSTILE_IDS[1], safe="")
    r = client.get("/decisions", params={"id": " "})
    assert r.status_code == 400 and "give a decision id (for example APP-004711)" in r.text


def test_downloads_share_the_pages_evidence(server):
    client, _ = server
    page = client.get("/decisions/APP-004711").text
    shown = re.search(r"Evidence SHA-256</th>\s*<td[^>]*>([0-9a-f]{64})", page).group(1)
    evidence = client.get("/download/decision/evidence.json", params={"id": "APP-004711"})
    assert evidence.status_code == 200
    assert hashlib.sha256(evidence.content).hexdigest() == shown == evidence.headers["x-evidence-sha256"]
    assert evidence.headers["content-disposition"] == 'attachment; filename="decision-APP-004711.evidence.json"'
    assert json.loads(evidence.content)["prediction"]["id"] == "APP-004711"


def test_unknown_pages_models_and_a_foreign_host(server):
    client, _ = server
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "no page at &#39;/no/such/page&#39;" in r.text
    r = client.get("/models/" + quote("<b>nope</b>", safe=""))
    cli = auditkit("models", *SAMPLE_ARGS[:2], "--name", "<b>nope</b>")
    assert r.status_code == 404 and "&lt;b&gt;nope&lt;/b&gt;" in r.text and "<b>nope" not in r.text
    assert cli.returncode == 2
    r = client.get("/models/credit-risk", params={"version": "3", "alias": "champion"})
    assert r.status_code == 400 and "give ?version=N or ?alias=A for model &#39;credit-risk&#39;, not both" in r.text
    r = client.get("/", headers={"host": "evil.example:8765"})  # DNS rebinding: a loopback server answers only its names
    assert r.status_code == 400 and "host header &#39;evil.example&#39; does not name this server" in r.text


def test_decision_views_are_in_the_access_log(server):
    client, access = server
    client.get("/decisions/APP-004711")
    client.get("/api/lineage/APP-004711")
    client.get("/decisions/" + quote(HOSTILE_IDS[0], safe=""))
    rows = [json.loads(line) for line in access.read_text(encoding="utf-8").splitlines()]
    seen = {(r["what"], r["id"], r["status"]) for r in rows}
    assert {("decision page", "APP-004711", 200), ("lineage json", "APP-004711", 200),
            ("decision page", HOSTILE_IDS[0], 404)} <= seen
    assert all(r["user"] == "local" and r["client"] == "127.0.0.1" and r["time"].endswith("Z") for r in rows)


def test_pages_show_when_they_were_read_and_refresh_reads_again(server):
    client, _ = server
    as_of = re.compile(r'<time id="as-of">([^<]+)</time>')
    first = as_of.search(client.get("/models/credit-risk").text).group(1)
    assert as_of.search(client.get("/models/credit-risk").text).group(1) == first  # kept, not read again
    time.sleep(1.1)  # the time shown has whole seconds
    page = client.get("/models/credit-risk", params={"refresh": "1"}).text
    again = as_of.search(page).group(1)
    assert again > first
    assert 'href="/models/credit-risk?refresh=1"' in page
    assert as_of.search(client.get("/models/credit-risk").text).group(1) == again


def test_the_registry_history_page_lists_every_ledger_change(server):
    client, _ = server
    out = auditkit("history", "--ledger", SAMPLE_ARGS[5], "--format", "json")
    changes = json.loads(out.stdout)["changes"]
    page = client.get("/history").text
    rows = re.findall(r"<tr><td>([^<]*)</td><td><a href=\"([^\"]*)\">([^<]*)</a></td><td>([^<]*)</td>", page)
    assert [(at, model, html.unescape(change)) for at, _, model, change in rows] == [
        (c["to_taken_at"], c["model"], c["change"]) for c in changes]
    assert all(href == "/models/" + quote(model, safe="") for _, href, model, _ in rows)

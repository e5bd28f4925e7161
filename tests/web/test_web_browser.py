"""``auditkit serve`` in a real headless Chromium (Debian's chromium, driven by Playwright): look a
decision up by typing its id, read its lineage, download its PDF; open a model and its alias
history; a store full of markup renders as text and runs no script."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pypdf
import pytest
from report_stores import HOSTILE, make_hostile_store, pdf_text, squash, write_prediction_log
from web_server import ROOT, SAMPLE_ARGS, browser, serve

#: Set to a folder to keep the screenshots (docs/images/ was made this way).
SHOTS_ENV = "AUDITKIT_WEB_SCREENSHOTS"


def cli_json(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "auditkit", *args, "--format", "json"], capture_output=True,
                         text=True, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    with browser(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture(scope="module")
def sample(chromium):
    with serve(SAMPLE_ARGS) as base:
        yield base


@pytest.fixture
def page(chromium):
    page = chromium.new_page()
    page.errors = []  # uncaught script errors and dialogs: none may happen
    page.requested = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: (page.errors.append("dialog " + d.message), d.dismiss()))
    page.on("request", lambda r: page.requested.append(r.url))
    yield page
    page.close()


def keep_screenshot(path: Path) -> None:
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        shutil.copy(path, Path(folder) / path.name)


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_look_up_a_decision_and_download_its_pdf(sample, page, tmp_path):
    doc = cli_json("lineage", "APP-004711", *SAMPLE_ARGS[:6])
    page.goto(sample + "/")
    page.fill("#decision-id", "APP-004711")
    page.click("#lookup-submit")
    page.wait_for_url(sample + "/decisions/APP-004711")
    text = page.inner_text("main.web-report")
    facts: dict[str, str] = {}  # the first table's key/value rows (section 1), as the browser shows them
    for key, value in re.findall(r"^([^\t\n]+)\t([^\n]*)$", text, re.M):
        facts.setdefault(key, value)
    mv, run = doc["model_version"], doc["run"]
    assert facts["Decision id"] == "APP-004711"
    assert facts["Model that decided"] == f"{mv['name']} version {mv['version']}"
    assert facts["Training run"] == run["id"]
    assert facts["Outcome"] == doc["prediction"]["decision"]
    assert doc["owner"]["user"] in text and run["experiment"] in text
    assert doc["gaps"] and all(g in text for g in doc["gaps"])
    for reason in doc["reasons"]:
        assert reason["text"] in text
    assert page.input_value("#decision-id") == "APP-004711"
    assert "Re-performance" in page.inner_text("aside.web-panel")
    shot = tmp_path / "web-decision.png"
    page.screenshot(path=str(shot))
    assert_png(shot)
    keep_screenshot(shot)

    shown = facts["Evidence SHA-256"]
    with page.expect_download() as download:
        page.click("#downloads a:text-is('PDF')")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf[:5] == b"%PDF-"
    assert download.value.suggested_filename == "decision-APP-004711.pdf"
    evidence = pypdf.PdfReader(io.BytesIO(pdf)).attachments["evidence.json"][0]
    assert hashlib.sha256(evidence).hexdigest() == shown
    assert json.loads(evidence)["prediction"]["id"] == "APP-004711"
    assert "APP-004711" in pdf_text(pdf) and squash(run["id"]) in squash(pdf_text(pdf))
    assert page.errors == []
    assert all(urlparse(u).netloc == urlparse(sample).netloc for u in page.requested if not u.startswith("data:"))


def test_inventory_then_a_model_and_its_alias_history(sample, page, tmp_path):
    page.goto(sample + "/")
    inventory = page.inner_text("main.web-report")
    assert "Model inventory" in inventory and "Policy findings" in inventory
    shot = tmp_path / "web-inventory.png"
    page.screenshot(path=str(shot))
    assert_png(shot)
    keep_screenshot(shot)

    page.click(".web-links a:text-is('credit-risk') >> nth=0")
    page.wait_for_url(re.compile(r".*/models/credit-risk$"))
    history = cli_json("history", "--ledger", SAMPLE_ARGS[5], "--name", "credit-risk")["changes"]
    champion = [c for c in history if c["kind"] == "alias" and "champion" in c["subject"]]
    assert champion
    page.click(".web-links a:text-is('@champion')")
    page.wait_for_url(re.compile(r".*/models/credit-risk\?alias=champion$"))
    text = page.inner_text("main.web-report")
    versions = cli_json("models", *SAMPLE_ARGS[:2], "--name", "credit-risk")["model_versions"]
    aliases = {a: v["version"] for v in versions for a in v.get("aliases") or []}
    shown = str(aliases["champion"])
    own = [c for c in champion if shown in (str(c["old"]), str(c["new"]))]
    assert own
    for change in own:  # every move of the alias to or from this version, in the report's history
        assert change["change"] in text
    assert f"credit-risk version {aliases['champion']}" in text or f"credit-risk v{aliases['champion']}" in text
    assert page.errors == []


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, chromium):
    folder = tmp_path_factory.mktemp("hostile-web")
    db, written = make_hostile_store(folder)
    log_path = folder / "decisions.csv"
    frame = pd.DataFrame(write_prediction_log(log_path, model=written["model"],
                                              by_version={"1": ("2026-01-05", "2026-02-10", 20)}))
    deny = frame.index[frame.decision == "deny"][0]
    frame.loc[deny, "reason_1"] = HOSTILE["script"]
    frame["note"] = HOSTILE["img"]
    frame.to_csv(log_path, index=False)
    with serve(["--store", str(db), "--predictions", str(log_path)]) as base:
        yield base, written, frame.prediction_id[deny]


def test_a_hostile_store_renders_as_text_and_runs_nothing(hostile, page, tmp_path):
    base, written, pid = hostile
    page.goto(base + "/")
    assert page.title() != "pwned" and "pwned" not in page.evaluate("document.title")
    page.click(".web-links a >> nth=0")  # the model named with markup, through its encoded link
    assert HOSTILE["modelname"] in page.inner_text("main.web-report")
    assert page.evaluate("document.querySelectorAll('main.web-report script, main.web-report img[onerror]').length") == 0
    assert HOSTILE["script"] in page.inner_text("body")  # the owner tag, shown as text
    page.goto(base + "/")
    page.fill("#decision-id", pid)
    page.click("#lookup-submit")
    page.wait_for_url(re.compile(r".*/decisions/.+"))
    text = page.inner_text("main.web-report")
    assert HOSTILE["script"] in text and HOSTILE["img"] in text
    assert page.evaluate("document.title") != "pwned"
    shot = tmp_path / "web-hostile-decision.png"
    page.screenshot(path=str(shot))
    assert_png(shot)
    keep_screenshot(shot)
    assert page.errors == []
    # nothing was fetched from anywhere but this server (the hostile <img> points at 127.0.0.1:9)
    assert all(urlparse(u).netloc == urlparse(base).netloc for u in page.requested if not u.startswith("data:"))

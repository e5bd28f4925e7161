"""Reports from a hostile store are harmless: markup shows as text, nothing is fetched or attached,
long strings wrap inside the page."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pandas as pd
import pypdf
import pytest
import weasyprint
from report_stores import (
    AS_OF,
    HOSTILE,
    make_hostile_store,
    squash,
    write_prediction_log,
)
from weasyprint.formatting_structure import boxes

from auditkit import open_predictions, open_store
from auditkit.reports import (
    SafeURLFetcher,
    build_decision_report,
    build_experiment_report,
    build_inventory_report,
    build_model_report,
    evidence_json,
    render_html,
    render_pdf,
    template_dirs,
)
from auditkit.reports.charts import bar_chart

TEMPLATES = Path(__file__).resolve().parents[2] / "report_templates"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    db, written = make_hostile_store(folder)
    log_path = folder / "decisions.csv"
    rows = write_prediction_log(log_path, model=written["model"], by_version={"1": ("2026-01-05", "2026-02-10", 40)})
    frame = pd.DataFrame(rows)
    deny = frame.index[frame.decision == "deny"][0]
    frame.loc[deny, "reason_1"] = HOSTILE["attach"]
    frame.loc[deny, "reason_2"] = HOSTILE["longwords"]
    frame["note"] = HOSTILE["img"]
    frame.to_csv(log_path, index=False)
    log = open_predictions(str(log_path))
    with open_store(str(db)) as s:
        contexts = {
            "experiment": build_experiment_report(s, written["experiment"], as_of=AS_OF),
            "inventory": build_inventory_report(s, as_of=AS_OF),
            "model": build_model_report(s, written["model"], version="1", as_of=AS_OF),
            "decision": build_decision_report(s, log, frame.prediction_id[deny], as_of=AS_OF, sensitive=["sex"],
                                              positive="approve", label_positive="good"),
        }
    log.close()
    return written, contexts


def _walk(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _walk(child)


def overflowing(html: str, fetcher: SafeURLFetcher) -> list[str]:
    """Boxes whose right edge lies past the page's content area (margin boxes excluded)."""
    document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    found = []
    for number, page in enumerate(document.pages, 1):
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width
        for child in page_box.children:
            if isinstance(child, boxes.MarginBox):
                continue
            for box in _walk(child):
                if getattr(box, "position_x", None) is None:
                    continue
                excess = box.position_x + box.margin_width() - right
                if excess > 0.5:
                    found.append(f"page {number}: {type(box).__name__} {excess:.1f}px {getattr(box, 'text', '')[:30]!r}")
    return found


@pytest.mark.parametrize("kind", ["experiment", "inventory", "model", "decision"])
def test_hostile_text_is_visible_and_nothing_is_fetched_or_attached(hostile, kind):
    _written, contexts = hostile
    ctx = contexts[kind]
    fetcher = SafeURLFetcher(template_dirs())
    data = render_pdf(ctx, url_fetcher=fetcher)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert list(reader.attachments) == ["evidence.json"]
    assert reader.attachments["evidence.json"][0] == evidence_json(ctx)
    assert fetcher.refused == []
    # the only URLs WeasyPrint asked for are the report's own chart images
    charts = list(getattr(ctx, "charts", ())) + list(getattr(getattr(ctx, "fairness", None), "charts", ()))
    assert all(url.startswith("data:image/svg+xml;base64,") for url in fetcher.requested)
    assert len(fetcher.requested) == len(charts)
    text = squash("\n".join(page.extract_text() for page in reader.pages))
    # the markup is printed as the characters it is made of
    assert squash(HOSTILE["img"]) in text
    if kind != "decision":
        assert squash(HOSTILE["script"]) in text
    if kind != "experiment":
        assert squash(HOSTILE["attach"]) in text
        assert squash(HOSTILE["modelname"]) in text
    html = render_html(ctx)
    body = html[html.index("<body>"):]
    assert "<script" not in body and "<img src=http" not in body and "<link" not in body
    assert "<style" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("kind", ["experiment", "inventory", "model", "decision"])
def test_long_hostile_strings_wrap_inside_the_page(hostile, kind):
    _, contexts = hostile
    fetcher = SafeURLFetcher(template_dirs())
    assert overflowing(render_html(contexts[kind]), fetcher) == []


def test_the_overflow_check_sees_overflow(hostile, tmp_path):
    """Without the wrapping rule the same report overflows: the check above is not vacuous."""
    _, contexts = hostile
    user = tmp_path / "nowrap"
    user.mkdir()
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8").replace("overflow-wrap: anywhere", "overflow-wrap: normal")
    (user / "report.css").write_text(css, encoding="utf-8")
    html = render_html(contexts["model"], templates=user)
    assert overflowing(html, SafeURLFetcher(template_dirs(user)))


RAW_HOSTILE_HTML = """<html><head>
<link rel="attachment" href="file:///etc/passwd">
<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
<style>@import url(http://127.0.0.1:9/more.css); body { background: url(file:///etc/hostname) }</style>
</head><body><p>hello</p><img src="http://127.0.0.1:9/pixel.png"><img src="file:///etc/passwd">
<img src="{inside}"></body></html>"""


def test_safe_fetcher_refuses_network_and_files_outside_the_templates(tmp_path):
    """A template that forgot to escape: the fetcher is the second wall."""
    inside = (TEMPLATES / "report.css").as_uri()
    html = RAW_HOSTILE_HTML.replace("{inside}", inside)
    # WeasyPrint's own fetcher would embed /etc/passwd: the threat is real
    default = weasyprint.HTML(string=html).write_pdf()
    assert "passwd" in pypdf.PdfReader(io.BytesIO(default)).attachments
    fetcher = SafeURLFetcher(template_dirs())
    data = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert pypdf.PdfReader(io.BytesIO(data)).attachments == {}
    assert set(fetcher.refused) == {
        "file:///etc/passwd", "http://127.0.0.1:9/evil.css", "http://127.0.0.1:9/more.css",
        "file:///etc/hostname", "http://127.0.0.1:9/pixel.png"}
    assert inside in fetcher.requested and inside not in fetcher.refused
    # a symlink inside the template folder pointing outside it is refused too
    link = tmp_path / "tpl"
    link.mkdir()
    (link / "passwd.css").symlink_to("/etc/passwd")
    fetcher = SafeURLFetcher([link])
    weasyprint.HTML(string=f'<link rel="attachment" href="{(link / "passwd.css").as_uri()}">',
                    url_fetcher=fetcher).write_pdf()
    assert fetcher.refused == [(link / "passwd.css").as_uri()]


def test_charts_are_deterministic_svg_without_dates_or_mathtext():
    args = {"key": "k", "title": "auc $x^2$ <b>", "labels": ["run <script>", "$\\frac{1}{2}$"],
            "values": [0.5, float("nan")], "highlight": 0, "xlabel": "auc"}
    one, two = bar_chart(**args), bar_chart(**args)
    assert one.data_uri == two.data_uri
    svg = base64.b64decode(one.data_uri.split(",", 1)[1]).decode("utf-8")
    assert "<dc:date>" not in svg and "<script" not in svg
    assert "run <script>" in one.alt and "no value" not in one.alt

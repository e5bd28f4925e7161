"""Audit reports: context builders, HTML/PDF rendering, and writing files.

    from auditkit import open_store
    from auditkit.reports import build_experiment_report, write_report

    with open_store("sample_data/mlflow.db") as store:
        ctx = build_experiment_report(store, "credit-risk", as_of="2026-11-26T12:00:00Z")
    write_report(ctx, "experiment.pdf")       # or render_pdf(ctx) / render_html(ctx)

Building reads the store; rendering touches nothing but the templates; writing is separate.
"""

from __future__ import annotations

from .build import build_experiment_report, build_inventory_report
from .common import generated_at, parse_as_of
from .context import (
    REPORT_KINDS,
    SCHEMA_VERSION,
    DecisionReport,
    DiffReport,
    ExperimentReport,
    ImpactReport,
    InventoryReport,
    ModelReport,
    evidence_json,
    evidence_sha256,
)
from .decision import build_decision_report
from .diff import build_diff_report
from .fields import load_fields
from .impact import build_impact_report
from .model import build_model_report
from .render import render_html, render_pdf, template_dirs, write_atomically, write_report

__all__ = [
    "REPORT_KINDS",
    "SCHEMA_VERSION",
    "DecisionReport",
    "DiffReport",
    "ExperimentReport",
    "ImpactReport",
    "InventoryReport",
    "ModelReport",
    "SafeURLFetcher",
    "build_decision_report",
    "build_diff_report",
    "build_experiment_report",
    "build_impact_report",
    "build_inventory_report",
    "build_model_report",
    "evidence_json",
    "evidence_sha256",
    "generated_at",
    "load_fields",
    "parse_as_of",
    "render_html",
    "render_pdf",
    "template_dirs",
    "write_atomically", "write_report",
]


def __getattr__(name: str) -> object:
    # SafeURLFetcher subclasses WeasyPrint's fetcher: import WeasyPrint (about a second) only when
    # it is asked for, so building contexts and rendering HTML do not pay for it.
    if name == "SafeURLFetcher":
        from .safety import SafeURLFetcher  # heavy (WeasyPrint): loaded on first use

        return SafeURLFetcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

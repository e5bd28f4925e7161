"""``auditkit demo``: every report, as PDF and HTML, from ``sample_data/``.

The sample's facts (experiment, model, the decision the docs discuss, its sensitive columns and
favourable values) are described in ``sample_data/README.md``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .. import errors
from ..connectors import open_store
from ..logs import open_predictions
from .build import build_experiment_report, build_inventory_report
from .common import generated_at
from .decision import build_decision_report
from .extras import model_extras
from .messages import REPORT_NO_SAMPLE_DATA
from .model import build_model_report
from .render import write_report

EXPERIMENT = "credit-risk"
MODEL = "credit-risk"
ALIAS = "champion"
DECISION_ID = "APP-004711"
#: The sample's serving log that names the model only by alias (written by make_sample.py).
ALIAS_LOG = "predictions_alias.csv"
SENSITIVE = ("sex", "age_band")
POSITIVE = "approve"
LABEL_POSITIVE = "good"
LEDGER_NAMES = ("ledger.jsonl", "registry-ledger.jsonl")


def find_sample_data(sample_dir: str | Path | None = None) -> Path:
    """The sample data folder: ``sample_dir``, else ``./sample_data``, else the one next to the
    auditkit package (a source checkout). Raises :class:`~auditkit.errors.ReportError`."""
    if sample_dir is not None:
        candidates = [Path(sample_dir)]
    else:
        candidates = [Path.cwd() / "sample_data", Path(__file__).resolve().parents[2] / "sample_data"]
    for folder in candidates:
        if (folder / "mlflow.db").is_file():
            return folder.resolve()
    raise errors.ReportError(REPORT_NO_SAMPLE_DATA.format(
        path=str(candidates[0]), what="mlflow.db", expected="the sample_data folder of an auditkit checkout"))


def sample_explain_options(sample: Path) -> dict | None:
    """How the demo re-performs its decision: the sample's re-created artifacts (mapped from the
    store's ``mlflow-artifacts:`` locations), its reason-code map and its training split; ``None``
    when the folder lacks them (the report then says the decision was not re-performed)."""
    artifacts, reasons, train = sample / "artifacts", sample / "reason_codes.yaml", sample / "datasets" / "credit_train.csv"
    if not (artifacts.is_dir() and reasons.is_file() and train.is_file()):
        return None
    return {"artifact_roots": [f"mlflow-artifacts:/={artifacts}"], "reason_map": str(reasons), "background": str(train)}


def run_demo(out_dir: str | Path, *, sample_dir: str | Path | None = None,
             as_of: datetime | str | None = None) -> list[Path]:
    """Write the four reports (``model``, ``decision``, ``experiment``, ``inventory``; ``.pdf``
    and ``.html`` each) into ``out_dir`` and return their paths.

    Raises :class:`~auditkit.errors.ReportError` when the sample data is missing, and what the
    builders raise.
    """

    sample = find_sample_data(sample_dir)
    predictions = sample / "predictions.csv"
    if not predictions.is_file():
        raise errors.ReportError(REPORT_NO_SAMPLE_DATA.format(
            path=str(sample), what="predictions.csv", expected="the sample prediction log"))
    policy = sample / "policy.yaml"
    ledger = next((sample / n for n in LEDGER_NAMES if (sample / n).is_file()), None)
    when = generated_at(as_of)
    out = Path(out_dir)
    contexts = {}
    with open_store(str(sample / "mlflow.db")) as store:
        extras = model_extras(store, MODEL, version=None, alias=ALIAS, ledger=str(ledger) if ledger else None,
                              predictions=str(predictions), sensitive=SENSITIVE, positive=POSITIVE,
                              label_positive=LABEL_POSITIVE)
        options = sample_explain_options(sample)
        logic = None
        if options is not None:
            from ..reperform import version_summary  # heavy: numpy, pandas and the model loaders

            rm = next((m for m in store.registered_models() if m.name == MODEL), None)
            version = rm.aliases.get(ALIAS) if rm is not None else None
            if version is not None:
                with open_predictions(str(predictions)) as plog:
                    logic = version_summary(store, plog, name=MODEL, version=version,
                                            **{k: v for k, v in options.items() if k != "reason_map"})
        contexts["model"] = build_model_report(store, MODEL, alias=ALIAS, as_of=when, logic=logic, **extras)
        # The decision report reads the serving log as an alias-serving system writes it
        # (models:/credit-risk@champion), resolved through the ledger; the plain log otherwise.
        alias_log = sample / ALIAS_LOG
        log = open_predictions(str(alias_log if alias_log.is_file() and ledger is not None else predictions))
        try:
            contexts["decision"] = build_decision_report(
                store, log, DECISION_ID, ledger=ledger, as_of=when, sensitive=list(SENSITIVE),
                positive=POSITIVE, label_positive=LABEL_POSITIVE, explain=sample_explain_options(sample))
        finally:
            log.close()
        contexts["experiment"] = build_experiment_report(store, EXPERIMENT, as_of=when)
        contexts["inventory"] = build_inventory_report(
            store, as_of=when, policy=str(policy) if policy.is_file() else None)
    written = []
    for kind, ctx in contexts.items():
        for suffix in (".pdf", ".html"):
            written.append(write_report(ctx, out / f"{kind}{suffix}"))
    return written

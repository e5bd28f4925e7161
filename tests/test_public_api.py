"""The public face of auditkit: what users script against (../shared/CONTRACT.md) is pinned, every
part has a curated ``__all__``, and the CLI starts without the heavy packages."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pytest
from conftest import ROOT

import auditkit

PUBLIC = [
    "AliasResolution", "AuditkitError", "Connector", "DataVerification", "DatasetRef", "Experiment",
    "FairnessResult", "Finding", "LoggedModel", "ModelVersion", "Policy", "PolicyCheck", "PredictionLog",
    "RegisteredModel", "RegistryChange", "Run", "StoreInfo", "VerifyResult", "__version__", "assess_fairness",
    "check_policy", "evaluate_policy", "explain", "explain_frame", "lineage", "lineage_frame", "load_policy", "open_predictions",
    "open_store", "resolve_alias_at", "resolve_stage_at", "snapshot", "verify_data", "verify_ledger",
]
PARTS = ["auditkit.errors", "auditkit.times", "auditkit.records", "auditkit.accountability", "auditkit.connectors",
         "auditkit.logs", "auditkit.ledger", "auditkit.provenance", "auditkit.reperform", "auditkit.fairness",
         "auditkit.policy",
         "auditkit.reports", "auditkit.web", "auditkit.cli"]


def test_the_public_names_are_pinned():
    assert sorted(auditkit.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(auditkit, name) is not None, name


@pytest.mark.parametrize("part", PARTS)
def test_every_part_has_a_curated_public_face(part):
    module = importlib.import_module(part)
    assert module.__all__ and len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), f"{part}.{name}"


def _keywords(func) -> set[str]:
    return set(inspect.signature(func).parameters)


def test_the_contract_python_api():
    """CONTRACT.md's Python API, by name and keyword."""
    assert {"uri"} <= _keywords(auditkit.open_store)
    assert {"source", "columns"} <= _keywords(auditkit.open_predictions)
    assert ["store", "log", "prediction_id"] == list(inspect.signature(auditkit.lineage).parameters)[:3]
    assert "ledger" in _keywords(auditkit.lineage)
    assert ["store", "log"] == list(inspect.signature(auditkit.lineage_frame).parameters)[:2]
    assert "ledger" in _keywords(auditkit.lineage_frame)
    assert {"y_true", "y_pred", "sensitive_features", "pos_label"} <= _keywords(auditkit.assess_fairness)
    for method in ("runs", "runs_frame", "model_versions", "__enter__", "__exit__", "close"):
        assert callable(getattr(auditkit.Connector, method))
    with auditkit.open_store(str(ROOT / "sample_data" / "mlflow.db")) as store:
        assert isinstance(store, auditkit.Connector)
        runs = store.runs()
        assert runs and all(isinstance(r, auditkit.Run) for r in runs)
        assert list(store.runs_frame().columns[:3]) == ["run_id", "experiment", "run_name"]
        assert all(isinstance(v, auditkit.ModelVersion) for v in store.model_versions())
        log = auditkit.open_predictions(ROOT / "sample_data" / "predictions.csv",
                                        columns={"prediction_id": "prediction_id"})
        assert isinstance(log, auditkit.PredictionLog)
        doc = auditkit.lineage(store, log, "APP-004711")
        assert doc["schema_version"] == "1"
        assert set(doc) >= {"prediction", "model_version", "run", "code", "datasets", "owner", "reasons",
                            "approvals", "gaps"}
    result = auditkit.assess_fairness(y_true=[1, 0, 1, 0], y_pred=[1, 0, 0, 1],
                                      sensitive_features=["a", "a", "b", "b"], pos_label=1)
    assert isinstance(result, auditkit.FairnessResult)
    assert list(result.by_group["sensitive_feature_0"]) == ["a", "b"]
    assert result.to_dict()["schema_version"] == "1"


def test_the_package_ships_type_information():
    assert (ROOT / "auditkit" / "py.typed").is_file()
    assert '"auditkit" = ["py.typed"]' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_cli_starts_without_pandas_or_numpy():
    code = ("import sys, auditkit.cli; print(sorted({'pandas', 'numpy', 'weasyprint', 'matplotlib', 'starlette', "
            "'uvicorn', 'auditkit.web'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


#: What a function may import where it runs: packages that cost a noticeable time to load, and
#: the auditkit parts that load them. Each such import carries a comment saying why.
HEAVY = ("pandas", "numpy", "pyarrow", "sqlalchemy", "matplotlib", "jinja2", "weasyprint", "wandb", "google",
         "yaml", "pyhanko", "pyhanko_certvalidator", "cryptography", "asn1crypto", "pypdf", "fontTools",
         "auditkit.report_templates", "starlette", "uvicorn", "anyio", "skops", "onnxruntime", "xgboost", "lightgbm",
         "shap", "cloudpickle")
HEAVY_PARTS = ("fairness", "charts", "safety", "sql", "web", "reperform")


def _commented_group(lines: list[str], index: int) -> bool:
    """An import in a block of imports whose first line carries the comment."""
    while index > 0 and lines[index - 1].strip().startswith(("import ", "from ")):
        index -= 1
        if "#" in lines[index]:
            return True
    return False


def test_imports_inside_functions_are_heavy_packages_with_a_comment():
    problems = []
    for path in sorted((ROOT / "auditkit").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").split("\n")
        tree = ast.parse("\n".join(lines))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif node.level == 0:
                    names = [node.module or ""]
                else:
                    names = [(node.module or "").split(".")[0] or node.names[0].name]
                heavy = all(n.split(".")[0] in HEAVY or n in HEAVY or n.split(".")[0] in HEAVY_PARTS
                            for n in names)
                if not heavy:
                    problems.append(f"{where} imports {names} inside a function")
                elif "#" not in lines[node.lineno - 1] and not _commented_group(lines, node.lineno - 1):
                    problems.append(f"{where} imports {names} inside a function without a comment")
    assert problems == []

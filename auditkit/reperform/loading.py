"""Loading a model from its artifact without running code from it.

Formats that are data, not code, are loaded by default:

- ``sklearn`` flavor saved as **skops** (``serialization_format: skops``): the types in the file
  are checked against skops' own safe set plus the ``skops_trusted_types`` the MLmodel lists, and
  nothing more; a file holding any other type is not loaded (a gap names the types);
- ``onnx`` flavor: the ``.onnx`` graph, run by onnxruntime;
- ``xgboost`` / ``lightgbm`` flavors: their native model files (JSON/UBJSON, text), read by the
  libraries' own boosters.

``pickle`` and ``cloudpickle`` files (the sklearn flavor's other formats, ``python_function``
models) run code when loaded: they are loaded only with ``trust_pickle=True`` and the explain
document then says so in its gaps. A model that cannot be loaded safely is a gap naming its flavor,
format and what would allow it, never a crash.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .artifacts import Artifact
from .messages import (
    GAP_LOAD_FAILED,
    GAP_LOADER_MISSING,
    GAP_MODEL_FILE_MISSING,
    GAP_NO_FLAVOR,
    GAP_PICKLE,
    GAP_PICKLE_USED,
    GAP_UNTRUSTED_TYPES,
)

#: Flavors tried in this order (the first one the MLmodel has and auditkit can load wins).
FLAVOR_ORDER = ("sklearn", "onnx", "xgboost", "lightgbm")
#: MLflow signature types → numpy dtypes of the input columns.
SIGNATURE_DTYPES = {"long": "int64", "integer": "int32", "double": "float64", "float": "float32",
                    "string": "object", "boolean": "bool", "datetime": "datetime64[ns]"}


@dataclass
class LoadedModel:
    """A model loaded from its artifact, able to score rows of inputs.

    ``estimator`` is the scikit-learn object (skops or trusted pickle), ``session`` an onnxruntime
    session, ``booster`` an XGBoost/LightGBM booster; exactly one is set. ``score(frame)`` returns
    the probability of the favourable class (the second of two classes) or a regressor's output.
    """

    flavor: str
    format: str
    file: str
    estimator: Any = None
    session: Any = None
    booster: Any = None
    inputs: list[tuple[str, str]] = field(default_factory=list)
    pickle_used: bool = False

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Scores of the rows of ``frame`` (columns as the model's signature names them)."""
        if self.estimator is not None:
            if hasattr(self.estimator, "predict_proba"):
                proba = np.asarray(self.estimator.predict_proba(frame), dtype=float)
                return proba[:, -1] if proba.ndim == 2 else proba
            return np.asarray(self.estimator.predict(frame), dtype=float).reshape(-1)
        if self.session is not None:
            return _onnx_scores(self.session, frame)
        return _booster_scores(self.flavor, self.booster, frame)


@dataclass
class LoadOutcome:
    """What loading gave: the model (or ``None``), its flavor and format, and gap sentences."""

    model: LoadedModel | None
    flavor: str | None
    format: str | None
    gaps: list[str] = field(default_factory=list)


def signature_inputs(mlmodel: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``[(column, type)]`` of the MLmodel's input signature (empty when it has none)."""
    sig = (mlmodel or {}).get("signature") or {}
    raw = sig.get("inputs")
    if not raw:
        return []
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    return [(str(i.get("name")), str(i.get("type"))) for i in items if isinstance(i, dict) and i.get("name")]


def load_model(art: Artifact, ref: str, *, trust_pickle: bool = False) -> LoadOutcome:
    """Load the model of an artifact safely (see the module docstring); never raises for a model
    that cannot be loaded: the outcome carries the gap."""
    flavors = (art.mlmodel or {}).get("flavors") or {}
    for flavor in FLAVOR_ORDER:
        conf = flavors.get(flavor)
        if isinstance(conf, dict):
            out = _LOADERS[flavor](art, ref, conf, trust_pickle)
            if out.model is not None:
                out.model.inputs = signature_inputs(art.mlmodel)
            return out
    pyfunc = flavors.get("python_function") or {}
    if pyfunc:
        fmt = "cloudpickle" if pyfunc.get("cloudpickle_version") or pyfunc.get("python_model") else "python_function"
        return LoadOutcome(None, "python_function", fmt, [GAP_NO_FLAVOR.format(
            ref=ref, flavors=", ".join(sorted(flavors)) or "none")])
    return LoadOutcome(None, None, None, [GAP_NO_FLAVOR.format(ref=ref, flavors=", ".join(sorted(flavors)) or "none")])


def _load_sklearn(art: Artifact, ref: str, conf: dict[str, Any], trust_pickle: bool) -> LoadOutcome:
    fmt = str(conf.get("serialization_format") or "pickle")
    name = str(conf.get("pickled_model") or "")
    data = art.file(name)
    if data is None:
        return LoadOutcome(None, "sklearn", fmt, [GAP_MODEL_FILE_MISSING.format(ref=ref, file=name or "(no file)")])
    if fmt == "skops":
        try:
            import skops.io as sio  # heavy: skops, only to load a skops model
        except ImportError:
            return LoadOutcome(None, "sklearn", fmt, [GAP_LOADER_MISSING.format(flavor="sklearn", ref=ref,
                                                                                 package="skops")])
        listed = [str(t) for t in conf.get("skops_trusted_types") or []]
        try:
            untrusted = sorted(set(sio.get_untrusted_types(data=data)) - set(listed))
            if untrusted:
                return LoadOutcome(None, "sklearn", fmt, [GAP_UNTRUSTED_TYPES.format(ref=ref, types=", ".join(untrusted))])
            est = sio.loads(data, trusted=listed or None)
        except Exception as exc:  # a corrupt file is a gap, not a crash
            return LoadOutcome(None, "sklearn", fmt, [GAP_LOAD_FAILED.format(
                flavor="sklearn", ref=ref, format=fmt, why=_first_line(exc))])
        return LoadOutcome(LoadedModel("sklearn", fmt, name, estimator=est), "sklearn", fmt)
    if fmt in ("pickle", "cloudpickle"):
        if not trust_pickle:
            return LoadOutcome(None, "sklearn", fmt, [GAP_PICKLE.format(flavor="sklearn", ref=ref, format=fmt)])
        try:
            if fmt == "cloudpickle":
                import cloudpickle  # heavy: only for a trusted cloudpickle model  # noqa: F401
            est = pickle.loads(data)  # noqa: S301 - only with trust_pickle=True, and the report says so
        except Exception as exc:
            return LoadOutcome(None, "sklearn", fmt, [GAP_LOAD_FAILED.format(
                flavor="sklearn", ref=ref, format=fmt, why=_first_line(exc))])
        model = LoadedModel("sklearn", fmt, name, estimator=est, pickle_used=True)
        return LoadOutcome(model, "sklearn", fmt, [GAP_PICKLE_USED.format(flavor="sklearn", ref=ref, format=fmt)])
    return LoadOutcome(None, "sklearn", fmt, [GAP_NO_FLAVOR.format(ref=ref, flavors=f"sklearn ({fmt})")])


def _load_onnx(art: Artifact, ref: str, conf: dict[str, Any], trust_pickle: bool) -> LoadOutcome:
    name = str(conf.get("data") or "model.onnx")
    data = art.file(name)
    if data is None:
        return LoadOutcome(None, "onnx", "onnx", [GAP_MODEL_FILE_MISSING.format(ref=ref, file=name)])
    try:
        import onnxruntime as ort  # heavy: onnxruntime, only to run an ONNX model
    except ImportError:
        return LoadOutcome(None, "onnx", "onnx", [GAP_LOADER_MISSING.format(flavor="onnx", ref=ref,
                                                                           package="onnxruntime")])
    try:
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a corrupt graph is a gap, not a crash
        return LoadOutcome(None, "onnx", "onnx", [GAP_LOAD_FAILED.format(flavor="onnx", ref=ref, format="onnx",
                                                                        why=_first_line(exc))])
    return LoadOutcome(LoadedModel("onnx", "onnx", name, session=session), "onnx", "onnx")


def _load_booster(flavor: str, package: str):
    def load(art: Artifact, ref: str, conf: dict[str, Any], trust_pickle: bool) -> LoadOutcome:
        name = str(conf.get("data") or "")
        fmt = str(conf.get("model_format") or name.rsplit(".", 1)[-1] or flavor)
        data = art.file(name)
        if data is None:
            return LoadOutcome(None, flavor, fmt, [GAP_MODEL_FILE_MISSING.format(ref=ref, file=name or "(no file)")])
        try:
            if flavor == "xgboost":
                import xgboost  # heavy: only for a native XGBoost model

                booster = xgboost.Booster()
                booster.load_model(bytearray(data))
            else:
                import lightgbm  # heavy: only for a native LightGBM model

                booster = lightgbm.Booster(model_str=data.decode("utf-8"))
        except ImportError:
            return LoadOutcome(None, flavor, fmt, [GAP_LOADER_MISSING.format(flavor=flavor, ref=ref, package=package)])
        except Exception as exc:
            return LoadOutcome(None, flavor, fmt, [GAP_LOAD_FAILED.format(flavor=flavor, ref=ref, format=fmt,
                                                                         why=_first_line(exc))])
        return LoadOutcome(LoadedModel(flavor, fmt, name, booster=booster), flavor, fmt)

    return load


_LOADERS = {"sklearn": _load_sklearn, "onnx": _load_onnx, "xgboost": _load_booster("xgboost", "xgboost"),
            "lightgbm": _load_booster("lightgbm", "lightgbm")}


def _onnx_scores(session: Any, frame: pd.DataFrame) -> np.ndarray:
    feeds: dict[str, Any] = {}
    inputs = session.get_inputs()
    if len(inputs) == 1 and inputs[0].name not in frame.columns:
        feeds[inputs[0].name] = frame.to_numpy(dtype=np.float32)
    else:
        for i in inputs:
            col = frame[i.name].to_numpy()
            if "string" in i.type:
                col = col.astype(str).astype(object)
            elif "int64" in i.type:
                col = col.astype(np.int64)
            elif "double" in i.type:
                col = col.astype(np.float64)
            else:
                col = col.astype(np.float32)
            feeds[i.name] = col.reshape(-1, 1)
    outputs = session.run(None, feeds)
    names = [o.name for o in session.get_outputs()]
    probs = outputs[names.index("probabilities")] if "probabilities" in names else outputs[-1]
    if isinstance(probs, list):  # ZipMap: one {class: probability} per row
        keys = sorted(probs[0]) if probs else []
        return np.array([float(p[keys[-1]]) for p in probs])
    probs = np.asarray(probs, dtype=float)
    return probs[:, -1] if probs.ndim == 2 else probs.reshape(-1)


def _booster_scores(flavor: str, booster: Any, frame: pd.DataFrame) -> np.ndarray:
    if flavor == "xgboost":
        import xgboost  # heavy: only for a native XGBoost model

        return np.asarray(booster.predict(xgboost.DMatrix(frame)), dtype=float).reshape(-1)
    return np.asarray(booster.predict(frame), dtype=float).reshape(-1)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__

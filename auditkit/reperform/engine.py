"""Re-performing decisions: one model version's state (artifact, model, background) prepared
once, then any number of its decisions replayed, attributed, reasoned and (one at a time)
searched for counterfactuals.

:class:`Explainer` holds the options and caches per model version; :mod:`.document` and
:mod:`.batch` use it for one decision and for every decision of a log.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..connectors import Connector
from ..errors import PredictionLogError, UsageError
from ..logs import PredictionLog
from ..provenance import Resolution, normalize_version
from . import counterfactuals as cf
from .artifacts import Artifact, parse_artifact_roots, read_artifact
from .background import Background, choose_background
from .contributions import Contributions, compute
from .loading import SIGNATURE_DTYPES, LoadOutcome, load_model
from .messages import (
    EXPLAIN_BAD_THRESHOLD,
    EXPLAIN_BAD_TOLERANCE,
    EXPLAIN_MISSING_INPUTS,
    EXPLAIN_UNKNOWN_FEATURE,
    GAP_DECISION_DIFFERS,
    GAP_MISMATCH,
    GAP_NO_CONTRIBUTIONS,
    GAP_NO_COUNTERFACTUAL,
    GAP_NO_REASON_MAP,
    GAP_NO_SCORE,
    GAP_NO_THRESHOLD,
    GAP_NO_VERSION,
    GAP_SCORE_FAILED,
    GAP_UNSUPPORTED_REASON,
)
from .reasons import MAX_REASONS, ReasonMap, check_logged, load_reason_map, principal_reasons

DEFAULT_TOLERANCE = 1e-6
#: Version tag holding the decision cutoff (score >= cutoff is the favourable decision).
THRESHOLD_TAG = "decision_threshold"
#: Known (favourable, adverse) decision labels, matched case-insensitively to the logged decision.
DECISION_PAIRS = (("approve", "deny"), ("approved", "denied"), ("accept", "reject"), ("accepted", "rejected"),
                  ("grant", "decline"), ("granted", "declined"), ("yes", "no"), ("true", "false"), ("1", "0"),
                  ("good", "bad"), ("pass", "fail"))


@dataclass
class VersionState:
    """Everything prepared once for one model version."""

    ref: str
    artifact: Artifact | None
    loaded: LoadOutcome | None
    features: list[tuple[str, str]] = field(default_factory=list)
    threshold: float | None = None
    threshold_source: str | None = None
    background: Background | None = None
    gaps: list[str] = field(default_factory=list)

    @property
    def model(self):
        return None if self.loaded is None else self.loaded.model


class Explainer:
    """Options of ``explain`` and per-version caches (see :func:`auditkit.explain`)."""

    def __init__(self, store: Connector, log: PredictionLog, *, threshold: float | None = None,
                 tolerance: float = DEFAULT_TOLERANCE, artifact_roots: Sequence[str] | Mapping[str, str] | None = None,
                 trust_pickle: bool = False, reason_map: Any = None, background: Any = None,
                 immutable: Sequence[str] | None = None, actionable: Sequence[str] | None = None,
                 max_reasons: int = MAX_REASONS) -> None:
        if threshold is not None:
            try:
                threshold = float(threshold)
            except (TypeError, ValueError):
                raise UsageError(EXPLAIN_BAD_THRESHOLD.format(value=threshold)) from None
        try:
            tolerance = float(tolerance)
        except (TypeError, ValueError):
            raise UsageError(EXPLAIN_BAD_TOLERANCE.format(value=tolerance)) from None
        if not tolerance >= 0:
            raise UsageError(EXPLAIN_BAD_TOLERANCE.format(value=tolerance))
        self.store, self.log = store, log
        self.threshold, self.tolerance = threshold, tolerance
        self.roots = parse_artifact_roots(artifact_roots)
        self.trust_pickle = trust_pickle
        self.reason_map: ReasonMap = reason_map if isinstance(reason_map, ReasonMap) else load_reason_map(reason_map)
        self.background_given = background
        self.immutable, self.actionable = immutable, actionable
        self.max_reasons = max_reasons
        self._states: dict[str, VersionState] = {}
        self._log_inputs: pd.DataFrame | None = None

    # -- per version --------------------------------------------------------------------------
    def state(self, res: Resolution) -> VersionState:
        """The prepared state of the resolved version (cached)."""
        mv = res.version
        if mv is None:
            key = f"logged:{res.logged_model.model_id}" if res.logged_model is not None else "none"
        else:
            key = f"{mv.name}/{mv.version}"
        if key not in self._states:
            self._states[key] = self._prepare(res, key)
        return self._states[key]

    def _prepare(self, res: Resolution, key: str) -> VersionState:
        mv = res.version
        if mv is None and res.logged_model is None:
            return VersionState(key, None, None, gaps=[GAP_NO_VERSION])
        art = read_artifact(res, store=self.store, roots=self.roots)
        st = VersionState(key, art, None, gaps=list(art.gaps))
        if art.mlmodel is None:
            return st
        st.loaded = load_model(art, key, trust_pickle=self.trust_pickle)
        st.gaps += st.loaded.gaps
        model = st.model
        if model is not None:
            st.features = list(model.inputs)
            if not st.features and model.estimator is not None and hasattr(model.estimator, "feature_names_in_"):
                st.features = [(str(c), "") for c in model.estimator.feature_names_in_]
            for opt, names in (("immutable", self.immutable), ("actionable", self.actionable)):
                unknown = sorted(set(names or ()) - {f for f, _ in st.features})
                if unknown and st.features:
                    raise UsageError(EXPLAIN_UNKNOWN_FEATURE.format(
                        option=opt, names=", ".join(unknown), have=", ".join(f for f, _ in st.features)))
        if self.threshold is not None:
            st.threshold, st.threshold_source = self.threshold, "--threshold"
        elif mv is not None and mv.tags.get(THRESHOLD_TAG) not in (None, ""):
            try:
                st.threshold = float(mv.tags[THRESHOLD_TAG])
                st.threshold_source = f"model version {key} tag {THRESHOLD_TAG}"
            except ValueError:
                st.threshold = None
        if model is not None and st.features:
            names = [f for f, _ in st.features]
            st.background = choose_background(given=self.background_given, res=res, features=names,
                                              log_rows=lambda: self._version_rows(res, names))
        return st

    def _version_rows(self, res: Resolution, names: list[str]) -> pd.DataFrame | None:
        """The log's inputs of decisions by the same version (only read when nothing else serves)."""
        if self._log_inputs is None:
            cols = [c for c in self.log.column_names() if c in set(names) | self._ref_columns()]
            self._log_inputs = self.log.read(cols)
        frame = self._log_inputs
        roles = self.log.roles
        mv = res.version
        if mv is not None and "model_name" in roles and "model_version" in roles:
            same = (frame[roles["model_name"]].astype(str) == mv.name) & (
                frame[roles["model_version"]].map(normalize_version) == mv.version)
            return frame[same]
        return frame

    def _ref_columns(self) -> set[str]:
        return {self.log.roles[r] for r in ("model_name", "model_version", "model_uri") if r in self.log.roles}

    # -- rows -----------------------------------------------------------------------------------
    def inputs(self, st: VersionState, rows: Sequence[Mapping[str, Any]], ids: Sequence[Any]) -> pd.DataFrame:
        """The model's input frame for logged rows (signature order and types). Raises
        :class:`PredictionLogError` listing missing inputs."""
        names = [f for f, _ in st.features]
        have = self.log.column_names()
        missing = [n for n in names if n not in have]
        if missing:
            raise PredictionLogError(EXPLAIN_MISSING_INPUTS.format(
                id=str(ids[0]) if ids else "", missing=", ".join(missing), have=", ".join(have)))
        frame = pd.DataFrame([{n: r.get(n) for n in names} for r in rows], columns=names)
        for name, kind in st.features:
            dtype = SIGNATURE_DTYPES.get(kind)
            if dtype in ("int64", "int32"):
                num = pd.to_numeric(frame[name], errors="coerce")
                frame[name] = num.astype(dtype) if num.notna().all() and (num % 1 == 0).all() else num
            elif dtype in ("float64", "float32"):
                frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(dtype)
            elif dtype == "object":
                frame[name] = frame[name].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                                              else str(v)).astype(object)
            elif dtype == "bool":
                frame[name] = frame[name].astype(bool)
        return frame

    def replay(self, st: VersionState, frame: pd.DataFrame, logged_scores: Sequence[Any],
               logged_decisions: Sequence[Any]) -> tuple[list[dict[str, Any]], list[list[str]], np.ndarray | None]:
        """Replay verdicts (contract ``replay`` objects), per-row gaps and the replayed scores."""
        n = len(frame)
        model = st.model
        if model is None:
            why = st.gaps[0] if st.gaps else GAP_NO_VERSION
            return ([_not_replayed(s, st.threshold, why) for s in logged_scores], [[] for _ in range(n)], None)
        try:
            scores = np.asarray(model.score(frame), dtype=float).reshape(-1)
        except Exception as exc:  # the model rejecting the logged inputs is a finding, not a crash
            why = GAP_SCORE_FAILED.format(ref=st.ref, why=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            return ([_not_replayed(s, st.threshold, why) for s in logged_scores], [[why] for _ in range(n)], None)
        out, gaps = [], []
        for i in range(n):
            row_gaps: list[str] = []
            logged = _number(logged_scores[i])
            replayed = float(scores[i])
            tol = max(self.tolerance, logged_precision(logged_scores[i]))
            decision = None
            labels = decision_labels(logged_decisions[i])
            if st.threshold is not None:
                decision = labels[0] if replayed >= st.threshold else labels[1]
            else:
                row_gaps.append(GAP_NO_THRESHOLD.format(ref=st.ref))
            if logged is None:
                status, diff, why = "not_replayed", None, GAP_NO_SCORE
                row_gaps.append(GAP_NO_SCORE)
            else:
                diff = replayed - logged
                if abs(diff) <= tol:
                    status, why = "reproduced", None
                else:
                    status = "mismatch"
                    why = GAP_MISMATCH.format(ref=st.ref, replayed=f"{replayed:.6g}", logged=f"{logged:.6g}",
                                              difference=f"{diff:+.6g}", tolerance=f"{tol:g}")
                    row_gaps.append(why)
            if decision is not None and logged_decisions[i] is not None and \
                    str(decision).casefold() != str(logged_decisions[i]).casefold():
                row_gaps.append(GAP_DECISION_DIFFERS.format(replayed=decision, score=f"{replayed:.6g}",
                                                            threshold=st.threshold, logged=logged_decisions[i]))
            out.append({"status": status, "logged_score": logged, "replayed_score": replayed,
                        "difference": diff, "tolerance": tol, "threshold": st.threshold,
                        "threshold_source": st.threshold_source, "replayed_decision": decision, "why": why})
            gaps.append(row_gaps)
        return out, gaps, scores

    def contributions(self, st: VersionState, frame: pd.DataFrame) -> tuple[Contributions | None, str | None]:
        """Contributions of the rows, or the reason they were not computed."""
        if st.model is None:
            return None, None
        if st.background is None:
            return None, GAP_NO_CONTRIBUTIONS.format(why="no background data holds the model's inputs "
                                                         "(give one with --background)")
        try:
            return compute(st.model, frame, st.background.frame, background_text=st.background.description), None
        except Exception as exc:  # an estimator shap or the encoder cannot handle: said, not crashed
            return None, GAP_NO_CONTRIBUTIONS.format(why=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")

    def reasons(self, contrib: Contributions, i: int, row: Mapping[str, Any], logged: Sequence[Mapping[str, Any]],
                *, adverse: bool = True) -> tuple[list[dict], list[dict], list[str]]:
        """Recomputed principal reasons (only for an adverse decision: a favourable one has none),
        logged reasons checked, and gaps for unsupported ones."""
        values = contrib.values[i].tolist()
        reasons = principal_reasons(contrib.features, values, row, self.reason_map,
                                    max_reasons=self.max_reasons) if adverse else []
        checked = check_logged(logged, reasons, contrib.features, row, self.reason_map)
        gaps = [GAP_UNSUPPORTED_REASON.format(rank=c["rank"], text=c["text"]) for c in checked if not c["supported"]]
        if logged and self.reason_map.path is None and not self.reason_map.texts:
            gaps.append(GAP_NO_REASON_MAP)
        return reasons, checked, gaps

    def counterfactuals(self, st: VersionState, frame: pd.DataFrame, replay: Mapping[str, Any],
                        logged_decision: Any) -> tuple[list[dict], dict[str, Any], list[str]]:
        """Counterfactuals of one decision, the search's description, and a gap when none flips it."""
        names = [f for f, _ in st.features]
        act, imm = cf.actionable_features(names, immutable=self.immutable, actionable=self.actionable)
        search = {"actionable": act, "immutable": imm,
                  "candidates": "values seen in the background data" + (
                      f" ({st.background.description})" if st.background is not None else "")}
        if st.model is None or st.background is None or st.threshold is None or replay.get("replayed_score") is None:
            return [], search, []
        labels = decision_labels(logged_decision)
        favourable = replay["replayed_score"] >= st.threshold
        found = cf.search(st.model, frame, st.background.frame, threshold=st.threshold, favourable=favourable,
                          features=act, labels=labels)
        return found, search, ([] if found else [GAP_NO_COUNTERFACTUAL])


def decision_labels(logged: Any) -> tuple[str, str]:
    """``(favourable, adverse)`` labels matching the logged decision's vocabulary."""
    text = "" if logged is None else str(logged).strip()
    for fav, adv in DECISION_PAIRS:
        if text.casefold() in (fav, adv):
            if text.isupper():
                return fav.upper(), adv.upper()
            if text[:1].isupper():
                return fav.capitalize(), adv.capitalize()
            return fav, adv
    return "favourable", "adverse"


def is_adverse(replayed: Any, logged: Any) -> bool:
    """Whether a decision is the adverse one (the replayed decision when known, else the logged one;
    a decision outside the known label pairs counts as adverse, so its reasons are shown)."""
    decision = replayed if replayed is not None else logged
    if decision is None:
        return True
    return str(decision).casefold() != decision_labels(decision)[0].casefold()


def logged_precision(value: Any) -> float:
    """Half a unit of the last decimal a logged score was written with (0 for full precision):
    a score logged as ``0.8487`` reproduces when the replay is within 0.00005."""
    number = _number(value)
    if number is None:
        return 0.0
    text = value if isinstance(value, str) else repr(float(number))
    text = text.strip().lower()
    if "e" in text or "." not in text:
        return 0.0
    decimals = len(text.split(".", 1)[1])
    return 0.0 if decimals >= 12 else 0.5 * 10.0 ** -decimals


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _not_replayed(logged: Any, threshold: float | None, why: str) -> dict[str, Any]:
    return {"status": "not_replayed", "logged_score": _number(logged), "replayed_score": None, "difference": None,
            "tolerance": None, "threshold": threshold, "threshold_source": None, "replayed_decision": None,
            "why": why}


def as_path(value: Any) -> Any:
    """``os.PathLike`` values as strings (options accept both)."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value

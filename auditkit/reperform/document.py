"""One decision re-performed: the contract's ``explain`` JSON (schema_version "1").

The decision's row is read from the log and its model version resolved as lineage resolves it
(the ledger for aliases at the decision's time); then the version's artifact is read and hashed,
the model loaded safely, the logged inputs scored and compared with the logged score, the score
attributed to the inputs, the principal reasons recomputed and the logged ones checked, and the
smallest changes to actionable inputs that flip the decision searched.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from ..connectors import Connector
from ..logs import PredictionLog, reasons_of
from ..provenance import locate_decision
from ..records import iso
from .engine import DEFAULT_TOLERANCE, Explainer, is_adverse
from .reasons import MAX_REASONS

SCHEMA_VERSION = "1"


def explain(store: Connector, log: PredictionLog, prediction_id: Any, *,
            ledger: str | os.PathLike | None = None, threshold: float | None = None,
            tolerance: float = DEFAULT_TOLERANCE, artifact_roots: Sequence[str] | Mapping[str, str] | None = None,
            trust_pickle: bool = False, reason_map: Any = None, background: Any = None,
            immutable: Sequence[str] | None = None, actionable: Sequence[str] | None = None,
            max_reasons: int = MAX_REASONS, counterfactuals: bool = True) -> dict[str, Any]:
    """Re-perform one decision: the ``explain`` JSON of CONTRACT.md.

    Parameters
    ----------
    store, log, prediction_id, ledger
        As for :func:`auditkit.lineage`.
    threshold
        Decision cutoff (score >= threshold is the favourable decision); default: the version's
        ``decision_threshold`` tag.
    tolerance
        Largest score difference that still reproduces (default 1e-6; a score logged with fewer
        decimals is compared to half a unit of its last decimal).
    artifact_roots
        ``["OLD=NEW", …]`` or ``{OLD: NEW}``: artifact location prefixes to rewrite (moved stores).
    trust_pickle
        Load pickle/cloudpickle models (runs code from the artifact; the gaps say it was used).
    reason_map
        Reason-code map: a YAML file or a mapping (see :mod:`auditkit.reperform.reasons`).
    background
        Background data (DataFrame or file) for contributions and counterfactuals; default: the
        run's training dataset when readable, else the log's decisions by the same version.
    immutable, actionable
        Features counterfactuals never change / the only ones they may change (see
        :mod:`auditkit.reperform.counterfactuals`; default: protected attributes are immutable).
    max_reasons
        At most this many principal reasons (4).
    counterfactuals
        Search counterfactuals (the slowest part).

    Raises :class:`~auditkit.errors.PredictionLogError` (as lineage; also a model input the log
    lacks), :class:`~auditkit.errors.UsageError` (bad options, unreadable reason map or background)
    and :class:`~auditkit.errors.LedgerError`. A model that cannot be read or loaded safely is a
    gap, not an error.
    """
    ex = Explainer(store, log, threshold=threshold, tolerance=tolerance, artifact_roots=artifact_roots,
                   trust_pickle=trust_pickle, reason_map=reason_map, background=background, immutable=immutable,
                   actionable=actionable, max_reasons=max_reasons)
    return explain_one(ex, prediction_id, ledger=ledger, counterfactuals=counterfactuals)


def explain_one(ex: Explainer, prediction_id: Any, *, ledger: str | os.PathLike | None = None,
                counterfactuals: bool = True) -> dict[str, Any]:
    """:func:`explain` with a prepared :class:`Explainer` (its caches reused across calls)."""
    log = ex.log
    row, where, at, _, res = locate_decision(ex.store, log, prediction_id, ledger=ledger)
    roles = log.roles
    pid = row.get(roles["prediction_id"])
    logged_score = row.get(roles["score"]) if "score" in roles else None
    logged_decision = row.get(roles["decision"])
    st = ex.state(res)
    gaps = list(res.gaps) + list(st.gaps)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "prediction": {"id": None if pid is None else str(pid), "timestamp": iso(at), "decision": logged_decision,
                       "score": logged_score, "evidence": f"prediction log {log.source} {where}"},
        "model_version": None if res.version is None else {
            "name": res.version.name, "version": res.version.version, "evidence": res.version_evidence},
        "artifact": artifact_doc(ex, st),
        "replay": None, "method": None, "base_value": None, "scale": None,
        "contributions": [], "reasons": [], "logged_reasons": [], "reason_map": reason_map_doc(ex),
        "counterfactuals": [], "counterfactual_search": None, "gaps": gaps,
    }
    logged = reasons_of(log, row, pid)
    doc["logged_reasons"] = [{"rank": r["rank"], "text": r["text"], "feature": r.get("feature"), "supported": None}
                             for r in logged]
    if st.model is None or not st.features:
        verdicts, _, _ = ex.replay(st, _empty(st), [logged_score], [logged_decision])
        doc["replay"] = verdicts[0]
        return _finish(doc)
    frame = ex.inputs(st, [row], [pid])
    verdicts, row_gaps, _ = ex.replay(st, frame, [logged_score], [logged_decision])
    doc["replay"] = verdicts[0]
    gaps += row_gaps[0]
    contrib, why = ex.contributions(st, frame)
    if contrib is None:
        if why:
            gaps.append(why)
    else:
        doc["method"], doc["scale"], doc["base_value"] = contrib.method, contrib.scale, float(contrib.base[0])
        order = sorted(range(len(contrib.features)), key=lambda k: (-abs(contrib.values[0, k]), k))
        inputs = frame.iloc[0]
        doc["contributions"] = [{"feature": contrib.features[k], "value": _plain(inputs[contrib.features[k]]),
                                 "contribution": float(contrib.values[0, k])} for k in order]
        adverse = is_adverse(doc["replay"].get("replayed_decision"), logged_decision)
        reasons, checked, reason_gaps = ex.reasons(contrib, 0, inputs.to_dict(), logged, adverse=adverse)
        doc["reasons"], doc["logged_reasons"] = reasons, checked
        gaps += reason_gaps
    if counterfactuals:
        found, search, cf_gaps = ex.counterfactuals(st, frame, doc["replay"], logged_decision)
        doc["counterfactuals"], doc["counterfactual_search"] = found, search
        gaps += cf_gaps
    return _finish(doc)


def artifact_doc(ex: Explainer, st: Any) -> dict[str, Any]:
    """The ``artifact`` object: location, flavor, format, SHA-256 of every file read, how loaded."""
    art, loaded = st.artifact, st.loaded
    return {"uri": None if art is None else art.uri, "evidence": None if art is None else art.evidence,
            "flavor": None if loaded is None else loaded.flavor, "format": None if loaded is None else loaded.format,
            "loaded": st.model is not None, "trust_pickle": ex.trust_pickle,
            "pickle_used": bool(st.model is not None and st.model.pickle_used),
            "sha256": {} if art is None else dict(sorted(art.sha256.items()))}


def reason_map_doc(ex: Explainer) -> dict[str, Any] | None:
    rm = ex.reason_map
    return None if rm.sha256 is None else {"path": rm.path, "sha256": rm.sha256}


def _finish(doc: dict[str, Any]) -> dict[str, Any]:
    doc["gaps"] = list(dict.fromkeys(doc["gaps"]))
    return doc


def _empty(st: Any):
    import pandas as pd  # heavy: pandas (already loaded with the explain part)

    return pd.DataFrame([{}])


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value

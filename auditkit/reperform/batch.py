"""Every decision of a log re-performed, one row each (``auditkit.explain_frame``).

Decisions are grouped by the model version that made them; each version's model is loaded once
and scores all of its decisions in one call, contributions likewise. Counterfactuals are not
searched here (they are per decision: use :func:`auditkit.explain`).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..connectors import Connector
from ..logs import PredictionLog, parse_timestamps, reasons_of
from ..provenance import Resolution, Resolver, model_ref_columns, model_ref_of, normalize_version
from .engine import DEFAULT_TOLERANCE, Explainer, is_adverse
from .reasons import MAX_REASONS

#: Columns of :func:`explain_frame`, in order.
FRAME_COLUMNS = ("prediction_id", "timestamp", "model_name", "model_version", "replay_status", "logged_score",
                 "replayed_score", "difference", "threshold", "logged_decision", "replayed_decision",
                 "recomputed_reasons", "logged_reasons", "logged_supported", "logged_unsupported",
                 "reasons_consistent", "gap_count", "gaps")


def explain_frame(store: Connector, log: PredictionLog, *, ledger: str | os.PathLike | None = None,
                  threshold: float | None = None, tolerance: float = DEFAULT_TOLERANCE,
                  artifact_roots: Sequence[str] | Mapping[str, str] | None = None, trust_pickle: bool = False,
                  reason_map: Any = None, background: Any = None, max_reasons: int = MAX_REASONS,
                  progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """One row per decision (:data:`FRAME_COLUMNS`): replay status, replayed score, recomputed
    reasons (JSON list of features), the logged reasons' consistency with them, and gaps.

    Options as :func:`auditkit.explain`; ``progress(n)`` is called as rows are done. Raises as
    :func:`auditkit.explain` does.
    """
    ex = Explainer(store, log, threshold=threshold, tolerance=tolerance, artifact_roots=artifact_roots,
                   trust_pickle=trust_pickle, reason_map=reason_map, background=background, max_reasons=max_reasons)
    log.require("prediction_id", "timestamp", "decision")
    ref_columns = model_ref_columns(log)
    frame = log.read()
    roles = log.roles
    times = parse_timestamps(frame[roles["timestamp"]], log=log)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    resolver = Resolver(store, ledger=ledger)
    by_ref: dict[tuple, Resolution] = {}
    groups: dict[str, list[int]] = {}
    resolutions: dict[str, Resolution] = {}
    for i, row in enumerate(rows):
        pid = row.get(roles["prediction_id"])
        ref = model_ref_of(log, row, pid)
        if ref is None:
            res = Resolution.no_model(ref_columns)
        else:
            key = (ref.kind, ref.text) if ref.kind in ("version", "logged_model", "run") or ledger is None else None
            res = by_ref.get(key) if key is not None else None
            if res is None:
                res = resolver.resolve(ref, pid, times.iloc[i].to_pydatetime())
                if key is not None:
                    by_ref[key] = res
        st = ex.state(res)
        groups.setdefault(st.ref, []).append(i)
        resolutions[st.ref] = res
    out: list[dict[str, Any] | None] = [None] * len(rows)
    reason_cols = log.reason_columns() + ([roles["reasons"]] if "reasons" in roles else [])
    logged_cache: dict[tuple, list[dict[str, Any]]] = {}
    for key, idx in groups.items():
        res = resolutions[key]
        st = ex.state(res)
        sub = [rows[i] for i in idx]
        ids = [r.get(roles["prediction_id"]) for r in sub]
        scores = [r.get(roles["score"]) if "score" in roles else None for r in sub]
        decisions = [r.get(roles["decision"]) for r in sub]
        contrib = None
        if st.model is not None and st.features:
            inputs = ex.inputs(st, sub, ids)
            verdicts, row_gaps, _ = ex.replay(st, inputs, scores, decisions)
            contrib, why = ex.contributions(st, inputs)
            common = list(st.gaps) + ([why] if why else [])
            records = inputs.to_dict("records")
        else:
            verdicts, _, _ = ex.replay(st, pd.DataFrame(index=range(len(sub))), scores, decisions)
            row_gaps, common, records = [[] for _ in sub], list(st.gaps), [{} for _ in sub]
        for j, i in enumerate(idx):
            row = rows[i]
            v = verdicts[j]
            gaps = list(res.gaps) + common + row_gaps[j]
            key = tuple(row.get(c) for c in reason_cols)
            logged = logged_cache.get(key)
            if logged is None:  # the same logged reasons recur: read each combination once
                logged = logged_cache[key] = reasons_of(log, row, ids[j])
            recomputed: list[str] = []
            supported = unsupported = None
            if contrib is not None:
                adverse = is_adverse(v.get("replayed_decision"), decisions[j])
                reasons, checked, reason_gaps = ex.reasons(contrib, j, records[j], logged, adverse=adverse)
                recomputed = [r["feature"] for r in reasons]
                supported = sum(1 for c in checked if c["supported"])
                unsupported = len(checked) - supported
                gaps += reason_gaps
            gaps = list(dict.fromkeys(gaps))
            mv = res.version
            out[i] = {
                "prediction_id": None if ids[j] is None else str(ids[j]), "timestamp": times.iloc[i],
                "model_name": None if mv is None else mv.name, "model_version": None if mv is None else mv.version,
                "replay_status": v["status"], "logged_score": v["logged_score"], "replayed_score": v["replayed_score"],
                "difference": v["difference"], "threshold": v["threshold"], "logged_decision": decisions[j],
                "replayed_decision": v["replayed_decision"], "recomputed_reasons": json.dumps(recomputed),
                "logged_reasons": json.dumps([r["text"] for r in logged], ensure_ascii=False),
                "logged_supported": supported, "logged_unsupported": unsupported,
                "reasons_consistent": None if unsupported is None else unsupported == 0,
                "gap_count": len(gaps), "gaps": tuple(gaps),
            }
        if progress is not None:
            progress(len(idx))
    result = pd.DataFrame(out, columns=list(FRAME_COLUMNS))
    for col in ("logged_score", "replayed_score", "difference", "threshold"):
        result[col] = pd.to_numeric(result[col], errors="coerce").astype("float64")
    for col in ("logged_supported", "logged_unsupported"):
        result[col] = result[col].astype("Int64")
    return result


def summary(frame: pd.DataFrame) -> dict[str, int]:
    """Counts of an :func:`explain_frame`: decisions, each replay status, consistent reasons."""
    counts = frame["replay_status"].value_counts()
    consistent = frame["reasons_consistent"]
    return {"decisions": int(len(frame)),
            "reproduced": int(counts.get("reproduced", 0)), "mismatch": int(counts.get("mismatch", 0)),
            "not_replayed": int(counts.get("not_replayed", 0)),
            "reasons_consistent": int((consistent == True).sum()),  # noqa: E712 - object column with None
            "reasons_inconsistent": int((consistent == False).sum()),  # noqa: E712
            "with_gaps": int(np.count_nonzero(frame["gap_count"].to_numpy() > 0))}


def version_summary(store: Connector, log: PredictionLog, *, name: str, version: str,
                    threshold: float | None = None, tolerance: float = DEFAULT_TOLERANCE,
                    artifact_roots: Sequence[str] | Mapping[str, str] | None = None, trust_pickle: bool = False,
                    background: Any = None) -> dict[str, Any]:
    """One version's decisions in the log re-performed together: the replay counts and rate, and
    global importance (mean absolute contribution of each input over those decisions, largest
    first). Decisions are the version's when their ``model_name`` + ``model_version`` name it
    (references by alias, stage or run are not attributed). Raises as :func:`auditkit.explain`."""
    ex = Explainer(store, log, threshold=threshold, tolerance=tolerance, artifact_roots=artifact_roots,
                   trust_pickle=trust_pickle, background=background)
    roles = log.roles
    out: dict[str, Any] = {"decisions": 0, "reproduced": 0, "mismatch": 0, "not_replayed": 0, "replay_rate": None,
                           "method": None, "scale": None, "importance": [], "gaps": []}
    if "model_name" not in roles or "model_version" not in roles:
        return out
    frame = log.read()
    mine = frame[(frame[roles["model_name"]].astype(str) == name)
                 & (frame[roles["model_version"]].map(normalize_version) == str(version))]
    if mine.empty:
        return out
    rows = mine.astype(object).where(mine.notna(), None).to_dict("records")
    pid = rows[0].get(roles["prediction_id"])
    ref = model_ref_of(log, rows[0], pid)
    res = Resolver(store).resolve(ref, pid, None)
    st = ex.state(res)
    scores = [r.get(roles["score"]) if "score" in roles else None for r in rows]
    decisions = [r.get(roles["decision"]) for r in rows]
    out["decisions"], out["gaps"] = len(rows), list(st.gaps)
    if st.model is None or not st.features:
        out["not_replayed"] = len(rows)
        out["replay_rate"] = 0.0
        return out
    inputs = ex.inputs(st, rows, [r.get(roles["prediction_id"]) for r in rows])
    verdicts, _, _ = ex.replay(st, inputs, scores, decisions)
    for v in verdicts:
        out[v["status"]] += 1
    out["replay_rate"] = out["reproduced"] / len(rows)
    contrib, why = ex.contributions(st, inputs)
    if contrib is None:
        out["gaps"].append(why)
        return out
    mean_abs = np.abs(contrib.values).mean(axis=0)
    order = sorted(range(len(contrib.features)), key=lambda k: (-mean_abs[k], k))
    out["method"], out["scale"] = contrib.method, contrib.scale
    out["importance"] = [{"feature": contrib.features[k], "mean_abs_contribution": float(mean_abs[k])} for k in order]
    return out

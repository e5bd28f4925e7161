"""Lineage of every decision in a log at once: one row of key facts per decision.

Vectorized: the log's model references are factorized, each distinct reference is resolved once
(an alias with a ledger once per window between the snapshots the decisions fall in), and the
facts are spread back to the rows by index. Only the rows whose own time matters (a decision
before its version was created or before its approval) get their gap list built one by one.
The gaps of a row equal the ``gaps`` of :func:`auditkit.lineage` for that decision.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..accountability import DEFAULT_APPROVAL_KEYS
from ..connectors import Connector
from ..logs import CHUNK_ROWS, PredictionLog, check_unique_ids, parse_timestamps
from ..logs.values import clean_cell
from ..records import iso
from .acceptance import load_accepted, split_frame_gaps
from .attribution import factorize_rows, ledger_windows
from .document import known_aliases, reason_gaps
from .facts import approval_pairs, approvals_of, first_approval, owner_of, run_facts
from .gaps import GAP_APPROVED_AFTER, GAP_BEFORE_VERSION
from .references import ModelRef, model_ref_columns, model_ref_of
from .resolution import Resolution, Resolver

if TYPE_CHECKING:  # type names only: numpy and pandas are imported where they are used
    import numpy as np
    import pandas as pd

#: Columns of :func:`lineage_frame`, in order (``score``/``label`` only when the log has them).
FRAME_COLUMNS = (
    "prediction_id", "timestamp", "decision", "score", "label", "model_reference", "model_name",
    "model_version", "model_version_evidence", "run_id", "run_name", "experiment", "run_evidence",
    "git_commit", "git_branch", "repo_url", "code_source", "training_datasets", "training_digests",
    "evaluation_digests", "owner", "owner_evidence", "approved_by", "approved_at", "gap_count", "gaps",
)
#: Facts taken from a unit (one resolved reference), in FRAME_COLUMNS order.
UNIT_FIELDS = FRAME_COLUMNS[5:-2]
#: A row's time as the ledger writes it into its texts (``AliasResolution.at``).
_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
#: Stands for a row's own time in a shared gap sentence until the row's time is put in.
_ROW_AT = "\x00row-time\x00"


@dataclass
class _Unit:
    facts: dict[str, Any]
    gaps: tuple[str, ...]
    created_ns: int | None
    approval_ns: int | None
    approval_text: str | None
    version_ref: str | None
    at_text: str | None = None  # an alias resolved through the ledger: texts name this time
    version: Any = None  # the ModelVersion record, when one is known


def lineage_frame(store: Connector, log: PredictionLog, *, ledger: str | os.PathLike | None = None,
                  approval_keys: Any = DEFAULT_APPROVAL_KEYS, accept: Any = None) -> "pd.DataFrame":
    """One row per decision: id, timestamp, decision, score, label, the model reference and the
    version it resolved to, run, code, training/evaluation dataset digests, owner, approval,
    ``gap_count`` and ``gaps`` (a tuple of the sentences :func:`auditkit.lineage.lineage` gives).

    Raises what :func:`auditkit.lineage.lineage` raises; ids must be unique and every timestamp
    must parse (checked over the whole log first). ``accept`` (an accept file) moves known gaps
    to an ``accepted_gaps`` column; ``gaps`` and ``gap_count`` then hold the open ones."""
    import pandas as pd  # heavy: loaded on first use

    batch = BatchLineage(store, log, ledger=ledger, approval_keys=approval_keys, accept=accept)
    frame = log.read(batch.read_columns)
    check_unique_ids(frame[log.roles["prediction_id"]], log)
    out = batch.resolve_chunk(frame, offset=0)
    return out if len(out) else pd.DataFrame(columns=batch.output_columns)


def iter_lineage_frames(store: Connector, log: PredictionLog, *, ledger: str | os.PathLike | None = None,
                        approval_keys: Any = DEFAULT_APPROVAL_KEYS, chunk_rows: int = CHUNK_ROWS,
                        progress: Callable[[int], None] | None = None,
                        accept: Any = None) -> Iterator["pd.DataFrame"]:
    """:func:`lineage_frame` in chunks of about ``chunk_rows`` decisions (bounded memory; the log
    is validated first). ``progress(n)`` is called with the number of decisions of each chunk."""
    batch = BatchLineage(store, log, ledger=ledger, approval_keys=approval_keys, accept=accept)
    log.validate()
    offset = 0
    for chunk in log.iter_chunks(batch.read_columns, chunk_rows=chunk_rows):
        chunk = chunk.reset_index(drop=True)
        yield batch.resolve_chunk(chunk, offset=offset)
        offset += len(chunk)
        if progress is not None:
            progress(len(chunk))


class BatchLineage:
    """Resolves chunks of a log; distinct references are resolved once across chunks."""

    def __init__(self, store: Connector, log: PredictionLog, *, ledger: Any = None,
                 approval_keys: Any = DEFAULT_APPROVAL_KEYS, accept: Any = None) -> None:
        self.log = log
        self.pairs = approval_pairs(approval_keys)
        log.require("prediction_id", "timestamp", "decision")
        self.ref_columns = model_ref_columns(log)
        self.resolver = Resolver(store, ledger=ledger)
        self.ledger = ledger
        roles = log.roles
        base = [roles["prediction_id"], roles["timestamp"], roles["decision"]]
        base += [roles[r] for r in ("score", "label") if r in roles]
        self.read_columns = list(dict.fromkeys(base + self.ref_columns))
        self.output_columns = [c for c in FRAME_COLUMNS if c not in ("score", "label") or c in roles]
        if ledger is not None:  # which aliases the ledger proves the version held at the decision
            at = self.output_columns.index("model_version_evidence") + 1
            self.output_columns.insert(at, "aliases_at_decision")
        self.accepted = load_accepted(accept)
        if self.accepted is not None:
            self.output_columns.append("accepted_gaps")
        self._known_aliases: dict[str, set[str]] = {}
        self.reason_gaps = reason_gaps(log)
        self._units: dict[Any, _Unit] = {}

    # -- one unit ---------------------------------------------------------------------------
    def _unit(self, key: Any, ref: ModelRef | None, pid: Any, at: Any, alias_resolution: Any = None) -> _Unit:
        if key in self._units:
            return self._units[key]
        if ref is None:
            res = Resolution.no_model(self.ref_columns)
        else:
            res = self.resolver.resolve(ref, pid, at, alias_resolution)
        run_doc, code, datasets, run_gaps = run_facts(res)
        owner, owner_gaps = owner_of(res)
        approvals, approval_gaps = approvals_of(res, self.pairs)
        mv = res.version
        train = [d for d in datasets if d["context"] == "training"]
        evals = [d for d in datasets if d["context"] == "evaluation"]
        facts = {
            "model_reference": ref.text if ref else None,
            "model_name": mv.name if mv else None, "model_version": mv.version if mv else None,
            "model_version_evidence": res.version_evidence,
            "run_id": run_doc["id"] if run_doc else None, "run_name": run_doc["name"] if run_doc else None,
            "experiment": run_doc["experiment"] if run_doc else None,
            "run_evidence": run_doc["evidence"] if run_doc else None,
            "git_commit": code["git_commit"], "git_branch": code["git_branch"], "repo_url": code["repo_url"],
            "code_source": code["source"],
            "training_datasets": ", ".join(d["name"] for d in train) or None,
            "training_digests": ", ".join(d["digest"] or "" for d in train) or None,
            "evaluation_digests": ", ".join(d["digest"] or "" for d in evals) or None,
            "owner": owner["user"], "owner_evidence": owner["evidence"],
            "approved_by": ", ".join(a["by"] for a in approvals) or None,
            "approved_at": ", ".join(a["at"] or "" for a in approvals) or None,
        }
        first = first_approval(approvals)
        approval_ns, approval_text = (None, None) if first is None else (_ns(_timestamp(first[0])), first[1])
        created = None
        if mv is not None and mv.creation_time is not None:
            import pandas as pd  # heavy: loaded on first use

            created = _ns(pd.Timestamp(mv.creation_time))
        unit = _Unit(facts, tuple(res.gaps + run_gaps + owner_gaps + approval_gaps), created, approval_ns,
                     approval_text, f"{mv.name}/{mv.version}" if mv else None, version=mv)
        self._units[key] = unit
        return unit

    # -- a chunk ----------------------------------------------------------------------------
    def resolve_chunk(self, frame: "pd.DataFrame", *, offset: int) -> "pd.DataFrame":
        import numpy as np  # heavy: loaded on first use
        import pandas as pd  # heavy: loaded on first use

        log, roles = self.log, self.log.roles
        n = len(frame)
        ts = parse_timestamps(frame[roles["timestamp"]], log=log, offset=offset)
        ts_ns = ts.array.asi8
        codes, n_keys = factorize_rows(frame, self.ref_columns)
        first = np.full(n_keys, -1, dtype=np.int64)
        first[codes[::-1]] = np.arange(n - 1, -1, -1)
        ids = frame[roles["prediction_id"]]
        units: list[_Unit] = []
        unit_of_key = np.empty(n_keys, dtype=np.int64)
        unit_codes = None
        alias_keys: list[tuple[int, ModelRef]] = []
        for k in range(n_keys):
            i = int(first[k])
            row = {c: clean_cell(frame[c].iat[i]) for c in self.ref_columns}
            ref = model_ref_of(log, row, ids.iat[i])
            if ref is not None and ref.kind in ("alias", "stage") and self.ledger is not None:
                alias_keys.append((k, ref))
                unit_of_key[k] = -1
                continue
            unit_of_key[k] = len(units)
            units.append(self._unit(ref, ref, ids.iat[i], ts.iat[i].to_pydatetime()))
        unit_codes = unit_of_key[codes]
        for k, ref in alias_keys:
            rows = np.flatnonzero(codes == k)
            for window_rows, resolution, at in self._ledger_windows(ref, rows, ts, ts_ns):
                key = (ref, resolution.before_seq, resolution.after_seq, resolution.version,
                       resolution.at if resolution.before == resolution.at else None)
                unit_codes[window_rows] = len(units)
                unit = self._unit(key, ref, ids.iat[int(window_rows[0])], at, resolution)
                unit.at_text = resolution.at
                units.append(unit)
        out: dict[str, Any] = {
            "prediction_id": ids.astype(str).array,
            "timestamp": ts.array,
            "decision": frame[roles["decision"]].array,
        }
        for role in ("score", "label"):
            if role in roles:
                out[role] = frame[roles[role]].array
        for name in UNIT_FIELDS:
            out[name] = _spread([u.facts[name] for u in units], unit_codes)
        gaps, counts = self._gaps(units, unit_codes, ts_ns)
        timed = np.flatnonzero(np.array([u.at_text is not None for u in units], dtype=bool)[unit_codes]) \
            if units else np.zeros(0, dtype=np.int64)
        if len(timed):  # ledger texts name the decision's own time
            evidence = np.asarray(out["model_version_evidence"], dtype=object).copy()
            row_ats = ts.iloc[timed].dt.strftime(_AT_FORMAT).to_numpy()
            for i, row_at in zip(timed, row_ats):
                u = units[int(unit_codes[i])]
                if row_at != u.at_text:
                    gaps[i] = tuple(g.replace(u.at_text, row_at) for g in gaps[i])
                    if isinstance(evidence[i], str):  # a missing fact is NaN in a categorical
                        evidence[i] = evidence[i].replace(u.at_text, row_at)
            out["model_version_evidence"] = pd.Series(evidence, dtype=object)
        if self.ledger is not None:
            out["aliases_at_decision"] = self._ledger_aliases(units, unit_codes, ts, ts_ns, gaps, counts)
        if self.accepted is not None:  # known gaps apart, with the model and version they belong to
            names = [u.facts["model_name"] or (u.version_ref or "").split("/")[0] or None for u in units]
            numbers = [u.facts["model_version"] for u in units]
            refs = [u.facts["model_reference"] for u in units]
            unit_model = [n if n is not None else _ref_model(r) for n, r in zip(names, refs)]
            opened, taken = split_frame_gaps(list(gaps), [unit_model[c] for c in unit_codes],
                                             [numbers[c] for c in unit_codes], self.accepted)
            gaps = np.empty(len(opened), dtype=object)
            gaps[:] = opened
            counts = np.array([len(g) for g in opened], dtype=np.int64)
            accepted_col = np.empty(len(taken), dtype=object)
            accepted_col[:] = taken
            out["accepted_gaps"] = pd.Series(accepted_col, dtype=object)
        out["gap_count"] = counts
        out["gaps"] = pd.Series(gaps, dtype=object)
        return pd.DataFrame(out, columns=self.output_columns)

    def _ledger_windows(self, ref: ModelRef, rows: "np.ndarray", ts: "pd.Series", ts_ns: "np.ndarray"):
        """The rows of one alias or stage reference in windows that resolve alike (one ledger call each)."""
        return ledger_windows(lambda at: self.resolver.ledger_at(ref, at), rows, ts, ts_ns)

    def _ledger_aliases(self, units: list[_Unit], unit_codes: "np.ndarray", ts: "pd.Series",
                        ts_ns: "np.ndarray", gaps: "np.ndarray", counts: "np.ndarray") -> "pd.Categorical":
        """Per row, the aliases the ledger proves pointed to the row's version at its time (as
        :func:`auditkit.lineage.aliases_at`); rows where an alias may have pointed to the version
        but is unresolved get the ledger's gap sentences, with the row's own time."""
        import numpy as np  # heavy: loaded on first use

        bits = np.zeros(len(unit_codes), dtype=np.int64)
        names: list[str] = []
        for index, unit in enumerate(units):
            mv = unit.version
            rows = np.flatnonzero(unit_codes == index) if mv is not None else ()
            if not len(rows):
                continue
            if mv.name not in self._known_aliases:
                self._known_aliases[mv.name] = known_aliases(self.ledger, mv.name)
            for alias in sorted(self._known_aliases[mv.name] | set(mv.aliases)):
                if alias not in names:
                    names.append(alias)
                bit = 1 << names.index(alias)
                alias_ref = ModelRef("alias", f"models:/{mv.name}@{alias}", "", name=mv.name, alias=alias)
                for window, res, _ in self._ledger_windows(alias_ref, rows, ts, ts_ns):
                    if res.version == mv.version:
                        bits[window] |= bit
                    elif res.version is None and mv.version in res.candidates and res.gaps:
                        row_ats = ts.iloc[window].dt.strftime(_AT_FORMAT).to_numpy()
                        for i, row_at in zip(window, row_ats):
                            extra = tuple(g.replace(res.at, row_at) for g in res.gaps)
                            gaps[i] = tuple(dict.fromkeys(gaps[i] + extra))
                            counts[i] = len(gaps[i])
        has_version = np.array([u.version is not None for u in units], dtype=bool)[unit_codes] \
            if units else np.zeros(0, dtype=bool)
        keys, inverse = np.unique(np.where(has_version, bits, -1), return_inverse=True)
        table = [None if k < 0 else ", ".join(sorted(a for j, a in enumerate(names) if k >> j & 1))
                 for k in keys.tolist()]
        return _spread(table, inverse.reshape(-1))

    def _gaps(self, units: list[_Unit], unit_codes: "np.ndarray", ts_ns: "np.ndarray"):
        """Per-row gap tuples: a unit's gaps plus the timing gaps of the row (at most four
        variants per unit), built once per variant and spread by index."""
        import numpy as np  # heavy: loaded on first use

        low = np.iinfo(np.int64).min
        created = np.array([u.created_ns if u.created_ns is not None else low for u in units], dtype=np.int64)
        approval = np.array([u.approval_ns if u.approval_ns is not None else low for u in units], dtype=np.int64)
        flags = (ts_ns < created[unit_codes]).astype(np.int64) + 2 * (ts_ns < approval[unit_codes])
        variant = unit_codes * 4 + flags
        keys, inverse = np.unique(variant, return_inverse=True)
        table = np.empty(len(keys), dtype=object)
        for j, key in enumerate(keys.tolist()):
            u, f = units[key // 4], key % 4
            extra: list[str] = []
            if f & 1:
                extra.append(GAP_BEFORE_VERSION.format(at=_ROW_AT, ref=u.version_ref, created=iso(u.version.creation_time)))
            if f & 2:
                extra.append(GAP_APPROVED_AFTER.format(ref=u.version_ref, approved=u.approval_text))
            table[j] = tuple(dict.fromkeys(u.gaps + tuple(extra) + self.reason_gaps))
        counts = np.array([len(g) for g in table], dtype=np.int64)
        inverse = inverse.reshape(-1)
        gaps = table[inverse]
        early = np.flatnonzero(flags & 1)
        if len(early):  # a decision before its version names its own time
            import pandas as pd  # heavy: loaded on first use

            texts = pd.to_datetime(ts_ns[early], utc=True).strftime("%Y-%m-%dT%H:%M:%S.%f")
            for i, text in zip(early, texts):
                at = text[:-3] + "Z"
                gaps[i] = tuple(g.replace(_ROW_AT, at) for g in gaps[i])
        return gaps, counts[inverse]


def _ref_model(text: Any) -> str | None:
    """The model name in a ``models:/NAME…`` reference (``None`` otherwise)."""
    if not isinstance(text, str) or not text.startswith("models:/") or text.startswith("models:/m-"):
        return None
    return text[len("models:/"):].split("/")[0].split("@")[0] or None


def _timestamp(value: Any) -> Any:
    import pandas as pd  # heavy: loaded only for batch work

    return pd.Timestamp(value)


def _ns(ts: Any) -> int:
    """Nanoseconds since the epoch, clamped to int64 (an approval dated 2999 is still 'later')."""
    import numpy as np  # heavy: loaded on first use

    try:
        return int(ts.as_unit("ns").value)
    except (OverflowError, ValueError):
        info = np.iinfo(np.int64)
        return int(info.max if ts.year > 2000 else info.min + 1)


def _spread(values: list[Any], codes: "np.ndarray") -> "pd.Categorical":
    """``values[codes]`` as a categorical column (one small table of distinct texts plus integer
    codes: no per-row objects, and Parquet writes it dictionary-encoded)."""
    import numpy as np  # heavy: loaded on first use
    import pandas as pd  # heavy: loaded on first use

    categories: dict[Any, int] = {}
    mapped = np.full(max(len(values), 1), -1, dtype=np.int64)
    for j, value in enumerate(values):
        mapped[j] = -1 if value is None else categories.setdefault(value, len(categories))
    return pd.Categorical.from_codes(mapped[codes], categories=list(categories))


__all__ = ["FRAME_COLUMNS", "iter_lineage_frames", "lineage_frame"]

"""The sample registry ledger (``registry-ledger.jsonl``) for ``make_sample.py``.

While the generator writes the MLflow store in date order, it calls
:func:`auditkit.ledger.snapshot` at the times in :func:`snapshot_times` (with ``now=`` pinned to
that time, the store opened read-only and closed again before MLflow writes). The ledger is
written to a temporary folder (its ``.lock`` file stays there); :func:`publish` then replaces the
absolute store path auditkit records by the portable ``sqlite:///sample_data/mlflow.db``,
re-chains the hashes and checks that nothing else changed. :func:`verify` checks the result
against the decision log.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import make_sample as ms

#: what the bundled ledger records as its store (relative to the repository root)
PORTABLE_STORE = "sqlite:///sample_data/mlflow.db"
#: the champion switch made by hand: no snapshot right before or after it (see README.md)
MANUAL_MOVE = "2026-03-02T07:00:00Z"
WEEKLY_FROM, WEEKLY_TO = "2025-11-06T06:00:00Z", "2026-07-02T06:00:00Z"  # Thursdays 06:00 UTC


def _shift(iso: str, minutes: int) -> str:
    t = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ") + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def snapshot_times() -> list[tuple[str, str]]:
    """``(time, why)`` of every snapshot, in time order.

    - 15 minutes after each run that registered a version (the first one is the initial setup:
      version 1 plus the model's tags and description);
    - 5 minutes after each approval-tag change;
    - 5 minutes before and 5 minutes after each alias move made through the promotion workflow
      (all but :data:`MANUAL_MOVE`);
    - weekly, Thursdays 06:00 UTC, from the first Thursday after the setup to the first one after
      the last decision.
    """
    out = [(_shift(at, 15), f"after run {name} registered a version")
           for name, at, _, _, _, register, _, _ in ms.RUNS if register]
    out += [(_shift(at, 5), f"after the approval of version {v}")
            for v, (_, approval, at) in ms.VERSIONS.items() if approval]
    for at in sorted({m[0] for m in ms.ALIAS_MOVES} - {MANUAL_MOVE}):
        out += [(_shift(at, -5), "before an alias move"), (_shift(at, 5), "after an alias move")]
    week = datetime.strptime(WEEKLY_FROM, "%Y-%m-%dT%H:%M:%SZ")
    while week.strftime("%Y-%m-%dT%H:%M:%SZ") <= WEEKLY_TO:
        out.append((week.strftime("%Y-%m-%dT%H:%M:%SZ"), "weekly"))
        week += timedelta(days=7)
    out.sort()
    # no snapshot may fall while a registry write it is meant to follow is still running
    events = [at for _, at, *_ in ms.RUNS] + [m[0] for m in ms.ALIAS_MOVES]
    events += [at for _, _, at in ms.VERSIONS.values() if at]
    for t, why in out:
        assert not any(e <= t < _shift(e, 5) for e in events), (t, why)
    assert len({t for t, _ in out}) == len(out), "two snapshots at the same time"
    return out


def take(db_uri: str, ledger: Path, at: str) -> None:
    """One snapshot at ``at``, the store opened read-only and closed again."""
    from auditkit import open_store
    from auditkit.ledger import snapshot

    with open_store(db_uri) as store:
        snapshot(store, ledger, now=at)


def publish(raw: Path, dest: Path, *, forbidden: list[str]) -> None:
    """Write ``raw`` to ``dest`` with the portable store URI and the hash chain recomputed.

    Only ``store``, ``prev_sha256`` and ``sha256`` change; every other field (times, changes,
    state hashes) is checked to be as :func:`auditkit.ledger.snapshot` wrote it.
    """
    from auditkit.ledger import GENESIS_SHA256, canonical_json, entry_sha256, verify_ledger

    assert verify_ledger(raw).ok
    entries = [json.loads(line) for line in raw.read_text(encoding="utf-8").splitlines()]
    recorded = entries[0]["store"]
    out, prev = [], GENESIS_SHA256
    for e in entries:
        assert e["store"] == recorded
        new = {**e, "store": PORTABLE_STORE, "prev_sha256": prev}
        new["sha256"] = entry_sha256(new)
        prev = new["sha256"]
        out.append(new)
        keep = set(e) - {"store", "prev_sha256", "sha256"}
        assert set(new) == set(e) and all(new[k] == e[k] for k in keep)
    dest.write_bytes(b"".join(canonical_json(e) + b"\n" for e in out))
    result = verify_ledger(dest)
    assert result.ok and result.entries == len(entries), result.message
    text = dest.read_text(encoding="utf-8")
    for path in forbidden:
        assert path not in text, f"the ledger still names {path}"


def verify(ledger: Path, db_uri: str, preds, schedule: dict) -> dict:
    """Check the ledger against the store and the decision log; return what README.md reports."""
    import pandas as pd
    from auditkit import open_store
    from auditkit.ledger import (alias_history, load_ledger, registry_state, resolve_alias_at,
                                 state_sha256)

    lg = load_ledger(ledger)
    times = [t for t, _ in snapshot_times()]
    assert [e["taken_at"][:19] + "Z" for e in lg.entries] == times
    with open_store(db_uri) as store:  # the last entry holds the store's final state
        assert state_sha256(registry_state(store)) == lg.entries[-1]["state_sha256"]
    # every snapshot saw the champion the schedule gives for its time
    for when, seq, version in lg.alias_timeline(ms.MODEL, "champion"):
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        want = [s["version"] for s in schedule["aliases"] if s["alias"] == "champion"
                and s["from"] <= stamp and (s["to"] is None or stamp < s["to"])]
        assert [version] == (want or [None]), (seq, stamp, version, want)
    # the champion moves, each placed between two snapshots
    moves = [c for c in alias_history(ledger, name=ms.MODEL, kinds=("alias",))
             if c.subject == "alias champion"]
    assert [c.new for c in moves] == ["1", "2", "3"], moves
    # each decision: resolved to the version that scored it, or inside the one manual window
    unresolved = []
    for pid, ts, version in preds[["prediction_id", "timestamp", "model_version"]].itertuples(
            index=False):
        r = resolve_alias_at(lg, name=ms.MODEL, alias="champion", at=ts)
        if r.resolved:
            assert r.version == str(version), (pid, r)
        else:
            assert r.candidates == ["1", "2"] and r.before < MANUAL_MOVE < r.after, (pid, r)
            unresolved.append((pid, ts, r.before, r.after))
    doc = preds.set_index("prediction_id").loc[f"APP-{ms.DOC_ID:06d}"]
    r = resolve_alias_at(lg, name=ms.MODEL, alias="champion", at=doc["timestamp"])
    assert r.version == str(doc["model_version"]) == "2", r
    assert unresolved, "the manual champion switch left no decision unresolved"
    frame = pd.DataFrame(unresolved, columns=["id", "ts", "before", "after"])
    by_version = preds.set_index("prediction_id").loc[frame["id"], "model_version"]
    info = {"entries": len(lg.entries), "unresolved": len(frame),
            "first": frame["id"].iloc[0], "last": frame["id"].iloc[-1],
            "window": (frame["before"].iloc[0], frame["after"].iloc[0]),
            "scored_by": by_version.value_counts().sort_index().to_dict(),
            "moves": [(c.old, c.new, c.from_taken_at, c.to_taken_at) for c in moves]}
    ids = [int(i[4:]) for i in frame["id"]]
    assert ids == list(range(ids[0], ids[-1] + 1)), "the unresolved ids are not one range"
    return info

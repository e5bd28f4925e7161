"""Where to roll back to: for each alias an affected version held, the latest version that held
that alias before it, is approved and is not affected.

The earlier holders come from the ledger (newest first); approval is decided by
:func:`auditkit.accountability.approvals_of`; a version deleted since, or absent from the store,
does not qualify. Each candidate passed over is listed with why; when none qualifies the answer
is a gap, never a guess.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..accountability import DEFAULT_APPROVAL_KEYS, approvals_of
from ..ledger import Ledger
from ..records import ModelVersion
from .serving import alias_values

GAP_NO_TARGET = "no safe rollback target for alias {alias} of {name}: {why}"
GAP_NO_LEDGER = ("no ledger given: the versions that held alias {alias} of {name} before are not known, "
                 "so no rollback target is named")
WHY_NONE_EARLIER = "no version held it before an affected version did"


def _snap(ledger: Ledger, i: int) -> str:
    e = ledger.entries[i]
    return f"#{e['seq']} ({e['taken_at']})"


def rollback_target(*, ledger: Ledger | None, name: str, alias: str, affected: set[str],
                    versions: dict[str, ModelVersion],
                    pairs: Sequence[tuple[str, str]] = DEFAULT_APPROVAL_KEYS) -> tuple[dict[str, Any], list[str]]:
    """``({"alias", "name", "version", "evidence", "passed_over"}, gaps)`` for one alias.

    ``affected``: the affected version numbers of ``name``; ``versions``: the store's versions of
    ``name`` today by number.
    """
    out: dict[str, Any] = {"alias": alias, "name": name, "version": None, "evidence": None, "passed_over": []}
    if ledger is None:
        return out, [GAP_NO_LEDGER.format(alias=alias, name=name)]
    values = alias_values(ledger, name, alias)
    first = next((i for i, v in enumerate(values) if v in affected), None)
    if first is None:
        return out, []
    seen: set[str] = set()
    for i in range(first - 1, -1, -1):
        v = values[i]
        if v is None or v in seen:
            continue
        seen.add(v)
        j = i
        while j > 0 and values[j - 1] == v:
            j -= 1
        held = f"alias {alias} of {name} pointed to version {v} at snapshots {_snap(ledger, j)} to {_snap(ledger, i)}"
        mv = versions.get(v)
        if v in affected:
            out["passed_over"].append({"version": v, "why": "affected", "evidence": held})
            continue
        if mv is None or mv.deleted:
            out["passed_over"].append({"version": v, "why": "deleted" if mv else "not in the store",
                                       "evidence": held})
            continue
        approved = [a for a in approvals_of(mv, pairs) if a.status == "approved"]
        if not approved:
            states = ", ".join(f"{a.by_tag}/{a.at_tag}: {a.status}" for a in approvals_of(mv, pairs))
            out["passed_over"].append({"version": v, "why": "not approved", "evidence": f"{held}; {states}"})
            continue
        a = approved[0]
        out.update(version=v, evidence=(f"ledger {ledger.path}: {held}; approved by {a.by} at {a.at} "
                                        f"(model version {name}/{v} tags {a.by_tag}, {a.at_tag}); "
                                        f"not downstream of the target"))
        return out, []
    if not out["passed_over"]:
        why = WHY_NONE_EARLIER
    else:
        why = "; ".join(f"version {p['version']} is {p['why']}" for p in out["passed_over"])
    return out, [GAP_NO_TARGET.format(alias=alias, name=name, why=why)]

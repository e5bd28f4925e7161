"""Messages of the registry ledger. One line each; the ``P_*`` texts are the problems `verify`
names for the first bad entry.
"""

from __future__ import annotations

LEDGER_MISSING = "ledger {path!r} does not exist; expected a JSON-lines file written by `auditkit snapshot`"
LEDGER_UNREADABLE = "cannot read ledger {path!r}: {reason}"
LEDGER_NOT_WRITABLE = "cannot write ledger {path!r}: {reason}"
LEDGER_BAD_ENTRY = "ledger {path!r} line {line} (seq {seq}): {problem}"
LEDGER_OTHER_STORE = (
    "ledger {path!r} records store {recorded!r}; refusing to append a snapshot of {given!r} "
    "(expected one ledger per store)"
)
LEDGER_CLOCK_BACKWARDS = (
    "snapshot time {taken_at} is earlier than the last entry's ({last}, seq {seq}) in ledger "
    "{path!r}; expected a time at or after it"
)
LEDGER_ANCHOR_MISSING = (
    "ledger {path!r} holds no entry with sha256 {anchor}; expected the anchored entry to be in the "
    "chain (the ledger was truncated or rewritten)"
)
LEDGER_BAD_ANCHOR = "--anchor {value!r} is not a SHA-256; expected 64 hex characters"
LEDGER_P_INCOMPLETE = "the line has no newline at its end (an interrupted write)"
LEDGER_P_EMPTY = "the line is empty; expected one JSON entry per line"
LEDGER_P_NOT_JSON = "the line is not a JSON object ({reason})"
LEDGER_P_FIELD = "field {field!r} is missing or not {expected}"
LEDGER_P_HASH = "its content does not match its sha256 (the entry was edited)"
LEDGER_P_SEQ = (
    "seq {got} where {expected} was expected (an entry was deleted, inserted or reordered)"
)
LEDGER_P_PREV = (
    "prev_sha256 does not match the sha256 of the entry before it (an entry was deleted, "
    "inserted, reordered or rewritten)"
)
LEDGER_P_TIME = "taken_at {got} is earlier than the previous entry's {previous}"
LEDGER_P_STORE = "it records store {got!r} but the first entry records {expected!r}"
LEDGER_P_CHANGE = "change to {key} gives old value {old!r} but the earlier entries give {actual!r}"
LEDGER_P_STATE = "state_sha256 does not match the state rebuilt from entries 1..{seq}"
LEDGER_IS_STORE = "ledger {path!r} is the store itself; expected a separate JSON-lines file for the ledger"

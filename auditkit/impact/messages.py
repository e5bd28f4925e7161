"""Messages of impact, diff and reproduce. One line each, naming the bad thing and what was expected."""

from __future__ import annotations

IMPACT_ONE_TARGET = ("give exactly one of --commit SHA, --dataset NAME[@DIGEST], --run ID, --version NAME/V "
                     "(got {given})")
IMPACT_BAD_COMMIT = "commit {value!r} is not a git commit; expected 4 to 40 hexadecimal characters"
IMPACT_BAD_DATASET = "dataset {value!r} is not NAME or NAME@DIGEST"
IMPACT_BAD_VERSION = "version {value!r} is not NAME/VERSION (e.g. credit-risk/3)"
IMPACT_NOTHING = "{target} matches no run in the store {store}; expected {what}"
IMPACT_DECISIONS_OUTPUT = "decision list {path!r} is not a .csv or .jsonl file"
IMPACT_CANNOT_WRITE = "cannot write the decision list {path!r}: {reason}"
IMPACT_BAD_WINDOW = "--since {since} is after --until {until}; expected since <= until"

REF_BAD = ("reference {ref!r} is not models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/STAGE, "
           "runs:/RUN_ID or a run id")
REF_NO_ALIAS = "registered model {name!r} has no alias {alias!r}; aliases: {choices}"
REF_NO_STAGE = "registered model {name!r} has no live version in stage {stage!r}"
REF_NO_RUN = "{ref} names no run the store holds (the version records run {run_id!r})"

SCRIPT_CANNOT_WRITE = "cannot write the script {path!r}: {reason}"

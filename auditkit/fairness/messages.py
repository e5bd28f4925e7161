"""Messages of fairness assessments. One line each, naming the bad input and what was expected.
"""

from __future__ import annotations

FAIRNESS_UNKNOWN_COLUMN = "column {name!r} is not in {where}; columns: {choices}"
FAIRNESS_NO_SENSITIVE = "no sensitive feature given; name at least one column (e.g. --sensitive sex)"
FAIRNESS_NO_RECORDS = "{where} holds no records to assess"
FAIRNESS_LENGTH_MISMATCH = "{what} has {got} values but the decisions have {expected}; expected one value per decision"
FAIRNESS_ONE_GROUP = (
    "sensitive feature(s) {features} form only one group ({group}); need at least two groups to compare"
)
FAIRNESS_NOT_BINARY = (
    "which decision is favourable is not said (values seen: {values}); codes and booleans do not say it "
    "themselves: name it with --positive VALUE (pos_label=…)"
)
FAIRNESS_POSITIVE_INFERRED = "favourable decision taken as {value!r}, the one favourable word among the decisions; --positive VALUE overrides"
FAIRNESS_POSITIVE_NOT_SEEN = "positive value {value!r} is not among the {what} values seen: {values}"
FAIRNESS_LABEL_HINT = "; name the favourable label with --label-positive VALUE (label_pos_label=…)"
FAIRNESS_LABEL_NOT_BINARY = (
    "labels have more than two values (values seen: {values}); expected a binary outcome"
)
FAIRNESS_MISSING_DECISION = "{count} record(s) have no decision; expected a decision on every record"
FAIRNESS_MISSING_IDS = (
    "prediction log {source!r}: {count} record(s) have no prediction id in column {column!r} (at {where}); "
    "expected a unique id on every decision, so each is counted once"
)
FAIRNESS_NO_IDS = (
    "prediction log {source!r} has no prediction_id column: decisions logged twice cannot be found "
    "and would be counted twice (name the id column with --column prediction_id=NAME)"
)
FAIRNESS_BAD_BINS = "bins for {column!r} must be at least two increasing numbers, got {value!r}"
FAIRNESS_BIN_NOT_IN_FEATURES = "bins name column {column!r}, which is not a sensitive feature ({features})"
FAIRNESS_BIN_NOT_NUMERIC = "column {column!r} is not numeric (e.g. {example!r}); binning needs numbers"
FAIRNESS_BIN_RANGE = (
    "{count} value(s) of {column!r} fall outside the bins {edges}; widen the first or last edge"
)
FAIRNESS_UNKNOWN_REFERENCE = "reference group {group} is not among the groups: {choices}"
FAIRNESS_BAD_CI = "confidence level {value!r} must be a number between 0 and 1 (e.g. 0.95)"
FAIRNESS_BAD_N_BOOT = "bootstrap resamples {value!r} must be a positive integer (e.g. 1000)"
FAIRNESS_TOO_MANY_BOOT = (
    "bootstrap resamples {value} exceed the limit of {limit}; 1000 to 10000 give stable intervals"
)
FAIRNESS_BAD_MIN_GROUP = "minimum group size {value!r} must be a non-negative integer"
FAIRNESS_TOO_MANY_CELLS = (
    "the grouped counts have more than {limit} rows; check that the decision and label columns "
    "hold outcomes, not scores"
)
FAIRNESS_NOTHING_INPUT = "no decisions given; pass y_pred (an array, or a column name with data=, engine= or log=)"
FAIRNESS_UNKNOWN_TABLE = "table {name!r} is not in {where}; tables: {choices}"
FAIRNESS_BAD_MODEL_REF = (
    "--model {ref!r} is not a model name, models:/NAME or models:/NAME/VERSION; an alias or stage names "
    "different versions over time: give the version (--version N) and --ledger FILE to attribute alias-logged decisions"
)
FAIRNESS_VERSION_NEEDS_MODEL = "--version {version} needs --model NAME (which model's version {version})"
FAIRNESS_LEDGER_NEEDS_MODEL = ("--ledger attributes decisions to model versions; give --model NAME "
                               "[--version N] to say whose decisions to assess")
FAIRNESS_NO_SELECTED = "no decision of prediction log {source} is selected by {what} ({why}); nothing to assess"
FAIRNESS_FILTER_NEEDS_LOG = "model, version, since, until and ledger filter a prediction log; pass log="
FAIRNESS_BAD_VALUE_LABEL_COLUMN = ("--label names column {column!r}, which is neither the decision nor an unbinned "
                                   "sensitive feature; columns: {choices}")
FAIRNESS_BAD_VALUE_LABEL = "--label {value!r} is not [COLUMN:]VALUE=TEXT (e.g. 0=refer, or sex:2=female)"
FAIRNESS_MANY_VALUES = ("sensitive column {column!r} is numeric with {count} distinct values, so it forms {groups} "
                        "groups ({small} below {min} records, their rates uncertain); group it into bands, e.g. "
                        "--bin {column}={edges} (bins={{{column!r}: [{edges}]}})")

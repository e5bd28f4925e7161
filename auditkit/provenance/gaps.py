"""The gap sentences of lineage: one per fact that is missing or cannot be proven.

Tests compare them word for word; lineage, the reports and ``check --accept`` files match them.
"""

from __future__ import annotations

GAP_NO_MODEL = "the prediction log names no model for this decision ({columns} empty)"
GAP_ALIAS_TODAY = ("model alias {name}@{alias} cannot be resolved at the decision's time because no ledger "
                   "was given (--ledger FILE); today it points to version {version}, which is not proven to "
                   "be the version that decided")
GAP_ALIAS_GONE = ("model {name} has no alias {alias} today and no ledger was given; the version behind "
                  "{ref} when the decision was made is not known")
GAP_STAGE_TODAY = ("model stage reference {ref} cannot be resolved at the decision's time because no ledger "
                   "was given (--ledger FILE); today it resolves to version {version}, which is not proven to be "
                   "the version that decided")
GAP_STAGE_VERSION_GONE = ("the ledger says {ref} resolved to version {version}, which the store no longer "
                          "holds; its run and data cannot be traced")
GAP_ALIAS_VERSION_GONE = ("the ledger says alias {alias} of {name} pointed to version {version}, which the store "
                          "no longer holds")
GAP_STAGE_NONE = "model {name} has no version in stage {stage} today; the version behind {ref} is not known"
GAP_RUN_REF = ("the decision names run {run_id} directly ({ref}), not a registered model version; "
               "versions registered from that run: {versions}")
GAP_LOGGED_UNREGISTERED = ("logged model {model_id} is registered as no model version; no version tags "
                           "or approvals apply")
GAP_LOGGED_MANY = ("logged model {model_id} is registered as several versions ({versions}); which one's "
                   "tags and approvals apply is not known")
GAP_VERSION_DELETED = ("model version {ref} is deleted in the registry; MLflow redacted its source and run, "
                       "so the run behind it cannot be read from the store")
GAP_NO_RUN = "model version {ref} names no source run"
GAP_RUN_MISSING = "run {run_id} named by {by} is not in the store"
GAP_RUN_CONFLICT = "model version {ref} names run {run_id} but its logged model {model_id} names run {other}"
GAP_NO_DATASETS = "run {run_id} logs no input datasets; the data it trained on cannot be identified"
GAP_NO_TRAINING = "run {run_id} logs no dataset with context 'training'"
GAP_NO_DIGEST = "dataset {name} of run {run_id} has no digest"
GAP_NO_CODE = "run {run_id} records no {what} ({tag})"
GAP_OWNER_FROM_RUN = "the model version records no creator; owner taken from run user"
GAP_OWNER_FROM_RUN_NO_VERSION = "no registered model version is known; owner taken from run user"
GAP_OWNER_FROM_TAG = "the model version records no creator and the run no user; owner taken from {evidence}"
GAP_OWNER_TAG_DIFFERS = "{evidence} names {tagged} as owner, not {user}; which of them owns the model is not recorded"
GAP_NO_OWNER = ("no owner on record: the model version records no creator, the run no user, and neither "
                "the version nor the registered model has an owner tag")
GAP_NO_APPROVAL = "model version {ref} has no approval tag ({keys})"
GAP_NO_APPROVAL_VERSION = "no registered model version is known for this decision, so no approval can be shown"
GAP_NO_APPROVAL_TIME = "model version {ref} records who approved it ({by_key}) but not when ({at_key})"
GAP_APPROVED_AFTER = "the decision precedes the approval of model version {ref} recorded at {approved}"
GAP_BEFORE_VERSION = ("the decision at {at} precedes the creation of model version {ref} at {created}; "
                      "the log's model reference cannot be right")
GAP_NO_RUN_RESOLVED = "no training run is known for this decision; data, code and run owner cannot be shown"
GAP_CANNOT_CARRY = "the {backend} store cannot carry {fact}, so it is not on record"
GAP_NO_REASONS = ("the prediction log has no reason columns (reason_1 … or reasons); the principal reasons "
                  "for this decision are not on record")

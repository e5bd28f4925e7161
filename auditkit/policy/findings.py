"""The sentences of policy findings: what each rule looked at (``EVIDENCE_*``) and what is
missing (``MISSING_*``). Tests compare them word for word.
"""

from __future__ import annotations

MISSING_APPROVAL = "model version {ref} lacks approval evidence: {problems}"
PROBLEM_NO_TAG = "no tag {tag}"
PROBLEM_TAG_PATTERN = "tag {tag} is {value!r}, which does not match {pattern!r}"
EVIDENCE_APPROVAL = "model version {ref} tags {tags}"
MISSING_APPROVAL_BEFORE_REGISTRATION = ("model version {ref} is recorded as approved at {value} (tag {tag}), before "
                                        "it was registered at {created}; an approval cannot precede the version "
                                        "it approves")
EVIDENCE_APPROVAL_REGISTRATION = "model version {ref} tag {tag} and creation time"
MISSING_SELF_APPROVAL = ("model version {ref} was approved by its own creator {user!r}; the policy requires "
                         "approval by someone else")
MISSING_CREATOR_UNKNOWN = ("model version {ref} records no creator and its source run no user, so whether "
                           "approver {user!r} is someone other than the creator cannot be checked")
EVIDENCE_APPROVER = "model version {ref} creator (user_id) and tag {tag}"
EVIDENCE_APPROVER_RUN = "run {run_id} user (the creator of model version {ref}, which records none) and tag {tag}"
MISSING_APPROVAL_OLD = ("the approval of model version {ref} ({value}) is {days} days old at {as_of}; the "
                        "policy allows at most {max_days} days")
MISSING_APPROVAL_FUTURE = ("the approval of model version {ref} ({value}) is dated after the as-of time "
                           "{as_of}, so the version was not approved then")
MISSING_APPROVAL_TIME = ("tag {tag} of model version {ref} is {value!r}, not a date/time, so the age of the "
                         "approval cannot be checked")
EVIDENCE_APPROVAL_AGE = "model version {ref} tag {tag}, as of {as_of}"
MISSING_NO_RUN = "model version {ref} names no source run, so its {what} cannot be shown"
MISSING_RUN_GONE = "run {run_id} named by {by} is not in the store, so the {what} of model version {ref} cannot be shown"
EVIDENCE_NO_RUN = "model version {ref} run_id and logged model source_run_id"
MISSING_DATASET = ("run {run_id}, the source of model version {ref}, logged no dataset with context "
                   "{context!r}; the data the version was trained on cannot be identified")
EVIDENCE_DATASET = "run {run_id} inputs (mlflow.log_input): {datasets}"
MISSING_COMMIT = ("run {run_id}, the source of model version {ref}, has no tag {tag}; the code the version "
                  "was built from cannot be identified")
MISSING_COMMIT_PATTERN = "run {run_id} tag {tag} is {value!r}, which does not match {pattern!r}"
EVIDENCE_COMMIT = "run {run_id} tag {tag}"
MISSING_OWNER = ("no owner on record for model version {ref}: no version creator, no run user, and no "
                 "owner tag on the version or on registered model {name}")
EVIDENCE_OWNER = ("model version {ref} creator and tag owner; {run} user and tag mlflow.user; "
                  "registered model {name} tag owner")
MISSING_FAIRNESS_NONE = ("prediction log {source} holds no decisions by model version {ref}, so no "
                         "fairness result exists for it")
MISSING_FAIRNESS_LIMIT = ("{metric} over {features} is {value} on {n} decisions by model version {ref}; "
                          "the policy requires {bound}")
MISSING_FAIRNESS_UNDEFINED = ("{metric} over {features} cannot be computed from the {n} decisions by model "
                              "version {ref} (e.g. no labels, or a group without outcomes); the policy "
                              "requires {bound}")
MISSING_FAIRNESS_ERROR = "no fairness result for model version {ref}: {reason}"
EVIDENCE_FAIRNESS = "prediction log {source}: {n} decisions by model version {ref} (columns {columns})"
EVIDENCE_UNATTRIBUTED = "; {sentence}"
EVIDENCE_LEDGER = " (aliases and stages resolved through ledger {ledger})"
MISSING_REPLAY = ("{bad} of {n} decisions by model version {ref} in prediction log {source} do not reproduce "
                  "when re-performed from its artifact ({mismatch} mismatch, {not_replayed} not replayed; e.g. "
                  "{examples}); the policy requires {rate} to reproduce")
EVIDENCE_REPLAY = "prediction log {source}: {n} decisions by model version {ref} re-performed ({reproduced} reproduced)"
MISSING_REASONS = ("{bad} of {n} decisions by model version {ref} with logged reasons carry a reason its model "
                   "does not support when re-performed (e.g. {examples}); the policy requires {rate} consistent")
MISSING_REASONS_UNCHECKED = ("the logged reasons of {n} decisions by model version {ref} could not be checked "
                             "(contributions not computed: {why})")
EVIDENCE_REASONS = ("prediction log {source}: {n} decisions by model version {ref} with logged reasons, checked "
                    "against recomputed principal reasons ({consistent} consistent)")

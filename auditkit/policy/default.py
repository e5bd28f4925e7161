"""The built-in default policy (byte for byte the same as sample_data/policy.yaml)."""

from __future__ import annotations

from .loader import parse_policy
from .model import DEFAULT_SOURCE, Policy

DEFAULT_POLICY_YAML = r"""# auditkit compliance policy: the built-in default.
#
# `auditkit check` uses this policy when no --policy FILE is given; sample_data/policy.yaml is
# a copy to start your own from. Reference: docs/policy.md.
#
# Every model version in a serving position must carry the evidence the rules ask for. Each
# rule has a severity: `error` findings make `auditkit check` exit 1 (a CI gate), `warning` and
# `info` findings are reported only. Delete a rule to stop checking it.

auditkit_policy: 1                 # format version of this file (required)
name: auditkit default policy

# Which versions count as serving: a version in one of these stages (case-insensitive) or
# holding one of these aliases. A challenger takes live or shadow traffic, so it needs the
# same evidence as the champion; drop it if yours never serves.
serving:
  stages: [Production]
  aliases: [champion, challenger]

rules:
  # Sign-off recorded as model version tags: tag -> regular expression the whole value must
  # match (Python syntax; single quotes keep backslashes as they are).
  approval:
    severity: error
    tags:
      approved_by: '.*\S.*'                      # who approved (not blank)
      approved_at: '\d{4}-\d{2}-\d{2}([T ].*)?'  # when: ISO 8601 date or date-time
      # approval_ticket: 'MRM-\d{4}-\d{3}'      # e.g. your model-risk ticket number

  # Four eyes: the approver is not the person who registered the version. MLflow records a
  # version's creator only when its auth layer is on; without one the rule cannot be checked
  # and says so with a finding of severity `creator_unknown` (or none: `creator_unknown: ignore`).
  approver_not_creator:
    severity: error
    approver_tag: approved_by
    creator_unknown: info

  # Re-approval at least once a year (SR 11-7: review models at least annually). Ages are
  # measured at `auditkit check --as-of TIME` (default: now).
  approval_age:
    severity: warning
    tag: approved_at
    max_days: 365

  # The source run logged its training data with mlflow.log_input(..., context="training").
  training_dataset:
    severity: error
    context: training

  # The source run records the code it ran (MLflow sets this tag from the git checkout).
  git_commit:
    severity: error
    tag: mlflow.source.git.commit

  # Someone is accountable: version creator, else run user, else an `owner` tag on the
  # version or the registered model.
  owner:
    severity: warning

  # Fairness of the version's own decisions in a prediction log (uncomment and adapt):
  # fairness:
  #   severity: error
  #   predictions: predictions.csv     # .csv/.parquet/.jsonl (relative to this file) or TABLE@URL
  #   columns: {}                      # role renames as with --column, e.g. {prediction_id: request_ref}
  #   sensitive: [sex]                 # one or more columns (several = intersectional groups)
  #   positive: approve                # the favourable decision
  #   label_positive: good             # the favourable true outcome (equalized-odds limits only)
  #   no_decisions: warning            # severity when the log holds no decision by a version (or ignore)
  #   limits:
  #     demographic_parity_ratio: {min: 0.8}   # four-fifths rule
"""


def default_policy() -> Policy:
    """The built-in default policy (:data:`DEFAULT_POLICY_YAML`)."""
    return parse_policy(DEFAULT_POLICY_YAML, source=DEFAULT_SOURCE)

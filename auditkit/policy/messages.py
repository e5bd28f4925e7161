"""Messages of policy files. One line each, naming the file, the line and what was expected.
"""

from __future__ import annotations

POLICY_MISSING = "policy file {path!r} does not exist"
POLICY_UNREADABLE = "cannot read policy {source!r}: {reason}"
POLICY_BAD_YAML = "policy {source!r} line {line}: not valid YAML: {problem}"
POLICY_EMPTY = "policy {source!r} is empty; expected a mapping with keys auditkit_policy, serving and rules"
POLICY_MISSING_KEY = "policy {source!r} line {line}: {where} has no key {key!r}; expected {expected}"
POLICY_WRONG_TYPE = "policy {source!r} line {line}: {key} is {found}; expected {expected}"
POLICY_UNKNOWN_KEY = "policy {source!r} line {line}: {where} has an unknown key {key!r}; keys: {choices}"
POLICY_UNKNOWN_RULE = "policy {source!r} line {line}: unknown rule {rule!r}; rules: {choices}"
POLICY_DUPLICATE_KEY = "policy {source!r} line {line}: key {key!r} appears twice in {where}"
POLICY_BAD_REGEX = "policy {source!r} line {line}: {key} {value!r} is not a valid regular expression ({reason})"
POLICY_NO_SERVING = (
    "policy {source!r} line {line}: serving names no stage and no alias; expected at least one "
    "(e.g. aliases: [champion])"
)
POLICY_NO_RULES = "policy {source!r} line {line}: rules is empty; expected at least one rule ({choices})"
POLICY_NO_LIMIT = "policy {source!r} line {line}: {key} gives neither min nor max; expected at least one"
POLICY_STORE_INCOMPLETE = (
    "cannot check the policy: {problems}; a check on a partial registry could miss serving "
    "versions, so nothing was checked (expected every registry table of the store's schema)"
)

"""Reading a policy file: a strict YAML loader that checks the file key by key.

A policy (YAML, read with auditkit's bounded safe loader, :mod:`auditkit.safeyaml`) is checked key by key; the first problem is
reported as one :class:`~auditkit.errors.PolicyError` line naming the key and its line number:
unknown rules and keys, wrong types, missing keys, duplicate keys, bad regular expressions.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import yaml

from .. import errors
from ..errors import PolicyError
from ..logs import is_sql_source
from ..records import frozen
from ..safeyaml import compose, problem_of
from .messages import (
    POLICY_BAD_REGEX,
    POLICY_BAD_YAML,
    POLICY_DUPLICATE_KEY,
    POLICY_EMPTY,
    POLICY_MISSING,
    POLICY_MISSING_KEY,
    POLICY_NO_LIMIT,
    POLICY_NO_RULES,
    POLICY_NO_SERVING,
    POLICY_UNKNOWN_KEY,
    POLICY_UNKNOWN_RULE,
    POLICY_UNREADABLE,
    POLICY_WRONG_TYPE,
)
from .model import (
    FAIRNESS_METRICS,
    FORMAT_VERSION,
    RULES,
    SEVERITIES,
    ApprovalAgeRule,
    ApprovalRule,
    ApproverNotCreatorRule,
    FairnessLimit,
    FairnessRule,
    GitCommitRule,
    OwnerRule,
    Policy,
    ReasonsConsistentRule,
    ReplayRule,
    Rule,
    TrainingDatasetRule,
)


def load_policy(path: str | os.PathLike) -> Policy:
    """Read and check a policy file.

    Raises :class:`PolicyError` when the file does not exist or cannot be read, is not YAML, or
    breaks the format (unknown rule or key, wrong type, missing key, duplicate key, bad regex);
    the message names the key and its line.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise PolicyError(POLICY_MISSING.format(path=str(path)))
    try:
        text = p.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(POLICY_UNREADABLE.format(source=str(path), reason=exc)) from None
    return parse_policy(text, source=str(path), base=p.parent)


def parse_policy(text: str, *, source: str = "<text>", base: Path | None = None) -> Policy:
    """Check policy YAML ``text``; relative prediction-log paths are resolved against ``base``.

    Raises :class:`PolicyError` as :func:`load_policy` does.
    """
    try:
        loader, root = compose(text)  # bounded: aliases, nesting and tags are limited
    except yaml.YAMLError as exc:
        line, problem = problem_of(exc)
        raise PolicyError(POLICY_BAD_YAML.format(source=source, line=line, problem=problem)) from None
    try:
        if root is None:
            raise PolicyError(POLICY_EMPTY.format(source=source))
        reader = _Reader(loader, source, base)
        return reader.policy(root, hashlib.sha256(text.encode("utf-8")).hexdigest())
    except yaml.YAMLError as exc:  # a value that cannot be built (e.g. a bad !!binary)
        line, problem = problem_of(exc)
        raise PolicyError(POLICY_BAD_YAML.format(source=source, line=line, problem=problem)) from None
    finally:
        loader.dispose()


# -- the checking reader ---------------------------------------------------------------------------
def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _describe(node: yaml.Node, value: Any) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if value is None:
        return "empty"
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "text"}.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})"


class _Reader:
    def __init__(self, loader: yaml.SafeLoader, source: str, base: Path | None) -> None:
        self.loader, self.source, self.base = loader, source, base

    def fail(self, template: str, node: yaml.Node, **kw: Any) -> PolicyError:
        return PolicyError(template.format(source=self.source, line=_line(node), **kw))

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    def wrong(self, node: yaml.Node, key: str, expected: str) -> PolicyError:
        return self.fail(POLICY_WRONG_TYPE, node, key=key, found=_describe(node, self.value(node)),
                         expected=expected)

    def mapping(self, node: yaml.Node, where: str, allowed: tuple[str, ...] | None,
                required: Mapping[str, str] = {}, at: yaml.Node | None = None) -> dict[str, yaml.Node]:
        """The mapping at ``node`` as key → value node; checks type, unknown, duplicate and
        missing keys (``required``: key → what is expected there; a missing key is reported
        at the line of ``at``, the mapping's own key, when given)."""
        if not isinstance(node, yaml.MappingNode):
            raise self.wrong(node, where, "a mapping")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                raise self.fail(POLICY_WRONG_TYPE, key_node, key=f"a key of {where}",
                                found=_describe(key_node, key), expected="text")
            if key in out:
                raise self.fail(POLICY_DUPLICATE_KEY, key_node, key=key, where=where)
            if allowed is not None and key not in allowed:
                raise self.fail(POLICY_UNKNOWN_KEY, key_node, where=where, key=key,
                                choices=errors.choices(list(allowed), limit=20))
            out[key] = value_node
        for key, expected in required.items():
            if key not in out:
                raise self.fail(POLICY_MISSING_KEY, at or node, where=where, key=key, expected=expected)
        return out

    def text(self, node: yaml.Node, key: str, *, blank: bool = False) -> str:
        value = self.value(node)
        if not isinstance(node, yaml.ScalarNode) or not isinstance(value, str) or (not blank and not value.strip()):
            raise self.wrong(node, key, "text")
        return value

    def texts(self, node: yaml.Node, key: str, *, one_ok: bool = False) -> tuple[str, ...]:
        if one_ok and isinstance(node, yaml.ScalarNode):
            return (self.text(node, key),)
        if not isinstance(node, yaml.SequenceNode):
            raise self.wrong(node, key, "a list of text" + (" (or one text)" if one_ok else ""))
        return tuple(self.text(item, f"{key}[{i}]") for i, item in enumerate(node.value))

    def number(self, node: yaml.Node, key: str, *, positive: bool = False) -> float:
        value = self.value(node)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or (positive and value <= 0):
            raise self.wrong(node, key, "a positive number" if positive else "a number")
        return float(value)

    def choice(self, node: yaml.Node, key: str, choices: tuple[str, ...]) -> str:
        value = self.value(node)
        if not isinstance(value, str) or value not in choices:
            raise self.wrong(node, key, "one of " + ", ".join(choices))
        return value

    def regex(self, node: yaml.Node, key: str) -> str:
        pattern = self.text(node, key)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise self.fail(POLICY_BAD_REGEX, node, key=key, value=pattern, reason=exc) from None
        return pattern

    # -- the document --------------------------------------------------------------------------
    def policy(self, root: yaml.Node, sha256: str) -> Policy:
        self.key_node: yaml.Node | None = None
        top = self.mapping(root, "the policy", ("auditkit_policy", "name", "serving", "rules"), {
            "auditkit_policy": f"the format version ({FORMAT_VERSION})",
            "serving": "the stages and aliases that count as serving",
            "rules": "the evidence rules"})
        if self.value(top["auditkit_policy"]) != FORMAT_VERSION or isinstance(self.value(top["auditkit_policy"]), bool):
            raise self.wrong(top["auditkit_policy"], "auditkit_policy", f"{FORMAT_VERSION} (the format version)")
        name = self.text(top["name"], "name") if "name" in top else None
        serving = self.mapping(top["serving"], "serving", ("stages", "aliases"))
        serving_key = next(k for k, v in root.value if v is top["serving"])
        stages = self.texts(serving["stages"], "serving.stages") if "stages" in serving else ()
        aliases = self.texts(serving["aliases"], "serving.aliases") if "aliases" in serving else ()
        if not stages and not aliases:
            raise self.fail(POLICY_NO_SERVING, serving_key)
        rules_node = top["rules"]
        rules_map = self.mapping(rules_node, "rules", None)
        if not rules_map:
            raise self.fail(POLICY_NO_RULES, next(k for k, v in root.value if v is rules_node), choices=", ".join(RULES))
        rules: list[Rule] = []
        for key_node, value_node in rules_node.value:
            rule_name = self.value(key_node)
            if rule_name not in RULES:
                raise self.fail(POLICY_UNKNOWN_RULE, key_node, rule=rule_name,
                                choices=errors.choices(list(RULES), limit=20))
            self.key_node = key_node
            rules.append(self.READERS[rule_name](self, value_node, f"rules.{rule_name}"))
        return Policy(name=name, source=self.source, sha256=sha256, serving_stages=stages,
                      serving_aliases=aliases, rules=tuple(rules))

    def _rule(self, node: yaml.Node, where: str, optional: tuple[str, ...],
              required: Mapping[str, str] = {}) -> tuple[dict[str, yaml.Node], dict[str, Any]]:
        keys = self.mapping(node, where, ("severity", *required, *optional),
                            {"severity": "one of " + ", ".join(SEVERITIES), **required}, at=self.key_node)
        common = {"severity": self.choice(keys["severity"], f"{where}.severity", SEVERITIES),
                  "line": _line(self.key_node or node)}
        return keys, common

    def approval(self, node: yaml.Node, where: str) -> Rule:
        keys, common = self._rule(node, where, ("at_tag",), {"tags": "a mapping of tag name to regular expression"})
        tags = self.mapping(keys["tags"], f"{where}.tags", None)
        if not tags:
            raise self.wrong(keys["tags"], f"{where}.tags", "at least one tag name with its regular expression")
        at_tag = self.text(keys["at_tag"], f"{where}.at_tag") if "at_tag" in keys else "approved_at"
        return ApprovalRule(tags=tuple((k, self.regex(v, f"{where}.tags.{k}")) for k, v in tags.items()),
                            at_tag=at_tag, **common)

    def approver_not_creator(self, node: yaml.Node, where: str) -> Rule:
        keys, common = self._rule(node, where, ("approver_tag", "creator_unknown"))
        tag = self.text(keys["approver_tag"], f"{where}.approver_tag") if "approver_tag" in keys else "approved_by"
        unknown: str | None = "info"
        if "creator_unknown" in keys:
            unknown = self.choice(keys["creator_unknown"], f"{where}.creator_unknown", (*SEVERITIES, "ignore"))
        return ApproverNotCreatorRule(approver_tag=tag, creator_unknown=None if unknown == "ignore" else unknown,
                                      **common)

    def approval_age(self, node: yaml.Node, where: str) -> Rule:
        keys, common = self._rule(node, where, ("tag",), {"max_days": "the largest age in days (e.g. 365)"})
        tag = self.text(keys["tag"], f"{where}.tag") if "tag" in keys else "approved_at"
        return ApprovalAgeRule(max_days=self.number(keys["max_days"], f"{where}.max_days", positive=True),
                               tag=tag, **common)

    def training_dataset(self, node: yaml.Node, where: str) -> Rule:
        keys, common = self._rule(node, where, ("context",))
        context = self.text(keys["context"], f"{where}.context") if "context" in keys else "training"
        return TrainingDatasetRule(context=context, **common)

    def git_commit(self, node: yaml.Node, where: str) -> Rule:
        keys, common = self._rule(node, where, ("tag", "pattern"))
        tag = self.text(keys["tag"], f"{where}.tag") if "tag" in keys else "mlflow.source.git.commit"
        pattern = self.regex(keys["pattern"], f"{where}.pattern") if "pattern" in keys else None
        return GitCommitRule(tag=tag, pattern=pattern, **common)

    def owner(self, node: yaml.Node, where: str) -> Rule:
        _, common = self._rule(node, where, ())
        return OwnerRule(**common)

    def fairness(self, node: yaml.Node, where: str) -> Rule:
        keys, common = self._rule(node, where, ("positive", "label_positive", "columns", "no_decisions", "ledger"), {
            "predictions": "a prediction log (.csv/.parquet/.jsonl file or TABLE@URL)",
            "sensitive": "the sensitive column(s), e.g. [sex]",
            "limits": "a mapping of metric to {min, max}, e.g. demographic_parity_ratio: {min: 0.8}"})
        source = self.text(keys["predictions"], f"{where}.predictions")
        if not is_sql_source(source) and self.base is not None and not Path(source).expanduser().is_absolute():
            source = str(self.base / source)
        ledger = None
        if "ledger" in keys:
            ledger = self.text(keys["ledger"], f"{where}.ledger")
            if self.base is not None and not Path(ledger).expanduser().is_absolute():
                ledger = str(self.base / ledger)
        sensitive = self.texts(keys["sensitive"], f"{where}.sensitive", one_ok=True)
        if not sensitive:
            raise self.wrong(keys["sensitive"], f"{where}.sensitive", "at least one column name")
        given = {}
        for key in ("positive", "label_positive"):
            if key in keys:
                given[key] = self.value(keys[key])
                if not isinstance(keys[key], yaml.ScalarNode) or given[key] is None:
                    raise self.wrong(keys[key], f"{where}.{key}", "one value (text or number)")
        no_decisions: str | None = common["severity"]
        if "no_decisions" in keys:
            no_decisions = self.choice(keys["no_decisions"], f"{where}.no_decisions", (*SEVERITIES, "ignore"))
            no_decisions = None if no_decisions == "ignore" else no_decisions
        columns: dict[str, str] = {}
        if "columns" in keys:
            for role, name_node in self.mapping(keys["columns"], f"{where}.columns", None).items():
                columns[role] = self.text(name_node, f"{where}.columns.{role}")
        limits_node = keys["limits"]
        limit_map = self.mapping(limits_node, f"{where}.limits", FAIRNESS_METRICS)
        if not limit_map:
            raise self.wrong(limits_node, f"{where}.limits", "at least one metric, e.g. demographic_parity_ratio")
        limits = []
        for metric, bound_node in limit_map.items():
            key = f"{where}.limits.{metric}"
            bounds = self.mapping(bound_node, key, ("min", "max"))
            if not bounds:
                raise self.fail(POLICY_NO_LIMIT, bound_node, key=key)
            limits.append(FairnessLimit(
                metric=metric,
                min=self.number(bounds["min"], f"{key}.min") if "min" in bounds else None,
                max=self.number(bounds["max"], f"{key}.max") if "max" in bounds else None))
        return FairnessRule(predictions=source, sensitive=sensitive, limits=tuple(limits),
                            positive=given.get("positive"), label_positive=given.get("label_positive"),
                            columns=frozen(columns), no_decisions=no_decisions, ledger=ledger, **common)

    def replay(self, node: yaml.Node, where: str, cls: type = ReplayRule) -> Rule:
        keys, common = self._rule(node, where, ("columns", "artifact_roots", "trust_pickle", "reason_map",
                                                "background", "min_rate"), {
            "predictions": "a prediction log (.csv/.parquet/.jsonl file or TABLE@URL)"})
        source = self._path(self.text(keys["predictions"], f"{where}.predictions"), sql_ok=True)
        columns: dict[str, str] = {}
        if "columns" in keys:
            for role, name_node in self.mapping(keys["columns"], f"{where}.columns", None).items():
                columns[role] = self.text(name_node, f"{where}.columns.{role}")
        roots: list[str] = []
        if "artifact_roots" in keys:
            for old, new_node in self.mapping(keys["artifact_roots"], f"{where}.artifact_roots", None).items():
                roots.append(f"{old}={self._path(self.text(new_node, f'{where}.artifact_roots.{old}'))}")
        trust = False
        if "trust_pickle" in keys:
            trust = self.value(keys["trust_pickle"])
            if not isinstance(trust, bool):
                raise self.wrong(keys["trust_pickle"], f"{where}.trust_pickle", "true or false")
        files = {k: self._path(self.text(keys[k], f"{where}.{k}")) if k in keys else None
                 for k in ("reason_map", "background")}
        rate = self.number(keys["min_rate"], f"{where}.min_rate") if "min_rate" in keys else 1.0
        if not 0.0 <= rate <= 1.0:
            raise self.wrong(keys["min_rate"], f"{where}.min_rate", "a share between 0 and 1")
        return cls(predictions=source, columns=frozen(columns), artifact_roots=tuple(roots), trust_pickle=trust,
                   min_rate=rate, **files, **common)

    def reasons_consistent(self, node: yaml.Node, where: str) -> Rule:
        return self.replay(node, where, ReasonsConsistentRule)

    def _path(self, value: str, *, sql_ok: bool = False) -> str:
        """A file named in the policy, relative to the policy file's folder."""
        if sql_ok and is_sql_source(value):
            return value
        if self.base is not None and "://" not in value and not value.endswith(":/") \
                and not Path(value).expanduser().is_absolute():
            return str(self.base / value)
        return value

    READERS: ClassVar[dict[str, Callable[["_Reader", yaml.Node, str], Rule]]] = {
        "approval": approval, "approver_not_creator": approver_not_creator, "approval_age": approval_age,
        "training_dataset": training_dataset, "git_commit": git_commit, "owner": owner, "fairness": fairness,
        "replay": replay, "reasons_consistent": reasons_consistent,
    }

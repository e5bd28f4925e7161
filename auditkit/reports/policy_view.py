"""Policy findings for the inventory report, from :mod:`auditkit.policy`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ..connectors import Connector
from ..policy import evaluate_policy
from .context import PolicyFinding


def policy_findings(store: Connector, policy: str | Path | None, *, as_of: datetime | str | None
                    ) -> tuple[list[PolicyFinding], str, list[str]]:
    """Check ``policy`` (a policy file; ``None`` for auditkit's default policy) at ``as_of``:
    ``(findings, source, serving)`` where ``source`` names the policy and ``serving`` lists the
    versions it counted as serving (``"NAME vN"``).

    Raises :class:`~auditkit.errors.PolicyError` for a bad policy file and what
    :func:`auditkit.policy.evaluate_policy` raises.
    """
    check = evaluate_policy(store, policy=str(policy) if policy is not None else None, as_of=as_of)
    name = _policy_name(check.policy)
    source = (f"{name} ({Path(policy).name})" if policy is not None
              else f"{name} (built in; no --policy FILE was given, so auditkit's default policy was applied)") + \
        f", checked as of {check.summary()['as_of']}"
    findings = [PolicyFinding(rule=f.rule, model=f.model, version=f.version, severity=f.severity,
                              passed=False, message=f.missing, evidence=f.evidence) for f in check.findings]
    serving = [f"{s.model} v{s.version}" for s in check.serving]
    return findings, source, serving


def _policy_name(policy: Any) -> str:
    name = getattr(policy, "name", None)
    return str(name) if name else "policy"

"""What one model version or run records, as one document: the side of a ``diff``.

Params, latest metrics, datasets with digests, code, environment (from the artifacts or the
tracker), signature, tags and approvals, each with the record it comes from. Who approved is
decided by :mod:`auditkit.accountability`.
"""

from __future__ import annotations

import math
from typing import Any

from ..accountability import DEFAULT_APPROVAL_KEYS, approvals_of
from ..records import iso
from .artifacts import Environment, read_environment
from .sides import Subject

#: Run tags holding the code behind a run (MLflow), by field.
CODE_TAGS = {"git_commit": "mlflow.source.git.commit", "git_branch": "mlflow.source.git.branch",
             "repo_url": "mlflow.source.git.repoURL", "source": "mlflow.source.name"}
#: Tag prefixes that are the tracker's own bookkeeping (ids, times, user, source): not compared as tags.
SYSTEM_TAG_PREFIXES = ("mlflow.",)


def code_of(subject: Subject) -> dict[str, Any]:
    run = subject.run
    code: dict[str, Any] = {k: (run.tags.get(t) or None) if run else None for k, t in CODE_TAGS.items()}
    code["evidence"] = f"run {run.run_id} tags mlflow.source.*" if run else None
    return code


def datasets_of(subject: Subject) -> list[dict[str, Any]]:
    run = subject.run
    if run is None:
        return []
    return [{"name": d.name, "digest": d.digest, "context": d.context, "source": d.source,
             "source_type": d.source_type, "rows": d.rows} for d in run.datasets]


def tags_of(subject: Subject, pairs: Any = DEFAULT_APPROVAL_KEYS) -> dict[str, str]:
    """Version tags (approval tags left to ``approvals``) and the run's own (non-system) tags."""
    skip = {k for pair in pairs for k in pair}
    out: dict[str, str] = {}
    if subject.run is not None:
        out.update({f"run.{k}": v for k, v in subject.run.tags.items() if not k.startswith(SYSTEM_TAG_PREFIXES)})
    if subject.version is not None:
        out.update({f"version.{k}": v for k, v in subject.version.tags.items() if k not in skip})
    return dict(sorted(out.items()))


def approvals_doc(subject: Subject, pairs: Any = DEFAULT_APPROVAL_KEYS) -> list[dict[str, Any]]:
    mv = subject.version
    if mv is None:
        return []
    return [{"by": a.by, "at": a.at, "status": a.status,
             "evidence": f"model version {mv.name}/{mv.version} tags {a.by_tag}, {a.at_tag}"}
            for a in approvals_of(mv, pairs) if a.by or a.at]


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def sheet(subject: Subject, *, environment: Environment | None = None) -> dict[str, Any]:
    """The document of one side (see the module docstring)."""
    run, mv = subject.run, subject.version
    env = environment or read_environment(label=subject.label, version=mv, run=run, logged=subject.logged_models)
    return {
        "reference": subject.reference,
        "resolved": subject.evidence,
        "model_version": None if mv is None else {
            "name": mv.name, "version": mv.version, "stage": mv.stage, "aliases": list(mv.aliases),
            "created": iso(mv.creation_time), "source": mv.source, "run_id": mv.run_id, "model_id": mv.model_id},
        "run": None if run is None else {
            "id": run.run_id, "name": run.run_name, "experiment": run.experiment, "user": run.user,
            "status": run.status, "start_time": iso(run.start_time), "end_time": iso(run.end_time)},
        "params": dict(run.params) if run else {},
        "metrics": {k: _finite(v) for k, v in run.metrics.items()} if run else {},
        "datasets": datasets_of(subject),
        "code": code_of(subject),
        "environment": env.to_dict(),
        "signature": env.signature,
        "tags": tags_of(subject),
        "approvals": approvals_doc(subject),
        "gaps": [*subject.gaps, *env.gaps],
    }

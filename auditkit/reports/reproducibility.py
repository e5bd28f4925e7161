"""The model report's "Reproducibility" section: what teams track about a training run, each fact
with its source or the gap, and the verdict of :func:`auditkit.impact.reproduce`.

The facts (dataset and data version, code version, hyperparameters, metrics, training
environment, hardware, owner, run time, logs) come from the recipe and the records; who owns the
version is decided by :mod:`auditkit.accountability`.
"""

from __future__ import annotations

from typing import Any

from ..accountability import owner_of
from ..connectors import Connector
from ..impact import reproduce
from ..records import ModelVersion, RegisteredModel, Run, iso
from .context import Reproducibility, ReproducibilityFact


def _fact(what: str, value: str | None, source: str | None, gap: str) -> ReproducibilityFact:
    if value:
        return ReproducibilityFact(what=what, value=value, source=source, gap=None)
    return ReproducibilityFact(what=what, value=None, source=None, gap=gap)


def _pairs(mapping: dict[str, Any], limit: int = 40) -> str | None:
    items = [f"{k}={v}" for k, v in sorted(mapping.items())]
    if not items:
        return None
    return ", ".join(items[:limit]) + (f", … ({len(items)} in all)" if len(items) > limit else "")


def build_reproducibility(store: Connector, mv: ModelVersion, run: Run | None,
                          registered: RegisteredModel | None) -> Reproducibility:
    """The section for version ``mv`` (its run ``run``, its registered model ``registered``)."""
    recipe = reproduce(store, f"models:/{mv.name}/{mv.version}")
    rid = run.run_id if run else None
    code, env = recipe["code"], recipe["environment"]
    data = "; ".join(f"{d['name']} digest {d['digest']}"
                     + {True: " (verified against the file)", False: " (file does not match)"}.get(d["verified"], "")
                     for d in recipe["datasets"])
    commit = code["git_commit"] and (code["git_commit"] + (f" of {code['repo_url']}" if code["repo_url"] else "")
                                     + (" (dirty)" if code["dirty"] else ""))
    environment = None
    if env["python"] or env["requirements"]:
        environment = (f"Python {env['python'] or '(not recorded)'}; " + (", ".join(env["requirements"]) or
                                                                          "no requirements recorded"))
    owner = owner_of(version=mv, run=run, registered=registered)
    when = None
    if run is not None and run.start_time is not None:
        when = iso(run.start_time) + (f" to {iso(run.end_time)}" if run.end_time else " (no end recorded)")
    facts = (
        _fact("Dataset and data version", data, f"run {rid} inputs (log_input)",
              "no dataset with a digest is logged for the training run"),
        _fact("Code version", commit, f"run {rid} tags mlflow.source.git.*",
              "no git commit is recorded for the training run"),
        _fact("Hyperparameters", _pairs(recipe["params"]), f"run {rid} params", "no parameters are logged"),
        _fact("Metrics", _pairs(run.metrics if run else {}), f"run {rid} metrics (latest values)",
              "no metrics are logged"),
        _fact("Training environment", environment, env["evidence"], "no environment is recorded"),
        _fact("Hardware", _pairs(recipe["hardware"]), f"run {rid} tags and params", "no hardware is recorded"),
        _fact("Random seeds", _pairs(recipe["seeds"]), f"run {rid} params", "no random seed is logged"),
        _fact("Owner", owner.user, owner.record, "no owner is recorded"),
        _fact("Run time", when, f"run {rid} start_time, end_time", "no run time is recorded"),
        _fact("Logs and artifacts", run.artifact_uri if run else None, f"run {rid} artifact location",
              "no artifact location is recorded for the run"),
    )
    return Reproducibility(facts=facts, verdict=recipe["verdict"], gaps=tuple(recipe["gaps"]),
                           entry_point=code["entry_point"])

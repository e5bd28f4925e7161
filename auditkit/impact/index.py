"""The forward lineage index: from a commit, a dataset or a run to the runs trained from it and
the model versions registered from those runs (directly or through an MLflow 3 logged model).

Lineage reads one way, from a decision back to its sources; this index is the other way round,
built once from the store's runs, versions and logged models.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors
from ..connectors import Connector
from ..connectors.base import redact_uri
from ..records import ModelVersion, Run, version_key
from .messages import IMPACT_NOTHING
from .targets import Target

COMMIT_TAG = "mlflow.source.git.commit"
#: Dataset contexts that mean "trained from" (MLflow writes ``training``; none recorded counts too).
TRAINING_CONTEXTS = ("training", "train", None, "")


@dataclass(frozen=True)
class Affected:
    """The runs trained from a target, and the versions registered from them, each with why."""

    runs: tuple[Run, ...]
    run_evidence: dict[str, str]
    versions: tuple[ModelVersion, ...]
    version_evidence: dict[tuple[str, str], str]


class ForwardIndex:
    """Runs, versions and logged models of one store, indexed forward (read once)."""

    def __init__(self, store: Connector) -> None:
        self.store = store
        self.runs = {r.run_id: r for r in store.runs()}
        self.versions = sorted(store.model_versions(), key=lambda v: (v.name, version_key(v.version)))
        self.logged_run = {lm.model_id: lm.source_run_id for lm in store.logged_models()}

    def run_of(self, mv: ModelVersion) -> tuple[str | None, str | None]:
        """``(run id, evidence)`` of a version: its own run id, else its logged model's source run."""
        if mv.run_id:
            return mv.run_id, f"model version {mv.name}/{mv.version} run_id"
        if mv.model_id and self.logged_run.get(mv.model_id):
            return self.logged_run[mv.model_id], (f"model version {mv.name}/{mv.version} logged model "
                                                  f"{mv.model_id} source run")
        return None, None

    def version(self, name: str, number: str) -> ModelVersion:
        for mv in self.versions:
            if mv.name == name and mv.version == number:
                return mv
        return self.store.get_model_version(name, number)  # raises the store's own not-found error

    def affected(self, target: Target) -> Affected:
        """The runs and versions downstream of ``target``.

        Raises :class:`~auditkit.errors.RecordNotFoundError` when the target matches nothing
        (an unknown run, version, commit or dataset).
        """
        run_ev: dict[str, str] = {}
        if target.kind == "commit":
            for r in self.runs.values():
                commit = (r.tags.get(COMMIT_TAG) or "").lower()
                if commit and commit.startswith(target.value):
                    run_ev[r.run_id] = f"run {r.run_id} tag {COMMIT_TAG} = {r.tags[COMMIT_TAG]}"
            what = f"a run whose tag {COMMIT_TAG} starts with {target.value}"
        elif target.kind == "dataset":
            for r in self.runs.values():
                for d in r.datasets:
                    if d.name == target.name and (target.part is None or d.digest == target.part) \
                            and d.context in TRAINING_CONTEXTS:
                        run_ev[r.run_id] = (f"run {r.run_id} input {d.name} digest {d.digest}"
                                            f" ({d.context or 'no context'})")
            what = "a run that trained on it (log_input, context training)"
        elif target.kind == "run":
            run = self.runs.get(target.value) or self.store.get_run(target.value)
            run_ev[run.run_id] = f"run {run.run_id}"
            what = "a run"
        else:
            mv = self.version(target.name or "", target.part or "")
            run_id, ev = self.run_of(mv)
            if run_id:
                run_ev[run_id] = ev or ""
            return Affected(tuple(self.runs[r] for r in run_ev if r in self.runs), run_ev, (mv,),
                            {(mv.name, mv.version): f"model version {mv.name}/{mv.version} (the target)"})
        if not run_ev:
            raise errors.RecordNotFoundError(IMPACT_NOTHING.format(target=target.describe(), store=redact_uri(self.store.uri),
                                                                   what=what), kind=target.kind, name=target.value)
        versions, version_ev = [], {}
        for mv in self.versions:
            run_id, ev = self.run_of(mv)
            if run_id in run_ev:
                versions.append(mv)
                version_ev[(mv.name, mv.version)] = f"{ev} = {run_id}"
        runs = sorted((self.runs[r] for r in run_ev if r in self.runs),
                      key=lambda r: (r.start_time is None, r.start_time, r.run_id))
        return Affected(tuple(runs), run_ev, tuple(versions), version_ev)

"""A model or run reference given on the command line, resolved to the store's records.

``diff`` and ``reproduce`` take ``models:/NAME/VERSION``, ``models:/NAME@ALIAS`` (where the alias
points today), ``models:/NAME/STAGE`` (the highest live version in that stage today),
``runs:/RUN_ID[/PATH]`` or a bare run id. The reference becomes a :class:`Subject`: the version
(when a model was named), its run and the logged models of that run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import errors
from ..connectors import Connector
from ..records import LoggedModel, ModelVersion, RegisteredModel, Run, version_key
from .messages import REF_BAD, REF_NO_ALIAS, REF_NO_RUN, REF_NO_STAGE

_MODELS = re.compile(r"^models:/(?P<name>[^/@]+)(?:(?P<sep>[/@])(?P<rest>[^/]+))?/?$")
_RUNS = re.compile(r"^runs:/(?P<run>[^/]+)(?:/.*)?$")
_RUN_ID = re.compile(r"^[A-Za-z0-9_.:-]{6,}$")
_STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}


@dataclass(frozen=True)
class Subject:
    """What a reference names: the version (``None`` for a run), its run (``None`` when the store
    does not hold it), the logged models of that run, and how it was found."""

    reference: str
    version: ModelVersion | None
    run: Run | None
    logged_models: tuple[LoggedModel, ...] = ()
    registered: RegisteredModel | None = None
    evidence: str = ""
    gaps: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        if self.version is not None:
            return f"{self.version.name}/{self.version.version}"
        return f"run {self.run.run_id}" if self.run is not None else self.reference


def resolve_subject(store: Connector, reference: str) -> Subject:
    """Resolve ``reference`` (see the module docstring) in ``store``.

    Raises :class:`~auditkit.errors.UsageError` (not a reference) and
    :class:`~auditkit.errors.RecordNotFoundError` (no such model, version, alias or run).
    """
    text = reference.strip()
    m = _MODELS.match(text)
    if m and m.group("sep"):
        name, sep, rest = m.group("name"), m.group("sep"), m.group("rest")
        registered = {r.name: r for r in store.registered_models()}.get(name)
        if sep == "@":
            if registered is None or rest not in registered.aliases:
                if registered is None:
                    store.model_versions(name)  # raises the store's own not-found error
                choices = errors.choices(sorted(registered.aliases)) if registered else "(none)"
                raise errors.RecordNotFoundError(REF_NO_ALIAS.format(name=name, alias=rest, choices=choices),
                                                 kind="alias", name=f"{name}@{rest}")
            mv = store.get_model_version(name, registered.aliases[rest])
            how = f"alias {rest} of {name} points to version {mv.version} today (store)"
        elif rest.isdigit():
            mv = store.get_model_version(name, rest)
            how = f"model version {name}/{mv.version}"
        elif rest.lower() in _STAGES:
            stage = _STAGES[rest.lower()]
            live = [v for v in store.model_versions(name) if v.stage == stage and not v.deleted]
            if not live:
                raise errors.RecordNotFoundError(REF_NO_STAGE.format(name=name, stage=stage),
                                                 kind="model_version", name=text)
            mv = max(live, key=lambda v: version_key(v.version))
            how = f"the highest live version of {name} in stage {stage} today (store): {mv.version}"
        else:
            raise errors.UsageError(REF_BAD.format(ref=reference))
        run, logged, gaps = _run_of(store, mv, text)
        return Subject(text, mv, run, logged, registered, how, tuple(gaps))
    m = _RUNS.match(text)
    run_id = m.group("run") if m else (text if _RUN_ID.match(text) and not text.startswith("models:") else None)
    if run_id is None:
        raise errors.UsageError(REF_BAD.format(ref=reference))
    run = store.get_run(run_id)
    logged = tuple(lm for lm in store.logged_models() if lm.source_run_id == run.run_id)
    return Subject(text, None, run, logged, None, f"run {run.run_id}")


def _run_of(store: Connector, mv: ModelVersion, text: str) -> tuple[Run | None, tuple[LoggedModel, ...], list[str]]:
    """The version's run (directly, or through its logged model) and that run's logged models."""
    logged_all = store.logged_models()
    run_id = mv.run_id
    if not run_id and mv.model_id:
        run_id = next((lm.source_run_id for lm in logged_all if lm.model_id == mv.model_id), None)
    run = None
    gaps: list[str] = []
    if run_id:
        try:
            run = store.get_run(run_id)
        except errors.RecordNotFoundError:
            gaps.append(REF_NO_RUN.format(ref=f"model version {mv.name}/{mv.version}", run_id=run_id))
    else:
        gaps.append(f"model version {mv.name}/{mv.version} records no source run")
    own = [lm for lm in logged_all if mv.model_id and lm.model_id == mv.model_id]
    rest = [lm for lm in logged_all if run_id and lm.source_run_id == run_id and lm not in own]
    return run, tuple(own + rest), gaps

"""Read-only connector for Weights & Biases run folders (``wandb/run-*``, ``wandb/offline-run-*``).

Source of truth is each folder's binary run log ``run-<id>.wandb`` (see
:mod:`auditkit.connectors.wandb_log`); current wandb writes nothing else offline. Where an older
wandb left ``files/wandb-metadata.json``, it fills facts the log lacks (the user name).

A run resumed under the same id (``resume="allow"``, e.g. after an HPC preemption) has one
folder per segment; their logs are read in folder order as one run (start of the first segment,
exit and end of the last, config/summary updates applied in order).

Mapping (W&B → auditkit records):

* project → :class:`Experiment` (id and name = the project name);
* run id, display name, notes, tags, config, summary, git, program, host, exit code → :class:`Run`:
  ``params`` = config entries (``_wandb`` left out) as text the way MLflow stores params
  (``str()`` for scalars, JSON for lists and dicts); ``metrics`` = the final summary's numeric
  entries (nested dicts flattened with ``.``; W&B's own ``_step``/``_runtime``/``_timestamp``
  and non-numeric values left out), falling back to a key's last history value where no summary
  record holds it (W&B's summary default; older wandb writes summary records only at exit); ``tags`` = each W&B tag as a key with an empty value, plus
  the recorded facts under MLflow's system tag names (``mlflow.runName``, ``mlflow.note.content``,
  ``mlflow.user``, ``mlflow.source.name``, ``mlflow.source.git.commit``,
  ``mlflow.source.git.repoURL``) and ``wandb.*`` keys (``wandb.job_type``, ``wandb.group``,
  ``wandb.host``, ``wandb.entity``, ``wandb.exit_code``);
  ``status`` = FINISHED (exit record, code 0), FAILED (exit code ≠ 0), RUNNING (no exit record:
  still running, or the process died); ``end_time`` = the later of start + exit runtime and the
  last timestamp in the log, only when an exit record exists;
* artifacts logged (``run.log_artifact``) other than ``model``/``job``/``code``/``wandb-*`` types
  → :class:`DatasetRef` with context ``"output"``; artifacts used (``run.use_artifact``, which
  wandb refuses offline) → context ``"input"``;
* ``model`` artifacts → :class:`ModelVersion` / :class:`RegisteredModel` (name = artifact
  name). Offline, W&B records no version number (the server assigns ``v0``, ``v1``… at sync), so
  the version is derived the way the server numbers them: per artifact name, each new digest in
  logging order (run start time, then log order) gets the next ``vN``; a digest logged again is
  the same version. An alias belongs to the version that last claimed it (as W&B moves aliases).
"""

from __future__ import annotations

import json
import math
import os
import stat
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .. import errors
from ..records import DatasetRef, Experiment, ModelVersion, RegisteredModel, Run, StoreInfo
from .base import Connector, unknown_experiment, unknown_model
from .messages import STORE_PATH_MISSING, WANDB_BAD_TEXT_FILE, WANDB_NO_LOG, WANDB_NO_RUN_RECORD, WANDB_SKIPPED
from .wandb_log import parse_records, read_store_file, record_class, scan_log

#: Deepest nested config/summary key accepted from a run log (wandb writes a few levels).
MAX_NESTING = 64
#: Most bytes read from ``files/wandb-metadata.json`` (wandb writes a few kilobytes).
MAX_METADATA_BYTES = 4 << 20
NOT_A_FOLDER = "{path!r} is not a folder; expected a wandb folder holding run-*/offline-run-* folders"
TOO_DEEP = "(a value nested too deeply to show)"
LOG_REFUSED = "{path!r} was not read: {problem}; skipped it"
LINK_PROBLEM = "it is a symbolic link, and auditkit never follows links in a store"
TIME_OUT_OF_RANGE = (
    "run folder {folder!r}: {what} {value} is outside the dates auditkit can represent "
    "(years 1 to 9999 UTC); left it empty"
)

#: Artifact types that are not datasets (code, jobs, W&B's own bookkeeping) or are models.
NON_DATASET_TYPES = ("model", "job", "code")
RUN_FOLDER_PREFIXES = ("run-", "offline-run-")
#: Audit facts a wandb folder has no place for (each a lineage gap; checked against MLflow's
#: store of the same scenario in tests/test_contract_wandb.py).
WANDB_CANNOT_CARRY = (
    "experiment tags",
    "experiments without runs",
    "deleted experiments",
    "deleted runs",
    "run tag values",
    "git branch",
    "dataset context",
    "dataset schema",
    "dataset source type",
    "dataset digest",
    "registered model description",
    "registered model tags",
    "registered models without versions",
    "version stages",
    "version tags",
    "version status",
    "version times",
    "deleted versions",
    "logged models",
)


class WandbStoreWarning(errors.AuditkitWarning):
    """Part of a wandb folder could not be read and was skipped (the rest was read)."""


@dataclass
class _RunState:
    """Facts gathered from one run's records (several folders when the run was resumed)."""

    run_id: str
    folder: Path
    order: int
    project: str | None = None
    entity: str | None = None
    name: str | None = None
    notes: str | None = None
    group: str | None = None
    job_type: str | None = None
    host: str | None = None
    user: str | None = None
    program: str | None = None
    git_commit: str | None = None
    git_remote: str | None = None
    start: datetime | None = None
    last_seen: datetime | None = None
    exit_code: int | None = None
    runtime: int = 0
    tags: tuple[str, ...] = ()
    config: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    history_last: dict = field(default_factory=dict)  # last logged value per history key
    logged: list = field(default_factory=list)  # ArtifactRecord protobufs, in log order
    logged_when: list = field(default_factory=list)  # (segment start, folder order) of each
    used: list = field(default_factory=list)  # UseArtifactRecord protobufs


@dataclass
class _Loaded:
    runs: list[Run]
    experiments: list[Experiment]
    versions: list[ModelVersion]
    models: list[RegisteredModel]
    log_versions: set[int]
    warnings: list[str]


class WandbConnector(Connector):
    """A ``wandb`` folder holding ``run-*`` / ``offline-run-*`` folders, read-only.

    Raises :class:`~auditkit.errors.StoreError` when the ``wandb`` package (needed to parse the
    protobuf records) is missing, :class:`~auditkit.errors.StoreNotFoundError` for a missing
    folder. Corrupt run logs do not raise: what they held before the damage is read and the rest
    is reported in :meth:`info` ``warnings`` (and via :func:`warnings.warn`).
    """

    backend = "wandb"
    cannot_carry = WANDB_CANNOT_CARRY

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.root = Path(os.path.expanduser(uri))
        if not self.root.is_dir():
            if self.root.exists():
                raise errors.NotAStoreError(NOT_A_FOLDER.format(path=str(self.root)))
            raise errors.StoreNotFoundError(STORE_PATH_MISSING.format(path=str(self.root)))
        record_class()  # fail early, in one line, when wandb is not installed
        self._loaded: _Loaded | None = None

    # -- reads --------------------------------------------------------------------------------
    def info(self) -> StoreInfo:
        data = self._load()
        revision = ",".join(str(v) for v in sorted(data.log_versions)) or None
        counts = {
            "experiments": len(data.experiments),
            "runs": len(data.runs),
            "registered_models": len(data.models),
            "model_versions": len(data.versions),
            "datasets": len({(d.name, d.digest) for r in data.runs for d in r.datasets}),
        }
        return StoreInfo(backend=self.backend, uri=str(self.root), schema_revision=revision,
                         counts=counts, warnings=tuple(data.warnings))

    def experiments(self) -> list[Experiment]:
        return list(self._load().experiments)

    def runs(self, experiment: str | None = None) -> list[Run]:
        data = self._load()
        if experiment is None:
            return list(data.runs)
        names = [e.name for e in data.experiments]
        if experiment not in names:
            raise unknown_experiment(experiment, names)
        return [r for r in data.runs if r.experiment == experiment]

    def registered_models(self) -> list[RegisteredModel]:
        return list(self._load().models)

    def model_versions(self, name: str | None = None) -> list[ModelVersion]:
        data = self._load()
        if name is None:
            return list(data.versions)
        names = [m.name for m in data.models]
        if name not in names:
            raise unknown_model(name, names)
        return [v for v in data.versions if v.name == name]

    # -- loading ------------------------------------------------------------------------------
    def _load(self) -> _Loaded:
        if self._loaded is None:
            self._loaded = _read_store(self.root)
            for message in self._loaded.warnings:
                warnings.warn(message, WandbStoreWarning, stacklevel=3)
        return self._loaded


def _log_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The ``*.wandb`` regular files of a run folder, and a note for each one that is not
    (a symbolic link, FIFO, device…), which is never opened."""
    logs: list[Path] = []
    refused: list[str] = []
    for path in sorted(folder.glob("*.wandb")):
        mode = path.lstat().st_mode
        if stat.S_ISREG(mode):
            logs.append(path)
        elif stat.S_ISLNK(mode):
            refused.append(LOG_REFUSED.format(path=str(path), problem=LINK_PROBLEM))
        else:
            refused.append(LOG_REFUSED.format(path=str(path), problem="it is not a regular file"))
    return logs, refused


def run_folders(root: Path) -> list[Path]:
    """The run folders of a wandb folder, oldest first (symlinks such as ``latest-run`` skipped)."""
    return sorted(
        (p for p in root.iterdir()
         if p.is_dir() and not p.is_symlink() and p.name.startswith(RUN_FOLDER_PREFIXES)),
        key=lambda p: (p.name.split("-run-")[-1] if p.name.startswith("offline-") else p.name[4:], p.name),
    )


def _read_store(root: Path) -> _Loaded:
    states: dict[str, _RunState] = {}
    notes: list[str] = []
    versions: set[int] = set()
    for order, folder in enumerate(run_folders(root)):
        logs, refused = _log_files(folder)
        notes.extend(refused)
        if not logs:
            notes.append(WANDB_NO_LOG.format(path=str(folder)))
            continue
        for path in logs:
            scan = scan_log(path)
            records = parse_records(scan) if scan.version is not None else []
            if scan.version is not None:
                versions.add(scan.version)
            state = _apply_records(records, folder, order, states, notes)
            if scan.error is not None:
                skipped = (f"the rest of that file ({len(records)} records read before it)"
                           if records else "that file")
                notes.append(WANDB_SKIPPED.format(error=str(scan.error), skipped=skipped))
            elif state is None:
                notes.append(WANDB_NO_RUN_RECORD.format(path=str(path)))
            if state is not None:
                notes.extend(_fill_from_metadata(state, folder))
    return _build(list(states.values()), versions, notes)


def _apply_records(
    records: list, folder: Path, order: int, states: dict[str, _RunState], skipped: list[str]
) -> _RunState | None:
    """Fold one log's records into ``states``; what had to be left out is noted in ``skipped``."""
    state: _RunState | None = None
    segment_start: datetime | None = None  # this folder's start: when its artifacts were logged
    for rec in records:
        kind = rec.WhichOneof("record_type")
        if kind == "run":
            run = rec.run
            if run.HasField("start_time"):
                segment_start = _proto_time(run.start_time, "run start_time", folder, skipped)
            state = states.get(run.run_id) or _RunState(run_id=run.run_id, folder=folder, order=order)
            states[run.run_id] = state
            _apply_run(state, run, skipped)
            continue
        if state is None:
            continue  # only the header comes before the run record
        if kind == "config":
            _apply_items(state.config, rec.config.update, rec.config.remove)
        elif kind == "summary":
            _apply_items(state.summary, rec.summary.update, rec.summary.remove)
        elif kind == "history":
            _apply_items(state.history_last, rec.history.item, ())
            _seen(state, _epoch(state.history_last.get("_timestamp"), folder, skipped))
        elif kind == "environment":
            env = rec.environment
            state.user = env.username or state.user
            state.program = env.program or state.program
            state.host = env.host or state.host
            if env.HasField("git"):
                state.git_commit = env.git.commit or state.git_commit
                state.git_remote = env.git.remote_url or state.git_remote
        elif kind == "exit":
            state.exit_code = rec.exit.exit_code
            state.runtime = max(state.runtime, rec.exit.runtime)
        elif kind == "artifact":
            state.logged.append(rec.artifact)
            state.logged_when.append((segment_start, order))
        elif kind == "use_artifact":
            state.used.append(rec.use_artifact)
        elif kind in ("stats", "output_raw", "output"):
            msg = getattr(rec, kind)
            if msg.HasField("timestamp"):
                _seen(state, _proto_time(msg.timestamp, f"{kind} timestamp", folder, skipped))
    return state


def _apply_run(state: _RunState, run: Any, skipped: list[str]) -> None:
    state.project = run.project or state.project
    state.entity = run.entity or state.entity
    state.name = run.display_name or state.name
    state.notes = run.notes or state.notes
    state.group = run.run_group or state.group
    state.job_type = run.job_type or state.job_type
    state.host = run.host or state.host
    if run.tags:
        state.tags = tuple(run.tags)
    if run.HasField("git"):
        state.git_commit = run.git.commit or state.git_commit
        state.git_remote = run.git.remote_url or state.git_remote
    if run.HasField("start_time"):
        start = _proto_time(run.start_time, "run start_time", state.folder, skipped)
        if start is not None:
            state.start = min(state.start, start) if state.start else start
            _seen(state, start)
    _apply_items(state.config, run.config.update, run.config.remove)
    _apply_items(state.summary, run.summary.update, run.summary.remove)


def _apply_items(target: dict, updates: Any, removes: Any) -> None:
    for item in updates:
        path = [item.key] if item.key else list(item.nested_key)
        if not path or len(path) > MAX_NESTING:
            continue  # wandb nests a key a few levels at most; a deeper one is damage
        node = target
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = _item_value(item)
    for item in removes:
        path = [item.key] if item.key else list(item.nested_key)
        node = target
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)


def _item_value(item: Any) -> Any:
    """A config/summary/history item's value: ``value_json``, or a history item's typed value."""
    if item.value_json or not item.DESCRIPTOR.oneofs_by_name.get("value"):
        return _json(item.value_json)
    which = item.WhichOneof("value")
    if which is None or which == "none":
        return None
    value = getattr(item, which)
    return _json(value) if which == "json" else value


def _json(text: str) -> Any:
    """Parsed JSON, or the text itself when it is not JSON (or nested beyond what Python parses)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _epoch(value: Any, folder: Path | None = None, skipped: list[str] | None = None) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):
            if skipped is not None:
                skipped.append(TIME_OUT_OF_RANGE.format(folder=str(folder), what="history _timestamp",
                                                        value=_cut(value)))
    return None


def _proto_time(stamp: Any, what: str, folder: Path, skipped: list[str]) -> datetime | None:
    """A protobuf Timestamp as an aware datetime; ``None`` (noted in ``skipped``) when it lies
    outside years 1-9999."""
    try:
        return stamp.ToDatetime(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        skipped.append(TIME_OUT_OF_RANGE.format(folder=str(folder), what=what,
                                                value=_cut(f"{stamp.seconds} s")))
        return None


def _cut(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:40]}… ({len(text)} characters)"


def _seen(state: _RunState, when: datetime | None) -> None:
    if when is not None and (state.last_seen is None or when > state.last_seen):
        state.last_seen = when


def _fill_from_metadata(state: _RunState, folder: Path) -> list[str]:
    """Facts the log lacks, from ``files/wandb-metadata.json`` (written by older wandb).

    Read like every store file: no links followed, regular files only, at most
    :data:`MAX_METADATA_BYTES`; JSON nested beyond what Python parses is reported, not raised.
    """
    path = folder / "files" / "wandb-metadata.json"
    if (folder / "files").is_symlink():
        return [LOG_REFUSED.format(path=str(folder / "files"), problem=LINK_PROBLEM)]
    if not os.path.lexists(path):
        return []
    try:
        meta = json.loads(read_store_file(path, what="wandb metadata file", cap=MAX_METADATA_BYTES,
                                           name="MAX_METADATA_BYTES").decode("utf-8"))
    except errors.StoreError as exc:
        return [f"{exc}; ignored it"]
    except RecursionError:
        return [WANDB_BAD_TEXT_FILE.format(path=str(path), reason="it is nested too deeply")]
    except ValueError as exc:  # not UTF-8, or not JSON
        return [WANDB_BAD_TEXT_FILE.format(path=str(path), reason=str(exc)[:200])]
    if not isinstance(meta, dict):
        return [WANDB_BAD_TEXT_FILE.format(path=str(path), reason="not a JSON object")]
    git = meta.get("git") if isinstance(meta.get("git"), dict) else {}
    state.user = state.user or _text(meta.get("username"))
    state.program = state.program or _text(meta.get("program"))
    state.host = state.host or _text(meta.get("host"))
    state.git_commit = state.git_commit or _text(git.get("commit"))
    state.git_remote = state.git_remote or _text(git.get("remote"))
    return []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- building records -------------------------------------------------------------------------
def param_text(value: Any) -> str:
    """A config value as MLflow would store the param: ``str()`` for scalars, JSON for nested."""
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value)
        except RecursionError:  # parsed, but too deep to write back out
            return TOO_DEEP
    return str(value)


def summary_metrics(summary: dict, prefix: str = "", *, depth: int = 0) -> dict[str, float]:
    """The numeric entries of a final summary (W&B's ``_``-keys and media dicts left out;
    dicts nested deeper than :data:`MAX_NESTING` are damage and left out too)."""
    out: dict[str, float] = {}
    if depth > MAX_NESTING:
        return out
    for key, value in summary.items():
        if not prefix and key.startswith("_"):
            continue
        name = prefix + key
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            try:
                out[name] = float(value)
            except OverflowError:  # an integer beyond float range is no metric value
                continue
        elif isinstance(value, dict) and "_type" not in value:
            out.update(summary_metrics(value, name + ".", depth=depth + 1))
    return out


def _run_tags(state: _RunState) -> dict[str, str]:
    tags = {label: "" for label in state.tags}
    facts = {
        "mlflow.runName": state.name, "mlflow.note.content": state.notes, "mlflow.user": state.user,
        "mlflow.source.name": state.program, "mlflow.source.git.commit": state.git_commit,
        "mlflow.source.git.repoURL": state.git_remote, "wandb.job_type": state.job_type,
        "wandb.group": state.group, "wandb.host": state.host, "wandb.entity": state.entity,
        "wandb.exit_code": None if state.exit_code is None else str(state.exit_code),
    }
    tags.update({k: v for k, v in facts.items() if v})
    return tags


def _status(state: _RunState) -> str:
    if state.exit_code is None:
        return "RUNNING"
    return "FINISHED" if state.exit_code == 0 else "FAILED"


def _end_time(state: _RunState) -> datetime | None:
    if state.exit_code is None or state.start is None:
        return None
    try:
        end = state.start + timedelta(seconds=state.runtime)
    except OverflowError:  # a damaged runtime: the last time seen is all there is
        return state.last_seen
    return max(end, state.last_seen) if state.last_seen else end


def _artifact_source(art: Any) -> str | None:
    entries = [c.ref or c.path for c in art.manifest.contents]
    return ", ".join(entries) or None


def _rows(metadata: Any) -> int | None:
    if isinstance(metadata, dict):
        for key in ("num_rows", "rows", "n_rows"):
            value = metadata.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def _build(states: list[_RunState], log_versions: set[int], notes: list[str]) -> _Loaded:
    never = datetime.min.replace(tzinfo=timezone.utc)
    states.sort(key=lambda s: (s.start or never, s.order))
    # Number artifact versions the way the W&B server would: per (project, name), new digests
    # in logging order; aliases end up on the version that claimed them last.
    numbering: dict[tuple[str | None, str], dict[str, str]] = {}
    alias_owner: dict[tuple[str | None, str], dict[str, str]] = {}
    first_logger: dict[tuple[str | None, str, str], tuple[_RunState, Any]] = {}
    version_of: dict[int, str] = {}
    logs_in_order = sorted(
        ((when or state.start or never, folder_order, index, state, art)
         for state in states for index, (art, (when, folder_order)) in enumerate(zip(state.logged, state.logged_when))),
        key=lambda t: t[:3])
    for _, _, _, state, art in logs_in_order:
        key = (state.project, art.name)
        digests = numbering.setdefault(key, {})
        version = digests.setdefault(art.digest, f"v{len(digests)}")
        version_of[id(art)] = version
        owners = alias_owner.setdefault(key, {})
        for alias in art.aliases:
            owners[alias] = version
        first_logger.setdefault((state.project, art.name, version), (state, art))

    runs = [_build_run(s, version_of) for s in states]
    runs.sort(key=lambda r: (r.start_time or never), reverse=True)  # newest first, like MLflow
    experiments = _build_experiments(states)
    versions: list[ModelVersion] = []
    models: list[RegisteredModel] = []
    for (project, name), digests in numbering.items():
        logs = [first_logger[(project, name, v)] for v in digests.values()]
        if logs[0][1].type != "model":
            continue
        owners = alias_owner[(project, name)]
        models.append(RegisteredModel(name=name, tags={"wandb.project": project or ""}, aliases=dict(owners)))
        for state, art in logs:
            version = version_of[id(art)]
            versions.append(ModelVersion(
                name=name, version=version, stage=None,
                aliases=tuple(a for a, v in owners.items() if v == version),
                tags={"wandb.digest": art.digest, "wandb.project": project or "", "wandb.type": art.type,
                      **({"wandb.metadata": art.metadata} if art.metadata else {}),
                      **{t: "" for t in art.tags}},
                source=_artifact_source(art), run_id=state.run_id, creator=state.user,
                description=art.description or None,
            ))
    models.sort(key=lambda m: m.name)
    versions.sort(key=lambda v: (v.name, int(v.version[1:])))
    return _Loaded(runs=runs, experiments=experiments, versions=versions, models=models,
                   log_versions=log_versions, warnings=notes)


def _build_run(state: _RunState, version_of: dict[int, str]) -> Run:
    datasets = []
    for art in state.logged:
        if art.type in NON_DATASET_TYPES or art.type.startswith("wandb-"):
            continue
        metadata = _json(art.metadata) if art.metadata else None
        tags = {"wandb.type": art.type, "wandb.version": version_of[id(art)],
                "wandb.aliases": ",".join(art.aliases)}
        if art.description:
            tags["wandb.description"] = art.description
        datasets.append(DatasetRef(name=art.name, digest=art.digest or None, source_type="wandb-artifact",
                                   source=_artifact_source(art), profile=art.metadata or None,
                                   rows=_rows(metadata), context="output", tags=tags))
    for use in state.used:
        name, _, version = use.name.rpartition(":") if ":" in use.name else (use.name, "", "")
        tags = {"wandb.type": use.type, "wandb.artifact_id": use.id}
        if version:
            tags["wandb.version"] = version
        datasets.append(DatasetRef(name=name.rsplit("/", 1)[-1], digest=None, source_type="wandb-artifact",
                                   source=use.name, context="input", tags={k: v for k, v in tags.items() if v}))
    config = {k: v for k, v in state.config.items() if k != "_wandb"}
    return Run(
        run_id=state.run_id, experiment_id=state.project or "", experiment=state.project,
        run_name=state.name, user=state.user, status=_status(state), start_time=state.start,
        end_time=_end_time(state), artifact_uri=(state.folder / "files").resolve().as_uri(),
        params={k: param_text(v) for k, v in config.items()},
        metrics={**summary_metrics(state.history_last), **summary_metrics(state.summary)},
        tags=_run_tags(state), datasets=tuple(datasets),
    )


def _build_experiments(states: list[_RunState]) -> list[Experiment]:
    projects: dict[str, _RunState] = {}
    for state in states:
        if state.project and state.project not in projects:
            projects[state.project] = state
    return [
        Experiment(experiment_id=name, name=name, tags={"wandb.entity": s.entity} if s.entity else {})
        for name, s in sorted(projects.items())
    ]


__all__ = ["WANDB_CANNOT_CARRY", "WandbConnector", "WandbStoreWarning", "param_text", "run_folders", "summary_metrics"]

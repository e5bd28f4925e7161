"""Model artifacts of a registered version: where they are, and their bytes, each file hashed.

A version's model files (``MLmodel``, the model file, ``conda.yaml``, ``python_env.yaml``,
``requirements.txt``, …) are read through an :class:`~auditkit.connectors.artifacts.ArtifactSource`
(the interface lives with the connectors so a connector can implement it): the local one for a
folder or a ``file:`` URI; a store whose artifacts live behind a server plugs in by offering
``artifact_source(uri) -> ArtifactSource | None`` on its connector. Every file read is SHA-256 hashed and
the hashes go into the evidence, so what was loaded is what was hashed.

Where the files are (:func:`artifact_location`): an MLflow 3 version's logged model
(``models:/m-…`` → the logged model's ``artifact_location``), a ``runs:/RUN_ID/PATH`` source
(the run's ``artifact_uri`` + PATH), or the version's ``source`` itself. ``--artifact-root
OLD=NEW`` rewrites a location's prefix, for stores whose artifacts moved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence
from urllib.parse import urlparse

import yaml

from .. import safeyaml
from ..connectors.artifacts import ArtifactSource, LocalArtifactSource, local_path
from ..errors import UsageError
from ..provenance import Resolution
from .messages import (
    EXPLAIN_BAD_ROOT,
    GAP_BAD_MLMODEL,
    GAP_LOCATION_MISSING,
    GAP_NO_LOCATION,
    GAP_NO_MLMODEL,
    GAP_REMOTE_LOCATION,
)


def parse_artifact_roots(values: Sequence[str] | Mapping[str, str] | None) -> list[tuple[str, str]]:
    """``["OLD=NEW", …]`` (or a mapping) as ``[(old, new)]``, longest prefix first.

    Raises :class:`~auditkit.errors.UsageError` for an item that is not ``OLD=NEW``."""
    if not values:
        return []
    items = list(values.items()) if isinstance(values, Mapping) else []
    if not isinstance(values, Mapping):
        for value in values:
            old, eq, new = str(value).partition("=")
            if not eq or not old or not new:
                raise UsageError(EXPLAIN_BAD_ROOT.format(value=value))
            items.append((old, new))
    return sorted(items, key=lambda kv: len(kv[0]), reverse=True)


def remap(uri: str, roots: Sequence[tuple[str, str]]) -> str:
    """``uri`` with the first (longest) matching OLD prefix replaced by NEW."""
    for old, new in roots:
        if uri.startswith(old):
            rest = uri[len(old):]
            if new.endswith("/") or not rest or rest.startswith("/"):
                return new + rest
            return new + "/" + rest
    return uri


def artifact_location(res: Resolution) -> tuple[str | None, str]:
    """Where a resolved version's model files are, and which record says so."""
    mv, lm, run = res.version, res.logged_model, res.run
    ref = f"{mv.name}/{mv.version}" if mv is not None else "the decision's model"
    source = (mv.source if mv is not None else None) or ""
    if lm is not None and lm.artifact_location and (not source or source.startswith("models:/")
                                                    or mv is None or not mv.source):
        return lm.artifact_location, f"logged model {lm.model_id} (artifact_location), the source of {ref}"
    if source.startswith("runs:/"):
        run_id, _, path = source[len("runs:/"):].partition("/")
        if run is not None and run.run_id == run_id and run.artifact_uri:
            return run.artifact_uri.rstrip("/") + "/" + path, f"run {run_id} artifact_uri + {path!r} ({ref} source)"
        return None, f"model version {ref} (source {source})"
    if source and not source.startswith("models:/"):
        return source, f"model version {ref} (source)"
    return None, f"model version {ref}"


@dataclass
class Artifact:
    """A model's files as read: location, the MLmodel document, bytes and SHA-256 of each file."""

    uri: str | None
    evidence: str
    mlmodel: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)

    def file(self, relpath: str) -> bytes | None:
        """Bytes of one file of the model folder (``None`` when it has no such file)."""
        return self.files.get(relpath.lstrip("./").replace("\\", "/")) if relpath else None


def read_artifact(res: Resolution, *, store: Any = None,
                  roots: Sequence[tuple[str, str]] = ()) -> Artifact:
    """Read every file of the resolved version's model folder, hashing each.

    Never raises for a missing or unreadable location: the :class:`Artifact` then carries the
    gap sentence saying what is missing and how to allow it."""
    mv = res.version
    ref = f"{mv.name}/{mv.version}" if mv is not None else "the decision's model"
    logged, evidence = artifact_location(res)
    if logged is None:
        return Artifact(None, evidence, gaps=[GAP_NO_LOCATION.format(ref=ref)])
    uri = remap(logged, roots)
    if uri != logged:
        evidence += f", mapped by --artifact-root from {logged}"
    source = open_source(uri, store=store)
    art = Artifact(uri, evidence)
    if source is None:
        scheme = urlparse(uri).scheme + ":" if urlparse(uri).scheme else uri
        art.gaps.append(GAP_REMOTE_LOCATION.format(ref=ref, uri=uri, scheme=scheme + "/" if scheme.endswith(":") else scheme))
        return art
    if not source.exists():
        art.gaps.append(GAP_LOCATION_MISSING.format(ref=ref, uri=uri))
        return art
    try:
        names = source.list_files()
        for name in names:
            data = source.read_bytes(name)
            art.files[name] = data
            art.sha256[name] = hashlib.sha256(data).hexdigest()
    except OSError as exc:
        art.gaps.append(GAP_LOCATION_MISSING.format(ref=ref, uri=f"{uri} ({exc.strerror or exc})"))
        return art
    if "MLmodel" not in art.files:
        art.gaps.append(GAP_NO_MLMODEL.format(ref=ref, uri=uri))
        return art
    try:
        doc = safeyaml.load(art.files["MLmodel"].decode("utf-8"))  # bounded: untrusted store input
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        art.gaps.append(GAP_BAD_MLMODEL.format(ref=ref, why=str(exc).splitlines()[0]))
        return art
    if not isinstance(doc, dict):
        art.gaps.append(GAP_BAD_MLMODEL.format(ref=ref, why="not a mapping"))
        return art
    art.mlmodel = doc
    return art


def open_source(uri: str, *, store: Any = None) -> ArtifactSource | None:
    """The :class:`ArtifactSource` for a location: the store's own (when its connector offers
    ``artifact_source``), else a local folder for a path or ``file:`` URI; ``None`` otherwise."""
    offer = getattr(store, "artifact_source", None)
    if callable(offer):
        found = offer(uri)
        if found is not None:
            return found
    path = local_path(uri)
    return None if path is None else LocalArtifactSource(path, uri)

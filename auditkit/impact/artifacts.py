"""The environment and signature a model's artifacts record, read from a local artifact folder.

MLflow writes beside every logged model ``MLmodel`` (flavors, Python version, signature),
``requirements.txt``, ``conda.yaml`` and ``python_env.yaml``. When the artifact location is a local
path or a ``file:`` URI these files are read (never written), each with its SHA-256; otherwise
the environment is what the tracker recorded in run tags (``*.python_version``,
``*.installed_packages``), and a gap says the artifacts were not at hand.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import safeyaml
from ..connectors.artifacts import local_path
from ..records import LoggedModel, ModelVersion, Run

#: The files read from a model's artifact folder, in this order.
ENV_FILES = ("MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml")
#: Largest file read (bytes): these files are small; anything larger is not what MLflow wrote.
MAX_BYTES = 2_000_000
_REQ = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?P<spec>.*?)\s*$")

GAP_NOT_LOCAL = ("the model artifacts of {label} are at {location}, not a local path or file: URI; "
                 "environment and signature taken from what the tracker recorded")
GAP_NO_LOCATION = "{label} records no model artifact location; environment taken from what the tracker recorded"
GAP_MISSING_FOLDER = "the model artifact folder {location} of {label} is not on this machine"
GAP_NO_ENV = "no environment recorded for {label}: no requirements.txt, conda.yaml or python_env.yaml, no tracker record"
GAP_NO_PYTHON = "no Python version recorded for {label}"
GAP_NO_SIGNATURE = "no model signature recorded for {label} (MLmodel has no signature)"


@dataclass(frozen=True)
class Environment:
    """What the artifacts (or the tracker) record about how a model was built."""

    location: str | None
    python: str | None
    packages: dict[str, str] = field(default_factory=dict)
    requirements: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    signature: dict[str, Any] | None = None
    flavors: tuple[str, ...] = ()
    evidence: str | None = None
    gaps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "python": self.python, "packages": dict(self.packages),
                "requirements": list(self.requirements), "files": dict(self.files),
                "flavors": list(self.flavors), "evidence": self.evidence}


def artifact_location(version: ModelVersion | None, run: Run | None,
                      logged: tuple[LoggedModel, ...]) -> str | None:
    """Where the model's files are: the version's logged model, its ``runs:/`` source, its
    source path, or the run's own logged model."""
    by_id = {lm.model_id: lm for lm in logged}
    if version is not None:
        source = version.source or ""
        if version.model_id and version.model_id in by_id and by_id[version.model_id].artifact_location:
            return by_id[version.model_id].artifact_location
        m = re.match(r"^models:/(m-[^/]+)", source)
        if m and m.group(1) in by_id:
            return by_id[m.group(1)].artifact_location
        m = re.match(r"^runs:/([^/]+)/(.*)$", source)
        if m and run is not None and run.artifact_uri:
            return run.artifact_uri.rstrip("/") + "/" + m.group(2)
        if source and not source.startswith(("models:", "runs:")):
            return source
    located = [lm.artifact_location for lm in logged if lm.artifact_location]
    if located:
        return located[0]
    return None


def _read(path: Path) -> bytes | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


def parse_requirement(line: str) -> tuple[str, str] | None:
    """``("scikit-learn", "==1.5.2")`` for a requirements line; ``None`` for comments and options."""
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith("-"):
        return None
    m = _REQ.match(text)
    if not m:
        return None
    return m.group("name").lower().replace("_", "-"), m.group("spec").strip()


def read_environment(*, label: str, version: ModelVersion | None, run: Run | None,
                     logged: tuple[LoggedModel, ...]) -> Environment:
    """The environment of ``label`` (``credit/3``, ``run …``): from its local artifact files, else
    from the tracker's run tags. Reads only; never fails on a missing or odd file (a gap says so)."""
    import yaml  # PyYAML: loaded only to read the model's YAML files

    location = artifact_location(version, run, logged)
    folder = local_path(location)
    gaps: list[str] = []
    files: dict[str, str] = {}
    texts: dict[str, str] = {}
    if location is None:
        gaps.append(GAP_NO_LOCATION.format(label=label))
    elif folder is None:
        gaps.append(GAP_NOT_LOCAL.format(label=label, location=location))
    elif not folder.is_dir():
        gaps.append(GAP_MISSING_FOLDER.format(label=label, location=location))
    else:
        for name in ENV_FILES:
            data = _read(folder / name)
            if data is not None:
                files[name] = hashlib.sha256(data).hexdigest()
                texts[name] = data.decode("utf-8", "replace")
    python = None
    signature = None
    flavors: tuple[str, ...] = ()
    requirements: list[str] = []
    evidence_parts: list[str] = []
    if "MLmodel" in texts:
        doc = _yaml(yaml, texts["MLmodel"])
        flav = doc.get("flavors") if isinstance(doc.get("flavors"), dict) else {}
        flavors = tuple(sorted(flav))
        pyfunc = flav.get("python_function") if isinstance(flav.get("python_function"), dict) else {}
        python = _text(pyfunc.get("python_version"))
        signature = _signature(doc.get("signature"))
    if "python_env.yaml" in texts:
        doc = _yaml(yaml, texts["python_env.yaml"])
        python = _text(doc.get("python")) or python
    if "conda.yaml" in texts:
        doc = _yaml(yaml, texts["conda.yaml"])
        for dep in doc.get("dependencies") or []:
            if isinstance(dep, str) and dep.replace(" ", "").startswith("python="):
                python = python or dep.split("=", 1)[1].strip()
            elif isinstance(dep, dict) and isinstance(dep.get("pip"), list) and "requirements.txt" not in texts:
                requirements.extend(str(p) for p in dep["pip"])
    if "requirements.txt" in texts:
        requirements = [ln.strip() for ln in texts["requirements.txt"].splitlines()
                        if ln.strip() and not ln.strip().startswith("#")]
    if files:
        evidence_parts.append(f"files {', '.join(files)} in {location}")
    packages: dict[str, str] = {}
    for line in requirements:
        parsed = parse_requirement(line)
        if parsed is not None:
            packages[parsed[0]] = parsed[1]
    if run is not None and (python is None or not packages):
        tracked_python, tracked_packages, tag_names = _tracked(run)
        if python is None and tracked_python:
            python = tracked_python
        if not packages and tracked_packages:
            requirements = tracked_packages
            packages = {p[0]: p[1] for p in map(parse_requirement, tracked_packages) if p is not None}
        if tag_names:
            evidence_parts.append(f"run {run.run_id} tags {', '.join(tag_names)}")
    if not packages and python is None:
        gaps.append(GAP_NO_ENV.format(label=label))
    elif python is None:
        gaps.append(GAP_NO_PYTHON.format(label=label))
    if "MLmodel" in texts and signature is None:
        gaps.append(GAP_NO_SIGNATURE.format(label=label))
    return Environment(location=location, python=python, packages=dict(sorted(packages.items())),
                       requirements=tuple(requirements), files=files, signature=signature, flavors=flavors,
                       evidence="; ".join(evidence_parts) or None, gaps=tuple(gaps))


def _tracked(run: Run) -> tuple[str | None, list[str], list[str]]:
    """Python version and packages a tracker recorded in run tags (Comet, Neptune, …)."""
    python, packages, names = None, [], []
    for key in sorted(run.tags):
        value = run.tags[key]
        if key.endswith("python_version") and value:
            python, names = python or str(value), names + [key]
        elif key.endswith("installed_packages") and value:
            packages, names = [ln.strip() for ln in str(value).splitlines() if ln.strip()], names + [key]
    return python, packages, names


def _yaml(yaml: Any, text: str) -> dict[str, Any]:
    try:
        doc = safeyaml.load(text)  # bounded: an MLmodel from a store is untrusted input
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _signature(value: Any) -> dict[str, Any] | None:
    """MLmodel's signature with its JSON-encoded parts decoded: inputs, outputs, params."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for part in ("inputs", "outputs", "params"):
        raw = value.get(part)
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                pass
        out[part] = raw
    return out

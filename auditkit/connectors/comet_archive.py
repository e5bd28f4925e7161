"""Reader for one Comet offline archive (the zip ``OfflineExperiment`` leaves), in memory.

An archive holds ``experiment.json`` (offline id, project, workspace, start/stop times in epoch
milliseconds, tags, whether the script crashed: ``customer_error_reported``), ``messages.json``
(one JSON object per line, ``{"type", "payload"}``) and the files uploaded (named in
``file_upload`` messages). Nothing is extracted to disk.

Two message layouts exist, both read here and normalized to the current one:

* current comet-ml (3.34 and later): each kind has its own ``type`` — ``parameter_msg``,
  ``metric_msg``, ``log_other`` (``key``/``value``), ``system_details``, ``git_metadata``,
  ``installed_packages``, ``os_packages``, ``file_upload``, ``register_model``, … — and a
  ``message_id``;
* older comet-ml (to 3.33.x): ``parameter_msg``, ``metric_msg``, ``file_upload`` and
  ``register_model`` as above, everything else wrapped in a ``ws_msg`` envelope whose one non-null
  field names the kind, with other key names: ``log_other`` ``{key, val}``, ``env_details``
  (system details), ``git_meta``, ``installed_packages``, ``os_packages``, ``log_dependency``,
  ``log_system_info``, ``stdout``, ``fileName``, ``html``, ``graph``, ``code`` — and, before
  comet-ml had ``metric_msg``/``parameter_msg`` (3.2x and older), ``metric``, ``param`` and
  ``params`` too.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import errors

NOT_A_ZIP = "{path!r} is not a readable zip archive (expected a Comet offline experiment zip): {reason}"
MISSING_MEMBER = ("{path!r} holds no {member} (expected a Comet offline experiment zip with experiment.json "
                  "and messages.json)")
BAD_EXPERIMENT_JSON = "{path!r} experiment.json is not a JSON object as comet-ml writes it: {reason}"
BAD_MESSAGE_LINE = "{path!r} messages.json line {line} is not a JSON message {{\"type\", \"payload\"}}: {reason}"

#: ``ws_msg`` envelope fields (comet-ml ≤ 3.33) → the current message type they became.
WS_FIELDS = {
    "metric": "metric_msg", "param": "parameter_msg", "params": "parameter_msg",
    "log_other": "log_other", "env_details": "system_details", "git_meta": "git_metadata",
    "installed_packages": "installed_packages", "os_packages": "os_packages",
    "log_dependency": "log_dependency", "log_system_info": "system_info", "stdout": "standard_output",
    "fileName": "file_name", "html": "html", "htmlOverride": "htmlOverride", "graph": "graph",
    "code": "code", "gpu_static_info": "gpu_static_info",
}


@dataclass
class Archive:
    """One offline experiment: ``experiment.json`` and its messages, normalized (see module doc)."""

    path: Path
    experiment: dict[str, Any]
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (type, payload)
    layouts: set[str] = field(default_factory=set)  # "message_id" (current), "ws_msg" (≤ 3.33)


def read_archive(path: Path) -> Archive:
    """Read ``path`` in memory. Raises :class:`~auditkit.errors.StoreError` (one line naming the
    zip and what was expected) for a corrupt zip, a missing member or a malformed line."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            for member in ("experiment.json", "messages.json"):
                if member not in names:
                    raise errors.StoreError(MISSING_MEMBER.format(path=str(path), member=member))
            meta_bytes = zf.read("experiment.json")
            message_bytes = zf.read("messages.json")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise errors.StoreError(NOT_A_ZIP.format(path=str(path), reason=str(exc) or type(exc).__name__)) from None
    try:
        meta = json.loads(meta_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.StoreError(BAD_EXPERIMENT_JSON.format(path=str(path), reason=str(exc))) from None
    if not isinstance(meta, dict):
        raise errors.StoreError(BAD_EXPERIMENT_JSON.format(path=str(path), reason="not an object"))
    archive = Archive(path=path, experiment=meta)
    try:
        text = message_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.StoreError(BAD_MESSAGE_LINE.format(path=str(path), line=1, reason=str(exc))) from None
    for kind, payload in _messages(text, path):
        if kind == "ws_msg":
            archive.layouts.add("ws_msg")
            archive.messages.extend(_unwrap(payload))
        else:
            if "message_id" in payload:
                archive.layouts.add("message_id")
            archive.messages.append((kind, payload))
    return archive


def _messages(text: str, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The ``(type, payload)`` of every line. All lines are parsed in one ``json.loads`` (a JSON
    array of them); only when that fails is each line parsed alone, to name the bad one. The OS
    package list (hundreds of entries, not read) is skipped when its line is complete."""
    lines = [line for line in text.splitlines() if line.strip()]
    cheap = [_OS_PACKAGES_STUB if _is_os_packages(line) else line for line in lines]
    try:
        parsed = json.loads("[" + ",".join(cheap) + "]")
    except ValueError:
        parsed = None
    if parsed is None or len(parsed) != len(lines):  # find and name the bad line
        parsed = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                parsed.append(json.loads(line))
            except ValueError as exc:
                raise errors.StoreError(BAD_MESSAGE_LINE.format(path=str(path), line=number, reason=str(exc))) from None
    out = []
    for number, message in enumerate(parsed, start=1):
        if not isinstance(message, dict) or not isinstance(message.get("type"), str) \
                or not isinstance(message.get("payload"), dict):
            raise errors.StoreError(BAD_MESSAGE_LINE.format(
                path=str(path), line=number, reason="no string 'type' and object 'payload'"))
        out.append((message["type"], message["payload"]))
    return out


_OS_PACKAGES_STUB = '{"type": "os_packages", "payload": {}}'


def _is_os_packages(line: str) -> bool:
    """A complete ``os_packages`` line, current (``"type": "os_packages"}``) or ≤ 3.33 (``ws_msg``)."""
    head, tail = line[:120].replace(" ", ""), line[-40:].replace(" ", "")
    return '"os_packages":[' in head and tail.endswith(('"type":"os_packages"}', '"type":"ws_msg"}'))


def _unwrap(payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The current-layout messages a ``ws_msg`` envelope carries."""
    out = []
    for name, kind in WS_FIELDS.items():
        value = payload.get(name)
        if value is None:
            continue
        if name in ("metric", "param", "params") and isinstance(value, dict):  # comet-ml ≤ 3.2x
            body = dict(value)
            if name == "params":  # a list-valued parameter
                body["paramValue"] = value.get("paramValue")
            out.append(("metric_msg" if name == "metric" else "parameter_msg",
                        {"metric" if name == "metric" else "param": body,
                         "local_timestamp": payload.get("local_timestamp")}))
        elif name == "log_other" and isinstance(value, dict):
            out.append((kind, {"key": value.get("key"), "value": value.get("val")}))
        elif name in ("env_details",) and isinstance(value, dict):
            out.append((kind, dict(value)))
        elif name == "git_meta":
            out.append((kind, {"git_metadata": value}))
        elif name == "fileName":
            out.append((kind, {"file_name": value}))
        else:
            out.append((kind, {name: value}))
    return out


__all__ = ["Archive", "WS_FIELDS", "read_archive"]

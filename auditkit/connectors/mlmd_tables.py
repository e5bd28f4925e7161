"""The tables of an ML Metadata (MLMD) database, read read-only into plain Python rows.

MLMD keeps everything in fixed tables (``Type``, ``Artifact``, ``ArtifactProperty``,
``Execution``, ``ExecutionProperty``, ``Context``, ``ContextProperty``, ``Event``, ``EventPath``,
``Association``, ``Attribution``, ``ParentContext``, ``MLMDEnv``). The C++ library creates them
unquoted (lower case on PostgreSQL); the Kubeflow Model Registry's own migrations quote them
(``"Artifact"``), so names are matched case-insensitively. Property values sit in typed columns;
a ``google.protobuf.Struct`` is stored as text ``mlmd-struct::<base64 of the serialized
Struct>`` and decoded here without protobuf (a small wire-format reader).

Schema versions 6 to 10 (ml-metadata 0.2x to 1.17, Kubeflow Pipelines 1.x/2.x, Model Registry)
are read; older ones lack tables this module needs and are refused by name.
"""

from __future__ import annotations

import base64
import json
import struct as _struct
from dataclasses import dataclass, field
from typing import Any

from .. import errors
from .messages import SERVER_UNREACHABLE

#: Tables every MLMD database has; without them a database is not an MLMD store.
REQUIRED_TABLES = ("Type", "Artifact", "Execution", "Context", "Event", "Association", "Attribution",
                   "ArtifactProperty", "ExecutionProperty", "ContextProperty", "MLMDEnv")
#: Read when present (ParentContext from schema 6 on; EventPath may be empty).
OPTIONAL_TABLES = ("ParentContext", "EventPath")
#: MLMD schema versions read (``MLMDEnv.schema_version``).
KNOWN_SCHEMA_VERSIONS = range(6, 11)
#: Prefix MLMD puts before a base64-serialized ``google.protobuf.Struct`` stored as text.
STRUCT_PREFIX = "mlmd-struct::"
#: Tables of the Kubeflow Pipelines API server database (``mlpipeline``), which is not MLMD.
KFP_API_TABLES = ("run_details", "pipelines", "pipeline_versions", "tasks")

NOT_MLMD = ("{where} is not an ML Metadata database: it lacks the tables {missing} (found: {found}); "
            "expected the MLMD tables Type, Artifact, Execution, Context, Event, … (Kubeflow metadb)")
KFP_API_DB = ("{where} is the Kubeflow Pipelines API server database (tables {tables}), not ML Metadata; "
              "auditkit reads KFP runs from the MLMD database (metadb) — KFP releases that keep artifacts "
              "in the API server's own artifacts/artifact_tasks tables (MLMD removal) are not supported")
OLD_SCHEMA = ("{where} holds ML Metadata schema version {version}, older than the versions auditkit reads "
              "({first}–{last}); upgrade it with ml-metadata's migration (enable_upgrade_migration) first")
NEW_SCHEMA = "ML Metadata schema version {version} is newer than the versions auditkit knows ({first}–{last}); read on a best-effort basis"
NOT_SQLITE = "{path} is not an SQLite database (expected an ML Metadata store such as metadata.sqlite)"
NO_SCHEMA_VERSION = "{where} has an empty MLMDEnv table: the ML Metadata schema version is not recorded"

#: Event types (ml_metadata Event.Type) by number.
EVENT_TYPES = {0: "UNKNOWN", 1: "DECLARED_OUTPUT", 2: "DECLARED_INPUT", 3: "INPUT", 4: "OUTPUT",
               5: "INTERNAL_INPUT", 6: "INTERNAL_OUTPUT", 7: "PENDING_OUTPUT"}
EXECUTION_STATES = {0: "UNKNOWN", 1: "NEW", 2: "RUNNING", 3: "COMPLETE", 4: "FAILED", 5: "CACHED", 6: "CANCELED"}
ARTIFACT_STATES = {0: "UNKNOWN", 1: "PENDING", 2: "LIVE", 3: "MARKED_FOR_DELETION", 4: "DELETED",
                   5: "ABANDONED", 6: "REFERENCE"}
TYPE_KINDS = {0: "execution", 1: "artifact", 2: "context"}


@dataclass
class Node:
    """One artifact, execution or context with its type name and properties."""

    id: int
    type: str
    name: str | None
    create_ms: int | None
    update_ms: int | None
    properties: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    uri: str | None = None
    state: str | None = None
    external_id: str | None = None

    def prop(self, name: str) -> Any:
        """A property by name: the typed property, else the custom property of that name."""
        value = self.properties.get(name)
        return self.custom.get(name) if value is None else value


@dataclass
class Event:
    artifact_id: int
    execution_id: int
    type: str
    keys: tuple[str, ...]
    ms: int | None


@dataclass
class Tables:
    """A whole MLMD database in memory, indexed the way the Kubeflow mapping walks it."""

    schema_version: int | None
    artifacts: dict[int, Node]
    executions: dict[int, Node]
    contexts: dict[int, Node]
    events: list[Event]
    attributions: dict[int, list[int]]  # context id -> artifact ids
    associations: dict[int, list[int]]  # context id -> execution ids
    parents: dict[int, list[int]]  # child context id -> parent context ids
    types: dict[int, tuple[str, str]]  # type id -> (kind, name)
    events_by_execution: dict[int, list[Event]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for ev in self.events:
            self.events_by_execution.setdefault(ev.execution_id, []).append(ev)

    def contexts_of_type(self, *names: str) -> list[Node]:
        return [c for c in self.contexts.values() if c.type in names]


def read_tables(engine: Any, where: str) -> tuple[Tables, list[str]]:
    """Read every MLMD table of ``engine``; returns the tables and warnings.

    Raises :class:`~auditkit.errors.NotAStoreError` (not MLMD, the KFP API server database, a
    too-old schema, not a database) or :class:`~auditkit.errors.StoreNotFoundError` (server
    does not answer).
    """
    import sqlalchemy as sa  # heavy: loaded on first use

    try:
        with engine.connect() as conn:
            names = {n.lower(): n for n in sa.inspect(conn).get_table_names()}
            _check_tables(names, where)
            rows = {t: _rows(conn, names[t.lower()]) for t in REQUIRED_TABLES + OPTIONAL_TABLES
                    if t.lower() in names}
    except errors.AuditkitError:
        raise
    except sa.exc.DatabaseError as exc:
        if engine.dialect.name == "sqlite":
            raise errors.NotAStoreError(NOT_SQLITE.format(path=where)) from None
        reason = first_line(exc.orig if getattr(exc, "orig", None) else exc)
        raise errors.StoreNotFoundError(SERVER_UNREACHABLE.format(where=where, reason=reason)) from None
    except sa.exc.SQLAlchemyError as exc:
        raise errors.StoreError(f"cannot read {where}: {first_line(exc)}") from None
    notes: list[str] = []
    version = _schema_version(rows["MLMDEnv"], where, notes)
    return _index(rows, version), notes


def _check_tables(names: dict[str, str], where: str) -> None:
    missing = [t for t in REQUIRED_TABLES if t.lower() not in names]
    if not missing:
        return
    kfp = [t for t in KFP_API_TABLES if t in names]
    if len(kfp) >= 2:
        raise errors.NotAStoreError(KFP_API_DB.format(where=where, tables=", ".join(kfp)))
    found = errors.choices(sorted(names.values())) if names else "no tables"
    raise errors.NotAStoreError(NOT_MLMD.format(where=where, missing=", ".join(missing), found=found))


def _rows(conn: Any, table: str) -> list[dict[str, Any]]:
    # Plain DBAPI cursor on the (read-only) connection: SQLAlchemy's row objects cost more than
    # the query on large stores. Column names are lower case in every MLMD dialect; the table
    # name is quoted as stored.
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute("SELECT * FROM " + conn.dialect.identifier_preparer.quote_identifier(table))
        keys = [d[0].lower() for d in cursor.description]
        return [dict(zip(keys, row)) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _schema_version(rows: list[dict[str, Any]], where: str, notes: list[str]) -> int | None:
    values = [r.get("schema_version") for r in rows if r.get("schema_version") is not None]
    if not values:
        notes.append(NO_SCHEMA_VERSION.format(where=where))
        return None
    version = int(max(values))
    first, last = KNOWN_SCHEMA_VERSIONS[0], KNOWN_SCHEMA_VERSIONS[-1]
    if version < first:
        raise errors.NotAStoreError(OLD_SCHEMA.format(where=where, version=version, first=first, last=last))
    if version > last:
        notes.append(NEW_SCHEMA.format(version=version, first=first, last=last))
    return version


def _index(rows: dict[str, list[dict[str, Any]]], version: int | None) -> Tables:
    types = {int(r["id"]): (TYPE_KINDS.get(r.get("type_kind"), "?"), r["name"]) for r in rows["Type"]}

    def nodes(table: str, key: str) -> dict[int, Node]:
        out = {}
        for r in rows[table]:
            node = Node(id=int(r["id"]), type=types.get(int(r["type_id"]), ("?", "?"))[1], name=r.get("name"),
                        create_ms=r.get("create_time_since_epoch"), update_ms=r.get("last_update_time_since_epoch"),
                        uri=r.get("uri"), external_id=r.get("external_id"))
            if table == "Artifact":
                node.state = ARTIFACT_STATES.get(r.get("state"))
            elif table == "Execution":
                node.state = EXECUTION_STATES.get(r.get("last_known_state"))
            out[node.id] = node
        for p in rows[table + "Property"]:
            node = out.get(int(p[key]))
            if node is not None:
                target = node.custom if p.get("is_custom_property") else node.properties
                target[p["name"]] = property_value(p)
        return out

    steps: dict[int, list[tuple[int, str]]] = {}
    for s in rows.get("EventPath", []):
        if s.get("step_key") is not None:
            steps.setdefault(int(s["event_id"]), []).append((s.get("step_index") or 0, s["step_key"]))
    events = [Event(artifact_id=int(e["artifact_id"]), execution_id=int(e["execution_id"]),
                    type=EVENT_TYPES.get(e.get("type"), "UNKNOWN"),
                    keys=tuple(k for _, k in sorted(steps.get(int(e["id"]), []))), ms=e.get("milliseconds_since_epoch"))
              for e in sorted(rows["Event"], key=lambda e: e["id"])]
    attributions: dict[int, list[int]] = {}
    for r in sorted(rows["Attribution"], key=lambda r: r["id"]):
        attributions.setdefault(int(r["context_id"]), []).append(int(r["artifact_id"]))
    associations: dict[int, list[int]] = {}
    for r in sorted(rows["Association"], key=lambda r: r["id"]):
        associations.setdefault(int(r["context_id"]), []).append(int(r["execution_id"]))
    parents: dict[int, list[int]] = {}
    for r in rows.get("ParentContext", []):
        parents.setdefault(int(r["context_id"]), []).append(int(r["parent_context_id"]))
    return Tables(schema_version=version, artifacts=nodes("Artifact", "artifact_id"),
                  executions=nodes("Execution", "execution_id"), contexts=nodes("Context", "context_id"),
                  events=events, attributions=attributions, associations=associations, parents=parents,
                  types=types)


# -- helpers shared by the Kubeflow mappings ------------------------------------------------------
def param_text(value: Any) -> str:
    """A property value as MLflow stores a param: integral numbers without ``.0``, JSON for
    structs and lists."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


def number(value: Any) -> float | None:
    """A numeric property value as float; ``None`` for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def owned_name(node: Node, owner_id: int | None) -> str:
    """The user-facing name of a Model Registry entity named ``<owner id>:<name>``."""
    name = node.name or ""
    prefix, sep, rest = name.partition(":")
    if sep and (owner_id is None or prefix == str(owner_id)):
        return rest
    return name


def parent_of(t: Tables, node: Node, type_name: str) -> Node | None:
    """The parent context of ``node`` (``ParentContext``) of type ``type_name``, if any."""
    for pid in t.parents.get(node.id, []):
        parent = t.contexts.get(pid)
        if parent is not None and parent.type == type_name:
            return parent
    return None


def row_count(values: dict[str, Any]) -> int | None:
    """A row count recorded as ``num_rows``, ``rows`` or ``n_rows``; ``None`` when none is."""
    for key in ("num_rows", "rows", "n_rows"):
        v = values.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (driver errors run over several lines)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def property_value(row: dict[str, Any]) -> Any:
    """The value of one ``*Property`` row: int, double, string (a struct decoded), bool, or the
    type URL of a packed proto (``proto:<type url>``); ``None`` when every column is empty."""
    for column in ("int_value", "double_value", "bool_value"):
        value = row.get(column)
        if value is not None:
            if column == "bool_value":
                return bool(value)
            return int(value) if column == "int_value" else float(value)
    text = row.get("string_value")
    if text is not None:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", "replace")
        if text.startswith(STRUCT_PREFIX):
            try:
                return decode_struct(base64.b64decode(text[len(STRUCT_PREFIX):]))
            except (ValueError, IndexError, _struct.error):
                return text
        return text
    blob = row.get("proto_value")
    if blob is not None:
        try:
            fields = _fields(bytes(blob))
            return "proto:" + next(v for n, _, v in fields if n == 1).decode("utf-8")
        except (ValueError, IndexError, StopIteration, _struct.error):
            return None
    blob = row.get("byte_value")
    return bytes(blob).hex() if blob is not None else None


# -- google.protobuf.Struct, decoded from its wire format --------------------------------------
def decode_struct(data: bytes) -> dict[str, Any]:
    """A serialized ``google.protobuf.Struct`` as a dict (numbers are floats, as in protobuf)."""
    out: dict[str, Any] = {}
    for number, _, entry in _fields(data):
        if number != 1:
            continue
        key, value = "", None
        for n, _, v in _fields(entry):
            if n == 1:
                key = v.decode("utf-8")
            elif n == 2:
                value = _decode_value(v)
        out[key] = value
    return out


def _decode_value(data: bytes) -> Any:
    value: Any = None
    for number, wire, v in _fields(data):
        if number == 1:
            value = None
        elif number == 2:
            value = _struct.unpack("<d", v)[0]
        elif number == 3:
            value = v.decode("utf-8")
        elif number == 4:
            value = bool(v)
        elif number == 5:
            value = decode_struct(v)
        elif number == 6:
            value = [_decode_value(item) for n, _, item in _fields(v) if n == 1]
    return value


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of each field: varints as int, fixed64 as 8 bytes,
    length-delimited as bytes. Raises ValueError on a malformed message."""
    out, pos, end = [], 0, len(data)
    while pos < end:
        tag = data[pos]
        pos += 1
        if tag & 0x80:  # multi-byte tag (field numbers above 15)
            tag, pos = _varint(data, pos - 1)
        number, wire = tag >> 3, tag & 7
        if wire == 2:
            size = data[pos]
            pos += 1
            if size & 0x80:
                size, pos = _varint(data, pos - 1)
            value, pos = data[pos:pos + size], pos + size
        elif wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > end:
            raise ValueError("truncated message")
        out.append((number, wire, value))
    return out


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7

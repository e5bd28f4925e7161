"""MLflow tracking servers, read through their public REST API (``/api/2.0/mlflow/…``).

Store URIs: ``http://host:port[/prefix]``, ``https://…`` and MLflow's Databricks forms
``databricks`` / ``databricks://PROFILE`` (host and token from ``DATABRICKS_HOST`` /
``DATABRICKS_TOKEN`` or the profile in ``~/.databrickscfg``; the workspace model registry, not
Unity Catalog). Credentials, TLS, timeouts and retries: see :mod:`auditkit.connectors.http_client`.

Only read endpoints are called: ``GET`` everywhere MLflow offers it, and ``POST`` for the two
searches MLflow exposes only as POST (``runs/search``, ``logged-models/search``), which read.
Every list is paginated with ``page_token`` within the endpoint's ``max_results`` cap.

The records equal the SQL connector's for the store behind the server, except what the REST API
hides: soft-deleted model versions (MLflow's ``Deleted_Internal`` stage) and deleted logged models
are not served, and there is no schema revision. ``info()`` says so in its warnings.
"""

from __future__ import annotations

import configparser
import os
import urllib.parse
from pathlib import Path
from typing import Any, Iterator, Mapping

from .. import errors
from ..records import DatasetRef, Experiment, LoggedModel, ModelVersion, RegisteredModel, Run, StoreInfo, ms_to_datetime
from .base import Connector, profile_rows, redact_uri, unknown_experiment, unknown_model
from .http_client import Credentials, RestClient, ServerAnswerError, Settings
from .messages import UNKNOWN_RUN

API = "/api/2.0/mlflow"
#: Page sizes: each within the cap the MLflow server enforces for the endpoint
#: (mlflow/server/handlers.py, mlflow/store/*/__init__.py of MLflow 3.17).
EXPERIMENTS_PAGE = 1000       # SEARCH_MAX_RESULTS_THRESHOLD = 50000; 1000 is MLflow's default
RUNS_PAGE = 1000              # runs/search: max_results <= 50000; 1000 keeps each answer quick
REGISTERED_MODELS_PAGE = 1000  # registered-models/search: max_results <= 1000
MODEL_VERSIONS_PAGE = 10000   # model-versions/search: max_results <= 200000 (default 10000)
LOGGED_MODELS_PAGE = 100      # logged-models/search: default 100, no documented cap
METRIC_HISTORY_PAGE = 25000   # metrics/get-history: GET_METRIC_HISTORY_MAX_RESULTS = 25000
#: Experiment ids per runs/search request (the list travels in one JSON body).
EXPERIMENTS_PER_SEARCH = 100
#: MLflow's REST names of logged model states, as the SQL connector names them.
LOGGED_MODEL_STATUS = {
    "LOGGED_MODEL_STATUS_UNSPECIFIED": "UNSPECIFIED", "LOGGED_MODEL_PENDING": "PENDING",
    "LOGGED_MODEL_READY": "READY", "LOGGED_MODEL_UPLOAD_FAILED": "FAILED",
}
HIDDEN_BY_REST = (
    "the REST API serves no soft-deleted model versions (stage Deleted_Internal) and no deleted "
    "logged models; read the database behind the server for those"
)
NO_DATABRICKS_HOST = (
    "store {uri!r} names Databricks but no workspace host is set; expected DATABRICKS_HOST (and "
    "DATABRICKS_TOKEN) or a profile {profile!r} with host and token in {cfg}"
)
NOT_MLFLOW = (
    "{server} is not an MLflow tracking server: {request} answered without an 'experiments' list; "
    "expected MLflow's REST API under {api}{origin}"
)
REPEATED_TOKEN = (
    "MLflow server {server} returned the same next_page_token twice for {path}; expected each page "
    "to advance{origin}"
)
UNKNOWN_METRIC = "run {run_id!r} logged no metric {key!r}; metrics: {choices}"


def is_rest_uri(uri: str) -> bool:
    """Whether ``uri`` is a tracking-server form this connector reads."""
    scheme = urllib.parse.urlparse(uri).scheme.lower()
    return scheme in ("http", "https", "databricks") or uri.strip().lower() == "databricks"


def server_target(uri: str, *, env: "Mapping[str, str] | None" = None) -> tuple[str, Credentials]:
    """``(base_url, credentials)`` for a store URI: credentials from MLflow's variables, from
    ``user:password@`` in the URL, or for ``databricks[://PROFILE]`` from Databricks' own settings."""
    env = os.environ if env is None else env
    parsed = urllib.parse.urlparse(uri)
    if uri.strip().lower() == "databricks" or parsed.scheme.lower() == "databricks":
        return _databricks_target(uri, parsed, env)
    creds = Credentials.from_env(env=env)
    if parsed.username is not None and not creds.token and creds.username is None:
        creds = Credentials(username=urllib.parse.unquote(parsed.username),
                            password=urllib.parse.unquote(parsed.password or ""))
    host = parsed.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parsed.port}" if parsed.port else "")
    base = urllib.parse.urlunparse((parsed.scheme.lower(), netloc, parsed.path.rstrip("/"), "", "", ""))
    return base, creds


def _databricks_target(uri: str, parsed: urllib.parse.ParseResult, env: Mapping[str, str]) -> tuple[str, Credentials]:
    profile = (parsed.netloc or "").split(":", 1)[0] or None
    host = token = username = password = None
    if profile is None:
        host, token = env.get("DATABRICKS_HOST"), env.get("DATABRICKS_TOKEN")
        username, password = env.get("DATABRICKS_USERNAME"), env.get("DATABRICKS_PASSWORD")
    cfg_path = Path(env.get("DATABRICKS_CONFIG_FILE") or Path.home() / ".databrickscfg")
    if not host and cfg_path.is_file():
        cfg = configparser.ConfigParser()
        cfg.read(cfg_path)
        section = profile or "DEFAULT"
        if section == "DEFAULT" or cfg.has_section(section):
            host = cfg.get(section, "host", fallback=None)
            token = cfg.get(section, "token", fallback=None)
            username = cfg.get(section, "username", fallback=None)
            password = cfg.get(section, "password", fallback=None)
    if not host:
        raise errors.StoreError(NO_DATABRICKS_HOST.format(uri=uri, profile=profile or "DEFAULT", cfg=str(cfg_path)))
    if "://" not in host:
        host = "https://" + host
    creds = Credentials(token=token or None, username=username or None, password=password)
    return host.rstrip("/"), creds


class MlflowRestConnector(Connector):
    """Reads an MLflow tracking server through its REST API, read requests only.

    Parameters
    ----------
    uri:
        ``http(s)://host:port[/prefix]`` or ``databricks[://PROFILE]``.
    origin:
        Where ``uri`` came from when not given directly (``"$MLFLOW_TRACKING_URI"``); errors say so.

    Raises :class:`~auditkit.errors.StoreNotFoundError` when the server does not answer and
    :class:`~auditkit.errors.StoreError` subclasses when it refuses or is no MLflow server.
    """

    backend = "mlflow-rest"

    def __init__(self, uri: str, *, origin: str | None = None) -> None:
        super().__init__(uri)
        base, creds = server_target(uri)
        self._origin = f" (store URI from {origin})" if origin else ""
        self._client = RestClient(base, credentials=creds, settings=Settings.from_env(), origin=origin)
        self._cache: dict[str, Any] = {}
        # Opening = one small read that proves an MLflow server answers and accepts us.
        probe = self._client.get(API + "/experiments/search", {"max_results": 1, "view_type": "ALL"})
        if "experiments" not in probe and probe:
            raise errors.NotAStoreError(NOT_MLFLOW.format(server=self._client.server, request="GET experiments/search",
                                                          api=API, origin=self._origin))

    # -- plumbing -----------------------------------------------------------------------------
    def _pages(self, method: str, path: str, args: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
        """Every item under ``key`` of a paginated endpoint, following ``next_page_token``."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            page_args = {**args, "page_token": token} if token else dict(args)
            if method == "GET":
                doc = self._client.get(API + path, page_args)
            else:  # a search MLflow exposes only as POST: it reads
                doc = self._client.post_read(API + path, page_args)
            yield from doc.get(key) or ()
            token = doc.get("next_page_token") or None
            if not token:
                return
            if token in seen:  # a server handing back a token twice would page forever
                raise errors.StoreError(REPEATED_TOKEN.format(server=self._client.server, path=API + path,
                                                              origin=self._origin))
            seen.add(token)

    def _experiment_docs(self) -> list[dict[str, Any]]:
        if "experiments" not in self._cache:
            self._cache["experiments"] = list(self._pages(
                "GET", "/experiments/search", {"view_type": "ALL", "max_results": EXPERIMENTS_PAGE}, "experiments"))
        return self._cache["experiments"]

    def _experiment_id(self, name: str) -> str:
        docs = self._experiment_docs()
        for doc in docs:
            if doc.get("name") == name:
                return str(doc["experiment_id"])
        raise unknown_experiment(name, sorted(d.get("name", "") for d in docs))

    def _registered_docs(self) -> list[dict[str, Any]]:
        if "registered" not in self._cache:
            self._cache["registered"] = list(self._pages(
                "GET", "/registered-models/search", {"max_results": REGISTERED_MODELS_PAGE}, "registered_models"))
        return self._cache["registered"]

    def close(self) -> None:
        self._cache.clear()

    # -- Connector API ------------------------------------------------------------------------
    def info(self) -> StoreInfo:
        runs = self.runs()
        versions = self.model_versions()
        datasets = {(r.experiment_id, d.name, d.digest) for r in runs for d in r.datasets}
        counts = {
            "experiments": len(self._experiment_docs()),
            "runs": len(runs),
            "deleted_runs": sum(1 for r in runs if r.deleted),
            "registered_models": len(self._registered_docs()),
            "model_versions": len(versions),
            "datasets": len(datasets),
            "logged_models": len(self.logged_models()),
        }
        return StoreInfo(backend=self.backend, uri=redact_uri(self.uri), schema_revision=None, counts=counts,
                         warnings=(HIDDEN_BY_REST,))

    def experiments(self) -> list[Experiment]:
        out = [
            Experiment(
                experiment_id=str(d["experiment_id"]), name=d.get("name", ""),
                lifecycle_stage=d.get("lifecycle_stage") or "active",
                artifact_location=d.get("artifact_location"),
                creation_time=ms_to_datetime(d.get("creation_time")),
                last_update_time=ms_to_datetime(d.get("last_update_time")),
                tags=_kv(d.get("tags")),
            )
            for d in self._experiment_docs()
        ]
        out.sort(key=lambda e: (0, int(e.experiment_id), "") if e.experiment_id.isdigit() else (1, 0, e.experiment_id))
        return out

    def runs(self, experiment: str | None = None) -> list[Run]:
        if experiment is not None:
            ids = [self._experiment_id(experiment)]
        else:
            ids = [str(d["experiment_id"]) for d in self._experiment_docs()]
        names = {str(d["experiment_id"]): d.get("name") for d in self._experiment_docs()}
        out = []
        for start in range(0, len(ids), EXPERIMENTS_PER_SEARCH):
            body = {"experiment_ids": ids[start:start + EXPERIMENTS_PER_SEARCH], "run_view_type": "ALL",
                    "max_results": RUNS_PAGE}
            out.extend(_run(doc, names) for doc in self._pages("POST", "/runs/search", body, "runs"))
        out.sort(key=lambda run: (run.start_time is None, run.start_time, run.run_id))
        return out

    def get_run(self, run_id: str) -> Run:
        """One run by id (``runs/get``). Raises :class:`~auditkit.errors.RecordNotFoundError`."""
        try:
            doc = self._client.get(API + "/runs/get", {"run_id": run_id})
        except ServerAnswerError as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE") or exc.status == 404:
                raise errors.RecordNotFoundError(UNKNOWN_RUN.format(run_id=run_id)) from None
            raise
        names = {str(d["experiment_id"]): d.get("name") for d in self._experiment_docs()}
        return _run(doc.get("run") or {}, names)

    def metric_history(self, run_id: str, key: str) -> list[tuple[int, float, int]]:
        """The ``(timestamp_ms, value, step)`` points of one metric as the server lists them.

        Raises :class:`~auditkit.errors.RecordNotFoundError` for an unknown run or metric.
        """
        run = self.get_run(run_id)
        if key not in run.metrics:
            raise errors.RecordNotFoundError(UNKNOWN_METRIC.format(run_id=run_id, key=key,
                                                                   choices=errors.choices(sorted(run.metrics))))
        args = {"run_id": run_id, "metric_key": key, "max_results": METRIC_HISTORY_PAGE}
        return [(int(m.get("timestamp", 0)), _float(m.get("value")), int(m.get("step", 0)))
                for m in self._pages("GET", "/metrics/get-history", args, "metrics")]

    def registered_models(self) -> list[RegisteredModel]:
        return sorted(
            (RegisteredModel(
                name=d["name"], creation_time=ms_to_datetime(d.get("creation_timestamp")),
                last_updated_time=ms_to_datetime(d.get("last_updated_timestamp")),
                description=d.get("description"), tags=_kv(d.get("tags")),
                aliases={a["alias"]: str(a["version"]) for a in d.get("aliases") or ()},
            ) for d in self._registered_docs()),
            key=lambda m: m.name,
        )

    def model_versions(self, name: str | None = None) -> list[ModelVersion]:
        registered = self._registered_docs()
        args: dict[str, Any] = {"max_results": MODEL_VERSIONS_PAGE}
        if name is not None:
            known = [d["name"] for d in registered]
            if name not in known:
                raise unknown_model(name, sorted(known))
            quote = '"' if "'" in name else "'"  # MLflow's filter grammar takes either quote
            args["filter"] = f"name = {quote}{name}{quote}"
        # model-versions/search leaves `aliases` empty; registered models carry them.
        aliases: dict[tuple[str, str], list[str]] = {}
        for d in registered:
            for a in d.get("aliases") or ():
                aliases.setdefault((d["name"], str(a["version"])), []).append(a["alias"])
        out = []
        for d in self._pages("GET", "/model-versions/search", args, "model_versions"):
            key = (d["name"], str(d["version"]))
            source = d.get("source")
            out.append(ModelVersion(
                name=d["name"], version=str(d["version"]), stage=d.get("current_stage"),
                aliases=tuple(aliases.get(key, ())), tags=_kv(d.get("tags")), source=source,
                run_id=d.get("run_id") or None, creator=d.get("user_id") or None,
                creation_time=ms_to_datetime(d.get("creation_timestamp")),
                last_updated_time=ms_to_datetime(d.get("last_updated_timestamp")),
                description=d.get("description"), status=d.get("status"), run_link=d.get("run_link") or None,
                model_id=_model_id(source), deleted=False,
            ))
        out.sort(key=lambda v: (v.name, int(v.version) if v.version.isdigit() else 0, v.version))
        return out

    def logged_models(self) -> list[LoggedModel]:
        if "logged" in self._cache:
            return self._cache["logged"]
        ids = [str(d["experiment_id"]) for d in self._experiment_docs()]
        out = []
        for start in range(0, len(ids), EXPERIMENTS_PER_SEARCH):
            body = {"experiment_ids": ids[start:start + EXPERIMENTS_PER_SEARCH], "max_results": LOGGED_MODELS_PAGE}
            for doc in self._pages("POST", "/logged-models/search", body, "models"):
                info, data = doc.get("info") or {}, doc.get("data") or {}
                status = info.get("status")
                out.append(LoggedModel(
                    model_id=info["model_id"], experiment_id=_str(info.get("experiment_id")), name=info.get("name"),
                    source_run_id=info.get("source_run_id") or None,
                    status=LOGGED_MODEL_STATUS.get(status, status) if status is not None else None,
                    creation_time=ms_to_datetime(info.get("creation_timestamp_ms")),
                    last_updated_time=ms_to_datetime(info.get("last_updated_timestamp_ms")),
                    artifact_location=info.get("artifact_uri"), lifecycle_stage="active",
                    tags=_kv(info.get("tags")), params=_kv(data.get("params")),
                ))
        out.sort(key=lambda m: m.model_id)
        self._cache["logged"] = out
        return out


def _run(doc: dict[str, Any], experiment_names: dict[str, str | None]) -> Run:
    info, data, inputs = doc.get("info") or {}, doc.get("data") or {}, doc.get("inputs") or {}
    tags = _kv(data.get("tags"))
    exp = _str(info.get("experiment_id")) or ""
    datasets = []
    for di in inputs.get("dataset_inputs") or ():
        d = di.get("dataset") or {}
        dtags = _kv(di.get("tags"))
        datasets.append(DatasetRef(
            name=d.get("name", ""), digest=d.get("digest"), source_type=d.get("source_type"),
            source=d.get("source"), schema=d.get("schema"), profile=d.get("profile"),
            rows=profile_rows(d.get("profile")), context=dtags.get("mlflow.data.context"), tags=dtags,
        ))
    datasets.sort(key=lambda ref: (ref.name, ref.context or "", ref.digest or ""))
    return Run(
        run_id=info.get("run_id") or info.get("run_uuid"), experiment_id=exp, experiment=experiment_names.get(exp),
        run_name=info.get("run_name") or tags.get("mlflow.runName"), user=info.get("user_id"),
        status=info.get("status"), start_time=ms_to_datetime(info.get("start_time")),
        end_time=ms_to_datetime(info.get("end_time")), lifecycle_stage=info.get("lifecycle_stage") or "active",
        artifact_uri=info.get("artifact_uri"), params=_kv(data.get("params")),
        metrics={m["key"]: _float(m.get("value")) for m in data.get("metrics") or ()},
        tags=tags, datasets=tuple(datasets),
    )


def _kv(items: Any) -> dict[str, str]:
    """``[{"key": k, "value": v}, …]`` (MLflow's tag/param lists) as a mapping; a missing value is ''."""
    return {i["key"]: i.get("value", "") for i in items or ()}


def _float(value: Any) -> float:
    """A metric value as MLflow's JSON gives it (a number, or NaN/Infinity as a literal or string)."""
    return float(value) if value is not None else float("nan")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _model_id(source: str | None) -> str | None:
    """The MLflow 3 logged model id in a version source ``models:/m-…``."""
    if source and source.startswith("models:/m-"):
        return source[len("models:/"):].split("/", 1)[0]
    return None

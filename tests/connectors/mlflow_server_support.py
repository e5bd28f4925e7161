"""Real `mlflow server` processes for the REST connector's tests and bench, and two tiny local
HTTP servers: a recording reverse proxy (every request a client makes, forwarded unchanged to the
real server; optionally answering 503 first, as a load balancer in front of a restarting server
does) and a stand-in for a login wall (a redirect to a login page, or the login page itself).

Everything binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MLFLOW = str(Path(sys.executable).with_name("mlflow"))
ADMIN_USER = "admin"
ADMIN_PASSWORD = "auditkit-Admin-pw-2026"
#: A plain user of the basic-auth server: no admin rights, the default READ permission.
READER_USER = "auditor"
READER_PASSWORD = "auditor-Reads-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MlflowServer:
    """One `mlflow server` subprocess; ``url`` is where it answers."""

    process: subprocess.Popen
    url: str
    log_path: Path

    def stop(self) -> None:
        """Stop the server and its workers (its own process group, started for it)."""
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue


def start_mlflow_server(backend_uri: str, workdir: Path, *, basic_auth: bool = False,
                        timeout: float = 180.0) -> MlflowServer:
    """Start ``mlflow server`` on ``backend_uri`` (the tracking and registry store) and wait until
    it answers ``/health``. With ``basic_auth`` it runs MLflow's basic-auth app (admin
    :data:`ADMIN_USER` / :data:`ADMIN_PASSWORD`, every user may read)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_TRACKING_", "AUDITKIT_"))}
    # MLflow 3 also starts a job runner with a dozen huey consumers (GenAI jobs, periodic tasks):
    # nothing auditkit reads needs them, and on 2 cores they slow the start by seconds.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    cmd = [MLFLOW, "server", "--backend-store-uri", backend_uri, "--default-artifact-root",
           str(workdir / "artifacts"), "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    if basic_auth:
        ini = workdir / "basic_auth.ini"
        ini.write_text(
            "[mlflow]\n"
            "default_permission = READ\n"
            f"database_uri = sqlite:///{workdir / 'basic_auth.db'}\n"
            f"admin_username = {ADMIN_USER}\n"
            f"admin_password = {ADMIN_PASSWORD}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            # each check of a password is a deliberately slow PBKDF2 hash: cache good ones
            "auth_cache_ttl_seconds = 600\n",
            encoding="utf-8",
        )
        env["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
        env["MLFLOW_FLASK_SERVER_SECRET_KEY"] = "auditkit-tests-secret"
        cmd += ["--app-name", "basic-auth"]
    log_path = workdir / "server.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    log.close()
    server = MlflowServer(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited ({process.returncode}): {log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"mlflow server did not answer within {timeout} s: {log_path.read_text()[-3000:]}")


def create_reader(server_url: str) -> None:
    """Create :data:`READER_USER` on a basic-auth server through MLflow's user API, as its admin."""
    import base64
    import json

    auth = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
    body = json.dumps({"username": READER_USER, "password": READER_PASSWORD}).encode()
    request = urllib.request.Request(server_url + "/api/2.0/mlflow/users/create", data=body, method="POST",
                                     headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 200, resp.status


@dataclass
class Recorded:
    method: str
    path: str
    body: bytes
    status: int
    authorization: str | None = None


@dataclass
class _ProxyState:
    upstream: tuple[str, int]
    requests: list[Recorded] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: _ProxyState

    def log_message(self, *args) -> None:  # quiet
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self._body = body
        state = self.server.state  # type: ignore[attr-defined]
        with state.lock:
            inject = state.fail_next > 0
            if inject:
                state.fail_next -= 1
        if inject:
            payload = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "upstream restarting"}'
            self._answer(503, {"Content-Type": "application/json", "Retry-After": "0"}, payload)
        else:
            conn = http.client.HTTPConnection(*state.upstream, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            headers["Host"] = f"{state.upstream[0]}:{state.upstream[1]}"
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            out = {k: v for k, v in resp.getheaders()
                   if k.lower() not in ("transfer-encoding", "connection", "content-length")}
            conn.close()
            self._answer(resp.status, out, payload)

    def _answer(self, status: int, headers: dict, payload: bytes) -> None:
        # recorded before answering, so a client that has its answer finds its request listed
        state = self.server.state  # type: ignore[attr-defined]
        with state.lock:
            state.requests.append(Recorded(self.command, self.path, self._body, status,
                                           self.headers.get("Authorization")))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any


class RecordingProxy:
    """A reverse proxy on 127.0.0.1 forwarding to ``upstream_url`` and recording each request;
    with ``tls=(cert_path, key_path)`` it answers HTTPS (as a TLS-terminating gateway does)."""

    def __init__(self, upstream_url: str, *, tls: tuple[Path, Path] | None = None) -> None:
        host, port = upstream_url.split("://", 1)[1].rsplit(":", 1)
        self.state = _ProxyState(upstream=(host, int(port)))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.state = self.state  # type: ignore[attr-defined]
        self._server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def requests(self) -> list[Recorded]:
        with self.state.lock:
            return list(self.state.requests)

    def clear(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    def fail_next(self, count: int) -> None:
        with self.state.lock:
            self.state.fail_next = count

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (cert.pem, key.pem) made with
    ``cryptography`` (installed with MLflow)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auditkit test gateway")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in - Example SSO</title></head>"
              b"<body><form method=post><input name=user><input name=password type=password></form></body></html>")


class _LoginWallHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith("/slow"):
            time.sleep(3)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "https://sso.example.com/login?next=/api&session=s3cr3t")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(LOGIN_PAGE)))
        self.end_headers()
        self.wfile.write(LOGIN_PAGE)

    do_GET = do_POST = _any


class LoginWall:
    """What a tracking URL behind single sign-on answers without a session: ``/redirect…`` paths
    get a 302 to a login page, every other path the login page itself (HTML, status 200);
    ``/slow…`` paths answer after 3 s (a hung gateway, for timeouts)."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _LoginWallHandler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

"""``auditkit serve`` beyond loopback needs a token: without one it refuses to start; with one every
request without the token is refused (401), and the access log names the user."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import httpx
import pytest
from web_server import ROOT, SAMPLE, SAMPLE_ARGS, serve

TOKEN = "t0ken-for-the-tests-" + "x" * 12


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``auditkit serve`` expected to refuse before it listens."""
    environ = {"PATH": "/usr/bin:/bin", **(env or {})}
    return subprocess.run([sys.executable, "-m", "auditkit", "serve", *args], capture_output=True, text=True,
                          cwd=str(ROOT), env=environ, timeout=120)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "example.org"])
def test_a_non_loopback_host_without_a_token_does_not_start(host):
    out = start("--store", str(SAMPLE / "mlflow.db"), "--host", host)
    assert out.returncode == 2
    assert out.stderr == (f"error: --host {host!r} is not a loopback address: set AUDITKIT_SERVE_TOKEN (a token the "
                          "browser gives as the basic-auth password) or name a trusted proxy's --proxy-user-header "
                          "before serving beyond this machine\n")
    assert out.stdout == ""


def test_a_short_token_and_a_missing_store_do_not_start(tmp_path):
    out = start("--store", str(SAMPLE / "mlflow.db"), env={"AUDITKIT_SERVE_TOKEN": "short"})
    assert out.returncode == 2
    assert out.stderr == "error: AUDITKIT_SERVE_TOKEN is shorter than 16 characters; use a long random token\n"
    missing = tmp_path / "missing.db"
    out = start("--store", str(missing))
    assert out.returncode == 2 and out.stderr.startswith("error: ") and str(missing) in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    access = tmp_path_factory.mktemp("web-auth") / "access.jsonl"
    with serve([*SAMPLE_ARGS, "--access-log", str(access)], env={"AUDITKIT_SERVE_TOKEN": TOKEN}) as base:
        with httpx.Client(base_url=base, timeout=120) as client:
            yield client, access


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("headers", [{}, basic("officer", "wrong-token-of-some-length"), basic("officer", ""),
                                     {"authorization": "Bearer nope"}, {"authorization": "Basic !!!"},
                                     {"authorization": "Digest " + TOKEN}])
def test_requests_without_the_token_are_refused(guarded, headers):
    client, _ = guarded
    for path in ("/", "/decisions/APP-004711", "/api/lineage/APP-004711", "/static/web.css"):
        r = client.get(path, headers=headers)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == 'Basic realm="auditkit", charset="UTF-8"'
        assert "credit-risk" not in r.text and "m.yilmaz" not in r.text and "report" not in r.text
        assert "script-src 'none'" in r.headers["content-security-policy"]


def test_the_token_opens_the_pages_and_the_access_log_names_the_user(guarded):
    client, access = guarded
    assert client.get("/", headers=basic("officer", TOKEN)).status_code == 200
    assert client.get("/decisions/APP-004711", headers=basic("c.officer", TOKEN)).status_code == 200
    assert client.get("/api/lineage/APP-004711", headers={"authorization": "Bearer " + TOKEN}).status_code == 200
    rows = [json.loads(line) for line in access.read_text(encoding="utf-8").splitlines()]
    assert [(r["user"], r["what"], r["id"], r["status"]) for r in rows] == [
        ("c.officer", "decision page", "APP-004711", 200), ("token", "lineage json", "APP-004711", 200)]


def test_a_taken_port_is_one_error_line():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = start("--store", str(SAMPLE / "mlflow.db"), "--port", str(port))
    assert out.returncode == 2
    assert out.stderr == (f"error: cannot listen on 127.0.0.1:{port}: Address already in use; choose another --port "
                          "(0: any free port)\n")


def test_behind_a_trusted_proxy_the_named_header_is_the_user(tmp_path):
    access = tmp_path / "access.jsonl"
    out = start("--store", str(SAMPLE / "mlflow.db"), "--proxy-user-header", "X-User: x")
    assert out.returncode == 2 and out.stderr.startswith("error: --proxy-user-header 'X-User: x' is not a header name")
    with serve([*SAMPLE_ARGS, "--proxy-user-header", "X-Forwarded-User", "--access-log", str(access)]) as base:
        r = httpx.get(base + "/decisions/APP-004711", timeout=120)
        assert r.status_code == 401
        assert "no user from the trusted proxy (header x-forwarded-user missing)" in r.text
        r = httpx.get(base + "/decisions/APP-004711", headers={"X-Forwarded-User": "c.officer@bank"}, timeout=120)
        assert r.status_code == 200
    rows = [json.loads(line) for line in access.read_text(encoding="utf-8").splitlines()]
    assert [(r["user"], r["what"], r["status"]) for r in rows] == [("c.officer@bank", "decision page", 200)]

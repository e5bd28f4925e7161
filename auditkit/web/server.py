"""Running the web view: check the sources once, bind the socket, serve with uvicorn."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable

import uvicorn

from .. import errors
from ..connectors import open_store
from .app import create_app
from .config import WebConfig
from .messages import WEB_CANNOT_LISTEN


def check_sources(config: WebConfig) -> None:
    """Open the store and the prediction log once so that a wrong path fails at start-up with
    its one-line error, not on the first page. Raises what opening them raises."""
    with open_store(config.store) as store:
        store.registered_models()
    if config.predictions:
        plog = config.open_log()
        try:
            plog.require("prediction_id")
        finally:
            plog.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: a free port). Raises
    :class:`~auditkit.errors.UsageError` when it cannot listen there."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise errors.UsageError(WEB_CANNOT_LISTEN.format(host=host, port=port, reason=exc.strerror or exc)) from None
    sock.set_inheritable(True)
    return sock


def serve(config: WebConfig, *, announce: Callable[[str], None] | None = None) -> None:
    """Serve ``config`` until interrupted; ``announce(url)`` is called once the socket listens.

    Raises what :func:`check_sources` raises, and :class:`~auditkit.errors.UsageError` when the
    address cannot be listened on (taken, not this machine's).
    """
    check_sources(config)
    errors_log = logging.getLogger("auditkit.web")
    if not errors_log.handlers:  # unexpected errors: one traceback on the server's stderr, never on a page
        errors_log.addHandler(logging.StreamHandler(sys.stderr))
    app = create_app(config)
    sock = bind(config.host, config.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    if announce is not None:
        announce(f"http://{shown}:{port}/")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                                           proxy_headers=False, lifespan="off", timeout_graceful_shutdown=5))
    server.run(sockets=[sock])

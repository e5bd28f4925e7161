"""Texts of the web view: errors the ``serve`` command and the pages show (one line each)."""

from __future__ import annotations

#: ``--host`` is not a loopback address and no credentials are configured.
WEB_HOST_NEEDS_AUTH = ("--host {host!r} is not a loopback address: set {env} (a token the browser gives as the "
                       "basic-auth password) or name a trusted proxy's --proxy-user-header before serving beyond "
                       "this machine")
#: A proxy user header name that is not a header name.
WEB_BAD_HEADER = "--proxy-user-header {name!r} is not a header name; expected letters, digits and '-' (e.g. X-Forwarded-User)"
#: The trusted proxy's user header is missing.
WEB_NO_PROXY_USER = "no user from the trusted proxy (header {name} missing)"
#: The token set in the environment is too short to protect anything.
WEB_TOKEN_TOO_SHORT = "{env} is shorter than {n} characters; use a long random token"
#: A port outside 0–65535.
WEB_BAD_PORT = "port {port} is not a TCP port; expected a number from 1 to 65535 (0: any free port)"
#: --sensitive without --predictions.
WEB_SENSITIVE_NEEDS_LOG = "--sensitive needs --predictions: fairness is computed from the prediction log"
#: A page that needs the prediction log when none was given.
WEB_NO_PREDICTIONS = "this server was started without --predictions; decisions cannot be looked up"
#: The explain part (re-performance) is not in this build of auditkit.
WEB_NO_REPERFORM = "re-performance not available in this build"
#: A request method other than GET or HEAD.
WEB_READ_ONLY = "method {method} is not allowed: this server is read-only (GET and HEAD only)"
#: A Host header that names no address this server listens on (DNS rebinding).
WEB_BAD_HOST = "host header {host!r} does not name this server"
#: Credentials missing or wrong.
WEB_AUTH_REQUIRED = "authentication required"
#: No route.
WEB_NOT_FOUND = "no page at {path!r}"
#: The store or log took too long.
WEB_TIMEOUT = "the store did not answer within {seconds:g} seconds; try again later"
#: Anything unexpected (details go to the server's own log, never to the page).
WEB_INTERNAL = "internal error while building this page; the server log has the details"
#: The lookup form was sent without an id.
WEB_EMPTY_ID = "give a decision id (for example APP-004711)"
#: A model page asked with both ?version= and ?alias=.
WEB_VERSION_OR_ALIAS = "give ?version=N or ?alias=A for model {name!r}, not both"
#: A model with no version at all.
WEB_MODEL_NO_VERSIONS = "model {name!r} has no version to show"
#: The history page without a ledger.
WEB_NO_LEDGER = "this server was started without --ledger; the registry history comes from the ledger"
#: The address cannot be listened on.
WEB_CANNOT_LISTEN = "cannot listen on {host}:{port}: {reason}; choose another --port (0: any free port)"

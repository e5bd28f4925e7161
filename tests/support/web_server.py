"""Helpers of tests/web: ``auditkit serve`` started for real (uvicorn in a subprocess on a free
loopback port), and Debian's chromium driven by Playwright's Python package."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
#: Debian's chromium (scripts/setup.sh --test installs it); Playwright never downloads a browser here.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: The sample's serve options (as docs/web.md shows them).
SAMPLE_ARGS = ["--store", str(SAMPLE / "mlflow.db"), "--predictions", str(SAMPLE / "predictions.csv"),
               "--ledger", str(SAMPLE / "registry-ledger.jsonl"), "--policy", str(SAMPLE / "policy.yaml"),
               "--sensitive", "sex,age_band", "--positive", "approve", "--label-positive", "good"]


@contextmanager
def serve(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 60) -> Iterator[str]:
    """``python -m auditkit serve ARGS --port 0``; yields its base URL (no trailing slash) once it
    listens, and stops that process (only it) afterwards."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AUDITKIT_"))}
    environ.update(env or {})
    proc = subprocess.Popen([sys.executable, "-m", "auditkit", "serve", *args, "--port", "0"], cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        try:
            first = lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError("auditkit serve did not start: " + (proc.stderr.read() if proc.poll() is not None
                                                                   else "no answer"))  # type: ignore[union-attr]
        match = re.match(r"serving (http://127\.0\.0\.1:\d+)/ ", first)
        if match is None:
            raise RuntimeError(f"unexpected first line from auditkit serve: {first!r}")
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def browser(profile: Path) -> Iterator[object]:
    """A headless Debian chromium with a fresh profile folder (a Playwright browser context that
    accepts downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, accept_downloads=True,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()

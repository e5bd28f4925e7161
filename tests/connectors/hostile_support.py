"""Shared helpers for the hostile-store tests: copies of real stores, the CLI in a subprocess
(with a timeout, so a hang fails the test instead of stalling the suite), tree hashes."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LEGACY = ROOT / "tests" / "fixtures" / "legacy" / "mlflow-2.9.2"
#: A small mlruns folder and sqlite store written by real MLflow 2.9.2 (tests/fixtures/legacy).
MLRUNS = LEGACY / "mlruns"
SMALL_DB = LEGACY / "mlflow.db"
#: The same scenario written by MLflow 3.1.4 (logged models, newer schema).
SMALL_DB_3 = ROOT / "tests" / "fixtures" / "legacy" / "mlflow-3.1.4" / "mlflow.db"
#: The sample store of sample_data/ (MLflow 3.17.2).
SAMPLE_DB = ROOT / "sample_data" / "mlflow.db"
#: Offline run folders written by real wandb 0.17.9 (older wandb also wrote wandb-metadata.json).
WANDB_LEGACY = ROOT / "tests" / "fixtures" / "wandb" / "legacy-0.17.9" / "wandb"
WANDB_CURRENT = ROOT / "tests" / "fixtures" / "wandb" / "current" / "wandb"

#: Seconds any one CLI run may take before the test fails as a hang.
CLI_TIMEOUT = 60


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("warning:")]


def auditkit(*args: str, env: dict | None = None, timeout: float = CLI_TIMEOUT) -> Ran:
    """Run ``python -m auditkit ARGS`` in a fresh process (the installed console script's code)."""
    return auditkit_many([(args, env)], timeout=timeout)[0]


def auditkit_many(calls: list[tuple[tuple, dict | None]], timeout: float = CLI_TIMEOUT) -> list[Ran]:
    """Run several ``python -m auditkit ARGS`` processes at once (``calls``: (args, env) pairs);
    each must finish within ``timeout`` seconds, else the test fails as a hang."""
    procs = []
    for args, env in calls:
        full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
        procs.append(subprocess.Popen([sys.executable, "-m", "auditkit", *map(str, args)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=full_env, stdin=subprocess.DEVNULL))
    out = []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=timeout)
            out.append(Ran(proc.returncode, stdout, stderr))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return out


def assert_one_line_error(ran: Ran, *fragments: str) -> str:
    """Exit 2, exactly one ``error:`` line holding every fragment, and no traceback."""
    assert ran.returncode == 2, ran.output
    assert "Traceback" not in ran.output, ran.output
    lines = ran.errors()
    assert len(lines) == 1, ran.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def assert_clean(ran: Ran) -> None:
    """Exit 0 and no traceback."""
    assert ran.returncode == 0, ran.output
    assert "Traceback" not in ran.output, ran.output


def tree_digest(root: Path) -> str:
    """SHA-256 over every entry under ``root`` (or of one file): names, kinds, link targets and
    bytes of regular files (FIFOs and devices are never opened)."""
    root = Path(root)
    digest = hashlib.sha256()
    paths = [root] if not root.is_dir() or root.is_symlink() else sorted(root.rglob("*"))
    for path in paths:
        digest.update(str(path.relative_to(root) if path != root else path.name).encode() + b"\0")
        st = path.lstat()
        if path.is_symlink():
            digest.update(b"L" + os.readlink(path).encode())
        elif path.is_file() and not path.is_fifo():
            digest.update(b"F" + hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(b"O" + str(st.st_mode).encode())
    return digest.hexdigest()


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in Path(folder).iterdir())


def copy_mlruns(tmp_path: Path) -> Path:
    dest = tmp_path / "mlruns"
    shutil.copytree(MLRUNS, dest, symlinks=True)
    return dest


def copy_file(source: Path, tmp_path: Path, name: str | None = None) -> Path:
    dest = tmp_path / (name or source.name)
    shutil.copyfile(source, dest)
    return dest


def first_run_folder(mlruns: Path) -> Path:
    """The folder of the run 'logreg-c1' (the fixture's first run of its named experiment)."""
    for meta in sorted(mlruns.glob("*/*/meta.yaml")):
        if "run_name: logreg-c1" in meta.read_text():
            return meta.parent
    raise AssertionError("fixture run logreg-c1 not found")


class SilentServer:
    """A TCP listener on 127.0.0.1 that accepts connections and never sends a byte (a hung
    database server, or a port forwarded to nothing). Use as a context manager; ``.port``."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._accepted.append(conn)  # kept open, never answered

    def __enter__(self) -> "SilentServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._accepted:
            conn.close()
        self._sock.close()

    @property
    def accepted(self) -> int:
        return len(self._accepted)


def auditkit_here(*args: str, env: dict | None = None) -> Ran:
    """Run the CLI in this process with click's runner (for inputs that cannot hang); an
    exception escaping the CLI fails the test with its traceback."""
    import traceback

    from click.testing import CliRunner

    from auditkit.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "200", **(env or {})},
                                catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"auditkit {' '.join(map(str, args))} raised (a traceback for the user):\n{text}")
    return Ran(result.exit_code, result.stdout, result.stderr)


def notes(ran: Ran) -> list[str]:
    """Each problem the CLI reported on stderr: ``warning:`` lines, with an mlruns summary
    ("N item(s) skipped or left out: a | b") split into its items."""
    out: list[str] = []
    for line in ran.warnings():
        text = line[len("warning: "):]
        head, sep, items = text.partition(" item(s) skipped or left out: ")
        out.extend(items.split(" | ") if sep else [text])
    return out


def frame_log(payloads: list[bytes]) -> bytes:
    """Lay payloads out as wandb does: the 7-byte header, 32 KiB blocks, FULL or FIRST/MIDDLE/LAST
    chunks with a CRC-32 over type byte and data, zero padding where < 7 bytes are left
    (the rules auditkit.connectors.wandb_log documents and test_wandb.py checks on real logs)."""
    import struct

    from auditkit.connectors.wandb_log import BLOCK_LEN, FIRST, FULL, HEADER_LEN, LAST, MIDDLE, chunk_checksum

    out = bytearray(b":W&B" + (0xBEE1).to_bytes(2, "little") + b"\x00")
    for payload in payloads:
        first, rest = True, payload
        while True:
            left = BLOCK_LEN - len(out) % BLOCK_LEN
            if left < HEADER_LEN:
                out += b"\x00" * left
                continue
            piece, rest = rest[:left - HEADER_LEN], rest[left - HEADER_LEN:]
            kind = (FULL if not rest else FIRST) if first else (LAST if not rest else MIDDLE)
            out += struct.pack("<IHB", chunk_checksum(kind, piece), len(piece), kind) + piece
            first = False
            if not rest:
                break
    return bytes(out)

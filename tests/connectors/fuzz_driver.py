"""Run the reading commands on many damaged stores in one process (used by test_fuzz_stores.py).

    python fuzz_driver.py STORE [STORE ...]

For each store path, runs ``inspect``, ``runs --format csv``, ``runs --format json`` and
``models`` through click's runner (the CLI's own code, in process: one interpreter start for
all cases), each under an alarm so that a hang is reported instead of stalling. Prints one JSON
object per line: store, command, exit code, and the traceback of anything that escaped the CLI.
"""

from __future__ import annotations

import json
import signal
import sys
import traceback

COMMANDS = (("inspect",), ("runs", "--format", "csv"), ("runs", "--format", "json"), ("models",))
#: Seconds one command may take on one small damaged store.
ALARM = 30


class Hang(BaseException):
    """Raised by the alarm: a command did not finish (BaseException, so the CLI cannot catch it)."""


def _alarm(signum, frame):
    raise Hang()


def main(stores: list[str]) -> int:
    from click.testing import CliRunner

    from auditkit.cli import cli

    signal.signal(signal.SIGALRM, _alarm)
    for store in stores:
        for command in COMMANDS:
            args = [*command, "--store", store]
            row = {"store": store, "command": " ".join(command), "exit": None, "escaped": None, "output": ""}
            signal.alarm(ALARM)
            try:
                result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"}, catch_exceptions=True)
                row["exit"] = result.exit_code
                row["output"] = (result.stdout + result.stderr)[-2000:]
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    row["escaped"] = "".join(traceback.format_exception(result.exception))[-4000:]
            except Hang:
                row["escaped"] = f"no answer within {ALARM} s (hang)"
            finally:
                signal.alarm(0)
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

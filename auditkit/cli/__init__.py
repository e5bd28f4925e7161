"""The ``auditkit`` command line: a thin layer over the library.

Each command parses its options, calls one library function and prints the result. Only this
package turns :class:`~auditkit.errors.AuditkitError` into an ``error:`` line and an exit code.
Command families live in sibling modules and register themselves on :data:`cli`.
"""

from __future__ import annotations

import sys
import warnings

import click

from .. import __version__
from ..errors import AuditkitError, AuditkitWarning
from .output import SafeStream


class _Group(click.Group):
    """A click group that reports auditkit errors as one ``error:`` line (exit 2, or the
    error's own exit code) and never shows a traceback for them."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        shown: set[str] = set()

        def show(message, category, filename, lineno, file=None, line=None) -> None:
            # auditkit's own warnings as one `warning:` line each (once); library noise is dropped.
            if issubclass(category, AuditkitWarning) and str(message) not in shown:
                shown.add(str(message))
                click.echo(f"warning: {message}", err=True)

        ctx.meta["auditkit.warnings_shown"] = shown
        previous = warnings.showwarning
        warnings.showwarning = show
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", AuditkitWarning)
                return super().invoke(ctx)
        except AuditkitError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # `auditkit runs | head` is fine
            sys.stderr.close()
            ctx.exit(0)
        finally:
            warnings.showwarning = previous
            sys.stdout, sys.stderr = streams


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="auditkit")
def cli() -> None:
    """Audit evidence from experiment-tracking data (MLflow, W&B).

    \b
    Example:
      auditkit inspect --store sample_data/mlflow.db
    """


def main() -> None:
    """Console entry point (``auditkit`` and ``python -m auditkit``)."""
    cli.main(prog_name="auditkit")


# Command families register on `cli` when imported.
from . import store_cmds  # noqa: E402,F401
from . import fairness_cmds  # noqa: E402,F401
from . import ledger_cmds  # noqa: E402,F401
from . import lineage_cmds  # noqa: E402,F401
from . import report_cmds  # noqa: E402,F401
from . import check_cmds  # noqa: E402,F401
from .sign_cmds import sign, verify_report_cmd  # noqa: E402

cli.add_command(sign)
cli.add_command(verify_report_cmd)

"""The ``auditkit`` command line: a thin layer over the library.

Each command parses its options, calls one library function and prints the result. Only this
package turns :class:`~auditkit.errors.AuditkitError` into an ``error:`` line and an exit code.
Command families live in sibling modules (``*_cmds``) as plain click commands; the root group
below attaches them with ``add_command`` (families never import the root). Options shared by
several commands are defined once in :mod:`.options`. Heavy packages (pandas, numpy, WeasyPrint,
matplotlib) load inside the commands that need them, so ``auditkit --help`` stays fast.
"""

from __future__ import annotations

import sys
import warnings

import click

from ..errors import AuditkitError, AuditkitWarning
from ..version import __version__
from .check_cmds import check
from .fairness_cmds import fairness
from .impact_cmds import diff, impact, reproduce
from .ledger_cmds import history, snapshot, verify, verify_data_cmd
from .lineage_cmds import lineage
from .output import SafeStream
from .report_cmds import demo, report
from .sign_cmds import sign, verify_report_cmd
from .store_cmds import inspect, models, runs


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


for command in (inspect, runs, models, lineage, fairness, snapshot, history, verify, verify_data_cmd, check,
                report, demo, sign, verify_report_cmd):
    cli.add_command(command)
cli.add_command(impact)
cli.add_command(diff)
cli.add_command(reproduce)


def main() -> None:
    """Console entry point (``auditkit`` and ``python -m auditkit``)."""
    cli.main(prog_name="auditkit")


__all__ = ["cli", "main"]

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
import traceback
import warnings

import click

from ..errors import AuditkitError, AuditkitWarning
from ..version import __version__
from .check_cmds import check
from .explain_cmds import explain
from .fairness_cmds import fairness
from .impact_cmds import diff, impact, reproduce
from .ledger_cmds import history, snapshot, verify, verify_data_cmd
from .lineage_cmds import lineage
from .output import SafeStream
from .report_cmds import demo, report
from .serve_cmds import serve
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
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: usage errors, --help, exit codes
        except Exception as exc:  # noqa: BLE001 - the last resort: one line, never a traceback
            if ctx.params.get("debug"):
                traceback.print_exc()
            click.echo(f"error: {unexpected_message(ctx.meta.get(_INVOKED, ('', [])), exc)}", err=True)
            ctx.exit(2)
        finally:
            warnings.showwarning = previous
            sys.stdout, sys.stderr = streams


    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_INVOKED] = (name or "", list(rest))  # for the last-resort message
        return name, command, rest


_INVOKED = "auditkit.invoked"
#: Options whose values name a command's inputs (shown in the last-resort message).
_INPUT_OPTIONS = ("--store", "--predictions", "--ledger", "--policy", "--fields", "--templates", "-o", "--output",
                  "--chart")
UNEXPECTED = ("auditkit {command} failed unexpectedly{inputs}: {kind}: {reason}. This is a bug in auditkit: "
              "please report it with this line and the command (rerun with --debug for the traceback)")


def unexpected_message(invoked: tuple[str, list[str]], exc: BaseException) -> str:
    """The one line for an exception auditkit did not expect: the command, the inputs it was
    given (the values of --store, --predictions, --ledger, …, and arguments that name files),
    what went wrong, and a request for a bug report."""
    name, args = invoked
    words, inputs = [name], []
    for i, arg in enumerate(args):
        if arg in _INPUT_OPTIONS and i + 1 < len(args):
            inputs.append(f"{arg} {args[i + 1]}")
        elif "=" in arg and arg.split("=", 1)[0] in _INPUT_OPTIONS:
            inputs.append(arg.replace("=", " ", 1))
        elif not arg.startswith("-") and (i == 0 or not args[i - 1].startswith("-")) and len(words) < 3:
            words.append(arg)  # a subcommand or an argument (e.g. `report experiment NAME`)
    reason = " ".join(str(exc).split())
    reason = reason if len(reason) <= 300 else reason[:299] + "…"
    return UNEXPECTED.format(command=" ".join(w for w in words if w), inputs=f" on {', '.join(inputs)}" if inputs else "",
                             kind=type(exc).__name__, reason=reason or "(no message)")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="auditkit")
@click.option("--debug", is_flag=True, help="On an unexpected error, also print Python's traceback (for a bug report).")
def cli(debug: bool) -> None:
    """Audit evidence from experiment-tracking data (MLflow, W&B).

    \b
    Example:
      auditkit inspect --store sample_data/mlflow.db
    """


for command in (inspect, runs, models, lineage, fairness, snapshot, history, verify, verify_data_cmd, check,
                report, demo, sign, verify_report_cmd):
    cli.add_command(command)
cli.add_command(serve)
cli.add_command(explain)
cli.add_command(impact)
cli.add_command(diff)
cli.add_command(reproduce)


def main() -> None:
    """Console entry point (``auditkit`` and ``python -m auditkit``)."""
    cli.main(prog_name="auditkit")


__all__ = ["cli", "main"]

"""Hostile or broken inputs outside the stores end in one `error:` line (exit 2, or 1 for a
tampered ledger), never a traceback; anything auditkit did not foresee is one line asking for a
bug report, with the traceback only under --debug."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from conftest import ROOT, file_sha256

SAMPLE = ROOT / "sample_data"
STORE = SAMPLE / "mlflow.db"
LOG = SAMPLE / "predictions.csv"


def _one_line(result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.fixture
def ledger_lines():
    return (SAMPLE / "registry-ledger.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("case, problem", [
    ("nan", "the line is not a JSON object (NaN is not a JSON value)"),
    ("infinity", "the line is not a JSON object (-Infinity is not a JSON value)"),
    ("deep", "the line is not a JSON object (nested too deeply)"),
])
def test_a_ledger_line_with_nan_or_deep_nesting_is_reported_as_tampering(tmp_path, cli_run, ledger_lines,
                                                                          case, problem):
    second = {"nan": ledger_lines[1][:-1] + ',"x":NaN}',
              "infinity": ledger_lines[1].replace('"seq":2', '"seq":-Infinity'),
              "deep": "[" * 100_000 + "]" * 100_000}[case]
    path = tmp_path / "L.jsonl"
    path.write_text(ledger_lines[0] + "\n" + second + "\n", encoding="utf-8")
    before = file_sha256(path)
    for command in ("verify", "history"):
        message = _one_line(cli_run(command, "--ledger", path), 1)
        assert message == f"error: ledger {str(path)!r} line 2 (seq ?): {problem}\n"
    assert file_sha256(path) == before


AS_OF = "9999-12-31T23:59:59-14:00"


@pytest.mark.parametrize("args", [
    ["check", "--store", STORE],
    ["snapshot", "--store", STORE, "--ledger", "{tmp}/new.jsonl"],
    ["report", "experiment", "credit-risk", "--store", STORE, "-o", "{tmp}/x.html"],
    ["report", "inventory", "--store", STORE, "-o", "{tmp}/x.html"],
    ["report", "model", "credit-risk", "--alias", "champion", "--store", STORE, "-o", "{tmp}/x.html"],
    ["report", "decision", "APP-004711", "--store", STORE, "--predictions", LOG, "-o", "{tmp}/x.html"],
], ids=lambda a: " ".join(map(str, a[:2])))
def test_an_as_of_beyond_year_9999_in_utc_is_one_line_in_every_command(tmp_path, cli_run, args):
    args = [str(a).replace("{tmp}", str(tmp_path)) for a in args]
    message = _one_line(cli_run(*args, "--as-of", AS_OF), 2)
    assert f"{AS_OF!r} is outside the years 1-9999 once converted to UTC" in message
    assert list(tmp_path.iterdir()) == []


FAIR = ["fairness", "--predictions", LOG, "--sensitive", "sex", "--positive", "approve", "--label-positive", "good"]


def test_a_chart_to_an_unwritable_path_is_one_line(tmp_path, cli_run):
    for target, reason in ((tmp_path / "missing" / "x.svg", "No such file or directory"),
                           (tmp_path, "Is a directory")):
        message = _one_line(cli_run(*FAIR, "--chart", target), 2)
        assert message == f"error: cannot write chart {str(target)!r}: {reason}; expected a writable .svg file path\n"


def test_a_huge_bootstrap_count_is_refused_with_its_limit(cli_run):
    message = _one_line(cli_run(*FAIR, "--ci", "0.95", "--bootstrap", "1000000000"), 2)
    assert message == ("error: bootstrap resamples 1000000000 exceed the limit of 100000; 1000 to 10000 give "
                       "stable intervals\n")


def test_a_template_that_includes_itself_is_one_line(tmp_path, cli_run):
    (tmp_path / "experiment.html").write_text('{% include "experiment.html" %}\n', encoding="utf-8")
    message = _one_line(cli_run("report", "experiment", "credit-risk", "--store", STORE, "-o", tmp_path / "x.html",
                                "--templates", tmp_path), 2)
    assert message == ("error: template 'experiment.html' failed to render: templates include, import or extend "
                       "one another without end\n")
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("expression", [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ report.__class__.__init__.__globals__ }}",
])
def test_a_user_template_cannot_reach_python_internals(tmp_path, cli_run, expression):
    (tmp_path / "experiment.html").write_text(expression + "\n", encoding="utf-8")
    message = _one_line(cli_run("report", "experiment", "credit-risk", "--store", STORE, "-o", tmp_path / "x.html",
                                "--templates", tmp_path), 2)
    assert message.startswith("error: template 'experiment.html' failed to render: access to attribute '__")
    assert message.endswith("is unsafe.\n")
    assert not (tmp_path / "x.html").exists()


@click.command("crash-for-test")
@click.option("--store", default=None)
def _crash(store: str | None) -> None:
    """A command with a bug, as any command could have: it raises an exception auditkit does not expect."""
    {}["missing"]


@pytest.fixture
def crashing_cli():
    from auditkit.cli import cli

    cli.add_command(_crash)
    try:
        yield cli
    finally:
        cli.commands.pop("crash-for-test")


def test_an_unexpected_exception_is_one_line_asking_for_a_bug_report(crashing_cli):
    from click.testing import CliRunner

    result = CliRunner().invoke(crashing_cli, ["crash-for-test", "--store", "s.db"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr == ("error: auditkit crash-for-test failed unexpectedly on --store s.db: KeyError: 'missing'. "
                             "This is a bug in auditkit: please report it with this line and the command (rerun "
                             "with --debug for the traceback)\n")
    debug = CliRunner().invoke(crashing_cli, ["--debug", "crash-for-test"], catch_exceptions=False)
    assert debug.exit_code == 2
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.splitlines()[-1].startswith("error: auditkit crash-for-test failed unexpectedly: KeyError")


def test_debug_is_a_global_option_of_the_installed_command(tmp_path):
    broken = tmp_path / "L.jsonl"
    broken.write_text("{}\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "auditkit", "--debug", "verify", "--ledger", str(broken)],
                         capture_output=True, text=True)
    # an expected error stays one line even under --debug
    assert (out.returncode, out.stderr) == (1, f"error: ledger {str(broken)!r} line 1 (seq ?): field 'seq' is "
                                               "missing or not an integer\n")
    assert "--debug" in subprocess.run([sys.executable, "-m", "auditkit", "--help"], capture_output=True,
                                       text=True).stdout

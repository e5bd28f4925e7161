"""The docs a user reads list every command the CLI has, and the README's two commands exist."""

from __future__ import annotations

import re

from conftest import ROOT


def _commands():
    from auditkit.cli import cli

    def walk(group, prefix):
        for name, cmd in sorted(group.commands.items()):
            if hasattr(cmd, "commands"):
                yield from walk(cmd, prefix + [name])
            else:
                yield " ".join(prefix + [name])

    return list(walk(cli, []))


def test_readme_lists_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `auditkit ([a-z-]+(?: [a-z-]+)?)", readme, flags=re.M))
    missing = [c for c in _commands() if c not in listed]
    assert not missing, f"README's command table lacks: {missing}"
    unknown = listed - set(_commands())
    assert not unknown, f"README lists commands the CLI does not have: {sorted(unknown)}"


def test_readme_setup_commands_exist_and_ci_runs_the_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "scripts/sample.sh" in readme and "scripts/test.sh" in readme
    assert (ROOT / "scripts" / "sample.sh").exists() and (ROOT / "scripts" / "test.sh").exists()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")

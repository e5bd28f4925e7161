"""Every example of docs/python.md runs as written, in order, in one session, from a folder that
holds the sample data (the page says they run from the repository root)."""

from __future__ import annotations

import contextlib
import io
import os
import re

from conftest import ROOT


def test_every_python_example_runs(tmp_path):
    text = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 8
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    old = os.getcwd()
    os.chdir(tmp_path)
    namespace: dict = {}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for i, block in enumerate(blocks):
                exec(compile(block, f"docs/python.md block {i + 1}", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(old)
    printed = out.getvalue()
    assert (tmp_path / "decision.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "model.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert namespace["doc"]["prediction"]["id"] == "APP-004711"
    assert namespace["v3"].selection["version"] == "3"
    assert "approve ['male', 'female']" in printed or "approve ['female', 'male']" in printed

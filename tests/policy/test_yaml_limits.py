"""YAML read by auditkit (policy files, --fields files) is loaded safely and within limits: nested
anchors, deep nesting, Python tags and non-UTF-8 bytes are one `error:` line each, exit 2."""

from __future__ import annotations

import pytest

from conftest import ROOT, file_sha256

STORE = ROOT / "sample_data" / "mlflow.db"

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")) + "purpose: *i\n"
DEEP = "purpose: " + "[" * 5000 + "]" * 5000 + "\n"
MANY = "purpose: &p x\n" + "".join(f"k{i}: *p\n" for i in range(101))
PYTHON = 'purpose: !!python/object/apply:os.system ["echo owned"]\n'

CASES = {
    "laughs": (LAUGHS.encode(), "line 6: more than 100000 values once aliases are expanded"),
    "deep": (DEEP.encode(), "line 1: nesting deeper than 64 levels"),
    "aliases": (MANY.encode(), "line 102: more than 100 aliases (*name); expected plain values"),
    "python": (PYTHON.encode(), "line 1: tag !!python/object/apply:os.system is not allowed; expected plain YAML values"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fields_file_beyond_the_limits_is_one_line(tmp_path, cli_run, case):
    data, problem = CASES[case]
    path = tmp_path / "fields.yaml"
    path.write_bytes(data)
    result = cli_run("report", "experiment", "credit-risk", "--store", STORE, "-o", tmp_path / "x.html",
                     "--fields", path)
    assert (result.exit_code, result.stderr) == (2, f"error: fields file {str(path)!r} cannot be read: {problem}\n")
    assert path.read_bytes() == data and not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("case", sorted(CASES))
def test_policy_beyond_the_limits_is_one_line(tmp_path, cli_run, case):
    data, problem = CASES[case]
    data = data.replace(b"purpose:", b"auditkit_policy:")
    line, _, text = problem.partition(": ")
    path = tmp_path / "policy.yaml"
    path.write_bytes(data)
    before = file_sha256(STORE)
    result = cli_run("check", "--store", STORE, "--policy", path)
    assert (result.exit_code, result.stderr) == (2, f"error: policy {str(path)!r} {line}: not valid YAML: {text}\n")
    assert file_sha256(STORE) == before


def test_a_non_utf8_fields_file_is_one_line(tmp_path, cli_run):
    path = tmp_path / "fields.yaml"
    path.write_bytes(b"purpose: caf\xe9\n")
    result = cli_run("report", "experiment", "credit-risk", "--store", STORE, "-o", tmp_path / "x.html",
                     "--fields", path)
    assert result.exit_code == 2
    assert result.stderr == (f"error: fields file {str(path)!r} cannot be read: not UTF-8 text "
                             "(byte 0xe9 at offset 12)\n")


def test_plain_yaml_within_the_limits_still_loads(tmp_path, cli_run):
    from auditkit.safeyaml import load

    text = "base: &b {purpose: scoring}\nmodels:\n  m1: *b\n  m2: *b\nlist: [1, 2.5, true, null, '2026-01-01']\n"
    assert load(text) == {"base": {"purpose": "scoring"}, "models": {"m1": {"purpose": "scoring"},
                          "m2": {"purpose": "scoring"}}, "list": [1, 2.5, True, None, "2026-01-01"]}

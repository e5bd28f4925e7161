"""Policy checks (`auditkit check`, auditkit.check_policy) on registries written by real MLflow.

The store is built here with MlflowClient: one registered model whose serving versions each
miss one piece of evidence (an unapproved champion, approval by the creator, a run without a git
commit, a run without a training dataset, unfair decisions), plus a compliant Production version
and non-serving versions that lack everything. The check must report exactly the chosen gaps.

MLflow has no public way to record a model version's creator: its SQL store never writes
``model_versions.user_id`` (it stays NULL even with the auth layer on). The test therefore writes
``user_id`` directly into its OWN temporary store with sqlite3, once MLflow has finished writing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap
from pathlib import Path

import pytest
from clock import clock

import auditkit
from auditkit import errors
from auditkit.connectors import open_store
from auditkit.policy import DEFAULT_POLICY_YAML, RULES, Finding, PolicyError, evaluate_policy, load_policy, parse_policy
from auditkit.policy.findings import (
    EVIDENCE_APPROVER_RUN,
    EVIDENCE_UNATTRIBUTED,
    MISSING_APPROVAL,
    MISSING_APPROVAL_FUTURE,
    MISSING_APPROVAL_OLD,
    MISSING_COMMIT,
    MISSING_CREATOR_UNKNOWN,
    MISSING_DATASET,
    MISSING_FAIRNESS_LIMIT,
    MISSING_FAIRNESS_NONE,
    MISSING_OWNER,
    MISSING_SELF_APPROVAL,
    PROBLEM_NO_TAG,
    PROBLEM_TAG_PATTERN,
)
from auditkit.fairness.messages import FAIRNESS_UNKNOWN_COLUMN
from auditkit.times import BAD_TIME
from auditkit.policy.messages import POLICY_DUPLICATE_KEY, POLICY_EMPTY, POLICY_MISSING, POLICY_MISSING_KEY, POLICY_NO_SERVING, POLICY_UNKNOWN_RULE, POLICY_WRONG_TYPE

ROOT = Path(__file__).resolve().parents[2]
MODEL = "loans"
AS_OF = "2026-07-01T00:00:00Z"
#: When the fixture's runs and versions are made (MLflow under a shifted clock).
REGISTERED = "2026-05-02T09:00:00Z"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
#: version → (run name, run user, version creator, approved_by, alias, stage, git commit?, training data?)
VERSIONS = {
    "1": ("prod", "a.schmidt", "a.schmidt", "k.weber", None, "Production", True, True),
    "2": ("champ", "a.schmidt", "a.schmidt", None, "champion", None, True, True),       # unapproved champion
    "3": ("chall", "m.yilmaz", "m.yilmaz", "m.yilmaz", "challenger", None, True, True),  # approved by its creator
    "4": ("canary", "j.novak", "j.novak", "k.weber", "canary", None, False, True),      # no git commit
    "5": ("shadow", "j.novak", "j.novak", "k.weber", "shadow", None, True, False),      # no training dataset
    "6": ("regional", "b.okafor", "b.okafor", "k.weber", "regional", None, True, True),  # unfair decisions
    "7": ("draft", "c.nguyen", "c.nguyen", None, None, None, False, False),             # not serving
    "8": ("old", "c.nguyen", "c.nguyen", None, None, "Archived", False, False),         # not serving
}
SERVING_ALIASES = ["champion", "challenger", "canary", "shadow", "regional"]
#: version → (female approvals of 10, male approvals of 10) in the prediction log
APPROVALS = {"1": (5, 5), "2": (6, 6), "3": (5, 6), "4": (7, 8), "5": (4, 4), "6": (2, 8)}

POLICY = textwrap.dedent("""\
    auditkit_policy: 1
    name: test policy
    serving:
      stages: [Production]
      aliases: [{aliases}]
    rules:
      approval:
        severity: error
        tags:
          approved_by: '[a-z]\\.[a-z]+'
          approved_at: '\\d{{4}}-\\d{{2}}-\\d{{2}}'
      approver_not_creator:
        severity: error
      approval_age:
        severity: warning
        max_days: 365
      training_dataset:
        severity: error
      git_commit:
        severity: error
        pattern: '[0-9a-f]{{40}}'
      owner:
        severity: warning
      fairness:
        severity: error
        predictions: predictions.csv
        sensitive: [sex]
        positive: approve
        limits:
          demographic_parity_ratio: {{min: 0.8}}
    """).format(aliases=", ".join(SERVING_ALIASES))


def _write_store(db: Path, work: Path) -> str:
    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient

    class Constant(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):  # pragma: no cover - never served
            return [0.5] * len(model_input)

    uri = f"sqlite:///{db}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = client.create_experiment("loans", artifact_location=(work / "artifacts").as_uri())
    frame = pd.DataFrame({"income": [1, 2, 3, 4], "approved": [0, 1, 0, 1]})
    train = mlflow.data.from_pandas(frame, source="data/train.csv", name="loans-train", targets="approved")
    evaluation = mlflow.data.from_pandas(frame, source="data/eval.csv", name="loans-eval", targets="approved")
    client.create_registered_model(MODEL)
    with clock(REGISTERED):  # registered before their approvals (2026-06-01), as in real life
        _register(client, exp, train, evaluation, Constant)
    # The creator: no MLflow API writes model_versions.user_id (see the module docstring).
    with sqlite3.connect(db) as conn:
        for version, spec in VERSIONS.items():
            conn.execute("UPDATE model_versions SET user_id = ? WHERE name = ? AND version = ?",
                         (spec[2], MODEL, int(version)))
    return uri


def _register(client, exp, train, evaluation, Constant) -> None:
    import mlflow

    for version, (run_name, user, _, approver, alias, stage, commit, training) in VERSIONS.items():
        tags = {"mlflow.user": user, **({"mlflow.source.git.commit": COMMIT} if commit else {})}
        rid = client.create_run(exp, run_name=run_name, tags=tags).info.run_id
        with mlflow.start_run(run_id=rid):
            if training:
                mlflow.log_input(train, context="training")
            mlflow.log_input(evaluation, context="evaluation")
            info = mlflow.pyfunc.log_model(name="model", python_model=Constant(), pip_requirements=["mlflow"])
        mv = mlflow.register_model(info.model_uri, MODEL)
        assert str(mv.version) == version
        if approver:
            client.set_model_version_tag(MODEL, version, "approved_by", approver)
            client.set_model_version_tag(MODEL, version, "approved_at", "2026-06-01")
        if stage:
            client.transition_model_version_stage(MODEL, version, stage)
        if alias:
            client.set_registered_model_alias(MODEL, alias, version)


def _write_predictions(path: Path) -> None:
    rows = ["prediction_id,timestamp,model_name,model_version,decision,sex"]
    n = 0
    for version, (female, male) in APPROVALS.items():
        for sex, approved in (("female", female), ("male", male)):
            for i in range(10):
                n += 1
                decision = "approve" if i < approved else "deny"
                rows.append(f"P-{n:04d},2026-06-15T10:{n % 60:02d}:00Z,{MODEL},{version},{decision},{sex}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """(store uri, folder holding policy.yaml and predictions.csv)."""
    work = tmp_path_factory.mktemp("policy-store")
    old = Path.cwd()
    os.chdir(work)
    try:
        uri = _write_store(work / "mlflow.db", work)
    finally:
        os.chdir(old)
    _write_predictions(work / "predictions.csv")
    (work / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return uri, work


def _ratio(version: str) -> float:
    female, male = APPROVALS[version]
    return min(female, male) / max(female, male)


def _run_id(uri: str, version: str) -> str:
    with open_store(uri) as store:
        return store.get_model_version(MODEL, version).run_id


def test_reports_exactly_the_chosen_gaps(registry):
    uri, work = registry
    with open_store(uri) as store:
        got = auditkit.check_policy(store, policy=work / "policy.yaml", as_of=AS_OF)
    unfair = [v for v in APPROVALS if _ratio(v) < 0.8]
    assert unfair == ["6"]
    expected = [
        ("approval", "2", "error", MISSING_APPROVAL.format(ref="loans/2", problems="; ".join(
            [PROBLEM_NO_TAG.format(tag="approved_by"), PROBLEM_NO_TAG.format(tag="approved_at")]))),
        ("approver_not_creator", "3", "error", MISSING_SELF_APPROVAL.format(ref="loans/3", user="m.yilmaz")),
        ("git_commit", "4", "error", MISSING_COMMIT.format(run_id=_run_id(uri, "4"), ref="loans/4",
                                                           tag="mlflow.source.git.commit")),
        ("training_dataset", "5", "error", MISSING_DATASET.format(run_id=_run_id(uri, "5"), ref="loans/5",
                                                                  context="training")),
        ("fairness", "6", "error", MISSING_FAIRNESS_LIMIT.format(
            metric="demographic_parity_ratio", features="sex", value=f"{_ratio('6'):.3f}", n=20, ref="loans/6",
            bound="at least 0.8")),
    ]
    assert [(f.rule, f.version, f.severity, f.missing) for f in got] == expected
    assert all(isinstance(f, Finding) and f.model == MODEL for f in got)
    with pytest.raises(AttributeError):
        got[0].severity = "info"  # frozen records
    evidence = {f.rule: f.evidence for f in got}
    assert evidence["training_dataset"] == f"run {_run_id(uri, '5')} inputs (mlflow.log_input): loans-eval (evaluation)"
    assert evidence["git_commit"] == f"run {_run_id(uri, '4')} tag mlflow.source.git.commit"
    assert evidence["approver_not_creator"] == "model version loans/3 creator (user_id) and tag approved_by"
    assert evidence["fairness"].startswith(f"prediction log {work / 'predictions.csv'}: 20 decisions by model version loans/6")


def test_serving_versions_are_the_stage_and_the_named_aliases(registry):
    uri, work = registry
    with open_store(uri) as store:
        result = evaluate_policy(store, policy=load_policy(work / "policy.yaml"), as_of=AS_OF)
    serving = {s.version: (s.stage, s.aliases) for s in result.serving}
    expected = {v: (spec[5] or "None", (spec[4],) if spec[4] else ()) for v, spec in VERSIONS.items()
                if spec[5] == "Production" or spec[4] in SERVING_ALIASES}
    assert serving == expected
    assert result.failed and result.summary()["by_severity"] == {"error": 5, "warning": 0, "info": 0}


def test_cli_table_json_and_exit_codes(registry, cli_run):
    uri, work = registry
    policy = work / "policy.yaml"
    doc = json.loads(cli_run("check", "--store", uri, "--policy", policy, "--as-of", AS_OF, "--format", "json").stdout)
    table = cli_run("check", "--store", uri, "--policy", policy, "--as-of", AS_OF)
    assert table.exit_code == 1
    lines = table.stdout.splitlines()
    assert lines[0] == f"policy: test policy ({policy}); as of 2026-07-01T00:00:00.000Z; 6 serving version(s)"
    assert lines[2].split() == ["severity", "rule", "model", "version", "missing"]
    assert [ln.split()[:4] for ln in lines[4:14:2]] == [
        ["error", "approval", "loans", "2"], ["error", "approver_not_creator", "loans", "3"],
        ["error", "git_commit", "loans", "4"], ["error", "training_dataset", "loans", "5"],
        ["error", "fairness", "loans", "6"]]
    assert [ln.strip() for ln in lines[5:15:2]] == [f"evidence: {f['evidence']}" for f in doc["findings"]]
    assert lines[-1] == "5 finding(s): 5 error, 0 warning, 0 info"

    out = cli_run("check", "--store", uri, "--policy", policy, "--as-of", AS_OF, "--format", "json")
    assert out.exit_code == 1
    doc = json.loads(out.stdout)
    assert doc["schema_version"] == "1"
    assert doc["policy"]["name"] == "test policy" and doc["policy"]["source"] == str(policy)
    assert [f["rule"] for f in doc["findings"]] == ["approval", "approver_not_creator", "git_commit",
                                                   "training_dataset", "fairness"]
    assert set(doc["findings"][0]) == {"rule", "model", "version", "severity", "evidence", "missing"}
    assert doc["summary"] == {"as_of": "2026-07-01T00:00:00.000Z", "serving_versions": 6, "findings": 5,
                              "by_severity": {"error": 5, "warning": 0, "info": 0}, "passed": False, "accepted": 0}

    # Only warnings: exit 0. The same policy with every rule downgraded.
    relaxed = work / "relaxed.yaml"
    relaxed.write_text(POLICY.replace("severity: error", "severity: warning"), encoding="utf-8")
    ok = cli_run("check", "--store", uri, "--policy", relaxed, "--as-of", AS_OF, "--format", "json")
    assert ok.exit_code == 0
    assert json.loads(ok.stdout)["summary"]["by_severity"] == {"error": 0, "warning": 5, "info": 0}


def test_cli_bad_policy_exits_2_with_one_line(registry, cli_run):
    uri, work = registry
    bad = work / "bad.yaml"
    bad.write_text(POLICY.replace("  owner:", "  owners:"), encoding="utf-8")
    res = cli_run("check", "--store", uri, "--policy", bad)
    line = POLICY.splitlines().index("  owner:") + 1
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr == "error: " + POLICY_UNKNOWN_RULE.format(
        source=str(bad), line=line, rule="owners", choices=errors.choices(list(RULES), limit=20)) + "\n"
    # A fairness rule naming a column the log lacks is bad input too (exit 2), not a finding.
    no_col = work / "no-column.yaml"
    no_col.write_text(POLICY.replace("sensitive: [sex]", "sensitive: [gender]"), encoding="utf-8")
    res = cli_run("check", "--store", uri, "--policy", no_col)
    assert res.exit_code == 2
    assert res.stderr.startswith("error: " + FAIRNESS_UNKNOWN_COLUMN.format(
        name="gender", where=f"prediction log {str(work / 'predictions.csv')!r}", choices="")[:-1])
    res = cli_run("check", "--store", uri, "--as-of", "last tuesday")
    assert res.exit_code == 2
    assert res.stderr == "error: " + BAD_TIME.format(what="as-of time", value="last tuesday") + "\n"


def _creator(uri: str, version: str, user: str | None) -> None:
    with sqlite3.connect(uri.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE model_versions SET user_id = ? WHERE name = ? AND version = ?", (user, MODEL, int(version)))


def _single_rule(work: Path, name: str, body: str, aliases: str = "[canary]") -> Path:
    path = work / f"only-{name}.yaml"
    path.write_text(f"auditkit_policy: 1\nserving:\n  aliases: {aliases}\nrules:\n  {name}:\n"
                    + textwrap.indent(textwrap.dedent(body), "    "), encoding="utf-8")
    return path


def test_unknown_creator_is_reported_with_its_own_severity(registry, tmp_path):
    uri, _ = registry
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(uri.removeprefix("sqlite:///"), db)
    copy = f"sqlite:///{db}"
    _creator(copy, "4", None)
    policy = _single_rule(tmp_path, "approver_not_creator", "severity: error\ncreator_unknown: warning\n")
    # Without a version creator, the source run's user is the creator (four eyes): when that is
    # the approver, it is self-approval at the rule's severity, and the evidence names the run.
    with sqlite3.connect(db) as conn:
        (run_id,) = conn.execute("SELECT run_id FROM model_versions WHERE name = ? AND version = 4", (MODEL,)).fetchone()
        conn.execute("UPDATE runs SET user_id = 'k.weber' WHERE run_uuid = ?", (run_id,))
    with open_store(copy) as store:
        got = auditkit.check_policy(store, policy=policy, as_of=AS_OF)
    assert [(f.rule, f.version, f.severity, f.missing, f.evidence) for f in got] == [
        ("approver_not_creator", "4", "error", MISSING_SELF_APPROVAL.format(ref="loans/4", user="k.weber"),
         EVIDENCE_APPROVER_RUN.format(run_id=run_id, ref="loans/4", tag="approved_by"))]
    # With no user on the run either, the creator is unknown: its own severity.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET user_id = NULL WHERE run_uuid = ?", (run_id,))
        conn.execute("DELETE FROM tags WHERE run_uuid = ? AND key = 'mlflow.user'", (run_id,))
    with open_store(copy) as store:
        got = auditkit.check_policy(store, policy=policy, as_of=AS_OF)
        assert [(f.rule, f.version, f.severity, f.missing) for f in got] == [
            ("approver_not_creator", "4", "warning", MISSING_CREATOR_UNKNOWN.format(ref="loans/4", user="k.weber"))]
        ignore = _single_rule(tmp_path, "approver_not_creator", "severity: error\ncreator_unknown: ignore\n")
        assert auditkit.check_policy(store, policy=ignore, as_of=AS_OF) == []


def test_approval_age_against_as_of(registry, tmp_path):
    uri, _ = registry
    policy = _single_rule(tmp_path, "approval_age", "severity: warning\nmax_days: 30\n")
    with open_store(uri) as store:
        assert auditkit.check_policy(store, policy=policy, as_of="2026-06-20") == []
        late = auditkit.check_policy(store, policy=policy, as_of="2026-08-01T00:00:00Z")
        early = auditkit.check_policy(store, policy=policy, as_of="2026-05-01")
    assert [f.missing for f in late] == [MISSING_APPROVAL_OLD.format(
        ref="loans/4", value="2026-06-01", days=61, as_of="2026-08-01T00:00:00.000Z", max_days=30)]
    assert [f.missing for f in early] == [MISSING_APPROVAL_FUTURE.format(
        ref="loans/4", value="2026-06-01", as_of="2026-05-01T00:00:00.000Z")]


def test_tag_patterns_owner_and_missing_decisions(registry, tmp_path):
    uri, work = registry
    pattern = _single_rule(tmp_path, "approval", "severity: info\ntags:\n  approved_by: 'x\\.[a-z]+'\n")
    with open_store(uri) as store:
        got = auditkit.check_policy(store, policy=pattern, as_of=AS_OF)
    assert [(f.severity, f.missing) for f in got] == [("info", MISSING_APPROVAL.format(
        ref="loans/4", problems=PROBLEM_TAG_PATTERN.format(tag="approved_by", value="k.weber", pattern="x\\.[a-z]+")))]

    # Version 7 serves nowhere: no finding for it until a policy names its stage ("None").
    owner = _single_rule(tmp_path, "owner", "severity: warning\n", aliases="[]\n  stages: [None]")
    import shutil

    db = tmp_path / "owner.db"
    shutil.copy(uri.removeprefix("sqlite:///"), db)
    copy = f"sqlite:///{db}"
    with sqlite3.connect(db) as conn:  # our own copy: a run without user and a version without creator
        conn.execute("UPDATE runs SET user_id = '' WHERE run_uuid = ?", (_run_id(uri, "7"),))
        conn.execute("DELETE FROM tags WHERE run_uuid = ? AND key = 'mlflow.user'", (_run_id(uri, "7"),))
    _creator(copy, "7", None)
    with open_store(copy) as store:
        got = auditkit.check_policy(store, policy=owner, as_of=AS_OF)
    assert [(f.rule, f.version, f.missing) for f in got] == [
        ("owner", "7", MISSING_OWNER.format(ref="loans/7", name=MODEL))]

    # A log without any decision by version 4 (the canary): no fairness result exists for it.
    only_v1 = tmp_path / "only_v1.csv"
    lines = (work / "predictions.csv").read_text(encoding="utf-8").splitlines()
    only_v1.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split(",")[3] == "1"]) + "\n",
                       encoding="utf-8")
    fair = _single_rule(tmp_path, "fairness", "severity: error\npredictions: only_v1.csv\nsensitive: sex\n"
                        "positive: approve\nlimits:\n  demographic_parity_ratio: {min: 0.8}\n")
    with open_store(uri) as store:
        got = auditkit.check_policy(store, policy=fair, as_of=AS_OF)
    assert [(f.version, f.missing) for f in got] == [
        ("4", MISSING_FAIRNESS_NONE.format(source=str(only_v1), ref="loans/4"))]
    quiet = _single_rule(tmp_path, "fairness", "severity: error\npredictions: only_v1.csv\nsensitive: sex\n"
                         "positive: approve\nno_decisions: ignore\nlimits:\n  demographic_parity_ratio: {min: 0.8}\n")
    with open_store(uri) as store:
        assert auditkit.check_policy(store, policy=quiet, as_of=AS_OF) == []


def test_fairness_by_model_uri_counts_alias_references_apart(registry, tmp_path):
    uri, _ = registry
    log = tmp_path / "by_uri.jsonl"
    rows = []
    for i, (ref, sex, decision) in enumerate(
            [("models:/loans/6", "female", "deny")] * 9 + [("models:/loans/6", "female", "approve")]
            + [("models:/loans/6", "male", "approve")] * 10 + [("models:/loans@regional", "female", "approve")] * 3):
        rows.append(json.dumps({"prediction_id": f"U{i}", "timestamp": "2026-06-15T10:00:00Z", "model_uri": ref,
                                "decision": decision, "sex": sex}))
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    policy = _single_rule(tmp_path, "fairness", f"severity: error\npredictions: {log.name}\nsensitive: [sex]\n"
                          "positive: approve\nlimits:\n  demographic_parity_ratio: {min: 0.8, max: 1.0}\n",
                          aliases="[regional]")
    with open_store(uri) as store:
        got = auditkit.check_policy(store, policy=policy, as_of=AS_OF)
    assert [f.missing for f in got] == [MISSING_FAIRNESS_LIMIT.format(
        metric="demographic_parity_ratio", features="sex", value=f"{(1 / 10) / (10 / 10):.3f}", n=20,
        ref="loans/6", bound="between 0.8 and 1")]
    assert got[0].evidence.endswith(EVIDENCE_UNATTRIBUTED.format(
        sentence="3 of 23 decision(s) could not be attributed to a model version: 3 named by alias or stage "
                 "with no ledger given"))


def test_fairness_rule_with_a_ledger_attributes_alias_decisions(registry, tmp_path):
    from auditkit.ledger import snapshot
    from auditkit.policy.findings import EVIDENCE_LEDGER

    uri, _ = registry
    ledger = tmp_path / "registry-ledger.jsonl"
    with open_store(uri) as store:  # the registry did not change around the decisions' day
        snapshot(store, ledger, now="2026-06-01T00:00:00Z")
        snapshot(store, ledger, now="2026-07-01T00:00:00Z")
    log = tmp_path / "by_alias.jsonl"
    rows = [("models:/loans/6", "male", "approve")] * 10 + [("models:/loans@regional", "female", "approve")] * 3 \
        + [("models:/loans@regional", "female", "deny")] * 7 + [("models:/loans@regional", "male", "deny")]
    log.write_text("".join(json.dumps({"prediction_id": f"A{i}", "timestamp": "2026-06-15T10:00:00Z",
                                       "model_uri": ref, "decision": d, "sex": sex}) + "\n"
                           for i, (ref, sex, d) in enumerate(rows)), encoding="utf-8")
    body = (f"severity: error\npredictions: {log.name}\nledger: {ledger.name}\nsensitive: [sex]\n"
            "positive: approve\nlimits:\n  demographic_parity_ratio: {min: 0.8}\n")
    policy = _single_rule(tmp_path, "fairness", body, aliases="[regional]")
    with open_store(uri) as store:
        got = auditkit.check_policy(store, policy=policy, as_of=AS_OF)
    # every decision is version 6's: 3 of 10 women approved, 10 of 11 men
    assert [f.missing for f in got] == [MISSING_FAIRNESS_LIMIT.format(
        metric="demographic_parity_ratio", features="sex", value=f"{(3 / 10) / (10 / 11):.3f}", n=21,
        ref="loans/6", bound="at least 0.8")]
    assert EVIDENCE_LEDGER.format(ledger=ledger) in got[0].evidence
    assert "could not be attributed" not in got[0].evidence


def test_approval_dated_before_registration_is_a_finding(registry, tmp_path):
    from mlflow.tracking import MlflowClient

    from auditkit.policy.findings import EVIDENCE_APPROVAL_REGISTRATION, MISSING_APPROVAL_BEFORE_REGISTRATION

    uri, _ = registry
    import shutil

    db = tmp_path / "early.db"
    shutil.copy(uri.removeprefix("sqlite:///"), db)
    client = MlflowClient(tracking_uri=f"sqlite:///{db}", registry_uri=f"sqlite:///{db}")
    client.set_model_version_tag(MODEL, "4", "approved_at", "2026-05-01")  # the day before registration
    client.set_model_version_tag(MODEL, "5", "approved_at", "2026-05-02")  # the day of registration: fine
    client.set_model_version_tag(MODEL, "6", "approved_at", "2026-05-02T08:59:00Z")  # a minute early
    policy = _single_rule(tmp_path, "approval", "severity: error\ntags:\n  approved_by: '.+'\n",
                          aliases="[canary, shadow, regional]")
    with open_store(f"sqlite:///{db}") as store:
        created = {v.version: v.creation_time for v in store.model_versions(MODEL)}
        got = auditkit.check_policy(store, policy=policy, as_of=AS_OF)
    assert created["4"].strftime("%Y-%m-%d") == "2026-05-02"  # MLflow stamped it under the fixture's clock
    assert [(f.version, f.severity, f.evidence, f.missing) for f in got] == [
        (v, "error", EVIDENCE_APPROVAL_REGISTRATION.format(ref=f"loans/{v}", tag="approved_at"),
         MISSING_APPROVAL_BEFORE_REGISTRATION.format(ref=f"loans/{v}", value=value, tag="approved_at",
                                                     created=auditkit.records.iso(created[v])))
        for v, value in (("4", "2026-05-01"), ("6", "2026-05-02T08:59:00Z"))]


def test_version_without_a_source_run(registry, tmp_path):
    uri, _ = registry
    import shutil

    from auditkit.policy.findings import EVIDENCE_NO_RUN, MISSING_NO_RUN

    db = tmp_path / "norun.db"
    shutil.copy(uri.removeprefix("sqlite:///"), db)
    with sqlite3.connect(db) as conn:  # our own copy: version 4 loses its links to a run
        conn.execute("UPDATE model_versions SET run_id = NULL, source = 's3://bucket/model' WHERE name = ? AND version = 4",
                     (MODEL,))
    policy = _single_rule(tmp_path, "training_dataset", "severity: error\n")
    policy.write_text(policy.read_text(encoding="utf-8") + "  git_commit:\n    severity: warning\n", encoding="utf-8")
    with open_store(f"sqlite:///{db}") as store:
        got = auditkit.check_policy(store, policy=policy, as_of=AS_OF)
    assert [(f.rule, f.severity, f.evidence, f.missing) for f in got] == [
        ("training_dataset", "error", EVIDENCE_NO_RUN.format(ref="loans/4"),
         MISSING_NO_RUN.format(ref="loans/4", what="training data")),
        ("git_commit", "warning", EVIDENCE_NO_RUN.format(ref="loans/4"),
         MISSING_NO_RUN.format(ref="loans/4", what="code version"))]


def test_equalized_odds_limit_with_labels(registry, tmp_path):
    uri, _ = registry
    # (sex, label, decision, count) for version 6's decisions.
    cells = [("female", "good", "approve", 4), ("female", "good", "deny", 1), ("female", "bad", "approve", 1),
             ("female", "bad", "deny", 4), ("male", "good", "approve", 5), ("male", "bad", "approve", 3),
             ("male", "bad", "deny", 2)]
    rows = ["prediction_id,timestamp,model_name,model_version,decision,label,sex"]
    for sex, label, decision, count in cells:
        rows += [f"L{len(rows)},2026-06-15T10:00:00Z,{MODEL},6,{decision},{label},{sex}" for _ in range(count)]
    (tmp_path / "labelled.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    def rate(sex: str, label: str) -> float:
        mine = [c for c in cells if c[0] == sex and c[1] == label]
        return sum(c[3] for c in mine if c[2] == "approve") / sum(c[3] for c in mine)

    eod = max(abs(rate("female", "good") - rate("male", "good")), abs(rate("female", "bad") - rate("male", "bad")))
    policy = _single_rule(tmp_path, "fairness", "severity: warning\npredictions: labelled.csv\nsensitive: [sex]\n"
                          "positive: approve\nlabel_positive: good\nlimits:\n"
                          "  equalized_odds_difference: {max: 0.1}\n", aliases="[regional]")
    with open_store(uri) as store:
        got = auditkit.check_policy(store, policy=policy, as_of=AS_OF)
    assert [(f.severity, f.missing) for f in got] == [("warning", MISSING_FAIRNESS_LIMIT.format(
        metric="equalized_odds_difference", features="sex", value=f"{eod:.3f}", n=20, ref="loans/6",
        bound="at most 0.1"))]


# -- the default policy and the sample data -------------------------------------------------------
def test_default_policy_is_the_sample_file_and_loads():
    assert (ROOT / "sample_data" / "policy.yaml").read_text(encoding="utf-8") == DEFAULT_POLICY_YAML
    default = parse_policy(DEFAULT_POLICY_YAML, source="x")
    loaded = load_policy(ROOT / "sample_data" / "policy.yaml")
    assert loaded.rules == default.rules and loaded.serving_aliases == default.serving_aliases


def test_default_policy_on_the_store(registry):
    uri, _ = registry
    with open_store(uri) as store:
        result = evaluate_policy(store, as_of=AS_OF)
    assert result.policy.source == "built-in default"
    # The default names champion and challenger: versions 1 (Production), 2 and 3.
    assert [s.version for s in result.serving] == ["1", "2", "3"]
    assert [(f.rule, f.version, f.severity) for f in result.findings] == [
        ("approval", "2", "error"), ("approver_not_creator", "3", "error")]


SAMPLE = ROOT / "sample_data" / "mlflow.db"


def test_sample_data_has_a_deliberate_finding(cli_run):
    res = cli_run("check", "--store", SAMPLE, "--as-of", "2026-07-01T00:00:00Z", "--format", "json")
    doc = json.loads(res.stdout)
    with open_store(str(SAMPLE)) as store:
        versions = {v.version: v for v in store.model_versions("credit-risk")}
    unapproved = sorted(v for v, mv in versions.items() if set(mv.aliases) & {"champion", "challenger"}
                        and not mv.tags.get("approved_by"))
    assert unapproved, "the sample data's challenger is meant to lack an approval"
    assert [(f["rule"], f["version"]) for f in doc["findings"] if f["severity"] == "error"] == [
        ("approval", v) for v in unapproved]
    assert res.exit_code == 1


# -- policy file errors: one line naming the key and its line --------------------------------------
GOOD = textwrap.dedent("""\
    auditkit_policy: 1
    serving:
      aliases: [champion]
    rules:
      approval:
        severity: error
        tags:
          approved_by: '.+'
      approval_age:
        severity: warning
        max_days: 365
    """)


def _error(tmp_path: Path, text: str) -> tuple[str, str]:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert "\n" not in str(info.value)
    return str(info.value), str(path)


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_good_policy_loads():
    policy = parse_policy(GOOD)
    assert [r.name for r in policy.rules] == ["approval", "approval_age"]
    assert policy.serving_aliases == ("champion",) and policy.serving_stages == ()


def test_unknown_rule_name(tmp_path):
    text = GOOD.replace("  approval_age:", "  approval_aeg:")
    msg, src = _error(tmp_path, text)
    assert msg == POLICY_UNKNOWN_RULE.format(source=src, line=_line_of(text, "approval_aeg"),
                                                    rule="approval_aeg", choices=errors.choices(list(RULES), limit=20))


def test_unknown_key_in_a_rule(tmp_path):
    text = GOOD.replace("max_days: 365", "max_day: 365")
    msg, src = _error(tmp_path, text)
    assert msg.startswith(f"policy {src!r} line {_line_of(text, 'max_day:')}: rules.approval_age has an unknown key 'max_day'")


@pytest.mark.parametrize("old, new, key, found, expected", [
    ("max_days: 365", "max_days: soon", "rules.approval_age.max_days", "text ('soon')", "a positive number"),
    ("max_days: 365", "max_days: -3", "rules.approval_age.max_days", "a number (-3)", "a positive number"),
    ("severity: warning", "severity: fatal", "rules.approval_age.severity", "text ('fatal')",
     "one of error, warning, info"),
    ("aliases: [champion]", "aliases: champion", "serving.aliases", "text ('champion')", "a list of text"),
    ("approved_by: '.+'", "approved_by: [a, b]", "rules.approval.tags.approved_by", "a list", "text"),
    ("auditkit_policy: 1", "auditkit_policy: 2", "auditkit_policy", "a number (2)", "1 (the format version)"),
])
def test_wrong_types(tmp_path, old, new, key, found, expected):
    text = GOOD.replace(old, new)
    msg, src = _error(tmp_path, text)
    assert msg == POLICY_WRONG_TYPE.format(source=src, line=_line_of(text, new), key=key, found=found,
                                                  expected=expected)


@pytest.mark.parametrize("drop, where, key, expected, line_of", [
    ("    max_days: 365\n", "rules.approval_age", "max_days", "the largest age in days (e.g. 365)", "approval_age:"),
    ("    severity: error\n", "rules.approval", "severity", "one of error, warning, info", "  approval:"),
    ("auditkit_policy: 1\n", "the policy", "auditkit_policy", "the format version (1)", "serving:"),
])
def test_missing_keys(tmp_path, drop, where, key, expected, line_of):
    text = GOOD.replace(drop, "")
    msg, src = _error(tmp_path, text)
    assert msg == POLICY_MISSING_KEY.format(source=src, line=_line_of(text, line_of), where=where, key=key,
                                                   expected=expected)


def test_other_policy_errors(tmp_path):
    text = GOOD.replace("approved_by: '.+'", "approved_by: '(unclosed'")
    msg, src = _error(tmp_path, text)
    assert msg.startswith(f"policy {src!r} line {_line_of(text, 'unclosed')}: rules.approval.tags.approved_by "
                          "'(unclosed' is not a valid regular expression")
    text = GOOD + "  approval:\n    severity: info\n    tags: {a: b}\n"
    msg, src = _error(tmp_path, text)
    assert msg == POLICY_DUPLICATE_KEY.format(source=src, line=len(GOOD.splitlines()) + 1, key="approval",
                                                     where="rules")
    text = GOOD.replace("aliases: [champion]", "aliases: []")
    msg, src = _error(tmp_path, text)
    assert msg == POLICY_NO_SERVING.format(source=src, line=_line_of(text, "serving:"))
    text = GOOD.replace("aliases: [champion]", "aliases: [champion")
    msg, src = _error(tmp_path, text)
    assert msg.startswith(f"policy {src!r} line ") and ": not valid YAML: " in msg
    msg, src = _error(tmp_path, "# nothing here\n")
    assert msg == POLICY_EMPTY.format(source=src)
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "absent.yaml")
    assert str(info.value) == POLICY_MISSING.format(path=str(tmp_path / "absent.yaml"))

"""``snapshot``, ``history``, ``verify`` and ``verify-data``: evidence auditkit keeps itself."""

from __future__ import annotations

import re

import click

from .. import errors
from ..ledger import ALL_KINDS, alias_history, verify_ledger
from ..ledger import snapshot as take
from ..ledger.messages import LEDGER_ANCHOR_MISSING, LEDGER_BAD_ANCHOR
from ..provenance import verify_data
from ..provenance.messages import DATA_MISMATCH
from ..signing import LedgerSignaturesError, load_ledger_signer, verify_ledger_signatures
from .options import as_of_option, format_option, ledger_option, store_option
from .output import render_json, render_table
from .sign_cmds import with_passphrase

SCHEMA_VERSION = "1"

@click.command()
@store_option
@ledger_option(required=True, help="The registry ledger: a JSON-lines file written only by `auditkit snapshot`.")
@as_of_option("Record this ISO 8601 time instead of the clock (for tests; never earlier than the "
              "ledger's last entry).")
@click.option("--sign-key", "sign_key", default=None, metavar="KEY", type=click.Path(dir_okay=False),
              help="Sign the new entry with this Ed25519 private key (PEM; an encrypted key's passphrase "
              "is read from $AUDITKIT_KEY_PASSPHRASE or asked for). Check with verify --trust KEY.pub.")
def snapshot(store_uri: str | None, ledger: str, as_of: str | None, sign_key: str | None) -> None:
    """Append the registry's current state to a hash-chained ledger.

    Records every registered model's versions (stage, tags, deleted flag, run id, source, …) and
    aliases as the changes since the last entry; an unchanged registry appends an entry with no
    changes, so the time it was seen unchanged is on record. Run it on a schedule (cron) and before
    answering a question about a recent decision.

    \b
    Example:
      auditkit snapshot --store sample_data/mlflow.db --ledger registry-ledger.jsonl
      auditkit snapshot --store sample_data/mlflow.db --ledger registry-ledger.jsonl --sign-key ledger.key
      # every 10 minutes, from cron:
      */10 * * * * auditkit snapshot --store postgresql://mlflow@db/mlflow --ledger /audit/ledger.jsonl
    """
    signer = None
    if sign_key is not None:  # signed ledger heads (docs/signing.md)
        signer = with_passphrase(lambda pw: load_ledger_signer(sign_key, passphrase=pw))
    entry = take(store_uri, ledger, now=as_of, sign=signer)
    n = len(entry["changes"])
    what = f"{n} change{'s' if n != 1 else ''}" if n else "no change since the last entry"
    signed = f", signed by key sha256 {signer.key_sha256}" if signer is not None else ""
    click.echo(f"snapshot #{entry['seq']} appended to {ledger} at {entry['taken_at']}: {what} "
               f"(sha256 {entry['sha256']}{signed})")


@click.command()
@ledger_option(required=True, help="The registry ledger: a JSON-lines file written only by `auditkit snapshot`.")
@click.option("--name", default=None, metavar="NAME", help="Only changes of this registered model.")
@click.option("--kind", "kinds", default="alias,stage,version", show_default=True, metavar="KINDS",
              help="Comma-separated kinds of change: alias, stage, version, tag, model, field, or all.")
@format_option(["table", "json"])
def history(ledger: str, name: str | None, kinds: str, fmt: str) -> None:
    """Show when each alias and stage moved, between which snapshots.

    A change recorded by snapshot #4 happened after snapshot #3 and by #4: the ledger cannot be more
    precise than the snapshots it holds. The chain is verified first (exit 1 if broken).

    \b
    Example:
      auditkit history --ledger registry-ledger.jsonl --name credit-risk
      auditkit history --ledger registry-ledger.jsonl --kind all --format json
    """
    wanted = ALL_KINDS if kinds.strip() == "all" else tuple(k.strip() for k in kinds.split(",") if k.strip())
    rows = alias_history(ledger, name=name, kinds=wanted)
    if fmt == "json":
        click.echo(render_json({"schema_version": SCHEMA_VERSION, "ledger": ledger,
                                "changes": [r.to_dict() for r in rows]}))
        return
    if not rows:
        click.echo("no recorded change" + (f" of {name}" if name else ""))
        return
    table = []
    for r in rows:
        window = (f"at #{r.to_seq} ({r.to_taken_at}), first" if r.from_seq is None
                  else f"#{r.from_seq} ({r.from_taken_at}) .. #{r.to_seq} ({r.to_taken_at})")
        table.append({"between snapshots": window, "model": r.model, "change": r.change})
    click.echo(render_table(table, ["between snapshots", "model", "change"], max_width=80))


@click.command()
@ledger_option(required=True, help="The registry ledger: a JSON-lines file written only by `auditkit snapshot`.")
@click.option("--anchor", default=None, metavar="SHA256",
              help="An entry's sha256 kept elsewhere earlier (e.g. printed by a previous verify): fail "
              "unless the chain still holds it, which catches a ledger cut short or rewritten.")
@click.option("--trust", "trust", multiple=True, metavar="KEY.pub", type=click.Path(dir_okay=False),
              help="Trusted Ed25519 public keys (repeatable): every signed entry must verify with one, "
              "and the newest entry must be covered by a signature; unsigned stretches are listed.")
def verify(ledger: str, anchor: str | None, trust: tuple[str, ...]) -> None:
    """Check the ledger's hash chain: exit 0 if intact, 1 naming the first bad entry.

    Detects an edited, deleted, reordered or inserted entry and an interrupted write. Removing the
    newest entries, or rewriting the whole file, leaves a valid chain: keep the head sha256 printed
    here somewhere else and pass it back with --anchor.

    \b
    Example:
      auditkit verify --ledger registry-ledger.jsonl
      auditkit verify --ledger registry-ledger.jsonl --anchor 3f9c…e1   # 64 hex characters
      auditkit verify --ledger registry-ledger.jsonl --trust ledger.pub
    """
    if anchor is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", anchor):
        raise errors.UsageError(LEDGER_BAD_ANCHOR.format(value=anchor))
    result = verify_ledger(ledger, anchor=anchor)  # one read and check of the chain
    if not result.ok:
        raise errors.LedgerTamperedError(result.message)
    if result.anchor_found is False:
        raise errors.LedgerTamperedError(LEDGER_ANCHOR_MISSING.format(path=ledger, anchor=anchor.lower()))
    click.echo(result.message)
    if result.entries:
        click.echo(f"head: snapshot #{result.head_seq} ({result.head_taken_at}), sha256 {result.head_sha256}")
    if trust:  # signed ledger heads (docs/signing.md)
        signatures = verify_ledger_signatures(ledger, trust=trust)
        click.echo(f"signatures: {len(signatures.signed)} of {signatures.entries} entries signed by a trusted key"
                   + (f"; head signed by key sha256 {signatures.head_signed_by}" if signatures.head_signed_by else ""))
        for first, last in signatures.unsigned_stretches:
            click.echo(f"unsigned: #{first}" + (f"..#{last}" if last != first else ""))
        for problem in signatures.problems:
            click.echo(f"problem: {problem}")
        if not signatures.ok:
            raise LedgerSignaturesError.of(signatures)


@click.command("verify-data")
@store_option
@click.option("--run", "run_id", required=True, metavar="RUN_ID", help="The run that logged the dataset.")
@click.option("--dataset", default=None, metavar="NAME", help="Compare only with the dataset of this name.")
@format_option(["table", "json"])
@click.argument("data_file", metavar="FILE", type=click.Path(dir_okay=False))
def verify_data_cmd(store_uri: str | None, run_id: str, dataset: str | None, fmt: str, data_file: str) -> None:
    """Recompute a logged dataset's MLflow digest from a data file: match or not.

    Reads FILE (.csv, .parquet or .jsonl) with pandas, computes the digest MLflow gives a pandas
    dataset, and compares it with each dataset the run logged. Also prints the file's full SHA-256.
    MLflow's digest is 8 hex characters of an MD5 over a sample of the data: weak evidence.
    Exit 0 on a match, 1 on a mismatch, 2 on bad input.

    \b
    Example:
      auditkit verify-data --store sample_data/mlflow.db --run 5ba0ef7463e84487abc8774b7369b418 \\
          --dataset german-credit-train sample_data/datasets/credit_train.csv
    """
    result = verify_data(store_uri, run_id=run_id, path=data_file, dataset=dataset)
    if fmt == "json":
        click.echo(render_json(result.to_dict()))
    else:
        click.echo(f"file         {result.file}")
        click.echo(f"sha256       {result.file_sha256}")
        click.echo(f"rows         {result.rows}")
        click.echo(f"digest       {result.digest}  (MLflow pandas digest recomputed from the file)")
        for d in result.datasets:
            ctx = f" ({d.context})" if d.context else ""
            if d.match:
                verdict = "match"
            elif d.match_with_logged_types:
                verdict = f"match only after casting columns to the logged types (digest {d.digest_with_logged_types})"
            else:
                verdict = "MISMATCH"
            click.echo(f"dataset      {d.name}{ctx}: logged digest {d.logged_digest}: {verdict}")
            for diff in d.type_differences:
                click.echo(f"             {diff}")
        for note in result.notes:
            click.echo(f"note: {note}")
    if not result.matched:
        logged = ", ".join(f"{d.name}: {d.logged_digest}" for d in result.datasets)
        raise errors.DataMismatchError(DATA_MISMATCH.format(
            path=data_file, digest=result.digest, run_id=run_id, logged=logged))

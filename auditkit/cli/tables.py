"""Writing a per-decision table (``lineage --all``, ``explain --all``): the output checks and the
one writer for ``.csv`` (through :mod:`auditkit.csvout`), ``.jsonl`` and ``.parquet``.

The file is written to a temporary name beside the target and renamed, so a failed run leaves no
half-written table; an output that is one of the command's inputs is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .. import errors
from ..connectors import store_identity
from ..csvout import write_frame

#: Table files by extension.
OUTPUT_KINDS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}
OUTPUT_IS_INPUT = "output {path!r} is the {what} {given!r} (an input of this command); choose another file"
#: Columns holding a tuple of sentences per row: a JSON list in CSV, a list in JSONL and Parquet.
LISTED = ("gaps", "accepted_gaps")


def check_output(output: str, *, bad_extension: str, store: Any, log: Any, ledger: str | None = None) -> str:
    """The table kind of ``output`` (``"csv"``, ``"parquet"`` or ``"jsonl"``). Raises
    :class:`~auditkit.errors.UsageError` (``bad_extension`` formatted with the path) for another
    extension, for an output that resolves to an input (the ledger, the prediction log, the store
    or a file inside a store folder) and for a folder that does not exist."""
    path = Path(output)
    kind = OUTPUT_KINDS.get(path.suffix.lower())
    if kind is None:
        raise errors.UsageError(bad_extension.format(path=output))
    real = Path(os.path.realpath(path.expanduser()))
    store_id = store_identity(store)[1]
    store_path = store_id[len("sqlite:///"):] if store_id.startswith("sqlite:///") else store_id
    inputs = [("ledger", ledger), ("prediction log", None if log.kind == "sql" else str(log.source)),
              ("store", store_path if store_path.startswith("/") else None)]
    for what, given in inputs:
        if given is None:
            continue
        other = Path(os.path.realpath(Path(given).expanduser()))
        if real == other or (what == "store" and other in real.parents):
            raise errors.UsageError(OUTPUT_IS_INPUT.format(path=output, what=what, given=given))
    if not path.parent.is_dir():
        raise errors.UsageError(f"cannot write {output!r}: folder {str(path.parent)!r} does not exist")
    return kind


def write_table(chunks: Iterable[Any], output: str, kind: str, *,
                each: Callable[[Any], None] | None = None) -> None:
    """Write the frames ``chunks`` (one table, in order) to ``output`` as ``kind``; ``each`` is
    called with every chunk as it is written (for counts). Raises
    :class:`~auditkit.errors.UsageError` when the file cannot be written."""
    path = Path(output)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if kind == "parquet":
            import pandas as pd  # heavy: only for a Parquet output

            frames = list(chunks)
            for frame in frames:
                if each is not None:
                    each(frame)
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            out = frame.copy()
            for col in LISTED:
                if col in out:
                    out[col] = [list(g) for g in out[col]]
            out.to_parquet(tmp, index=False)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                for i, chunk in enumerate(chunks):
                    if each is not None:
                        each(chunk)
                    _write_text_chunk(chunk, fh, kind, header=i == 0)
        os.replace(tmp, path)
    except OSError as exc:
        raise errors.UsageError(f"cannot write {output!r}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_text_chunk(chunk: Any, fh: Any, kind: str, *, header: bool) -> None:
    cache: dict[tuple, str] = {}

    def gaps_json(g: tuple) -> str:
        text = cache.get(g)
        if text is None:
            text = cache[g] = json.dumps(list(g), ensure_ascii=False)
        return text

    out = chunk.copy()
    ts = out["timestamp"]
    out["timestamp"] = ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
    listed = [c for c in LISTED if c in out]
    if kind == "csv":
        for col in listed:
            out[col] = [gaps_json(g) for g in out[col]]
        write_frame(fh, out, header=header)  # quoted, formulas neutralised (auditkit.csvout)
        return
    for col in listed:
        out[col] = [list(g) for g in out[col]]
    rows = out.astype(object).where(out.notna(), None).to_dict("records")
    fh.writelines(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n" for row in rows)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)

"""``verify-data``: does a data file hold the dataset a run logged?

MLflow records a pandas dataset's ``digest`` when a run logs it (``mlflow.log_input``). This module
recomputes that digest from a file, with the same algorithm MLflow's pandas dataset uses (written
here from its description; MLflow is not imported), and compares it with each dataset the run logged.

The algorithm: keep the first 10,000 rows; of those, keep the columns whose every value (over the
*whole* frame) is a Python ``str`` and the numeric columns (the union of both, as a pandas index
union orders it); hash them row by row with :func:`pandas.util.hash_pandas_object` (index
included); feed an MD5 with those 64-bit row hashes, the full row count as a 64-bit integer and the
text of every column name; keep the first 8 hex characters.

That is weak evidence: 32 bits of an MD5, over at most the first 10,000 rows, blind to columns
that are neither text nor numbers (dates, booleans, mixed objects). The file's full SHA-256 is
reported alongside so the exact bytes can be pinned from now on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import errors
from ..connectors import Connector, open_store
from .messages import DATA_FILE_FORM, DATA_FILE_MISSING, DATA_FILE_UNREADABLE, DATA_NO_DATASETS, DATA_UNKNOWN_DATASET

if TYPE_CHECKING:
    import pandas as pd

#: Rows MLflow's pandas digest looks at.
DIGEST_MAX_ROWS = 10_000
#: The sentence every verify-data result carries.
WEAK_EVIDENCE = (
    "MLflow's dataset digest is 8 hex characters (32 bits) of an MD5 over at most the first "
    f"{DIGEST_MAX_ROWS:,} rows and only the text and numeric columns: a match is weak evidence; "
    "the file's SHA-256 pins its exact bytes"
)
CSV_DTYPES_NOTE = (
    "a CSV does not keep column types: read back, a column may get another type than the logged "
    "frame had (int32 -> int64, float32 -> float64, dates -> text), which changes the digest"
)
#: MLflow schema types -> pandas dtypes used when re-reading a file "as logged".
SCHEMA_DTYPES = {
    "long": "int64", "integer": "int32", "double": "float64", "float": "float32",
    "boolean": "bool", "string": "object", "datetime": "datetime64[ns]",
}
DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".jsonl")


def mlflow_pandas_digest(df: "pd.DataFrame") -> str:
    """The digest MLflow's ``mlflow.data.from_pandas(df)`` gives ``df`` (8 hex characters)."""
    import numpy as np  # heavy: loaded on first use
    import pandas as pd  # heavy: loaded on first use

    head = df.head(DIGEST_MAX_ROWS)
    is_text = np.array([_all_str(df.iloc[:, i]) for i in range(df.shape[1])], dtype=bool)
    numeric_cols = head.select_dtypes(include=[np.number]).columns
    chosen = head.columns[is_text].union(numeric_cols)  # a pandas union: sorted where sortable
    row_hashes = pd.util.hash_pandas_object(head[chosen]).to_numpy()
    md5 = hashlib.md5(usedforsecurity=False)
    md5.update(row_hashes.tobytes())
    md5.update(np.int64(len(df)).tobytes())
    for col in df.columns:
        md5.update(str(col).encode())
    return md5.hexdigest()[:8]


def _all_str(col: "pd.Series") -> bool:
    """True when every value is exactly a Python ``str`` (vacuously true with no rows)."""
    if len(col) == 0:
        return True
    if col.dtype.kind in "biufcmM":  # numbers, booleans and times never hold str values
        return False
    import pandas as pd  # heavy: loaded on first use

    if isinstance(col.dtype, pd.StringDtype):  # text dtype: every value is a str but the missing ones
        return not bool(col.isna().any())
    values = col.astype(object) if col.dtype.name == "category" else col
    return all(type(v) is str for v in values)


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_data_file(path: str | Path) -> "pd.DataFrame":
    """Read a ``.csv``, ``.parquet`` or ``.jsonl`` file with pandas' defaults.

    Raises :class:`~auditkit.errors.UsageError` for a missing file, an unknown suffix and an
    unreadable file (the reason is named).
    """
    import pandas as pd  # heavy: loaded on first use

    p = Path(path)
    if not p.is_file():
        raise errors.UsageError(DATA_FILE_MISSING.format(path=str(p)))
    suffix = p.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise errors.UsageError(DATA_FILE_FORM.format(path=str(p)))
    try:
        if suffix == ".csv":
            return pd.read_csv(p)
        if suffix == ".jsonl":
            return pd.read_json(p, lines=True)
        return pd.read_parquet(p)
    except Exception as exc:  # pandas raises many kinds for a malformed file
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise errors.UsageError(DATA_FILE_UNREADABLE.format(path=str(p), reason=reason)) from None


def _logged_columns(schema: str | None) -> list[tuple[str, str]] | None:
    """``[(name, mlflow type)]`` from a logged ``mlflow_colspec`` schema, ``None`` if unreadable."""
    try:
        spec = json.loads(schema or "")["mlflow_colspec"]
        return [(str(c["name"]), str(c["type"])) for c in spec]
    except (ValueError, KeyError, TypeError):
        return None


def _mlflow_type(col: "pd.Series") -> str:
    """The MLflow schema type a column's dtype maps to (text for anything not numeric/bool/time)."""
    dtype = col.dtype
    kind, size = getattr(dtype, "kind", "O"), getattr(dtype, "itemsize", 8)
    return {"i": "long" if size == 8 else "integer", "u": "long", "b": "boolean",
            "f": "double" if size == 8 else "float", "M": "datetime"}.get(kind, "string")


@dataclass(frozen=True)
class DatasetCheck:
    """One logged dataset compared with the file."""

    name: str
    context: str | None
    logged_digest: str | None
    match: bool
    logged_rows: int | None
    type_differences: list[str] = field(default_factory=list)
    digest_with_logged_types: str | None = None
    match_with_logged_types: bool = False


@dataclass(frozen=True)
class DataVerification:
    """Outcome of :func:`verify_data`. ``matched`` is true when the file's digest (as read, or
    with the logged column types applied) equals a logged dataset's digest."""

    run_id: str
    file: str
    file_sha256: str
    rows: int
    columns: list[str]
    digest: str
    datasets: list[DatasetCheck]
    notes: list[str]

    @property
    def matched(self) -> bool:
        return any(d.match or d.match_with_logged_types for d in self.datasets)

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": "1", **asdict(self), "matched": self.matched}


def verify_data(store: "Connector | str | None", *, run_id: str, path: str | Path,
                dataset: str | None = None) -> DataVerification:
    """Recompute the MLflow digest of a data file and compare it with the run's logged datasets.

    ``dataset`` limits the comparison to datasets of that name. When the file does not match as
    read and the logged schema names other column types, the file is also compared after casting
    its columns to the logged types (CSV round trips lose types); both results are reported.

    Raises :class:`~auditkit.errors.RecordNotFoundError` (unknown run),
    :class:`~auditkit.errors.UsageError` (file missing or unreadable, no such dataset, run logged
    no dataset) and :class:`~auditkit.errors.StoreError`.
    """
    if isinstance(store, Connector):
        run = store.get_run(run_id)
    else:
        with open_store(store) as opened:
            run = opened.get_run(run_id)
    refs = list(run.datasets)
    if not refs:
        raise errors.UsageError(DATA_NO_DATASETS.format(run_id=run_id))
    if dataset is not None:
        names = sorted({r.name for r in refs})
        refs = [r for r in refs if r.name == dataset]
        if not refs:
            raise errors.UsageError(DATA_UNKNOWN_DATASET.format(
                run_id=run_id, name=dataset, choices=errors.choices(names)))
    frame = read_data_file(path)
    digest = mlflow_pandas_digest(frame)
    checks = [_check(ref, frame, digest) for ref in refs]
    notes = [WEAK_EVIDENCE]
    if not any(c.match for c in checks):
        if Path(path).suffix.lower() == ".csv":
            notes.append(CSV_DTYPES_NOTE)
        for c in checks:
            if c.logged_rows is not None and c.logged_rows != len(frame):
                notes.append(f"dataset {c.name!r} was logged with {c.logged_rows} rows; the file has {len(frame)}")
    return DataVerification(run_id=run_id, file=str(path), file_sha256=file_sha256(path), rows=len(frame),
                            columns=[str(c) for c in frame.columns], digest=digest, datasets=checks,
                            notes=notes)


def _check(ref: Any, frame: "pd.DataFrame", digest: str) -> DatasetCheck:
    match = ref.digest is not None and ref.digest == digest
    base = dict(name=ref.name, context=ref.context, logged_digest=ref.digest, match=match, logged_rows=ref.rows)
    logged = _logged_columns(ref.schema)
    if match or not logged:
        return DatasetCheck(**base)
    differences: list[str] = []
    cast = frame.copy()
    for name, typ in logged:
        if name not in cast.columns:
            differences.append(f"column {name!r} was logged ({typ}) but is not in the file")
            continue
        have = _mlflow_type(cast[name])
        if have == typ or typ not in SCHEMA_DTYPES:
            continue
        differences.append(f"column {name!r} was logged as {typ} but reads as {have}")
        try:
            cast[name] = cast[name].astype(SCHEMA_DTYPES[typ]) if typ != "string" else \
                cast[name].map(lambda v: v if v is None or v != v else str(v)).astype(object)
        except (ValueError, TypeError):
            differences[-1] += " (cannot be cast)"
    logged_names = {n for n, _ in logged}
    differences += [f"column {str(c)!r} is in the file but was not logged" for c in frame.columns
                    if str(c) not in logged_names]
    if not differences:
        return DatasetCheck(**base)
    again = mlflow_pandas_digest(cast)
    return DatasetCheck(**base, type_differences=differences, digest_with_logged_types=again,
                        match_with_logged_types=again == ref.digest)


__all__ = ["CSV_DTYPES_NOTE", "DataVerification", "DatasetCheck", "WEAK_EVIDENCE", "file_sha256",
           "mlflow_pandas_digest", "read_data_file", "verify_data"]

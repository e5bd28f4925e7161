"""A file log is validated in chunks (bounded memory for `lineage --all` on large logs): a repeat
or a bad timestamp far apart from its twin, in another chunk, is still found and named."""

from __future__ import annotations

import pytest

from auditkit import open_predictions
from auditkit.errors import PredictionLogError
from auditkit.logs import CHUNK_ROWS

ROWS = CHUNK_ROWS * 2 + 1000  # three chunks


def _write(path, *, repeat: tuple[int, int] | None = None, bad_time: int | None = None) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("prediction_id,timestamp,decision\n")
        for i in range(ROWS):
            pid = f"P{repeat[0]:07d}" if repeat and i == repeat[1] else f"P{i:07d}"
            ts = "not-a-time" if i == bad_time else f"2026-01-{1 + i % 28:02d}T00:00:{i % 60:02d}Z"
            fh.write(f"{pid},{ts},approve\n")


def test_a_clean_large_log_validates_in_chunks(tmp_path):
    path = tmp_path / "p.csv"
    _write(path)
    assert open_predictions(path).validate() == ROWS


def test_a_repeat_in_another_chunk_is_named_with_both_lines(tmp_path):
    path = tmp_path / "p.csv"
    _write(path, repeat=(5, ROWS - 10))
    with pytest.raises(PredictionLogError) as caught:
        open_predictions(path).validate()
    assert "'P0000005' at line 7 and line " + str(ROWS - 10 + 2) in str(caught.value)


def test_a_bad_timestamp_in_a_later_chunk_is_named_by_its_line(tmp_path):
    path = tmp_path / "p.csv"
    _write(path, bad_time=CHUNK_ROWS + 17)
    with pytest.raises(PredictionLogError) as caught:
        open_predictions(path).validate()
    assert f"line {CHUNK_ROWS + 17 + 2} (e.g. 'not-a-time')" in str(caught.value)

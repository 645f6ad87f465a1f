"""One real `lexnorm run` over a folder that mixes every input that once stopped, hung or
silently damaged a run (`lexnorm.testing.write_hostile_inputs`) with the five seeds:
it exits 0 in bounded time, every hostile file is ok, rejected or skipped with a reason,
and the seeds' rows are those of a run on the seeds alone. Then the results store and
the translation cache are damaged and the run goes on."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, SEEDS

from lexnorm.testing import _ENCODED_SENTENCES, write_hostile_inputs

SEED_IDS = {p.stem for p in SEEDS.values()}


def lexnorm_run(raw: Path, out: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in ("documents", "clauses", "alignments")}


def seed_rows(t: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    docs = t["documents"][t["documents"].doc_id.isin(SEED_IDS)].drop(columns=["processed_at", "source_path"])
    clauses = t["clauses"][t["clauses"].doc_id.isin(SEED_IDS)]
    return docs.reset_index(drop=True), clauses.reset_index(drop=True)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    seeds_raw, raw = tmp / "seeds", tmp / "raw"
    seeds_raw.mkdir()
    for path in SEEDS.values():
        shutil.copy(path, seeds_raw)
        shutil.copy(path, raw) if raw.exists() else (raw.mkdir(), shutil.copy(path, raw))
    cases = write_hostile_inputs(raw)
    alone = lexnorm_run(seeds_raw, tmp / "out_seeds")
    assert alone.returncode == 0, alone.stdout + alone.stderr
    proc = lexnorm_run(raw, tmp / "out")
    return tmp, cases, proc


def row_for(docs: pd.DataFrame, name: str) -> pd.Series:
    """The documents row of an input file (by its source path's file name)."""
    names = docs.source_path.map(lambda p: Path(p).name)
    if name.startswith("b'"):  # a name that is not UTF-8: whatever lexnorm made of it
        matches = docs[names.str.startswith("caf") & names.str.endswith(".txt")]
    else:
        matches = docs[names == name]
    assert len(matches) == 1, (name, list(names))
    return matches.iloc[0]


def test_the_run_completes_and_says_so(hostile):
    _, _, proc = hostile
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "manifest.json" in proc.stdout + proc.stderr  # the broken manifest is warned about


def test_every_hostile_file_has_a_row_with_its_outcome(hostile):
    tmp, cases, _ = hostile
    t = tables(tmp / "out")
    docs = t["documents"]
    assert docs.doc_id.is_unique
    for name, allowed in cases.items():
        row = row_for(docs, name)
        assert row.status in allowed.split("|"), (name, row.status, row.error)
        if row.status != "ok":
            assert row.error and len(row.error) > 10, (name, row.error)
        else:
            assert (t["clauses"].doc_id == row.doc_id).sum() == row.n_clauses > 0


def test_decoded_texts_are_the_right_text_or_rejected(hostile):
    tmp, _, _ = hostile
    docs = tables(tmp / "out")["documents"]
    for name, (_, text) in _ENCODED_SENTENCES.items():
        row = row_for(docs, f"{name}.txt")
        if row.status == "ok":
            assert row.text == unicodedata.normalize("NFC", text), (name, row.encoding, row.text[:80])


def test_the_seeds_rows_are_those_of_a_run_on_the_seeds_alone(hostile):
    tmp, _, _ = hostile
    docs, clauses = seed_rows(tables(tmp / "out"))
    docs_alone, clauses_alone = seed_rows(tables(tmp / "out_seeds"))
    pd.testing.assert_frame_equal(docs, docs_alone)
    pd.testing.assert_frame_equal(clauses, clauses_alone)


def test_damaged_store_and_cache_cost_a_warning_and_a_recomputation(hostile):
    tmp, _, _ = hostile
    out = tmp / "out"
    before = tables(out)
    cache = out / ".lexnorm-cache"
    stored = sorted((cache / "documents").glob("*.json.gz"))
    assert len(stored) >= 3
    stored[0].write_bytes(stored[0].read_bytes()[:100])  # truncated
    data = bytearray(stored[1].read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit's worth of damage
    stored[1].write_bytes(bytes(data))
    stored[2].write_bytes(gzip.compress(b'{"doc_id": 3, "clauses": "no"}'))  # valid gzip, wrong record
    (cache / "translations.sqlite").write_bytes(os.urandom(4096))
    manifest = json.loads((cache / "manifest.json").read_text())
    manifest["documents"] = {doc_id: ["not", "a", "dict"] for doc_id in manifest["documents"]}
    (cache / "manifest.json").write_text(json.dumps(manifest))
    proc = lexnorm_run(tmp / "raw", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = tables(out)
    for name in ("documents", "clauses"):
        a = before[name].drop(columns=["processed_at"], errors="ignore")
        b = after[name].drop(columns=["processed_at"], errors="ignore")
        pd.testing.assert_frame_equal(a, b)

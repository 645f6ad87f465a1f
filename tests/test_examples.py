"""examples/analyst_tour.py runs on real output: one Prefect run of the flow on the seeds, then the
tour as a script; and on tables with no rows, with a parallel pair, and on a folder with no tables."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pandas as pd
import pyarrow.parquet as pq
import pytest
from prefect.testing.utilities import prefect_test_harness

from conftest import REPO, SEEDS, seed_folders
from flows.normalize import default_settings, normalize
from stages.alignment import align
from stages.records import Clause, Document
from lexnorm.output.schema import TABLES
from lexnorm.output.tables import write_tables
from stages.translate import TranslationSettings, Translator, translate_document
from test_alignment import EN as PARALLEL_EN
from test_alignment import ZH as PARALLEL_ZH
from test_alignment import doc_from_text

TOUR = REPO / "examples" / "analyst_tour.py"
SECTIONS = ("Tables in", "Governing law", "Chinese clauses", "Clause tree of", "Parallel links", "Column descriptions")
RULE = "=" * 100  # above and below each section's title
AGREEMENTS = 7  # "DuckDB agrees with pandas" lines: four questions, three tables' descriptions


def tour(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "LEXNORM_TABLES"}
    environ.update(PYTHONIOENCODING="utf-8", **(env or {}))
    return subprocess.run(
        [sys.executable, str(TOUR), *args], cwd=REPO, env=environ, capture_output=True, text=True, encoding="utf-8",
        timeout=300,
    )  # fmt: skip


def ran_cleanly(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    out = result.stdout
    assert [s for s in SECTIONS if s not in out] == []
    assert "DISAGREES" not in out and out.count("DuckDB agrees with pandas") == AGREEMENTS
    return out


def section(out: str, title: str) -> str:
    """The text of the section whose title starts with `title`, up to the next one."""
    start = out.index(f"\n{title}")
    ends = [i for s in SECTIONS if (i := out.find(f"\n{RULE}\n{s}", start + 1)) > 0]
    return out[start : min(ends, default=len(out))]


# ------------------------------------------------------------------ the seeds, through the real flow


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory):
    raw, out = seed_folders(tmp_path_factory)
    no_models = (tmp_path_factory.mktemp("no-models"),)
    with prefect_test_harness(server_startup_timeout=120):
        result = normalize(raw, out, default_settings(out, package_dirs=no_models))
    assert len(result.ok) == len(SEEDS)
    return out, ran_cleanly(tour(str(out)))


@pytest.fixture(scope="module")
def seed_tables(seeds_run):
    out, _ = seeds_run
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in TABLES}


def test_tour_counts_the_rows_of_every_table(seeds_run, seed_tables):
    _, out = seeds_run
    for name, frame in seed_tables.items():
        assert re.search(rf"^{name}\.parquet +{len(frame)} rows \(pandas\), +{len(frame)} rows \(DuckDB\)$", out, re.M)


def test_tour_compares_the_governing_law_clause_of_every_seed(seeds_run, seed_tables):
    _, out = seeds_run
    text = section(out, "Governing law")
    clauses = seed_tables["clauses"]
    best = {}
    for row in clauses.itertuples():
        topics = list(row.topics) if row.topics is not None else []
        if "governing_law" in topics:
            score = row.topic_scores[topics.index("governing_law")]
            if row.doc_id not in best or score > best[row.doc_id][0]:
                best[row.doc_id] = (score, row.clause_id)
    assert sorted(best) == sorted(seed_tables["documents"].doc_id)
    assert {doc_id[:3] for doc_id in best} == set(SEEDS)
    for doc_id, (_, clause_id) in best.items():
        assert re.search(rf"^{doc_id} +{re.escape(clause_id)} ", text, re.M), (doc_id, clause_id)
    assert "中华人民共和国 (People's Republic of China)" in text  # the Chinese seed, read from its original
    assert text.count("People's Republic of China") >= 4
    assert "DuckDB agrees with pandas: best governing-law clause per agreement (5 rows)" in text


def test_tour_shows_chinese_clauses_with_their_english(seeds_run, seed_tables):
    _, out = seeds_run
    text = section(out, "Chinese clauses")
    chinese = seed_tables["clauses"].query("lang == 'zh'")
    assert f"Chinese clauses: {len(chinese)} in 1 document(s)" in text
    short = chinese.head(8)
    short = short[(short.text.str.len() < 40) & (short.text_en.str.len() < 90) & ~short.text.str.contains("\n")]
    assert len(short) >= 3
    for row in short.itertuples():
        assert f"\n  zh: {row.text}\n  en: {row.text_en}\n" in text
    assert (chinese.translation_engine == "gloss:cc-cedict").all()
    assert "is a word-by-word dictionary gloss, not a translation" in text
    assert "[gloss:cc-cedict: a word-by-word gloss]" in text
    assert f"DuckDB agrees with pandas: Chinese clauses with their English ({len(chinese)} rows)" in text


def test_tour_shows_the_clause_tree_of_the_shortest_document(seeds_run, seed_tables):
    _, out = seeds_run
    documents = seed_tables["documents"]
    doc_id = documents.sort_values(["n_clauses", "doc_id"]).doc_id.iloc[0]
    text = section(out, "Clause tree of")
    assert text.startswith(f"\nClause tree of {doc_id}\n")
    tree = seed_tables["clauses"].query("doc_id == @doc_id").sort_values("seq")
    shown = [line.split()[0] for line in text.splitlines()[3:] if line.strip() and not line.startswith("DuckDB")]
    assert shown == list(tree.clause_id)
    for row in tree.itertuples():  # indentation follows the depth
        assert re.search(rf"^{' ' * 2 * max(row.level - 1, 0)}{re.escape(row.clause_id)} ", text, re.M)


def test_tour_says_there_are_no_parallel_versions_among_the_seeds(seeds_run):
    _, out = seeds_run
    text = section(out, "Parallel links")
    assert "Parallel links: 0\n" in text and "manifest.json" in text
    assert re.search(r"^\s*topic\s+topic-keywords\s+\d+$", text, re.M)


def test_tour_reads_the_column_descriptions_from_the_files(seeds_run):
    _, out = seeds_run
    text = section(out, "Column descriptions")
    for name, schema in TABLES.items():
        assert f"DuckDB agrees with pandas: {name} column descriptions ({len(schema)} rows)" in text
        for field in schema:
            start = re.escape(field.metadata[b"description"].decode()[:20])
            assert re.search(rf"^  {field.name} +\S+.* {start}", text, re.M), field.name


# ------------------------------------------------------------------ other tables, written directly (no flow)


def test_tour_runs_on_empty_tables_in_a_folder_with_a_quote(tmp_path):
    folder = tmp_path / "it's empty"
    write_tables([], folder)
    out = ran_cleanly(tour(env={"LEXNORM_TABLES": str(folder)}))  # the folder from the environment
    assert f"Tables in {folder}" in out
    assert "(no governing-law clauses)" in out and "Clause tree of (no accepted document)" in out
    assert "Chinese clauses: 0 in 0 document(s)" in out and "Parallel links: 0" in out


def test_tour_shows_parallel_versions(tmp_path):
    translator = Translator(TranslationSettings(cache_path=None, package_dirs=(tmp_path,)))
    versions = (("c_zh", PARALLEL_ZH), ("c_en", PARALLEL_EN))
    docs = [translate_document(doc_from_text(doc_id, text), translator) for doc_id, text in versions]
    write_tables(docs, tmp_path / "out", align(docs))
    text = section(ran_cleanly(tour(str(tmp_path / "out"))), "Parallel links")
    assert re.search(r"^ *c_zh +c_en +clause +id +7 ", text, re.M)
    assert "c_zh art2 <-> c_en art2  [id, score" in text and "人民币1000元" in text and "RMB 1000" in text
    assert "c_zh - <-> c_en art5  [unmatched, score 0.00]" in text and "(no counterpart)" in text


def test_tour_clips_and_wraps_a_one_megabyte_clause(tmp_path):
    """A preamble of a million characters on one line, with no space (Chinese), as the only
    clause: the tree clips its line, the governing-law section wraps its English. Clipping
    once re-measured the string for every character it dropped (hours for this clause)."""
    text = "本合同适用中华人民共和国法律。" + "甲方应当按照约定履行义务" * 83_000  # ~1 MB, one line, no space
    english = "Governed by the laws of England; " + "party-a-shall-perform-its-obligations/" * 27_000  # ~1 MB
    clause = Clause("huge", "preamble", None, 0, 0, None, False, None, text, "zh", 0, len(text),
                    text_en=english, translation_engine="gloss:cc-cedict", topics=("governing_law",), topic_scores=(2.0,))  # fmt: skip
    doc = Document("huge", "huge.txt", "", len(text.encode()), "utf-8", "ok", None, "0", datetime.now(UTC),
                   text=text, lang="zh", clauses=(clause,))  # fmt: skip
    write_tables([doc], tmp_path / "out")
    out = ran_cleanly(tour(str(tmp_path / "out")))  # tour() times out (a failure) long before a quadratic clip ends
    tree = section(out, "Clause tree of")
    (line,) = [line for line in tree.splitlines() if line.startswith("preamble ")]
    original, english_part = line.split(" | ")
    assert original == "preamble   " + text[:29] + "… " and english_part == english[:49] + "…"  # 60 (padded), 50 columns
    law = section(out, "Governing law")
    assert "中华人民共和国 (People's Republic of China)" in law
    wrapped = [line for line in law.splitlines() if line.startswith("    ") and "party-a" in line]
    assert len(wrapped) > 10_000 and all(len(line) <= 100 for line in wrapped)
    assert "".join(line[4:] for line in wrapped).replace(" ", "") == english[33:].replace(" ", "")


def test_tour_explains_a_folder_without_tables(tmp_path):
    result = tour(str(tmp_path / "nowhere"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no lexnorm tables here" in result.stderr and "lexnorm run --out" in result.stderr


def test_tour_explains_tables_from_an_older_lexnorm(tmp_path):
    paths = write_tables([], tmp_path)
    old = pq.read_table(paths["clauses"]).drop_columns(["topic_scores"])
    pq.write_table(old, paths["clauses"])
    result = tour(str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "clauses.parquet lacks topic_scores" in result.stderr and "lexnorm run --out" in result.stderr


def test_tour_is_a_notebook_in_percent_format():
    source = TOUR.read_text(encoding="utf-8")
    cells = re.findall(r"^# %%(.*)$", source, re.M)
    assert cells.count(" [markdown]") >= 6 and cells.count("") >= 6
    compile(source, str(TOUR), "exec")

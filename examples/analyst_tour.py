# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A tour of lexnorm's tables
#
# lexnorm turns the agreements in `data/raw/` into three Parquet tables: `clauses.parquet` (one row per
# clause), `documents.parquet` (one row per input file) and `alignments.parquet` (links between clauses).
# This tour reads them with pandas and asks the same questions with DuckDB.
#
# Run it as a script: `.venv/bin/python examples/analyst_tour.py [TABLES_FOLDER]`, or open it as a
# notebook (VS Code runs the `# %%` cells directly; JupyterLab with jupytext opens it as a notebook).
# The folder is the first argument, else `$LEXNORM_TABLES`, else `data/processed` (`make run` fills it).

# %%
"""A tour of lexnorm's tables with pandas and DuckDB (a script in Jupyter percent format)."""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq


def tables_folder() -> Path:
    """argv[1] (when run as a script), else $LEXNORM_TABLES, else data/processed (from the repository root)."""
    if len(sys.argv) > 1 and "ipykernel" not in sys.modules:  # a kernel's argv is its own (-f kernel.json)
        return Path(sys.argv[1])
    if os.environ.get("LEXNORM_TABLES"):
        return Path(os.environ["LEXNORM_TABLES"])
    for folder in (Path("data/processed"), Path("../data/processed")):  # a notebook may run in examples/
        if folder.is_dir():
            return folder
    return Path("data/processed")


TABLES = tables_folder()
PATHS = {name: TABLES / f"{name}.parquet" for name in ("clauses", "documents", "alignments")}
missing = [str(p) for p in PATHS.values() if not p.is_file()]
if missing:
    sys.exit(f"no lexnorm tables here: {', '.join(missing)} not found; run `lexnorm run --out {TABLES}` first")

if hasattr(sys.stdout, "reconfigure"):
    sys.stdout.reconfigure(errors="replace")  # Chinese text on a terminal that cannot show it: '?', not a crash

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
pd.set_option("display.max_colwidth", 70)
pd.set_option("display.max_rows", 60)
pd.set_option("display.unicode.east_asian_width", True)  # align columns holding Chinese


def section(title: str) -> None:
    print(f"\n{'=' * 100}\n{title}\n{'=' * 100}")


def text_of(value: object) -> str | None:
    """A string cell, or None for a null (pandas gives NaN for a null string)."""
    return value if isinstance(value, str) else None


def char_width(ch: str) -> int:
    """Terminal columns of one character: a Chinese character takes two."""
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def width(text: str) -> int:
    """Terminal columns of a string."""
    return sum(map(char_width, text))


def fit(text: str, columns: int, start: int = 0) -> int:
    """The end of the longest piece `text[start:end]` that fits in `columns` terminal columns.
    It reads only the characters it keeps (and one more), so cutting a long text is linear."""
    used, end = 0, start
    while end < len(text):
        used += char_width(text[end])
        if used > columns:
            break
        end += 1
    return end


def clip(text: object, columns: int, pad: bool = False) -> str:
    """One line of at most `columns` terminal columns (… where cut), padded with spaces if asked."""
    text = " ".join((text_of(text) or "").split())
    if fit(text, columns) < len(text):
        text = text[: fit(text, columns - 1)] + "…"
    return text + " " * (columns - width(text)) if pad else text


def wrap(text: object, label: str = "    ", limit: int | None = None) -> str:
    """A clause's text as a paragraph after `label` (clipped to `limit` columns)."""
    text = clip(text, limit or 10**9)
    if not text:
        return f"{label}(empty)"
    room, lines, line = 100 - len(label), [], ""
    for word in text.split(" "):
        joined = f"{line} {word}" if line else word
        if width(joined) <= room:
            line = joined
            continue
        if line:
            lines.append(line)
        start = 0  # a run of Chinese has no spaces: cut it where each line is full
        while (end := max(fit(word, room, start), start + 1)) < len(word):  # at least one character a line
            lines.append(word[start:end])
            start = end
        line = word[start:]
    lines.append(line)
    return "\n".join((label if i == 0 else " " * len(label)) + part for i, part in enumerate(lines))


def records(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Rows as tuples of plain values, nulls as None (NaN != NaN would make equal answers differ)."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame[columns].itertuples(index=False, name=None)]


def show(frame: pd.DataFrame, empty: str = "(none)") -> None:
    print(frame.to_string(index=False) if len(frame) else empty)


def agree(what: str, pandas_rows: list, duckdb_rows: list) -> None:
    """Print whether pandas and DuckDB gave the same answer."""
    same = pandas_rows == duckdb_rows
    verdict = "agrees with pandas" if same else "DISAGREES with pandas"
    print(f"DuckDB {verdict}: {what} ({len(duckdb_rows)} rows)")


# %% [markdown]
# ## Loading the tables
#
# pandas reads each file with `pd.read_parquet`; DuckDB queries the files in place. A DuckDB view per table
# keeps the queries short: `clauses` below is just `SELECT * FROM 'path/to/clauses.parquet'` (a path goes
# into SQL as a string literal, a `'` doubled).

# %%
clauses = pd.read_parquet(PATHS["clauses"])
documents = pd.read_parquet(PATHS["documents"])
alignments = pd.read_parquet(PATHS["alignments"])
USED = {  # the columns this tour reads: tables from an older lexnorm may lack some
    "clauses": "doc_id clause_id parent_id level seq heading text lang text_en translation_engine topics topic_scores",
    "documents": "doc_id status lang encoding n_clauses error",
    "alignments": "kind left_doc left_clause right_doc right_clause score method detail",
}
lacking = [
    f"{name}.parquet lacks {', '.join(sorted(set(USED[name].split()) - set(frame.columns)))}"
    for name, frame in (("clauses", clauses), ("documents", documents), ("alignments", alignments))
    if set(USED[name].split()) - set(frame.columns)
]
if lacking:
    sys.exit(f"tables from an older lexnorm: {'; '.join(lacking)}; run `lexnorm run --out {TABLES}` again")


def sql_string(value: object) -> str:
    """A SQL string literal: 'it''s'."""
    return "'" + str(value).replace("'", "''") + "'"


db = duckdb.connect()
for name, path in PATHS.items():
    db.sql(f"CREATE VIEW {name} AS SELECT * FROM {sql_string(path)}")

section(f"Tables in {TABLES}")
for name, frame in (("clauses", clauses), ("documents", documents), ("alignments", alignments)):
    [(count,)] = db.sql(f"SELECT count(*) FROM {name}").fetchall()
    print(f"{name + '.parquet':<20} {len(frame):>6} rows (pandas), {count:>6} rows (DuckDB)")

print()
show(documents[["doc_id", "status", "lang", "encoding", "n_clauses", "error"]], "(no documents)")

# %% [markdown]
# ## Governing law across agreements
#
# Every clause carries `topics` and `topic_scores` (same order). For each agreement we take the clause
# with the highest `governing_law` score (the earlier clause on a tie) and pull out the jurisdiction it names.

# %%
TOPIC = "governing_law"
LAW_OF = re.compile(r"\blaws?\s+of\s+(?:the\s+)?(.+?)(?=\s+(?:without|excluding|and\s+the|shall)\b|[,.;:()]|$)")
LAW_CHINESE = re.compile(r"适用(.{1,20}?)的?法律")  # 适用中华人民共和国法律: the law of the PRC applies
CHINESE_PLACES = {"中华人民共和国": "People's Republic of China", "中国": "China", "香港": "Hong Kong", "澳门": "Macao"}


def jurisdiction(text: object, text_en: object) -> str | None:
    """The place whose law governs, as the clause states it (regular expressions, good enough for a tour):
    from the Chinese original if there is one (a gloss is too rough to parse), else from the English."""
    chinese = LAW_CHINESE.search(text_of(text) or "")
    if chinese:
        place = chinese.group(1)
        return f"{place} ({CHINESE_PLACES[place]})" if place in CHINESE_PLACES else place
    english = LAW_OF.search(text_of(text_en) or "")
    return english.group(1).strip() if english else None


def topic_score(topics, scores, topic: str = TOPIC) -> float | None:
    topics = list(topics) if topics is not None else []
    return float(scores[topics.index(topic)]) if topic in topics else None


scored = clauses.assign(score=[topic_score(t, s) for t, s in zip(clauses["topics"], clauses["topic_scores"])])
governing = (
    scored[scored["score"].notna()]
    .sort_values(["doc_id", "score", "seq"], ascending=[True, False, True])
    .groupby("doc_id", sort=True)
    .head(1)
)
governing = governing.assign(jurisdiction=[jurisdiction(t, e) for t, e in zip(governing["text"], governing["text_en"])])

section("Governing law: the strongest governing_law clause of each agreement")
show(governing[["doc_id", "clause_id", "lang", "heading", "score", "jurisdiction"]], "(no governing-law clauses)")
for row in governing.itertuples():
    print(f"\n{row.doc_id} {row.clause_id} ({row.lang}):")
    print(wrap(row.text_en))

by_duckdb = db.sql(
    f"""
    SELECT doc_id, clause_id, heading,
           topic_scores[list_position(topics, '{TOPIC}')] AS score
    FROM clauses
    WHERE list_contains(topics, '{TOPIC}')
    QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY score DESC, seq) = 1
    ORDER BY doc_id
    """
).df()
print()
agree(
    "best governing-law clause per agreement",
    list(zip(governing["doc_id"], governing["clause_id"])),
    list(zip(by_duckdb["doc_id"], by_duckdb["clause_id"])),
)

# %% [markdown]
# ## Chinese clauses and their English
#
# Non-English clauses keep their original `text`; `text_en` is the English and `translation_engine` says
# what produced it: `argos:<model>-<version>` for a real translation, `gloss:cc-cedict` for a word-by-word
# dictionary gloss (used when no translation model is installed; see the README's "Translation models").

# %%
SHOW_CLAUSES = 8
chinese = clauses[clauses["lang"] == "zh"]
section(f"Chinese clauses: {len(chinese)} in {chinese['doc_id'].nunique()} document(s)")
show(chinese.groupby(["doc_id", "translation_engine"], dropna=False).size().rename("clauses").reset_index())
glossed = chinese["translation_engine"].fillna("").str.startswith("gloss:")
if glossed.any():
    print(
        f"\nNOTE: the English of {int(glossed.sum())} clause(s) is a word-by-word dictionary gloss, not a translation:"
        "\n      install a zh->en model (`lexnorm models install <package>.argosmodel`) and run again."
    )
for row in chinese.head(SHOW_CLAUSES).itertuples():
    engine = text_of(row.translation_engine) or "untranslated"
    kind = ": a word-by-word gloss" if engine.startswith("gloss:") else ""
    print(f"\n{row.doc_id} {row.clause_id} [{engine}{kind}]")
    print(wrap(row.text, "  zh: ", 240))
    print(wrap(row.text_en, "  en: ", 240))
if len(chinese) > SHOW_CLAUSES:
    print(f"\n... and {len(chinese) - SHOW_CLAUSES} more Chinese clause(s)")

by_duckdb = db.sql(
    "SELECT doc_id, clause_id, text, text_en, translation_engine FROM clauses WHERE lang = 'zh' ORDER BY doc_id, seq"
).df()
print()
agree(
    "Chinese clauses with their English",
    records(chinese, ["doc_id", "clause_id", "text_en", "translation_engine"]),
    records(by_duckdb, ["doc_id", "clause_id", "text_en", "translation_engine"]),
)

# %% [markdown]
# ## The clause tree of one document
#
# `parent_id` links each clause to its parent, `level` is its depth (0 the preamble) and `seq` its position.
# By default the tour shows the shortest accepted document; set `DOC` to a doc_id (or its first characters).
# DuckDB walks the same tree with a recursive query and checks the depth it finds against `level`.

# %%
DOC: str | None = None
ok = documents[documents["status"] == "ok"].sort_values(["n_clauses", "doc_id"])
chosen = [d for d in ok["doc_id"] if DOC and d.startswith(DOC)] or list(ok["doc_id"])
doc_id = chosen[0] if chosen else None
section(f"Clause tree of {doc_id or '(no accepted document)'}")
tree = clauses[clauses["doc_id"] == doc_id].sort_values("seq")
for row in tree.itertuples():
    indent = "  " * max(row.level - 1, 0)
    own = text_of(row.text) or ""
    line = f"{indent}{row.clause_id:<10} {clip(own.split(chr(10))[0], 60 - len(indent), pad=True)}"
    if row.lang != "en" and text_of(row.text_en):
        line += f" | {clip(row.text_en.split(chr(10))[0], 50)}"
    print(line.rstrip())
if tree.empty:
    print("(no clauses)")

walked = db.sql(
    """
    WITH RECURSIVE walk(clause_id, depth) AS (
        SELECT clause_id, level FROM clauses WHERE doc_id = $doc AND parent_id IS NULL
        UNION ALL
        SELECT c.clause_id, w.depth + 1 FROM clauses c JOIN walk w ON c.parent_id = w.clause_id WHERE c.doc_id = $doc
    )
    SELECT w.clause_id, w.depth, c.level FROM walk w JOIN clauses c ON c.doc_id = $doc AND c.clause_id = w.clause_id
    ORDER BY c.seq
    """,
    params={"doc": doc_id},
).df()
print()
agree(
    "tree walked through parent_id, depth = level",
    list(zip(tree["clause_id"], tree["level"])),
    list(zip(walked["clause_id"], walked["depth"])),
)

# %% [markdown]
# ## Parallel versions
#
# When two files are language versions of one agreement (detected, or listed in `data/raw/manifest.json`),
# `alignments.parquet` links them clause by clause (`kind = 'parallel'`; `method` is `id`, `position` or
# `unmatched`, `detail` holds the evidence as JSON).

# %%
parallel = alignments[alignments["kind"] == "parallel"]
section(f"Parallel links: {len(parallel)}")
if parallel.empty:
    print("No parallel versions in these tables: no two documents were found to be language versions of one")
    print('agreement. List pairs in data/raw/manifest.json: {"parallel": [["contract_zh.txt", "contract_en.txt"]]}')
else:
    level = parallel["detail"].map(lambda d: json.loads(d).get("level"))
    print(
        parallel.assign(level=level)
        .groupby(["left_doc", "right_doc", "level", "method"])
        .agg(links=("score", "size"), mean_score=("score", "mean"))
        .round(2)
        .reset_index()
        .to_string(index=False)
    )
    text = clauses.set_index(["doc_id", "clause_id"])["text"]
    for row in parallel[level == "clause"].head(SHOW_CLAUSES).itertuples():
        left, right = text_of(row.left_clause) or "-", text_of(row.right_clause) or "-"
        print(f"\n{row.left_doc} {left} <-> {row.right_doc} {right}  [{row.method}, score {row.score:.2f}]")
        for side, doc, clause in (("left", row.left_doc, row.left_clause), ("right", row.right_doc, row.right_clause)):
            words = text.get((doc, clause)) if text_of(clause) else "(no counterpart)"
            print(wrap(words, f"  {side:>5}: ", 160))

by_duckdb = db.sql(
    "SELECT left_doc, right_doc, count(*) AS links FROM alignments WHERE kind = 'parallel' GROUP BY ALL ORDER BY ALL"
).df()
counts = parallel.groupby(["left_doc", "right_doc"]).size()
print()
agree(
    "parallel links per pair of documents",
    [(*key, int(n)) for key, n in counts.items()],
    list(by_duckdb.itertuples(index=False, name=None)),
)
print("\nAll links by kind:")
show(alignments.groupby(["kind", "method"]).size().rename("links").reset_index(), "(no links)")

# %% [markdown]
# ## What the columns mean
#
# Every column's description travels inside the Parquet files (docs/tables.md lists them all). pyarrow
# reads it from the field metadata; DuckDB reads the file-level keys `lexnorm.column.<name>`.

# %%
section("Column descriptions, from the Parquet metadata")
for name, path in PATHS.items():
    schema = pq.read_schema(path)
    table_description = (schema.metadata or {}).get(b"description", b"").decode()
    print(f"\n{name}.parquet")
    print(wrap(table_description, "  "))
    described = pd.DataFrame(
        [(f.name, re.sub(r"\b(item|element): ", "", str(f.type)), (f.metadata or {}).get(b"description", b"").decode())
         for f in schema],
        columns=["column", "type", "description"],
    )  # fmt: skip
    for row in described.itertuples():
        print(wrap(row.description, f"  {row.column:<19} {row.type:<22} "))
    from_duckdb = db.sql(
        f"""
        SELECT s.name, decode(m.value) AS description
        FROM parquet_schema({sql_string(path)}) s
        JOIN parquet_kv_metadata({sql_string(path)}) m ON decode(m.key) = 'lexnorm.column.' || s.name
        ORDER BY s.column_id
        """
    ).fetchall()
    if from_duckdb:
        agree(f"{name} column descriptions", list(zip(described["column"], described["description"])), from_duckdb)
    else:
        print("DuckDB: no lexnorm.column.* keys in this file (written by an older lexnorm); use pyarrow")

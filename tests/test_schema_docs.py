"""docs/tables.md is generated from lexnorm/output/schema.py, and the column descriptions reach the Parquet
files where pyarrow and DuckDB can read them."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REPO
from lexnorm.output.schema import COLUMN_KEY, DESCRIPTION, REGENERATE, TABLES, _cell, describe, markdown, type_name
from lexnorm.output.tables import write_tables

DOCS = REPO / "docs" / "tables.md"


def sql_string(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def test_docs_tables_md_is_current():
    assert DOCS.exists(), f"docs/tables.md is missing: run `{REGENERATE}`"
    assert DOCS.read_text(encoding="utf-8") == markdown(), f"docs/tables.md is out of date: run `{REGENERATE}`"


def test_the_regenerate_command_prints_the_markdown():
    result = subprocess.run([sys.executable, "-m", "lexnorm.output.schema"], cwd=REPO, capture_output=True, check=True)
    assert result.stdout.decode("utf-8").replace("\r\n", "\n") == markdown()


def test_every_table_and_column_has_a_description():
    for name, schema in TABLES.items():
        assert (schema.metadata or {}).get(DESCRIPTION, b"").strip(), f"{name} has no description"
        empty = [column for column, text in describe(schema).items() if not text.strip()]
        assert not empty, f"{name}: columns without a description: {empty}"


def test_markdown_lists_every_column_with_a_readable_type():
    text = markdown()
    for name, schema in TABLES.items():
        assert f"## {name}.parquet" in text
        for field in schema:
            assert f"| {field.name} | {_cell(type_name(field.type))} | " in text
    assert "| tokens | list&lt;string&gt; | yes | " in text and "| doc_id | string | no | " in text
    assert "item:" not in text


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("a | b", "a \\| b"),
        ("list<string>", "list&lt;string&gt;"),
        ("`a<b>` or <c>", "`a<b>` or &lt;c&gt;"),  # code spans stay literal
        ("two\nlines", "two lines"),
    ],
)
def test_cells_are_escaped_for_markdown_tables(text, cell):
    assert _cell(text) == cell


def test_type_names():
    assert type_name(pa.list_(pa.string())) == "list<string>"
    assert type_name(pa.large_list(pa.float64())) == "list<double>"
    assert type_name(pa.int16()) == "int16"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The three tables as lexnorm writes them (no documents: the schema is what matters)."""
    return write_tables([], tmp_path_factory.mktemp("tables"))


@pytest.mark.parametrize("table", list(TABLES))
def test_pyarrow_reads_the_descriptions_from_the_file(written, table):
    schema = pq.read_schema(written[table])
    for name, text in describe(TABLES[table]).items():
        assert schema.field(name).metadata[b"description"].decode() == text


@pytest.mark.parametrize("table", list(TABLES))
def test_duckdb_reads_the_descriptions_from_the_file(written, table):
    path = sql_string(written[table])
    query = f"""select s.name, decode(m.value)
        from parquet_schema({path}) s join parquet_kv_metadata({path}) m on decode(m.key) = $prefix || s.name
        order by s.column_id"""
    rows = duckdb.sql(query, params={"prefix": COLUMN_KEY}).fetchall()
    assert rows == list(describe(TABLES[table]).items())
    keys = {key for (key,) in duckdb.sql(f"select decode(key) from parquet_kv_metadata({path})").fetchall()}
    assert {"lexnorm.table", "description", "lexnorm.run_id"} <= keys

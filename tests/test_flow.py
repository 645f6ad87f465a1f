"""The normalize flow as a real Prefect run (prefect_test_harness), tables read back with pandas."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from conftest import REPO, SEEDS
from test_alignment import EN as PARALLEL_EN
from test_alignment import ZH as PARALLEL_ZH
from flows.normalize import default_settings, normalize


@pytest.fixture(scope="module")
def run(prefect_server, tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    out = tmp_path_factory.mktemp("out")
    for path in SEEDS.values():
        shutil.copy(path, raw / path.name)
    (raw / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (raw / "empty.md").write_bytes(b"")
    (raw / "service_zh.txt").write_text(PARALLEL_ZH, encoding="utf-8")
    (raw / "service_en.txt").write_text(PARALLEL_EN, encoding="utf-8")
    no_models = (tmp_path_factory.mktemp("no-models"),)  # whatever this machine has installed
    result = normalize(raw, out, default_settings(out, package_dirs=no_models))
    return result, out


def test_flow_writes_both_tables(run):
    result, out = run
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "alignments.parquet", "clauses.parquet", "documents.parquet", "report.html",
    ]  # fmt: skip
    assert len(result.ok) == 7 and len(result.rejected) == 2


def test_run_publishes_its_summary_as_prefect_artifacts(run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    result, _out = run
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["lexnorm-run-summary", "lexnorm-documents"]))
        )
    latest = {a.key: a for a in sorted(found, key=lambda a: a.created)}  # the newest of each key
    markdown = latest["lexnorm-run-summary"].data
    assert latest["lexnorm-run-summary"].type == "markdown" and result.run_id in markdown
    assert "7 document(s) ok, 2 rejected" in markdown
    for doc in result.documents:  # every document in the table, every rejection with its reason
        assert f"| {doc.doc_id} | {doc.status} |" in markdown
    assert "- `broken`: not a text file" in markdown and "- `empty`: empty file (0 bytes)" in markdown
    assert "gloss:cc-cedict" in markdown and "## Time per stage" in markdown and "| segment |" in markdown
    rows = latest["lexnorm-documents"].data
    rows = json.loads(rows) if isinstance(rows, str) else rows
    assert {r["document"] for r in rows} == {d.doc_id for d in result.documents}
    assert next(r for r in rows if r["document"] == "003_01bff3b96aa9af92")["clauses"] == 47


def test_unchanged_rerun_rewrites_nothing_and_any_change_rewrites(prefect_server, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in list(SEEDS.values())[:2]:
        shutil.copy(path, raw / path.name)
    settings = default_settings(out, package_dirs=(tmp_path / "no-models",))
    first = normalize(raw, out, settings)

    def written():
        return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix in (".parquet", ".html")}

    before = written()
    again = normalize(raw, out, settings)
    assert again.changes["unchanged"] == [d.doc_id for d in first.documents]
    assert written() == before, "an unchanged re-run must not rewrite the tables"
    assert again.run_id == first.run_id and again.alignment_counts == first.alignment_counts
    assert [(d.doc_id, d.n_clauses, d.n_anomalies, d.state) for d in again.documents] == [
        (d.doc_id, d.n_clauses, d.n_anomalies, "unchanged") for d in first.documents
    ]
    names = sorted(p.name for p in raw.iterdir())
    (raw / "manifest.json").write_text(json.dumps({"parallel": [names]}), encoding="utf-8")  # not a document, an input
    third = normalize(raw, out, settings)
    assert third.run_id != first.run_id and written() != before
    (out / "clauses.parquet").unlink()  # a table gone: written again
    fourth = normalize(raw, out, settings)
    assert (out / "clauses.parquet").exists() and fourth.run_id != third.run_id
    assert len(pd.read_parquet(out / "clauses.parquet")) == sum(d.n_clauses for d in first.documents)


def test_every_clause_has_tokens_and_english(run):
    _, out = run
    clauses = pd.read_parquet(out / "clauses.parquet")
    with_text = clauses[clauses.text.str.contains(r"\w", regex=True)]
    assert (with_text.tokens.map(len) > 0).all()
    assert clauses.text_en.notna().all()
    zh = clauses[(clauses.lang == "zh") & clauses.doc_id.str.startswith("003")]
    assert len(zh) == 47 and (clauses[clauses.lang == "zh"].translation_engine == "gloss:cc-cedict").all()
    assert (zh.sentences.map(len) == zh.sentences_en.map(len)).all()
    en = clauses[clauses.lang == "en"]
    assert en.translation_engine.isna().all() and (en.text_en == en.text).all()


def test_flow_translates_with_an_installed_model_and_reuses_its_cache(prefect_server, tmp_path, package_dir):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEEDS["003"], raw)
    settings = default_settings(tmp_path / "out", package_dirs=(package_dir,), max_decoding_length=16)
    first = normalize(raw, tmp_path / "out", settings)
    assert first.translation["translated"] > 0 and first.translation["cached"] == 0
    assert first.changes["new"] == ["003_01bff3b96aa9af92"]
    second = normalize(raw, tmp_path / "out", settings)  # nothing changed: nothing is processed
    assert second.changes["unchanged"] == ["003_01bff3b96aa9af92"] and second.translation["sentences"] == 0
    path = raw / SEEDS["003"].name
    path.write_text(path.read_text(encoding="utf-8") + "\n11、新增条款\n本条为新增内容。\n", encoding="utf-8")
    third = normalize(raw, tmp_path / "out", settings)  # changed: only the new sentences are translated
    assert third.changes["changed"] == ["003_01bff3b96aa9af92"]
    assert third.translation["translated"] == 2 and third.translation["cached"] == first.translation["translated"]
    clauses = pd.read_parquet(tmp_path / "out" / "clauses.parquet")
    assert (clauses.translation_engine == "argos:translate-zh_en-noise-fixture-0.0").all()
    assert "11" in set(clauses.clause_id)


def test_tables_read_back_with_pandas_and_types(run):
    _, out = run
    clauses = pd.read_parquet(out / "clauses.parquet")
    documents = pd.read_parquet(out / "documents.parquet")
    assert str(clauses["level"].dtype) == "int16" and str(clauses["seq"].dtype) == "int32"
    assert str(clauses["char_start"].dtype) == "int64" and clauses["number_inferred"].dtype == bool
    assert str(documents["processed_at"].dtype).startswith("datetime64") and "UTC" in str(documents["processed_at"].dtype)
    counts = clauses[clauses.doc_id.isin([p.stem for p in SEEDS.values()])].groupby("doc_id").size().to_dict()
    assert counts == {
        "000_2ded46b8572a63d1": 149, "001_86655bf1fc399115": 63, "002_d809899dcad8fa28": 108,
        "003_01bff3b96aa9af92": 47, "004_cded958486a16876": 168,
    }  # fmt: skip
    assert not clauses.duplicated(["doc_id", "clause_id"]).any()
    assert clauses.loc[clauses.doc_id.str.startswith("003"), "lang"].eq("zh").all()
    for column in ("tokens", "text_en", "translation_engine", "anomalies"):
        assert column in clauses.columns


def test_bad_documents_get_rejected_rows_and_do_not_stop_the_others(run):
    _, out = run
    documents = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    assert documents.loc["broken", "status"] == "rejected" and "not a text file" in documents.loc["broken", "error"]
    assert documents.loc["empty", "error"] == "empty file (0 bytes)"
    ok = documents[documents.status == "ok"]
    assert len(ok) == 7 and ok.error.isna().all() and (ok.n_clauses > 0).all()


def test_alignments_table_has_the_three_kinds(run):
    import json

    _, out = run
    links = pd.read_parquet(out / "alignments.parquet")
    assert set(links.kind) == {"translation", "parallel", "topic"}
    assert links.score.between(0, 1).all()
    parallel = links[links.kind == "parallel"]
    assert set(parallel.left_doc) == {"service_zh"} and set(parallel.right_doc) == {"service_en"}
    law = links[links.detail.map(lambda d: json.loads(d).get("topic") == "governing_law")]
    seeds = {p.stem for p in SEEDS.values()}
    among_seeds = law[law.left_doc.isin(seeds) & law.right_doc.isin(seeds)]
    assert len(among_seeds) == 10  # the five governing-law clauses, each linked to the four others


def test_cli_runs_the_flow_offline(tmp_path):
    """`lexnorm run` end to end in a subprocess, on Prefect's temporary server, with a
    network namespace that has only loopback when `unshare` is allowed."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEEDS["003"], raw)
    cmd = [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(tmp_path / "out")]
    isolated = ["unshare", "-rn", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh", *cmd]
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    proc = subprocess.run(isolated if probe.returncode == 0 else cmd, capture_output=True, text=True, cwd=REPO, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "1 document(s) ok, 0 rejected, 47 clauses" in proc.stdout
    assert "Traceback" not in output and "ERROR" not in output
    assert "translation:" in proc.stdout

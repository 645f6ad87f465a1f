"""Planning never stops a run: hazardous entries in the input folder, names that are not
UTF-8 or that clash, files lexnorm does not read, a damaged results store and a bad
manifest.json each cost at most a row or a warning. Real Prefect runs, real Parquet."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import pandas as pd
import pytest

from conftest import REPO, SEEDS
from test_alignment import EN as PARALLEL_EN
from test_alignment import ZH as PARALLEL_ZH
from flows.normalize import default_settings, normalize
from lexnorm.runtime import incremental
from stages import ingest


def run(raw, out, tmp_path):
    return normalize(raw, out, default_settings(out, package_dirs=(tmp_path / "no-models",)))


def documents(out) -> pd.DataFrame:
    return pd.read_parquet(out / "documents.parquet").set_index("doc_id")


def raw_with(tmp_path, *keys: str):
    raw = tmp_path / "raw"
    raw.mkdir()
    for key in keys:
        shutil.copy(SEEDS[key], raw)
    return raw


def test_link_loops_fifos_and_sockets_get_rejected_rows_and_the_run_ends(tmp_path):
    """`lexnorm run` in a subprocess (a hang becomes a timeout failure): a symlink loop gave
    `RuntimeError: Symlink loop`, a .txt link to a FIFO hung the run forever."""
    raw = raw_with(tmp_path, "003")
    (raw / "self.txt").symlink_to("self.txt")
    os.mkfifo(raw / "pipe.txt")
    os.mkfifo(raw / ".hidden_pipe")
    (raw / "to_pipe.txt").symlink_to(".hidden_pipe")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(raw / "sock.txt"))
    try:
        cmd = [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(tmp_path / "out")]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)
    finally:
        server.close()
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    docs = documents(tmp_path / "out")
    assert docs.loc[SEEDS["003"].stem, "status"] == "ok"
    assert "symbolic link loop" in docs.loc["self", "error"]
    assert "named pipe" in docs.loc["pipe", "error"] and "named pipe" in docs.loc["to_pipe", "error"]
    assert "socket" in docs.loc["sock", "error"]
    assert (docs.drop(index=SEEDS["003"].stem).status == "rejected").all()


def test_a_file_name_that_is_not_utf8_is_processed_under_an_escaped_doc_id(prefect_server, tmp_path):
    raw = raw_with(tmp_path, "003")
    with open(os.fsencode(raw) + b"/caf\xe9.txt", "wb") as fh:
        fh.write(SEEDS["000"].read_bytes())
    out = tmp_path / "out"
    result = run(raw, out, tmp_path)
    docs = documents(out)
    assert docs.loc["caf\\xe9", "status"] == "ok" and docs.loc["caf\\xe9", "source_path"].endswith("caf\\xe9.txt")
    clauses = pd.read_parquet(out / "clauses.parquet")
    assert (clauses.doc_id == "caf\\xe9").sum() == 149
    assert [d.doc_id for d in result.documents if not d.ok] == []
    again = run(raw, out, tmp_path)  # the store's manifest holds the name too
    assert {d.state for d in again.documents} == {"unchanged"}


def test_names_that_differ_only_in_case_or_suffix_case_get_one_doc_id_each(prefect_server, tmp_path):
    raw = raw_with(tmp_path)
    (raw / "UP.TXT").write_text("1. Scope\nThis agreement covers the upper case file.\n")
    (raw / "UP.md").write_text("1. Scope\nThis agreement covers the markdown file.\n")
    (raw / "up.txt").write_text("1. Scope\nThis agreement covers the lower case file.\n")
    out = tmp_path / "out"
    run(raw, out, tmp_path)
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs.doc_id.is_unique and len(docs) == 3
    assert docs.doc_id.str.casefold().is_unique
    by_id = docs.set_index("doc_id")
    assert by_id.loc["UP", "status"] == "ok" and by_id.loc["UP", "source_path"].endswith("UP.TXT")
    for name in ("UP.md", "up.txt"):
        assert by_id.loc[name, "status"] == "rejected" and "same name without extension" in by_id.loc[name, "error"]
        assert "UP.TXT" in by_id.loc[name, "error"]
    clauses = pd.read_parquet(out / "clauses.parquet")
    assert set(clauses.doc_id) == {"UP"}


def test_files_lexnorm_does_not_read_get_skipped_rows(prefect_server, tmp_path):
    raw = raw_with(tmp_path, "003")
    (raw / "contract.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (raw / "terms.png").write_bytes(b"\x89PNG")
    (raw / "README").write_text("notes")
    (raw / ".DS_Store").write_bytes(b"\x00")
    (raw / "old").mkdir()
    out = tmp_path / "out"
    run(raw, out, tmp_path)
    docs = documents(out)
    assert set(docs.index) == {SEEDS["003"].stem, "contract.doc", "terms.png", "README", "old"}  # no dot file
    skipped = docs[docs.status == "skipped"]
    assert set(skipped.index) == {"contract.doc", "terms.png", "README", "old"}
    assert "not read: .png files are not supported (lexnorm reads .txt, .md, .pdf, .docx, .html, .htm, .xhtml)" == docs.loc["terms.png", "error"]
    assert "not read: a legacy Word file; convert it to .docx" in docs.loc["contract.doc", "error"]
    assert "folder" in docs.loc["old", "error"] and "without an extension" in docs.loc["README", "error"]
    assert (skipped.n_clauses == 0).all() and skipped.lang.isna().all()
    clauses = pd.read_parquet(out / "clauses.parquet")
    assert set(clauses.doc_id) == {SEEDS["003"].stem}
    again = run(raw, out, tmp_path)
    assert {d.state for d in again.documents} == {"unchanged"}  # the skipped rows do not force a rewrite


def test_a_folder_of_only_unread_files_is_listed(prefect_server, tmp_path):
    raw = raw_with(tmp_path)
    (raw / "contract.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (raw / "logo.png").write_bytes(b"\x89PNG")
    out = tmp_path / "out"
    result = run(raw, out, tmp_path)
    assert [d.status for d in result.documents] == ["skipped", "skipped"]
    assert list(documents(out).status) == ["skipped", "skipped"]


def test_the_command_says_when_no_file_was_read(prefect_server, tmp_path, capsys):
    from lexnorm.cli import main as cli

    raw = raw_with(tmp_path)
    (raw / "contract.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    assert cli(["run", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"no documents lexnorm reads (.txt, .md, .pdf, .docx, .html, .htm, .xhtml) in {raw} (1 other file(s) listed as skipped)" in err


def tables(out) -> dict[str, pd.DataFrame]:
    return {
        t: pd.read_parquet(out / f"{t}.parquet").drop(columns=["processed_at"], errors="ignore")
        for t in ("clauses", "documents", "alignments")
    }


def damage_truncate(store):
    victim = sorted((store / "documents").glob("*.json.gz"))[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])


def damage_bitflip(store):
    """One bit flipped in the first deflate block's header: `zlib.error` on reading."""
    victim = sorted((store / "documents").glob("*.json.gz"))[-1]
    data = bytearray(victim.read_bytes())
    data[11] ^= 0x10
    victim.write_bytes(bytes(data))


def damage_manifest(store):
    (store / "manifest.json").write_text(json.dumps({"documents": ["not", "a", "mapping"], "run": "x"}))


def damage_manifest_entries(store):
    manifest = json.loads((store / "manifest.json").read_text())
    for doc_id in manifest["documents"]:
        manifest["documents"][doc_id] = "not a mapping"
    (store / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def clean_tables(prefect_server, tmp_path_factory):
    """The tables of a clean run over seeds 001 and 003."""
    tmp = tmp_path_factory.mktemp("clean")
    raw = raw_with(tmp, "001", "003")
    run(raw, tmp / "out", tmp)
    return tables(tmp / "out")


@pytest.mark.parametrize("damage", [damage_truncate, damage_bitflip, damage_manifest, damage_manifest_entries])
def test_a_damaged_results_store_is_discarded_and_recomputed(prefect_server, clean_tables, tmp_path, damage):
    """The store is damaged after a real run; the next run (with a document added, so that
    it cannot just keep the tables) ends well and writes what a clean run writes."""
    raw = raw_with(tmp_path, "003")
    out = tmp_path / "out"
    run(raw, out, tmp_path)
    damage(out / incremental.CACHE_DIR)
    shutil.copy(SEEDS["001"], raw)
    result = run(raw, out, tmp_path)
    assert all(d.ok for d in result.documents)
    got = tables(out)
    for name, want in clean_tables.items():
        pd.testing.assert_frame_equal(
            got[name].drop(columns=["source_path"], errors="ignore"), want.drop(columns=["source_path"], errors="ignore")
        )


def test_damage_is_reported_once_per_run(tmp_path):
    raw = raw_with(tmp_path, "003")
    out = tmp_path / "out"
    store = incremental.ResultStore(out)
    doc = ingest.read_document(raw / SEEDS["003"].name, raw)
    plan = incremental.plan(ingest.discover(raw), raw, store, "fp")
    store.save(plan.planned[0].key, doc)
    store.record_run(plan.planned, {}, {"x": 1})
    key = plan.planned[0].key
    (store.root / f"{key}.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    store.manifest_path.write_text("[" * 100_000)
    again = incremental.ResultStore(out)
    plan = incremental.plan(ingest.discover(raw), raw, again, "fp")
    assert len(plan.warnings) == 1 and "damaged" in plan.warnings[0] and "manifest.json" in plan.warnings[0]
    assert plan.planned[0].state == "new" and not (store.root / f"{key}.json.gz").exists()
    assert again.load(key) is None


MANIFESTS = {
    "invalid JSON": ("{broken", "not readable JSON"),
    "wrong types": ('{"parallel": {"a": 1}}', 'no "parallel" list'),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "self pair": (json.dumps({"parallel": [["service_zh.txt", "service_zh.txt"]]}), "with itself"),
    "missing file": (json.dumps({"parallel": [["service_zh.txt", "gone_en.txt"]]}), "no input document gone_en.txt"),
    "bad entry": (json.dumps({"parallel": [["service_zh.txt"], 5]}), "expected two file names"),
}


@pytest.mark.parametrize("case", sorted(MANIFESTS))
def test_a_bad_manifest_warns_and_the_run_goes_on(tmp_path, case):
    text, warning = MANIFESTS[case]
    (tmp_path / "manifest.json").write_text(text)
    for name in ("service_zh.txt", "service_en.txt"):
        (tmp_path / name).write_text("x")
    manifest = ingest.parallel_manifest(tmp_path, ["service_zh", "service_en"])
    assert manifest.pairs == () and len(manifest.warnings) >= 1 and warning in manifest.warnings[0]
    if case != "missing file":  # without the documents' ids, a tool cannot tell
        with pytest.raises(ValueError, match="manifest.json"):
            ingest.read_manifest(tmp_path)


def test_a_run_with_a_partly_bad_manifest_uses_the_good_pairs(prefect_server, tmp_path):
    raw = raw_with(tmp_path)
    (raw / "service_zh.txt").write_text(PARALLEL_ZH, encoding="utf-8")
    (raw / "service_en.txt").write_text(PARALLEL_EN, encoding="utf-8")
    pairs = [["service_zh.txt", "service_zh.txt"], ["service_zh.txt", "gone.txt"], ["service_zh.txt", "service_en.txt"]]
    (raw / "manifest.json").write_text(json.dumps({"parallel": pairs}))
    out = tmp_path / "out"
    run(raw, out, tmp_path)
    links = pd.read_parquet(out / "alignments.parquet")
    parallel = links[links.kind == "parallel"]
    assert len(parallel) and (parallel.left_doc != parallel.right_doc).all()
    assert "manifest" in parallel.detail.iloc[0]
    (raw / "manifest.json").write_text("[" * 100_000)
    run(raw, out, tmp_path)  # ignored with a warning; the pair is still found by detection
    assert documents(out).status.eq("ok").all()

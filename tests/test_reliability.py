"""Reliability: the bad-input matrix through a real flow run, incremental re-runs, atomic
output under SIGKILL, the output lock, determinism, offline runs, failures and retries,
the stage time limit, failures while linking contained to what they cost."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import REPO, SEEDS
from test_workers import SLOW_MARK, parse_or_sleep
from worker_helpers import parse_or_raise

from flows.normalize import default_settings, normalize
from stages import alignment, ingest
import flows.normalize
from stages.pipeline import PIPELINE, Stage

ZH = SEEDS["003"].read_text(encoding="utf-8")
EN = SEEDS["000"].read_text(encoding="utf-8")


def raw_with(tmp: Path, *keys: str) -> Path:
    """An input folder holding copies of the given seeds."""
    raw = tmp / "raw"
    raw.mkdir()
    for key in keys:
        shutil.copy(SEEDS[key], raw)
    return raw


def run(raw: Path, out: Path, tmp: Path, stage_timeout: float | None = None, **settings):
    settings = default_settings(out, package_dirs=(tmp / "no-models",), **settings)
    return normalize(raw, out, settings, stage_timeout=stage_timeout)


# --------------------------------------------------------------------------- the matrix

MATRIX: dict[str, tuple[bytes | None, str]] = {
    # name: (bytes, expectation) -- expectation "ok" or the start of the error message
    "empty.txt": (b"", "empty file"),
    "blank.txt": (b" \n\t\r\n   ", "contains only white space"),
    "png.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16, "not a text file"),
    "nul.txt": (b"1. Term\x00\x00 clause\x00 text\x00" * 50, "not a text file"),
    "bad_utf8.txt": (ZH.encode()[:900] + b"\xff\xfe\xc3\x28\xa0" + ZH.encode()[900:], "not valid UTF-8"),
    "gb18030.txt": (ZH.encode("gb18030"), "ok"),
    "utf16le.txt": (codecs.BOM_UTF16_LE + ZH.encode("utf-16-le"), "ok"),
    "utf16be.txt": (codecs.BOM_UTF16_BE + EN.encode("utf-16-be"), "ok"),
    "utf8bom.txt": (codecs.BOM_UTF8 + EN.encode(), "ok"),
    "crlf.txt": (EN.replace("\n", "\r\n").encode(), "ok"),
    "cr.txt": (ZH.replace("\n", "\r").encode(), "ok"),
    "long_line.txt": (b"This agreement goes on and on without a break, 99.9% of the time. " * 300_000, "ok"),
    "no_numbering.txt": (b"A letter of intent.\nIt has paragraphs but no numbered clauses.\n", "ok"),
    "deep.txt": ("".join(".".join(["1"] * n) + (". Level\n" if n == 1 else " level text\n") for n in range(1, 13)).encode(), "ok"),
    "backwards.txt": (b"1. One\n2. Two\n5. Five\n3. Three\n4. Four\n", "ok"),
    "mixed.txt": (
        "1. General\n1.1 This Agreement is governed by the laws of Singapore and disputes go to arbitration there.\n"
        "2. 一般规定\n2.1 本协议受中华人民共和国法律管辖，因本协议产生的争议提交仲裁委员会仲裁。\n".encode(),
        "ok",
    ),
    "control.txt": (b"1. Term\x07\n1.1 The term\x1b begins\x0c now.\n2. End\n", "ok"),
    "with spaces é 名称.txt": (EN.encode(), "ok"),
}


@pytest.fixture(scope="module")
def matrix(prefect_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix")
    raw, out = tmp / "raw", tmp / "out"
    raw.mkdir()
    for name, (data, _) in MATRIX.items():
        (raw / name).write_bytes(data)
    secret = tmp / "secret.txt"
    secret.write_text("1. A secret outside the input folder\n")
    (raw / "link_out.txt").symlink_to(secret)
    shutil.copy(SEEDS["001"], raw)
    result = run(raw, out, tmp)
    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    clauses = pd.read_parquet(out / "clauses.parquet")
    return result, docs, clauses


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix_case(matrix, name):
    _, docs, clauses = matrix
    expectation = MATRIX[name][1]
    row = docs.loc[Path(name).stem]
    if expectation == "ok":
        assert row.status == "ok" and pd.isna(row.error)
        assert row.n_clauses == (clauses.doc_id == Path(name).stem).sum() > 0
    else:
        assert row.status == "rejected" and row.error.startswith(expectation), row.error
        assert (clauses.doc_id == Path(name).stem).sum() == 0


def test_matrix_decoded_documents_parse_like_their_sources(matrix):
    _, docs, clauses = matrix
    counts = clauses.groupby("doc_id").size()
    for name in ("gb18030", "utf16le", "cr"):
        assert counts[name] == 47  # seed 003
    for name in ("utf16be", "utf8bom", "crlf", "with spaces é 名称"):
        assert counts[name] == 149  # seed 000
    assert docs.loc["gb18030", "encoding"] == "gb18030" and docs.loc["utf16le", "encoding"] == "utf-16-le"


def test_matrix_specific_outcomes(matrix):
    _, docs, clauses = matrix
    by = {(r.doc_id, r.clause_id): r for r in clauses.itertuples()}
    assert docs.loc["link_out", "status"] == "rejected" and "outside the input folder" in docs.loc["link_out", "error"]
    assert list(clauses[clauses.doc_id == "no_numbering"].clause_id) == ["preamble"]
    assert "no numbering found" in docs.loc["no_numbering", "warnings"][0]
    assert by[("deep", ".".join(["1"] * 12))].level == 12
    assert any(a.startswith("out_of_order") for a in by[("backwards", "3")].anomalies)
    langs = dict(clauses[clauses.doc_id == "mixed"][["clause_id", "lang"]].values)
    assert langs["1.1"] == "en" and langs["2.1"] == "zh"
    assert "control character" in docs.loc["control", "warnings"][0]
    long = clauses[clauses.doc_id == "long_line"]
    assert len(long) == 1 and len(long.iloc[0].text) > 19_000_000
    assert docs.loc["001_86655bf1fc399115", "n_clauses"] == 63  # the good document is untouched


def test_unreadable_file_is_rejected_and_the_others_go_on(tmp_path):
    """Permissions do not bind root; inside an unprivileged user namespace they do, even
    for root (its files are not mapped there, so CAP_DAC_OVERRIDE does not apply)."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(SEEDS["003"], raw)
    locked = raw / "locked.txt"
    locked.write_text("1. x\n")
    locked.chmod(0)
    cmd = [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out)]
    if os.geteuid() == 0:
        if subprocess.run(["unshare", "--user", "true"], capture_output=True).returncode:
            pytest.skip("running as root and user namespaces are not available: permissions cannot bind")
        cmd = ["unshare", "--user", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    assert docs.loc["locked", "status"] == "rejected" and docs.loc["locked", "error"] == "cannot read the file: permission denied"
    assert docs.loc["003_01bff3b96aa9af92", "status"] == "ok"


# ---------------------------------------------------------------------------- incremental


def test_incremental_reruns_and_removed_files(prefect_server, tmp_path):
    raw, out = raw_with(tmp_path, "000", "001", "003"), tmp_path / "out"
    first = run(raw, out, tmp_path)
    assert sorted(first.changes["new"]) == sorted(p.stem for k, p in SEEDS.items() if k in ("000", "001", "003"))
    second = run(raw, out, tmp_path)
    assert len(second.changes["unchanged"]) == 3 and not second.changes["new"] and not second.changes["changed"]
    assert second.translation["sentences"] == 0
    (raw / SEEDS["000"].name).write_text(EN + "\n13. Added\nA new clause.\n", encoding="utf-8")
    (raw / SEEDS["001"].name).unlink()
    shutil.copy(SEEDS["002"], raw)
    third = run(raw, out, tmp_path)
    assert third.changes == {
        "new": [SEEDS["002"].stem], "changed": [SEEDS["000"].stem], "unchanged": [SEEDS["003"].stem],
        "removed": [SEEDS["001"].stem],
    }  # fmt: skip
    docs = pd.read_parquet(out / "documents.parquet")
    assert SEEDS["001"].stem not in set(docs.doc_id)  # a removed file leaves the tables
    clauses = pd.read_parquet(out / "clauses.parquet")
    assert "13" in set(clauses[clauses.doc_id == SEEDS["000"].stem].clause_id)
    changed_settings = run(raw, out, tmp_path, beam_size=2)  # other settings: everything again
    assert len(changed_settings.changes["changed"]) == 3


# ---------------------------------------------------------------------------- determinism


def test_two_runs_give_identical_tables(prefect_server, tmp_path):
    raw = raw_with(tmp_path, *SEEDS)
    run(raw, tmp_path / "a", tmp_path)
    run(raw, tmp_path / "b", tmp_path)
    for table in ("clauses", "documents", "alignments"):
        a = pd.read_parquet(tmp_path / "a" / f"{table}.parquet").drop(columns=["processed_at"], errors="ignore")
        b = pd.read_parquet(tmp_path / "b" / f"{table}.parquet").drop(columns=["processed_at"], errors="ignore")
        if table == "documents":
            a, b = a.drop(columns=["source_path"]), b.drop(columns=["source_path"])
        pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------- atomic output, lock

WRITER = """
import sys, itertools
from pathlib import Path
from stages.ingest import discover, read_document
from stages.clauses import parse_document
from lexnorm.output.tables import write_tables
docs = [parse_document(read_document(p)) for p in discover(Path(sys.argv[1]))]
print("ready", flush=True)
for i in itertools.count():
    write_tables(docs if i % 2 else docs[:2], Path(sys.argv[2]), run_id=f"run{i % 2}")
"""


def test_sigkill_during_writes_leaves_complete_previous_tables(tmp_path):
    from stages.clauses import parse_document
    from lexnorm.atomic import clean_stale_temps
    from lexnorm.output.tables import write_tables

    docs = [parse_document(ingest.read_document(p)) for p in ingest.discover(REPO / "data" / "raw")]
    out = tmp_path / "out"
    write_tables(docs, out, run_id="run1")
    complete = {
        "run0": {"clauses": sum(d.n_clauses for d in docs[:2]), "documents": 2},
        "run1": {"clauses": sum(d.n_clauses for d in docs), "documents": len(docs)},
    }
    for delay in (0.05, 0.13, 0.21, 0.34, 0.55, 0.8, 1.1, 1.5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(REPO / "data" / "raw"), str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for table in ("clauses", "documents"):
            t = pq.read_table(out / f"{table}.parquet")  # readable, not truncated
            run_id = t.schema.metadata[b"lexnorm.run_id"].decode()
            assert t.num_rows == complete[run_id][table]
    clean_stale_temps(out)
    assert not list(out.glob(".*.tmp"))


def test_a_second_run_on_the_same_output_folder_is_refused(tmp_path, capsys):
    from lexnorm.cli import main as cli

    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from lexnorm.runtime.lock import output_lock\n"
         "with output_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        assert cli(["run", "--raw", str(REPO / "data" / "raw"), "--out", str(out)]) == 3
        assert f"another lexnorm run (pid {holder.pid}" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    from lexnorm.runtime.lock import output_lock

    with output_lock(out):  # released by the holder's death: never stale
        pass


# -------------------------------------------------------------------------------- offline


def test_whole_run_attempts_no_connection_but_loopback(tmp_path):
    """Every Python process of a `lexnorm run` (the CLI, Prefect's temporary server) logs
    its network attempts through audit hooks; only loopback may appear."""
    raw = raw_with(tmp_path, "000", "003")
    log = tmp_path / "audit.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests" / "offline_audit"), "LEXNORM_AUDIT_LOG": str(log)}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(tmp_path / "out")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(line) for line in log.read_text().splitlines()]
    started = [e for e in events if e["event"] == "audit-started"]
    assert any("prefect" in e["target"] and "server" in e["target"] for e in started)  # Prefect's server too
    assert any(e["event"] == "socket.connect" for e in events)  # the hook saw the local server traffic
    events = [e for e in events if e["event"] != "audit-started"]
    local = ("127.0.0.1", "'localhost'", "::1", "'/")
    outside = [e for e in events if not any(mark in e["target"] for mark in local) and e["target"] not in ("None", "''")]
    assert not outside, outside[:5]
    assert not [e for e in events if e["event"] == "urllib.Request"]


# ----------------------------------------------------------------------- failures, retries


def test_a_stage_that_raises_rejects_only_that_document(prefect_server, tmp_path, monkeypatch):
    """In the worker processes (the stage is a module-level function they import by name)."""
    raw = raw_with(tmp_path, "001", "003")
    monkeypatch.setattr(flows.normalize, "PIPELINE", (Stage("clauses", parse_or_raise), *PIPELINE[1:]))
    result = run(raw, tmp_path / "out", tmp_path)
    docs = {d.doc_id: d for d in result.documents}
    assert docs[SEEDS["003"].stem].error == "clauses stage failed: RuntimeError: boom in the parser"
    assert docs[SEEDS["001"].stem].ok and docs[SEEDS["001"].stem].n_clauses == 63


def test_io_errors_are_retried_then_reported(prefect_server, tmp_path, monkeypatch):
    raw = raw_with(tmp_path, "001", "003")
    real = ingest.read_document
    attempts: dict[str, int] = {}

    def flaky(path, raw_dir=None, **options):
        name = Path(path).stem
        attempts[name] = attempts.get(name, 0) + 1
        if name.startswith("001") and attempts[name] < 3:
            raise OSError(5, "Input/output error")  # fails twice, then works
        if name.startswith("003"):
            raise OSError(5, "Input/output error")  # never works
        return real(path, raw_dir, **options)

    monkeypatch.setattr(ingest, "read_document", flaky)
    result = run(raw, tmp_path / "out", tmp_path)
    docs = {d.doc_id: d for d in result.documents}
    assert docs[SEEDS["001"].stem].ok and attempts[SEEDS["001"].stem] == 3
    assert attempts[SEEDS["003"].stem] == 3
    assert docs[SEEDS["003"].stem].error.startswith("cannot read the file after 3 attempts: OSError")


# ------------------------------------------------------------------ time limit, containment


def test_a_stage_over_the_time_limit_rejects_only_that_document(prefect_server, tmp_path, monkeypatch):
    raw = raw_with(tmp_path, "001", "003")
    (raw / "hangs.txt").write_text(EN + SLOW_MARK, encoding="utf-8")
    monkeypatch.setattr(flows.normalize, "PIPELINE", (Stage("clauses", parse_or_sleep), *PIPELINE[1:]))
    result = run(raw, tmp_path / "out", tmp_path, stage_timeout=5)
    docs = {d.doc_id: d for d in result.documents}
    assert docs["hangs"].error == "clauses stage took longer than 5 s; document rejected"
    assert docs[SEEDS["001"].stem].ok and docs[SEEDS["003"].stem].ok
    table = pd.read_parquet(tmp_path / "out" / "documents.parquet").set_index("doc_id")
    assert table.loc["hangs", "status"] == "rejected" and table.loc[SEEDS["003"].stem, "status"] == "ok"


def test_a_failure_linking_one_document_costs_only_its_links(prefect_server, tmp_path, monkeypatch):
    """`summarize` (for the links across documents) raises for one document: that document
    keeps its clauses, says which links it lacks, and the run and its tables go on."""
    raw, out = raw_with(tmp_path, "001", "002", "003"), tmp_path / "out"
    real = alignment.summarize

    def fails_on_003(doc):
        if doc.doc_id.startswith("003"):
            raise RuntimeError("boom in the summary")
        return real(doc)

    monkeypatch.setattr(alignment, "summarize", fails_on_003)
    result = run(raw, out, tmp_path)
    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    zh = SEEDS["003"].stem
    assert docs.loc[zh, "status"] == "ok" and docs.loc[zh, "n_clauses"] == 47
    assert "links not made (translation, parallel and topic): RuntimeError: boom in the summary" in docs.loc[zh, "warnings"]
    links = pd.read_parquet(out / "alignments.parquet")
    assert not links.empty and zh not in set(links.left_doc) | set(links.right_doc)
    assert (docs.status == "ok").all() and "report" in result.outputs


def test_a_failure_of_the_links_across_documents_costs_only_those_links(prefect_server, tmp_path, monkeypatch):
    raw, out = raw_with(tmp_path, "001", "002", "003"), tmp_path / "out"

    def fails(*args, **kwargs):
        raise RuntimeError("boom in the alignment")

    monkeypatch.setattr(alignment, "cross_document_links", fails)
    result = run(raw, out, tmp_path)
    assert result.alignment_counts["parallel"] == result.alignment_counts["topic"] == 0
    assert result.alignment_counts["translation"] > 0  # the documents' own links are there
    links = pd.read_parquet(out / "alignments.parquet")
    assert set(links.kind) == {"translation"}
    assert len(pd.read_parquet(out / "documents.parquet")) == 3 and "report" in result.outputs

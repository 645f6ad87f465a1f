"""Stage workers: the stages in long-lived worker processes give what they give in this
process; a failing stage rejects only its document; a worker that dies costs only the
document that killed it; a stage over the time limit costs only its document; no worker
outlives the process that started it."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from conftest import REPO, SEEDS
from worker_helpers import CRASH_MARK, die_on_mark, note_jieba_loaded, raise_value_error

from lexnorm.runtime import workers
from stages import ingest
from stages.translate import TranslationSettings
from stages.records import Document
from lexnorm.runtime.workers import StageWorkers
from stages import pipeline
from stages.pipeline import PIPELINE, Stage

SLOW_MARK = "SLEEP-IN-THE-STAGE"


def sleep_on_mark(doc: Document) -> Document:
    """A stage that hangs (as a runaway loop or a stuck native call would) when the text
    holds the mark. Module-level: the worker processes import it by name."""
    if SLOW_MARK in doc.text:
        time.sleep(600)
    return doc


def parse_or_sleep(doc: Document) -> Document:
    """The clause stage, except that it hangs on a document holding the mark."""
    from stages import clauses

    return clauses.parse_document(sleep_on_mark(doc))


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> dict:
    """The run's settings: no models (the translation stage glosses Chinese), a cache of the test's own."""
    root = tmp_path_factory.mktemp("workers")
    return {"translate": TranslationSettings(package_dirs=(root / "no-models",), cache_path=root / "cache.sqlite")}


CLAUSES, LANGUAGE = PIPELINE[0], PIPELINE[1]


def read_seeds(keys=("001", "003")) -> list:
    raw = SEEDS["001"].parent
    return [ingest.read_document(SEEDS[key], raw) for key in keys]


def through(doc, settings, run):
    """The document through every stage with `run(stage, doc, last)`, and the stages' counters."""
    counts = {}
    for stage in PIPELINE:
        done = run(stage, doc, stage is PIPELINE[-1])
        assert done.error is None
        counts.update(done.counts)
        doc = done.doc
    return doc, counts


def test_worker_processes_give_the_same_documents_as_this_process(settings):
    docs = read_seeds()
    with StageWorkers(2) as pool:
        remote = [through(doc, settings, lambda s, d, last: pool.perform(s, d, settings, keep=not last)) for doc in docs]
    here = [through(doc, settings, lambda s, d, last: pipeline.perform(s, d, settings)) for doc in docs]
    assert remote == here
    (english, _), (chinese, counts) = remote
    assert english.lang == "en" and chinese.lang == "zh"
    assert any(c.tokens for c in chinese.clauses)  # jieba ran in the worker
    assert counts["glossed"] > 0  # the translation counters come back from the worker


def test_workers_started_without_jieba_load_it_for_the_first_han_text_and_cut_it_the_same(settings):
    # `lexnorm run` starts them so when no input file may hold Han text (`may_hold_han`);
    # a guess that proves wrong costs the document that loads jieba, not its tokens
    probe = Stage("probe", note_jieba_loaded)
    english, chinese = read_seeds(("001", "003"))
    with StageWorkers(1, han=False) as pool:
        assert pool.perform(probe, english, settings).doc.warnings[-1] == "jieba loaded: False"
        remote = [through(doc, settings, lambda s, d, last: pool.perform(s, d, settings, keep=not last)) for doc in (english, chinese)]
        assert pool.perform(probe, english, settings).doc.warnings[-1] == "jieba loaded: True"
    assert remote == [through(doc, settings, lambda s, d, last: pipeline.perform(s, d, settings)) for doc in (english, chinese)]
    assert remote[1][0].lang == "zh" and any(c.tokens for c in remote[1][0].clauses)


def test_workers_load_jieba_as_they_start_by_default(settings):
    with StageWorkers(1) as pool:
        assert pool.perform(Stage("probe", note_jieba_loaded), read_seeds(("001",))[0], settings).doc.warnings[-1] == (
            "jieba loaded: True"
        )


def test_a_stage_that_raises_rejects_its_document_with_the_error(settings):
    (doc,) = read_seeds(("001",))
    with StageWorkers(1) as pool:
        done = pool.perform(Stage("checking", raise_value_error), doc, settings)
    assert not done.doc.ok and done.doc.clauses == ()
    assert done.error == done.doc.error == f"checking stage failed: ValueError: cannot handle {doc.doc_id}"


def test_a_rejected_document_is_not_sent_to_a_worker(settings):
    doc = ingest.rejected_document(Path("missing.txt"), "cannot read")
    pool = StageWorkers(1)  # never started: perform must not need it
    try:
        assert pool.perform(CLAUSES, doc, settings).doc is doc
    finally:
        pool.close()


def test_a_document_that_kills_its_worker_is_rejected_and_the_others_go_on(settings):
    docs = read_seeds(("000", "001", "002", "004"))
    fatal = replace(docs[1], text=docs[1].text + CRASH_MARK)
    batch = [docs[0], fatal, docs[2], docs[3]]
    crashing = Stage("crashing", die_on_mark)
    with StageWorkers(2) as pool, ThreadPoolExecutor(4) as threads:
        outcomes = list(threads.map(lambda d: pool.perform(crashing, d, settings), batch))
        after = pool.perform(CLAUSES, docs[0], settings)  # the pool still works
        assert pool.replaced >= 1
    assert [o.doc.ok for o in outcomes] == [True, False, True, True]
    assert "the worker process running it died" in outcomes[1].error
    assert outcomes[1].doc.doc_id == fatal.doc_id
    assert after.doc.ok and after.doc.clauses


def test_a_run_leases_the_process_pool_and_it_is_closed_when_idle(monkeypatch):
    monkeypatch.setattr(workers, "IDLE_SECONDS", 0.2)
    with workers.lease(1) as pool:
        with workers.lease(1) as again:  # a second run at the same time shares it
            assert again is pool
        time.sleep(0.5)
        assert workers.shared(1) is pool  # still leased by the first run: not closed
    time.sleep(0.6)
    assert workers.shared(1) is not pool  # idle past IDLE_SECONDS: closed, a new one started
    workers.shutdown()


def test_a_held_document_whose_worker_dies_is_replayed_from_what_was_sent(settings):
    """Two documents held by the one worker after their first stage; the second's next
    stage kills the worker: it is rejected, and the first (lost with the worker) is done
    again in a process of its own, with the result it would have had."""
    first, second = read_seeds(("001", "002"))
    second = replace(second, text=second.text + CRASH_MARK)
    crashing = Stage("crashing", die_on_mark)
    with StageWorkers(1) as pool:
        held = [pool.perform(CLAUSES, doc, settings, keep=True).doc for doc in (first, second)]
        assert all(isinstance(h, workers.Held) for h in held)
        died = pool.perform(crashing, held[1], settings, keep=True)
        replayed = pool.perform(LANGUAGE, held[0], settings)
        assert pool.replaced == 1
    assert not died.doc.ok and "died" in died.error
    expected = pipeline.perform(LANGUAGE, pipeline.perform(CLAUSES, first, settings).doc, settings).doc
    assert replayed.doc == expected



def test_a_stage_over_the_time_limit_rejects_its_document_and_the_worker_goes_on(settings):
    """One worker: a document held there after its first stage, one that hangs in the
    next, and one queued behind it. The hanging one is rejected with the limit in the
    message, its worker killed and replaced; the held one is replayed with the result it
    would have had; the queued one was waiting, not running: it is not timed out."""
    first, slow, queued = read_seeds(("001", "002", "000"))
    slow = replace(slow, text=slow.text + SLOW_MARK)
    sleeping = Stage("sleeping", sleep_on_mark)
    with StageWorkers(1) as pool, ThreadPoolExecutor(2) as threads:
        held = pool.perform(CLAUSES, first, settings, keep=True).doc
        hanging = threads.submit(pool.perform, sleeping, slow, settings, timeout=3)
        time.sleep(0.5)  # the slow document is on the worker first
        waiting = threads.submit(pool.perform, sleeping, queued, settings, timeout=3)
        timed_out, after = hanging.result(timeout=120), waiting.result(timeout=120)
        replayed = pool.perform(LANGUAGE, held, settings)
        assert pool.replaced == 1
    assert not timed_out.doc.ok and timed_out.doc.clauses == ()
    assert timed_out.error == timed_out.doc.error == "sleeping stage took longer than 3 s; document rejected"
    assert after.error is None and after.doc.ok  # queued behind it, and replayed alone: not timed out
    expected = pipeline.perform(LANGUAGE, pipeline.perform(CLAUSES, first, settings).doc, settings).doc
    assert replayed.doc == expected


def test_in_threads_a_stage_over_the_time_limit_rejects_its_document_when_it_returns(settings):
    """A thread cannot be stopped: the limit is applied to the stage's outcome."""
    (doc,) = read_seeds(("001",))
    slow = Stage("slow", lambda d: time.sleep(0.3) or d)
    done = pipeline.perform(slow, doc, settings, timeout=0.1)
    assert not done.doc.ok and done.error == "slow stage took longer than 0.1 s; document rejected"
    assert pipeline.perform(slow, doc, settings, timeout=30).doc.ok


ORPHAN = """
import sys
from lexnorm.runtime.workers import StageWorkers
pool = StageWorkers(2).start()
print("started", flush=True)
sys.stdin.read()
"""


def test_worker_processes_die_with_their_parent_even_by_sigkill():
    proc = subprocess.Popen(
        [sys.executable, "-c", ORPHAN], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    spawned: list[psutil.Process] = []
    try:
        assert proc.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 120
        while len(spawned) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            spawned = [p for p in psutil.Process(proc.pid).children() if "multiprocessing.spawn" in " ".join(p.cmdline())]
        assert len(spawned) == 2 and all(_alive(p.pid) for p in spawned)
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 30
        while any(_alive(p.pid) for p in spawned) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p.pid for p in spawned if _alive(p.pid)]
    finally:
        proc.kill()
        for p in spawned:
            if p.is_running():
                p.kill()


def _alive(pid: int) -> bool:
    """Whether `pid` is a live process (not a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False

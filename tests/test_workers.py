"""Stage workers: the stages in long-lived worker processes give what they give in this
process; a failing stage rejects only its document; a worker that dies costs only the
document that killed it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEEDS
from worker_helpers import CRASH_MARK, die_on_mark, raise_value_error

from stages import ingest, workers
from stages.translate import TranslationSettings
from stages.workers import Stage, StageWorkers


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> TranslationSettings:
    """No models (the translation stage glosses Chinese), a cache of the test's own."""
    root = tmp_path_factory.mktemp("workers")
    return TranslationSettings(package_dirs=(root / "no-models",), cache_path=root / "cache.sqlite")


def read_seeds(keys=("001", "003")) -> list:
    raw = SEEDS["001"].parent
    return [ingest.read_document(SEEDS[key], raw) for key in keys]


def through(doc, settings, run):
    """The document through every stage with `run(stage, doc, last)`, and the stages' counters."""
    counts = {}
    for stage in workers.STAGES:
        done = run(stage, doc, stage is workers.STAGES[-1])
        assert done.error is None
        counts.update(done.counts)
        doc = done.doc
    return doc, counts


def test_worker_processes_give_the_same_documents_as_this_process(settings):
    docs = read_seeds()
    with StageWorkers(2) as pool:
        remote = [through(doc, settings, lambda s, d, last: pool.perform(s, d, settings, keep=not last)) for doc in docs]
    here = [through(doc, settings, lambda s, d, last: workers.perform(s, d, settings)) for doc in docs]
    assert remote == here
    (english, _), (chinese, counts) = remote
    assert english.lang == "en" and chinese.lang == "zh"
    assert any(c.tokens for c in chinese.clauses)  # jieba ran in the worker
    assert counts["glossed"] > 0  # the translation counters come back from the worker


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
        assert pool.perform(workers.CLAUSE, doc, settings).doc is doc
    finally:
        pool.close()


def test_a_document_that_kills_its_worker_is_rejected_and_the_others_go_on(settings):
    docs = read_seeds(("000", "001", "002", "004"))
    fatal = replace(docs[1], text=docs[1].text + CRASH_MARK)
    batch = [docs[0], fatal, docs[2], docs[3]]
    crashing = Stage("crashing", die_on_mark)
    with StageWorkers(2) as pool, ThreadPoolExecutor(4) as threads:
        outcomes = list(threads.map(lambda d: pool.perform(crashing, d, settings), batch))
        after = pool.perform(workers.CLAUSE, docs[0], settings)  # the pool still works
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
        held = [pool.perform(workers.CLAUSE, doc, settings, keep=True).doc for doc in (first, second)]
        assert all(isinstance(h, workers.Held) for h in held)
        died = pool.perform(crashing, held[1], settings, keep=True)
        replayed = pool.perform(workers.LANGUAGE, held[0], settings)
        assert pool.replaced == 1
    assert not died.doc.ok and "died" in died.error
    expected = workers.perform(workers.LANGUAGE, workers.perform(workers.CLAUSE, first, settings).doc, settings).doc
    assert replayed.doc == expected


"""Stage workers: long-lived processes that run the stages, so that the GIL-bound ones
(parsing, langdetect, jieba, topic rules) neither wait for one another nor for the
orchestration's threads in the main process.

Each worker process warms up once (jieba's dictionary, langdetect's profiles) and then
performs stage after stage, for this run and the next ones: a process keeps its pool of
warm workers (`lease`) until it has been idle for `IDLE_SECONDS`, or until it exits. A
worker keeps one long-lived translator per translation settings, whose CTranslate2
threads are its share of the cores. A document is sent to the least loaded worker for
its first stage and stays there until its last: between stages only a `Held` reference
travels. A stage that raises rejects its document with the error. A document whose stage
kills its worker process (a crash in native code, the memory limit) is tried once more
in a process of its own, and rejected if that dies too; the documents the dead worker
held are replayed from what was sent to it, and a new worker takes its place.

Plain Python (`concurrent.futures`), no Prefect: the flow's tasks hand their stage to
`StageWorkers.perform`, or call `perform` themselves when they already run in a worker
process of their own (Dask) or when a run asks for no worker processes.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace

from stages import clauses, language, segment, topics, translate
from stages.records import Document
from stages.translate import TranslationSettings


@dataclass(frozen=True)
class Stage:
    """One stage: its name (as in the run summary's times) and its function, a module-level
    function so that it pickles by reference. A translating stage is given the process's
    translator for the run's settings as a second argument."""

    name: str
    work: Callable[..., Document]
    translates: bool = False


CLAUSE = Stage("clause", clauses.parse_document)
LANGUAGE = Stage("language", language.detect_languages)
SEGMENTATION = Stage("segmentation", segment.segment_document)
TRANSLATION = Stage("translation", translate.translate_document, translates=True)
TOPIC = Stage("topic", topics.classify_document)
STAGES = (CLAUSE, LANGUAGE, SEGMENTATION, TRANSLATION, TOPIC)  # after the read, in order


@dataclass(frozen=True)
class Performed:
    """A stage's outcome: the document, the seconds the stage took, the translation counters
    (translating stages), and the error when the stage failed and rejected the document."""

    doc: Document | Held
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def reject(doc: Document, error: str) -> Document:
    return replace(doc, status="rejected", error=error, clauses=())


def perform(stage: Stage, doc: Document, settings: TranslationSettings) -> Performed:
    """Run one stage on a document in this process, timing it. An exception rejects the
    document (with the exception summarised) instead of escaping: the same input would fail
    the same way again. A rejected document passes through untouched."""
    if not doc.ok:
        return Performed(doc)
    start = time.perf_counter()
    counts: dict[str, int] = {}
    try:
        if stage.translates:
            translator = translate.translator_for(settings)
            with translator.counting() as mine:
                doc = stage.work(doc, translator)
            counts = dict(mine)
        else:
            doc = stage.work(doc)
        error = None
    except Exception as exc:  # the point is to contain any failure
        error = f"{stage.name} stage failed: {type(exc).__name__}: {exc}"
        doc = reject(doc, error)
    return Performed(doc, time.perf_counter() - start, counts, error)


def warm_up() -> None:
    """Load what the stages load on first use (jieba's dictionary, langdetect's profiles) so
    that no document pays for it."""
    segment.tokenizer()
    language.detect("warm up")


def _worker_started(warm: bool = True) -> None:
    """In a new worker process: Ctrl-C is for the main process, which stops the run and its
    workers in order (a worker interrupted on its own would only print a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if warm:
        warm_up()


def default_count() -> int:
    """One worker process per core."""
    return os.cpu_count() or 1


@dataclass(frozen=True, eq=False)
class Held:
    """A document kept in a worker process between two stages, and what the orchestrator
    passes on in its place: a reference, as Dask or Ray pass a task's result. The document
    as it was sent (`origin`) and the stages performed on it since (`done`) stay in this
    process, to replay them should the worker holding it die."""

    key: str
    lane: _Lane
    origin: Document
    done: tuple[Stage, ...]

    @property
    def doc_id(self) -> str:
        return self.origin.doc_id

    @property
    def ok(self) -> bool:
        return True  # only accepted documents are held


_held: dict[str, Document] = {}  # in a worker process: the documents it holds, by key


def _perform_held(stage: Stage, sent: Document | str, settings: TranslationSettings, keep: str | None) -> Performed:
    """In a worker process: the stage on the document sent, or on the one held here under
    the key sent. With `keep`, an accepted result stays here under that key and only the
    outcome goes back (`doc` None)."""
    doc = _held.pop(sent) if isinstance(sent, str) else sent
    done = perform(stage, doc, settings)
    if keep is None or not done.doc.ok:
        return done
    _held[keep] = done.doc
    return replace(done, doc=None)


def _replay(stages: tuple[Stage, ...], doc: Document, settings: TranslationSettings) -> Performed:
    """In a worker process: `stages` one after the other, as one outcome."""
    seconds, counts = 0.0, {}
    for stage in stages:
        done = perform(stage, doc, settings)
        doc, seconds = done.doc, seconds + done.seconds
        counts.update({k: counts.get(k, 0) + n for k, n in done.counts.items()})
        if done.error:
            return Performed(doc, seconds, counts, done.error)
    return Performed(doc, seconds, counts)


class _Lane:
    """One worker process (a single-process executor) and how many documents it has been
    given and not yet handed back."""

    def __init__(self, context) -> None:
        self.executor = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_worker_started)
        self.load = 0
        self.broken = False


class StageWorkers:
    """`processes` long-lived worker processes for the runs' stages.

    A document goes to the least loaded worker for its first stage and stays there until
    its last: between stages only a reference (`Held`) comes back, so the document is
    pickled once each way instead of twice per stage.

    Workers are started with "spawn" (the main process has Prefect's threads running, and
    forking a process with threads is unsafe) and warm up as they start; `start()` begins
    that at once. As with any use of spawned processes, a script that starts a run must do
    so under `if __name__ == "__main__":` (a notebook needs nothing)."""

    def __init__(self, processes: int) -> None:
        self.processes = max(1, processes)
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._lanes = [_Lane(self._context) for _ in range(self.processes)]
        self.replaced = 0  # worker processes that died and were replaced

    def start(self) -> StageWorkers:
        """Start every worker process now (each warms up in the background)."""
        for lane in self._lanes:
            lane.executor.submit(int)
        return self

    def perform(self, stage: Stage, item: Document | Held, settings: TranslationSettings, keep: bool = False) -> Performed:
        """`perform(stage, document, settings)` in a worker process, blocking the calling
        thread (not the GIL) until it is done. With `keep`, an accepted result stays in the
        worker and `Performed.doc` is a `Held` reference to it, for the next stage."""
        if not item.ok:
            return Performed(item)
        if isinstance(item, Held):
            lane, sent, origin, done = item.lane, item.key, item.origin, item.done
        else:
            lane, sent, origin, done = self._take_lane(), item, item, ()
        key = uuid.uuid4().hex if keep else None
        try:
            if lane.broken:  # it died holding this document
                raise BrokenProcessPool
            outcome = lane.executor.submit(_perform_held, stage, sent, settings, key).result()
        except BrokenProcessPool:
            self._replace(lane)
            return self._alone((*done, stage), origin, settings)
        if outcome.doc is None:
            return replace(outcome, doc=Held(key, lane, origin, (*done, stage)))
        with self._lock:
            lane.load -= 1  # handed back
        return outcome

    def _take_lane(self) -> _Lane:
        with self._lock:
            lane = min(self._lanes, key=lambda lane: lane.load)
            lane.load += 1
            return lane

    def _replace(self, lane: _Lane) -> None:
        with self._lock:
            if lane in self._lanes:
                lane.broken = True
                self._lanes[self._lanes.index(lane)] = _Lane(self._context)
                self.replaced += 1
        lane.executor.shutdown(wait=False, cancel_futures=True)

    def _alone(self, stages: tuple[Stage, ...], doc: Document, settings: TranslationSettings) -> Performed:
        """The stages again, in a process of its own: was this document the one that killed
        its worker, or only caught with it?"""
        with ProcessPoolExecutor(1, mp_context=self._context, initializer=_worker_started, initargs=(False,)) as single:
            try:
                return single.submit(_replay, stages, doc, settings).result()
            except BrokenProcessPool:
                pass
        error = (
            f"{stages[-1].name} stage failed: the worker process running it died (a crash in native code, "
            "or the memory limit), twice"
        )
        return Performed(reject(doc, error), error=error)

    def close(self) -> None:
        for lane in self._lanes:
            lane.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> StageWorkers:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------ the process's pools

IDLE_SECONDS = 300.0  # a pool no run has used for this long is closed (its memory freed)

_pools: dict[int, StageWorkers] = {}
_leases: dict[int, int] = {}
_timers: dict[int, threading.Timer] = {}
_registry = threading.Lock()


def shared(processes: int) -> StageWorkers:
    """This process's pool of `processes` workers, started (and warming up) on first use.
    Calling it before a run needs the workers lets them warm up meanwhile; a pool that no
    run then leases is closed after IDLE_SECONDS."""
    with _registry:
        pool = _acquire(processes)
        if not _leases.get(processes):
            _arm(processes)
        return pool


@contextmanager
def lease(processes: int) -> Iterator[StageWorkers]:
    """The shared pool for one run; when the last run using it ends, it stays warm for the
    next run for IDLE_SECONDS."""
    with _registry:
        pool = _acquire(processes)
        _leases[processes] = _leases.get(processes, 0) + 1
    try:
        yield pool
    finally:
        with _registry:
            _leases[processes] -= 1
            if not _leases[processes]:
                _arm(processes)


def _acquire(processes: int) -> StageWorkers:
    """The pool, started if there is none, with its idle timer stopped (holding _registry)."""
    timer = _timers.pop(processes, None)
    if timer is not None:
        timer.cancel()
    if processes not in _pools:
        if not _pools:
            # Closed when this process ends, before multiprocessing waits for its children:
            # in a process that multiprocessing started itself (Prefect runs a served flow
            # run in one) nothing else would stop them, and it would wait forever.
            multiprocessing.util.Finalize(None, shutdown, exitpriority=100)
        _pools[processes] = StageWorkers(processes).start()
    return _pools[processes]


def _arm(processes: int) -> None:
    """Close the pool after IDLE_SECONDS unless a run leases it first (holding _registry)."""
    timer = threading.Timer(IDLE_SECONDS, _close_idle, (processes,))
    timer.daemon = True
    _timers[processes] = timer
    timer.start()


def _close_idle(processes: int) -> None:
    with _registry:
        if _leases.get(processes) or _timers.get(processes) is not threading.current_thread():
            return
        del _timers[processes]
        pool = _pools.pop(processes, None)
    if pool is not None:
        pool.close()


def shutdown() -> None:
    """Close every pool of this process now (a notebook that wants its memory back)."""
    with _registry:
        for timer in _timers.values():
            timer.cancel()
        _timers.clear()
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()

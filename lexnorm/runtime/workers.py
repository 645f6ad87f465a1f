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
held are replayed from what was sent to it, and a new worker takes its place. A stage that
runs longer than the run's time limit (`timeout`) has its worker killed: that document
alone is rejected, the others the worker held are replayed likewise.

No worker outlives the process that started it: on Linux the kernel kills a worker when
its parent ends, however it ends (SIGKILL included: `PR_SET_PDEATHSIG`); elsewhere a
thread in the worker watches the parent. A run that is interrupted (Ctrl-C, SIGTERM)
stops its pool at once (`StageWorkers.stop`) instead of waiting for the stages in hand.

Plain Python (`concurrent.futures`), no Prefect: the flow's tasks hand their stage to
`StageWorkers.perform`, or call `perform` themselves when they already run in a worker
process of their own (Dask) or when a run asks for no worker processes.
"""

from __future__ import annotations

import ctypes
import itertools
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

from lexnorm.runtime.lasting import in_lasting_thread as _lasting
from stages.pipeline import Performed, Settings, Stage, overran, perform, reject, warm_up
from stages.records import Document


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """In a child process: end when `parent` ends, however it ends. On Linux the kernel
    sends SIGKILL (`PR_SET_PDEATHSIG`: nothing to poll, and it works while this process is
    busy in native code); it is tied to the thread that started this process, which is why
    workers are started by one thread that lives as long as the process (`_lasting`).
    Elsewhere a daemon thread waits on multiprocessing's pipe from the parent, which closes
    when the parent ends. If the parent is already gone, end now."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        sentinel = multiprocessing.parent_process().sentinel

        def watch() -> None:
            multiprocessing.connection.wait([sentinel])
            os._exit(1)

        threading.Thread(target=watch, name="lexnorm-parent-watch", daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


class _Clock:
    """Which call a worker process is running and since when, in memory shared with the
    process that sent it (three floats: call number, stage index, start on the monotonic
    clock, which all processes of the machine share; 0 when idle). The sender reads it to
    tell a stage that overruns the time limit from a call still waiting its turn."""

    def __init__(self, context) -> None:
        self.cells = context.RawArray("d", 3)

    def begin(self, call: int, stage: int) -> None:
        self.cells[2] = 0.0
        self.cells[0], self.cells[1] = call, stage
        self.cells[2] = time.monotonic()

    def end(self) -> None:
        self.cells[2] = 0.0

    def running(self, call: int) -> tuple[int, float] | None:
        """(stage index, seconds it has run) when the worker is running `call`, else None."""
        started, current, stage = self.cells[2], self.cells[0], self.cells[1]
        if not started or current != call or self.cells[2] != started:
            return None
        return int(stage), time.monotonic() - started


_clock: _Clock | None = None  # in a worker process: the clock its sender reads


def _worker_started(parent: int, clock: _Clock, warm: bool = True, han: bool = True) -> None:
    """In a new worker process: it dies with its parent; Ctrl-C is for the main process,
    which stops the run and its workers in order (a worker interrupted on its own would
    only print a traceback). It warms up unless `warm` is False (jieba only if `han`)."""
    global _clock
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _clock = clock
    if warm:
        warm_up(han)


def process_count(workers: int, threads: bool = False, dask: str | None = None) -> int:
    """How many worker processes a run of `workers` workers uses: none when its workers are
    threads of this process or Dask workers."""
    return 0 if threads or dask else workers


def default_count() -> int:
    """One worker process per core."""
    return os.cpu_count() or 1


def window_size(workers: int) -> int:
    """Documents in flight: enough to keep every worker busy while others are written."""
    return 2 * max(1, workers) + 2


def share_cores(settings: Settings, workers: int) -> Settings:
    """Each of `workers` processes gets its share of the cores in every stage's settings
    that leave their number of threads to lexnorm (`threads == 0`: one per core; the
    translator's CTranslate2 threads)."""
    if workers <= 1:
        return settings
    share = max(1, default_count() // workers)
    return {
        name: replace(value, threads=share) if getattr(value, "threads", None) == 0 else value
        for name, value in settings.items()
    }


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


@contextmanager
def _timed_call(call: int, stage: int) -> Iterator[None]:
    """In a worker process: call `call` runs stage `stage` (see `_Clock`)."""
    _clock.begin(call, stage)
    try:
        yield
    finally:
        _clock.end()


def _perform_held(
    stage: Stage, sent: Document | str, settings: Settings, keep: str | None, call: int
) -> Performed:
    """In a worker process: the stage on the document sent, or on the one held here under
    the key sent. With `keep`, an accepted result stays here under that key and only the
    outcome goes back (`doc` None)."""
    doc = _held.pop(sent) if isinstance(sent, str) else sent
    with _timed_call(call, 0):
        done = perform(stage, doc, settings)
    if keep is None or not done.doc.ok:
        return done
    _held[keep] = done.doc
    return replace(done, doc=None)


def _replay(stages: tuple[Stage, ...], doc: Document, settings: Settings, call: int) -> Performed:
    """In a worker process: `stages` one after the other, as one outcome."""
    seconds, counts = 0.0, {}
    for index, stage in enumerate(stages):
        with _timed_call(call, index):
            done = perform(stage, doc, settings)
        doc, seconds = done.doc, seconds + done.seconds
        counts.update({k: counts.get(k, 0) + n for k, n in done.counts.items()})
        if done.error:
            return Performed(doc, seconds, counts, done.error)
    return Performed(doc, seconds, counts)


def _executor(context, clock: _Clock, warm: bool, han: bool = True) -> ProcessPoolExecutor:
    """A single-process executor whose worker dies with this process and runs by `clock`."""
    return ProcessPoolExecutor(
        1, mp_context=context, initializer=_worker_started, initargs=(os.getpid(), clock, warm, han)
    )


class _Lane:
    """One worker process (a single-process executor, its process started at once by the
    lasting thread), how many documents it has been given and not yet handed back, and
    the clock its stages run by."""

    def __init__(self, context, han: bool = True) -> None:
        self.clock = _Clock(context)
        self.executor = _executor(context, self.clock, True, han)
        self.pid: Future = _lasting(lambda: self.executor.submit(os.getpid))  # the first call starts the process
        self.load = 0
        self.broken = False

    def kill(self) -> None:
        """Kill the worker process now (a stage over its time limit; a run that stops)."""
        _kill(self.pid)


def _kill(pid: Future) -> None:
    if pid.done() and pid.exception() is None:
        try:
            os.kill(pid.result(), signal.SIGKILL)
        except ProcessLookupError:
            pass
    else:
        pid.cancel()


class _Overran(Exception):
    """A stage ran past the time limit; its worker process was killed."""

    def __init__(self, stage: int) -> None:
        self.stage = stage


def _stopped(doc: Document, stage: Stage) -> Performed:
    """The outcome of a stage in hand when the pool was stopped (the run is interrupted and
    writes nothing more; the document is done again by the next run)."""
    error = f"{stage.name} stage stopped: the run was interrupted"
    return Performed(reject(doc, error), error=error)


def _await(future: Future, clock: _Clock, call: int, timeout: float | None, kill: Callable[[], None]):
    """The result of `future`, a call on a worker run by `clock`. If the call's stage runs
    longer than `timeout`, `kill` the worker and raise _Overran. The time counts from when
    the stage starts, not from when the call was queued behind others on that worker."""
    if timeout is None:
        return future.result()
    while True:
        try:
            return future.result(timeout=min(timeout, 0.5))
        except FutureTimeout:
            running = clock.running(call)
            if running is not None and running[1] > timeout:
                kill()
                try:
                    future.result()  # fails now: the worker is gone
                except BrokenProcessPool:
                    pass
                raise _Overran(running[0]) from None


class StageWorkers:
    """`processes` long-lived worker processes for the runs' stages.

    A document goes to the least loaded worker for its first stage and stays there until
    its last: between stages only a reference (`Held`) comes back, so the document is
    pickled once each way instead of twice per stage.

    Workers are started with "spawn" (the main process has Prefect's threads running, and
    forking a process with threads is unsafe) and warm up as they start; `start()` begins
    that at once. As with any use of spawned processes, a script that starts a run must do
    so under `if __name__ == "__main__":` (a notebook needs nothing)."""

    def __init__(self, processes: int, han: bool = True) -> None:
        self.processes = max(1, processes)
        self.han = han  # whether the workers load jieba as they start (`warm_up`)
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._lanes = [_Lane(self._context, han) for _ in range(self.processes)]
        self._calls = itertools.count(1)
        self.replaced = 0  # worker processes that died and were replaced
        self.stopped = False

    def start(self) -> StageWorkers:
        """The worker processes are started (and warm up in the background) as the pool is made."""
        return self

    def perform(
        self, stage: Stage, item: Document | Held, settings: Settings, keep: bool = False,
        timeout: float | None = None,
    ) -> Performed:  # fmt: skip
        """`perform(stage, document, settings)` in a worker process, blocking the calling
        thread (not the GIL) until it is done. With `keep`, an accepted result stays in the
        worker and `Performed.doc` is a `Held` reference to it, for the next stage. A stage
        that runs longer than `timeout` seconds has its worker killed and rejects its
        document; the other documents that worker held are replayed."""
        if not item.ok:
            return Performed(item)
        if isinstance(item, Held):
            lane, sent, origin, done = item.lane, item.key, item.origin, item.done
        else:
            lane, sent, origin, done = self._take_lane(), item, item, ()
        key = uuid.uuid4().hex if keep else None
        call = next(self._calls)
        try:
            if lane.broken or self.stopped:  # it died holding this document; the run is stopping
                raise BrokenProcessPool
            future = lane.executor.submit(_perform_held, stage, sent, settings, key, call)
            outcome = _await(future, lane.clock, call, timeout, lane.kill)
        except _Overran:
            self._replace(lane)
            error = overran(stage, timeout)
            return Performed(reject(origin, error), timeout, error=error)
        except (RuntimeError, CancelledError) as exc:  # BrokenProcessPool is one; the others come of a stop
            if self.stopped:
                return _stopped(origin, stage)
            if not isinstance(exc, BrokenProcessPool):
                raise
            self._replace(lane)
            return self._alone((*done, stage), origin, settings, timeout)
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
                self._lanes[self._lanes.index(lane)] = _Lane(self._context, self.han)
                self.replaced += 1
        lane.executor.shutdown(wait=False, cancel_futures=True)

    def _alone(
        self, stages: tuple[Stage, ...], doc: Document, settings: Settings, timeout: float | None
    ) -> Performed:
        """The stages again, in a process of its own: was this document the one that killed
        its worker, or only caught with it? (Started by this thread, which waits for it.)"""
        clock = _Clock(self._context)
        with _executor(self._context, clock, False) as single:
            pid = single.submit(os.getpid)
            try:
                return _await(single.submit(_replay, stages, doc, settings, 0), clock, 0, timeout, lambda: _kill(pid))
            except _Overran as exc:
                error = overran(stages[exc.stage], timeout)
                return Performed(reject(doc, error), timeout, error=error)
            except (BrokenProcessPool, CancelledError):
                if self.stopped:
                    return _stopped(doc, stages[-1])
        error = (
            f"{stages[-1].name} stage failed: the worker process running it died (a crash in native code, "
            "or the memory limit), twice"
        )
        return Performed(reject(doc, error), error=error)

    def close(self) -> None:
        for lane in self._lanes:
            lane.executor.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """Kill the worker processes now, without waiting for the stages in hand: the run is
        interrupted. The threads waiting on them get `Stopped` at once."""
        self.stopped = True
        for lane in self._lanes:
            lane.kill()
            lane.executor.shutdown(wait=False, cancel_futures=True)

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


def shared(processes: int, han: bool = True) -> StageWorkers:
    """This process's pool of `processes` workers, started (and warming up) on first use;
    a new pool's workers load jieba as they start unless `han` is False (`warm_up`).
    Calling it before a run needs the workers lets them warm up meanwhile; a pool that no
    run then leases is closed after IDLE_SECONDS."""
    with _registry:
        pool = _acquire(processes, han)
        if not _leases.get(processes):
            _arm(processes)
        return pool


@contextmanager
def lease(processes: int) -> Iterator[StageWorkers]:
    """The shared pool for one run; when the last run using it ends, it stays warm for the
    next run for IDLE_SECONDS. A run that ends by an exception (Ctrl-C, SIGTERM, a bug)
    stops the pool at once instead: the next run starts a new one."""
    with _registry:
        pool = _acquire(processes)
        _leases[processes] = _leases.get(processes, 0) + 1
    try:
        yield pool
    except BaseException:
        with _registry:
            if _pools.get(processes) is pool:
                del _pools[processes]
        pool.stop()
        raise
    finally:
        with _registry:
            _leases[processes] -= 1
            if not _leases[processes]:
                _arm(processes)


def _acquire(processes: int, han: bool = True) -> StageWorkers:
    """The pool, started if there is none, with its idle timer stopped (holding _registry)."""
    timer = _timers.pop(processes, None)
    if timer is not None:
        timer.cancel()
    if processes not in _pools:
        if not _pools:
            # Closed when this process ends, before multiprocessing waits for its children:
            # in a process that multiprocessing started itself (Prefect runs a served flow
            # run in one) nothing else would stop them, and it would wait forever.
            multiprocessing.util.Finalize(None, _shutdown_at_exit, exitpriority=100)
        _pools[processes] = StageWorkers(processes, han).start()
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


def _shutdown_at_exit() -> None:
    """`shutdown` as the process ends. A Ctrl-C that reaches the process now (`lexnorm
    serve` stopped with its process group just as a served run's process ends) would only
    interrupt the closing with a traceback: the process is on its way out already."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    shutdown()


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


# ------------------------------------------------------------------ a run's stages


class Runner:
    """How one run performs a stage on a document in flight: in its pool of worker
    processes, where the document stays from its first stage to its last (a `Held`
    reference travels meanwhile), or in the calling thread when the run has no pool (no
    worker processes; a Dask worker, which is a process of its own already). It pickles
    without its pool, so it travels to Dask workers as a task input."""

    __slots__ = ("last", "pool", "settings", "timeout")

    def __init__(self, settings: Settings, pool: StageWorkers | None, timeout: float | None, last: Stage) -> None:
        self.settings, self.pool, self.timeout, self.last = settings, pool, timeout, last

    def __getstate__(self):
        return (self.settings, None, self.timeout, self.last)

    def __setstate__(self, state) -> None:
        self.settings, self.pool, self.timeout, self.last = state

    @property
    def stopped(self) -> bool:
        """Whether the run was interrupted: its pool stopped, the stages in hand abandoned."""
        return self.pool is not None and self.pool.stopped

    def perform(self, stage: Stage, doc: Document | Held) -> Performed:
        if self.pool is None:
            return perform(stage, doc, self.settings, self.timeout)
        return self.pool.perform(stage, doc, self.settings, keep=stage != self.last, timeout=self.timeout)

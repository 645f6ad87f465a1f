"""The reader processes (lexnorm.runtime.sandbox): kept between files and shared by threads,
they give what the reader gives in this process; a reader that crashes, runs out of time
or is worn (reads, memory) costs only its file and is replaced; none outlives its process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
from conftest import REPO
from pdf_fixtures import LEFT, TOP, Line, build

from lexnorm.runtime import sandbox
from lexnorm.runtime.sandbox import ReaderPool
from stages.formats import FormatError, html, pdf

MEMORY, SECONDS = sandbox.READER_MEMORY_MB, 60.0
PAGES = [build([[Line(LEFT, TOP, f"{n}. Clause {n} of file {n}.")]]) for n in range(1, 7)]


@pytest.fixture()
def readers():
    pool = ReaderPool(2)
    yield pool
    pids = pool.pids()
    pool.close()
    assert not [pid for pid in pids if _alive(pid)]  # closed: no reader left


def _alive(pid: int) -> bool:
    """Whether `pid` is a live process (not a zombie waiting for its parent)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_reads_from_many_threads_share_few_readers_and_give_what_the_reader_gives(readers):
    page = "<html><body><h1>Terms</h1><p>1. Scope. The services.</p></body></html>".encode()
    jobs = [("pdf", data) for data in PAGES] * 2 + [("html", page)] * 4
    with ThreadPoolExecutor(6) as threads:
        got = list(threads.map(lambda job: readers.extract(*job, MEMORY, SECONDS), jobs))
    assert got == [pdf.read(data) if fmt == "pdf" else html.read(data) for fmt, data in jobs]
    assert 1 <= readers.started <= 2  # 16 files, at most one reader per slot, kept between files
    assert len(readers.pids()) == readers.started


def test_a_reader_started_by_a_thread_that_ended_lives_on_for_the_next_file(readers):
    # PR_SET_PDEATHSIG fires when the *thread* that started a child ends: a reader started by
    # a task thread of its own would die with that task; readers are started by a lasting thread
    first = threading.Thread(target=readers.extract, args=("pdf", PAGES[0], MEMORY, SECONDS))
    first.start()
    first.join()
    (pid,) = readers.pids()
    time.sleep(0.5)
    assert _alive(pid)
    assert readers.extract("pdf", PAGES[1], MEMORY, SECONDS) == pdf.read(PAGES[1])
    assert readers.pids() == [pid] and readers.started == 1


def test_a_reader_that_crashes_rejects_its_file_and_the_next_file_gets_a_fresh_one(readers):
    readers.extract("pdf", PAGES[0], MEMORY, SECONDS)
    (pid,) = readers.pids()
    os.kill(pid, signal.SIGSTOP)  # it cannot answer before the crash below
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            readers.extract("pdf", PAGES[1], MEMORY, SECONDS)
        except FormatError as exc:
            outcome.append(exc)

    reading = threading.Thread(target=read)
    reading.start()
    _wait_for(lambda: not readers._idle, "the read to take the reader")
    os.kill(pid, signal.SIGSEGV)
    os.kill(pid, signal.SIGCONT)
    reading.join(timeout=60)
    assert [str(e) for e in outcome] == [
        f"the pdf reader crashed on this file (SIGSEGV): the file is damaged or needs more than {MEMORY} MB of memory"
    ]
    assert not _alive(pid)
    assert readers.extract("pdf", PAGES[2], MEMORY, SECONDS) == pdf.read(PAGES[2])
    assert readers.started == 2 and pid not in readers.pids()


def test_a_reader_that_died_between_files_costs_no_file(readers):
    readers.extract("pdf", PAGES[0], MEMORY, SECONDS)
    (pid,) = readers.pids()
    os.kill(pid, signal.SIGKILL)
    _wait_for(lambda: not _alive(pid) or readers.pids() == [], "the reader to die")
    assert readers.extract("pdf", PAGES[1], MEMORY, SECONDS) == pdf.read(PAGES[1])
    assert readers.started == 2


def test_a_read_over_the_time_limit_kills_its_reader_and_the_next_file_gets_a_fresh_one(readers):
    readers.extract("pdf", PAGES[0], MEMORY, SECONDS)
    (pid,) = readers.pids()
    os.kill(pid, signal.SIGSTOP)  # a stopped reader cannot answer in time, however fast the file
    with pytest.raises(FormatError, match=r"^reading this pdf file took longer than 0\.001 s; it was stopped$"):
        readers.extract("pdf", PAGES[1], MEMORY, 0.001)
    assert not _alive(pid)
    assert readers.extract("pdf", PAGES[1], MEMORY, SECONDS) == pdf.read(PAGES[1])
    assert readers.started == 2


def test_a_reader_is_replaced_after_its_reads_or_when_its_memory_grew(readers, monkeypatch):
    monkeypatch.setattr(sandbox, "READER_READS", 2)
    for data in PAGES[:5]:
        readers.extract("pdf", data, MEMORY, SECONDS)
    assert readers.started == 3  # reads 1-2, 3-4, 5
    monkeypatch.setattr(sandbox, "READER_RSS_MB", 1)  # any reader has grown past it
    for data in PAGES[:2]:
        readers.extract("pdf", data, MEMORY, SECONDS)
    assert readers.started == 5 and readers.pids() == []


def test_a_changed_memory_limit_gets_readers_of_that_limit(readers):
    readers.extract("pdf", PAGES[0], MEMORY, SECONDS)
    (pid,) = readers.pids()
    readers.extract("pdf", PAGES[1], 1024, SECONDS)
    assert readers.started == 2 and not _alive(pid)


def test_idle_readers_are_ended(readers, monkeypatch):
    monkeypatch.setattr(sandbox, "IDLE_SECONDS", 0.2)
    readers.extract("pdf", PAGES[0], MEMORY, SECONDS)
    (pid,) = readers.pids()
    _wait_for(lambda: not _alive(pid), "the idle reader to end")
    assert readers.pids() == []
    assert readers.extract("pdf", PAGES[1], MEMORY, SECONDS) == pdf.read(PAGES[1])


# ------------------------------------------------------------------ no reader outlives its process

READ_AND_WAIT = """
import sys
from pdf_fixtures import LEFT, TOP, Line, build
from lexnorm.runtime import sandbox
sandbox.extract("pdf", build([[Line(LEFT, TOP, "1. Scope.")]]))
print(*sandbox.pool().pids(), flush=True)
if sys.argv[1] == "wait":
    sys.stdin.readline()
"""


@pytest.mark.parametrize("how", ["exits", "is killed"])
def test_no_reader_outlives_its_process(how):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), str(REPO)])}
    proc = subprocess.Popen(
        [sys.executable, "-c", READ_AND_WAIT, "exit" if how == "exits" else "wait"],
        cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        pids = [int(pid) for pid in proc.stdout.readline().split()]
        assert len(pids) == 1
        if how == "is killed":
            assert _alive(pids[0])
            proc.kill()
        assert proc.wait(timeout=60) in (0, -signal.SIGKILL)
        _wait_for(lambda: not any(_alive(pid) for pid in pids), "the reader to end with its process", 30)
    finally:
        proc.kill()
        proc.wait()


def test_the_module_pool_is_this_process_s_and_shutdown_ends_it():
    assert sandbox.extract("pdf", PAGES[0]) == pdf.read(PAGES[0])
    pids = sandbox.pool().pids()
    assert len(pids) == 1
    sandbox.shutdown()
    assert not [pid for pid in pids if _alive(pid)]
    assert sandbox.pool().pids() == []


def test_a_pool_of_one_read_per_reader_starts_a_process_per_file():
    pool = ReaderPool(1, reads=1)
    for data in PAGES[:3]:
        assert pool.extract("pdf", data, MEMORY, SECONDS) == pdf.read(data)
    assert pool.started == 3 and pool.pids() == []

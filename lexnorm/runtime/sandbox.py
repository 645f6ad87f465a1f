"""Format readers in child processes with bounded memory and time, kept for many files.

A PDF, Word or HTML file is read by native code (PDFium, libxml2) that a hostile or damaged
file can make allocate without bound, loop for a long time or crash. `extract` runs the
reader (`stages.formats.extract`) in a reader process, a child Python process that limits
its own address space (`READER_MEMORY_MB`) before it reads anything, and waits at most
`READER_SECONDS` for it:

- a reader that needs more memory fails in the child (MemoryError, or PDFium's own out-of-
  memory exit), and the file is rejected saying so;
- a reader that takes longer is killed, and the file is rejected saying so;
- a crash of the child (a signal) rejects the file with the signal's name.

None of it touches the run: only that document is rejected, and the next file gets a
fresh reader process.

Starting a child per file costs about 0.25 s here (Python's start and the imports of
pypdfium2 or lxml: `bench/pdf_extract.py`), more than reading a typical contract, so the
reader processes are kept: each process has a pool of them (`ReaderPool`), started on
first need (text files never start one), at most one per core, shared by the threads that
read (a run's ingest tasks). A reader serves file after file, and is replaced by a fresh
one after `READER_READS` files, or as soon as its resident memory has grown past
`READER_RSS_MB` (PDFium and the allocators keep what a large file made them take), or
after any read that ran out of memory or failed unexpectedly. Readers idle for
`IDLE_SECONDS` are ended (a notebook or `lexnorm serve` gets the memory back).

No reader outlives its process: readers are started by one thread that lasts as long as
the process (`lexnorm.runtime.lasting`), so that `PR_SET_PDEATHSIG`, which the kernel ties to the
thread that started a child, kills them when the process ends, however it ends; an idle
reader also ends when its standard input closes; and the pool is closed as the process
exits (`shutdown`).

A reader process is `python -m lexnorm.runtime.sandbox MEMORY_MB PARENT_PID`. It reads
requests from standard input and writes replies on its standard output, each a pickle
after its length (8 bytes, big-endian): a request is (format, bytes), a reply is
("ok", Extracted) or ("error", message), its resident memory in bytes, and whether it
may read on (False after a MemoryError or an unexpected failure). What the reader or its
libraries print goes to a temporary file: when a reader dies, the end of what it wrote
during that read says why.
"""

from __future__ import annotations

import multiprocessing.util
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

from stages.formats import Extracted, FormatError

READER_MEMORY_MB = 2048  # address space a reader may use (LEXNORM_READER_MEMORY_MB)
READER_SECONDS = 120.0  # time a reader may take on one file (LEXNORM_READER_SECONDS)
READER_READS = 200  # files one reader process reads before a fresh one takes its place
READER_RSS_MB = 512  # a reader resident in more memory than this after a read is replaced
IDLE_SECONDS = 60.0  # readers that no read used for this long are ended

_LENGTH = struct.Struct(">Q")  # the length before each request and reply


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None


def extract(fmt: str, data: bytes) -> Extracted:
    """What `stages.formats.extract(fmt, data)` gives, computed in a bounded reader process;
    FormatError with the reason when the reader fails, runs out of memory or time, or dies."""
    memory = int(_setting("LEXNORM_READER_MEMORY_MB", READER_MEMORY_MB))
    seconds = _setting("LEXNORM_READER_SECONDS", READER_SECONDS)
    return pool().extract(fmt, data, memory, seconds)


# ------------------------------------------------------------------ one reader process


class _Late(Exception):
    """No reply within the time limit."""


class _Reader:
    """One reader process, with `memory_mb` of address space, and what its reads told."""

    def __init__(self, memory_mb: int) -> None:
        from lexnorm.runtime.lasting import in_lasting_thread  # the thread the kernel ties the child's life to

        self.memory_mb = memory_mb
        self.reads = 0
        self.rss = 0
        self.sound = True  # False once a read ran out of memory or failed unexpectedly
        self.errors = tempfile.TemporaryFile(buffering=0)  # its standard error
        command = [sys.executable, "-m", "lexnorm.runtime.sandbox", str(memory_mb), str(os.getpid())]
        self.process: subprocess.Popen = in_lasting_thread(
            lambda: subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
        )

    def usable(self, memory_mb: int, reads: int) -> bool:
        """Whether this reader may take the next file (read with `memory_mb`; a reader
        reads at most `reads` files)."""
        return (
            self.sound and self.memory_mb == memory_mb and self.reads < reads
            and self.rss <= READER_RSS_MB * 2**20 and self.process.poll() is None
        )  # fmt: skip

    def read(self, fmt: str, data: bytes, seconds: float) -> Extracted:
        """The file read by this process within `seconds` (from when it is sent)."""
        mark = os.lseek(self.errors.fileno(), 0, os.SEEK_CUR)
        deadline = time.monotonic() + seconds
        self.reads += 1
        self.sound = False  # until its reply comes: a read abandoned midway (Ctrl-C) leaves it unfit
        try:
            request = pickle.dumps((fmt, data), protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.write(_LENGTH.pack(len(request)) + request)
            self.process.stdin.flush()
            del request
            status, value, self.rss, self.sound = pickle.loads(_receive(self.process.stdout.fileno(), deadline))
        except _Late:
            self.stop()
            raise FormatError(f"reading this {fmt} file took longer than {seconds:g} s; it was stopped") from None
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):  # it died while reading
            raise self._died(fmt, mark) from None
        if status == "ok" and isinstance(value, Extracted):
            return value
        raise FormatError(str(value))

    def _died(self, fmt: str, mark: int) -> FormatError:
        """Why the process died reading a file: its signal, or the end of what it printed."""
        self.sound = False
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # it closed its output and lives on: not a reader any more
            self.stop()
            code = self.process.returncode
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            return FormatError(
                f"the {fmt} reader crashed on this file ({name}): the file is damaged or needs more than {self.memory_mb} MB of memory"
            )
        why = _last_line(self._printed_since(mark))
        if "memory" in why.lower() or "alloc" in why.lower():
            return FormatError(f"reading this {fmt} file needs more than {self.memory_mb} MB of memory")
        return FormatError(f"the {fmt} reader failed on this file (exit {code}: {why or 'no message'})")

    def _printed_since(self, mark: int, most: int = 65536) -> bytes:
        end = os.fstat(self.errors.fileno()).st_size
        start = max(mark, end - most)
        return os.pread(self.errors.fileno(), end - start, start) if end > start else b""

    def stop(self) -> None:
        """End the process now (it holds nothing worth waiting for) and reap it."""
        self.sound = False
        if self.process.poll() is None:
            try:
                self.process.kill()
            except ProcessLookupError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.errors):
            try:
                stream.close()
            except OSError:  # a request it never took: the pipe is broken
                pass


def _receive(fd: int, deadline: float) -> bytes:
    """One message from `fd` (its length, then itself) by `deadline` (monotonic), else _Late;
    EOFError if the other end closes first."""
    header = _read_exactly(fd, _LENGTH.size, deadline)
    return _read_exactly(fd, _LENGTH.unpack(header)[0], deadline)


def _read_exactly(fd: int, size: int, deadline: float) -> bytes:
    parts, left = [], size
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            raise _Late
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            raise EOFError
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1][:200] if lines else ""


# ------------------------------------------------------------------ the process's readers


class ReaderPool:
    """At most `size` reader processes (default: one per core), started on first need and
    kept for `reads` files each (default READER_READS; 1: a fresh process per file, as
    lexnorm read files before the pool); `extract` may be called from many threads at
    once (a read waits for a free reader: the time limit counts from when its reader takes it)."""

    def __init__(self, size: int | None = None, reads: int | None = None) -> None:
        self.size = max(1, size or os.cpu_count() or 1)
        self.reads = reads
        self.started = 0  # reader processes started, replacements included
        self._idle: list[_Reader] = []
        self._all: set[_Reader] = set()
        self._free = threading.Condition()
        self._timer: threading.Timer | None = None

    def extract(self, fmt: str, data: bytes, memory_mb: int, seconds: float) -> Extracted:
        """`stages.formats.extract(fmt, data)` in a reader with `memory_mb` of address
        space, within `seconds`; FormatError when it fails, runs out of memory or time, or dies."""
        reader = self._take(memory_mb)
        try:
            return reader.read(fmt, data, seconds)
        finally:
            self._give_back(reader, memory_mb)

    def _take(self, memory_mb: int) -> _Reader:
        """An idle reader of this memory limit, else a new one when there is room, else
        wait for one to be given back. Idle readers of another limit (the setting changed)
        or that died meanwhile are ended: not this file's doing."""
        with self._free:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            while True:
                unfit = [r for r in self._idle if not r.usable(memory_mb, self._reads())]
                for reader in unfit:
                    self._idle.remove(reader)
                    self._all.discard(reader)
                if unfit or self._idle or len(self._all) < self.size:
                    break
                self._free.wait()
            reader = self._idle.pop() if self._idle else None
            if reader is None:
                self.started += 1
                reader = _Reader(memory_mb)  # under the lock: a start takes milliseconds
                self._all.add(reader)
        for old in unfit:
            old.stop()
        return reader

    def _give_back(self, reader: _Reader, memory_mb: int) -> None:
        """After a read: kept for the next file, or ended (its reads or memory used up, a
        failure, killed for its time)."""
        keep = reader.usable(memory_mb, self._reads())
        if not keep:
            reader.stop()
        with self._free:
            if reader in self._all:  # not ended by `close` meanwhile
                if keep:
                    self._idle.append(reader)
                else:
                    self._all.discard(reader)
            if len(self._idle) == len(self._all) and self._all:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer = threading.Timer(IDLE_SECONDS, self._close_idle)
                self._timer.daemon = True
                self._timer.start()
            self._free.notify()

    def _reads(self) -> int:
        return self.reads or READER_READS

    def _close_idle(self) -> None:
        with self._free:
            if self._timer is not threading.current_thread() or len(self._idle) != len(self._all):
                return
            self._timer = None
            idle, self._idle = self._idle, []
            self._all.difference_update(idle)
        for reader in idle:
            reader.stop()

    def pids(self) -> list[int]:
        """The process ids of the readers alive now, idle or reading."""
        with self._free:
            return [r.process.pid for r in self._all if r.process.poll() is None]

    def close(self) -> None:
        """End every reader now; a read in hand fails as if its reader crashed."""
        with self._free:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            readers, self._idle = list(self._all), []
            self._all.clear()
            self._free.notify_all()
        for reader in readers:
            reader.stop()


_pool: ReaderPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def pool() -> ReaderPool:
    """This process's readers (a forked child has its own, not its parent's)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            if _pool_pid != os.getpid():
                # Before multiprocessing waits for its children as a process it started ends.
                multiprocessing.util.Finalize(None, shutdown, exitpriority=100)
            _pool, _pool_pid = ReaderPool(), os.getpid()
        return _pool


def shutdown() -> None:
    """End this process's readers now (the next read starts new ones)."""
    global _pool
    with _pool_lock:
        ending = _pool if _pool_pid == os.getpid() else None
        _pool = None
    if ending is not None:
        ending.close()


# ------------------------------------------------------------------ in the reader process


def _serve(memory_mb: int, parent: int) -> int:
    """In a reader process: die with the parent, limit memory, then read each file sent
    until standard input closes."""
    import resource

    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the run, which ends its readers
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what a library prints goes with the errors, not into the replies
    while True:
        header = requests.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            return 0
        fmt, data = pickle.loads(requests.read(_LENGTH.unpack(header)[0]))
        status, value, sound = _read(fmt, data, memory_mb)
        del data
        reply = pickle.dumps((status, value, _resident(), sound), protocol=pickle.HIGHEST_PROTOCOL)
        replies.write(_LENGTH.pack(len(reply)) + reply)
        replies.flush()


def _read(fmt: str, data: bytes, memory_mb: int) -> tuple[str, object, bool]:
    """(status, Extracted or message, whether this process may read on)."""
    from stages.formats import extract as read

    try:
        return "ok", read(fmt, data), True
    except FormatError as exc:
        return "error", str(exc), True
    except MemoryError:
        return "error", f"reading this {fmt} file needs more than {memory_mb} MB of memory", False
    except RecursionError:
        return "error", f"the {fmt} file is nested too deeply to be read", True
    except Exception as exc:  # a reader's bug or a library's surprise: the file is rejected, saying what
        return "error", f"the {fmt} reader failed on this file: {type(exc).__name__}: {exc}", False


def _resident() -> int:
    """This process's resident memory in bytes (Linux), else its peak."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1]), int(sys.argv[2])))

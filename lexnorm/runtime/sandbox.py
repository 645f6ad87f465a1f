"""Format readers in a child process with bounded memory and time.

A PDF, Word or HTML file is read by native code (PDFium, libxml2) that a hostile or damaged
file can make allocate without bound, loop for a long time or crash. `extract` runs the
reader (`stages.formats.extract`) in a fresh Python process that limits its own address
space (`READER_MEMORY_MB`) before it reads anything, and waits at most `READER_SECONDS`:

- a reader that needs more memory fails in the child (MemoryError, or PDFium's own out-of-
  memory exit), and the file is rejected saying so;
- a reader that takes longer is killed, and the file is rejected saying so;
- a crash of the child (a signal) rejects the file with the signal's name.

None of it touches the run: only that document is rejected. The child ends with the
process that started it, however that one ends (`PR_SET_PDEATHSIG` on Linux), and is
killed when its time is up, so no reader outlives its run.

The child is started per file (about 0.25 s here, measured in `bench/pdf_extract.py`): text files
never start one. Run as `python -m lexnorm.runtime.sandbox FORMAT MEMORY_MB` with the
file's bytes on standard input; it writes a pickled ("ok", Extracted) or ("error", message).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys

from stages.formats import Extracted, FormatError

READER_MEMORY_MB = 2048  # address space a reader may use (LEXNORM_READER_MEMORY_MB)
READER_SECONDS = 120.0  # time a reader may take on one file (LEXNORM_READER_SECONDS)


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None


def extract(fmt: str, data: bytes) -> Extracted:
    """What `stages.formats.extract(fmt, data)` gives, computed in a bounded child process;
    FormatError with the reason when the reader fails, runs out of memory or time, or dies."""
    memory = int(_setting("LEXNORM_READER_MEMORY_MB", READER_MEMORY_MB))
    seconds = _setting("LEXNORM_READER_SECONDS", READER_SECONDS)
    command = [sys.executable, "-m", "lexnorm.runtime.sandbox", fmt, str(memory)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        raise FormatError(f"reading this {fmt} file took longer than {seconds:g} s; it was stopped") from None
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name if -done.returncode in signal.valid_signals() else str(-done.returncode)
        raise FormatError(
            f"the {fmt} reader crashed on this file ({name}): the file is damaged or needs more than {memory} MB of memory"
        )
    try:
        status, value = pickle.loads(done.stdout)
    except Exception:
        why = _last_line(done.stderr)
        if "memory" in why.lower() or "alloc" in why.lower():
            raise FormatError(f"reading this {fmt} file needs more than {memory} MB of memory") from None
        raise FormatError(f"the {fmt} reader failed on this file (exit {done.returncode}: {why or 'no message'})") from None
    if status == "ok" and isinstance(value, Extracted):
        return value
    raise FormatError(str(value))


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1][:200] if lines else ""


def _child(fmt: str, memory_mb: int) -> int:
    """In the child: limit memory, die with the parent, read stdin, write the outcome."""
    import resource

    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            return 1
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out = sys.stdout.buffer
    data = sys.stdin.buffer.read()
    from stages.formats import extract as read

    try:
        outcome = ("ok", read(fmt, data))
    except FormatError as exc:
        outcome = ("error", str(exc))
    except MemoryError:
        outcome = ("error", f"reading this {fmt} file needs more than {memory_mb} MB of memory")
    except RecursionError:
        outcome = ("error", f"the {fmt} file is nested too deeply to be read")
    except Exception as exc:  # a reader's bug or a library's surprise: the file is rejected, saying what
        outcome = ("error", f"the {fmt} reader failed on this file: {type(exc).__name__}: {exc}")
    out.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], int(sys.argv[2])))

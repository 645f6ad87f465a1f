"""The output folder's lock: one run at a time writes to an output folder.

The lock is the kernel's (`flock` on `<out>/.lexnorm.lock`), so it is released when its
holder dies however it dies and never goes stale; the file says which process holds it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_FILE = ".lexnorm.lock"


class OutputLocked(RuntimeError):
    """Another run is writing to the same output folder."""


_locks: dict[Path, tuple[int, int, int]] = {}  # lock path -> (fd, owning thread, depth)
_locks_guard = threading.Lock()


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for one run: a second run (another process, or another
    thread) fails at once with OutputLocked instead of interleaving its writes. The lock
    is the kernel's (flock): it is released if the holder dies, so it never goes stale."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = (out_dir / LOCK_FILE).resolve()
    me = threading.get_ident()
    with _locks_guard:
        held = _locks.get(path)
        if held is not None:
            fd, owner, depth = held
            if owner != me:
                raise OutputLocked(f"another lexnorm run in this process is writing to {out_dir}")
            _locks[path] = (fd, owner, depth + 1)
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise OutputLocked(
                    f"another lexnorm run ({holder}) is writing to {out_dir}; wait for it to finish or use another --out"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
            _locks[path] = (fd, me, 1)
    try:
        yield
    finally:
        with _locks_guard:
            fd, owner, depth = _locks[path]
            if depth > 1:
                _locks[path] = (fd, owner, depth - 1)
            else:
                del _locks[path]
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

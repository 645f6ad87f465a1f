"""Atomic file writes: a reader sees the previous file or the new one, never a part of one.
Used by every room that writes files (the tables and the report, the results store, the
stages' caches in the user cache, `lexnorm server`'s record), so it imports nothing of the
project.

The bytes go to a temporary file in the target's own folder (`.<name>.<pid>.tmp`: the same
file system, so the final `os.replace` is an atomic rename on POSIX, and the name is the one
`clean_stale_temps` below removes after a run that was killed), which then replaces the
target. A write that fails for any reason (a full disk, a read-only folder, Ctrl-C) removes
the temporary file and leaves the target as it was.
"""

from __future__ import annotations

import os
from pathlib import Path


def temp_path(path: Path) -> Path:
    """The temporary file a write of `path` goes through (this process's own)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entry to the disk (a folder: the renames made in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> Path:
    """Make `path` hold `data`, atomically; returns `path`. `durable`: the data and the rename
    are on the disk when this returns (fsync of the file, then of its folder), so a power cut
    cannot leave an empty file behind the new name; without it the write is atomic for the
    running system only, enough for entries that can be recomputed (the results store)."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_path(path.parent)
    return path


def clean_stale_temps(out_dir: Path) -> list[Path]:
    """Remove the temporary files (`.<name>.<pid>.tmp`: tables, stored results, report) in
    the output folder and below, left by a run that was killed or could not finish its
    writes (a full disk). Call under the output lock: then no other run is writing them."""
    removed = []
    for tmp in Path(out_dir).rglob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed

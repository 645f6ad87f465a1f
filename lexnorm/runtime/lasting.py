"""One thread per process that lasts as long as the process, to start child processes from.

The kernel ties `PR_SET_PDEATHSIG` to the *thread* that started a child: a child started by
a Prefect task thread would be killed when that thread ends, with its run, not when the
process ends. The stage workers (`lexnorm.runtime.workers`) and the format readers
(`lexnorm.runtime.sandbox`) are therefore started by this thread, so that they die with
this process and not before.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future


class _Lasting(threading.Thread):
    """A thread that lives as long as this process and starts its child processes."""

    def __init__(self) -> None:
        super().__init__(name="lexnorm-process-starter", daemon=True)
        self.calls: queue.SimpleQueue = queue.SimpleQueue()
        self.pid = os.getpid()
        self.start()

    def run(self) -> None:
        while True:
            call, future = self.calls.get()
            try:
                future.set_result(call())
            except BaseException as exc:  # handed to the caller
                future.set_exception(exc)

    def __call__(self, call: Callable[[], object]) -> object:
        future: Future = Future()
        self.calls.put((call, future))
        return future.result()


_starter: _Lasting | None = None
_starter_lock = threading.Lock()


def in_lasting_thread(call: Callable[[], object]) -> object:
    """`call()` in this process's lasting thread (started on first use; a forked child
    gets its own)."""
    global _starter
    with _starter_lock:
        if _starter is None or _starter.pid != os.getpid():
            _starter = _Lasting()
    return _starter(call)

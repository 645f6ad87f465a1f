"""The streaming window: documents go through the stages with a bounded number in flight,
and come out in the order they were planned (doc_id order, so the tables are too), each as
soon as it and every document before it are done. Memory stays flat however many
documents a run has: a document is held from its read until it is written, no longer.

A document in flight is one `Flight`, the envelope every stage task takes and gives back.
The window submits a document's next stage when its current one finishes, with the
finished `Flight` as input, and waits with Prefect's own `as_completed` (no polling).
Submitting a document's whole chain at once would hand each task a future: a task then
holds a thread while it waits for its input, and asks the server for the state of that
input's task run (an HTTP round trip per task).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from prefect.futures import PrefectFuture, as_completed

from lexnorm.runtime.incremental import Planned
from stages.records import Document


class Flight:
    """A document on its way through the pipeline: its plan entry, the document (or, between
    two stages, where a worker process keeps it: `lexnorm.runtime.workers.Held`), how many
    stages it has been through, the seconds each took and what they counted, the last
    stage's error, and whether it was read this run (not a stored result or a row that
    planning decided).

    A plain class with slots, not a dataclass: Prefect walks every dataclass, list and
    tuple of a task's inputs and results looking for futures, which for a long document
    (a 20 MB clause has four million tokens) takes seconds per task. It pickles, so it
    crosses process and machine boundaries (Dask)."""

    __slots__ = ("counts", "doc", "error", "planned", "read", "seconds", "step")

    def __init__(
        self, planned: Planned, doc: Document | Any, *, read: bool = False, step: int = 0,
        seconds: Mapping[str, float] | None = None, counts: Mapping[str, Mapping[str, Any]] | None = None,
        error: str | None = None,
    ) -> None:  # fmt: skip
        self.planned, self.doc, self.read, self.step, self.error = planned, doc, read, step, error
        self.seconds: dict[str, float] = dict(seconds or {})
        self.counts: dict[str, Mapping[str, Any]] = dict(counts or {})

    @property
    def name(self) -> str:
        """For task run names: the document's id."""
        return self.planned.doc_id

    @property
    def ok(self) -> bool:
        return self.doc.ok

    def then(self, stage: str, doc: Document | Any, seconds: float, counts: Mapping[str, Any], error: str | None):
        """This flight after one more stage."""
        return Flight(
            self.planned, doc, read=self.read, step=self.step + 1, seconds={**self.seconds, stage: seconds},
            counts={**self.counts, stage: counts} if counts else self.counts, error=error,
        )  # fmt: skip


Step = PrefectFuture  # a task submitted for a document: its read or one of its stages


def stream(
    planned: Sequence[Planned],
    begin: Callable[[Planned], Flight | tuple[str, Step]],
    advance: Callable[[Flight, Step], tuple[str, Step] | None],
    failed: Callable[[Planned, str, BaseException], Flight],
    limit: int,
) -> Iterator[Flight]:
    """Every planned document's finished `Flight`, in plan order, with at most `limit`
    documents taken in and not yet handed out.

    `begin(p)` takes a document in: its finished flight when nothing needs doing (a stored
    result), else `(step name, future)` of its first task. `advance(flight, future)` is
    called with each finished step's flight: `(step name, future)` of the document's next
    task, or None when it is done. A task that fails outside its stage's own containment
    (a read that failed after its retries, a crashed task) becomes `failed(p, step name,
    exception)`, a finished flight."""
    finished: dict[int, Flight] = {}
    running: dict[Step, tuple[int, str]] = {}
    taken = handed = 0

    def place(index: int, outcome: Flight | tuple[str, Step] | None, flight: Flight | None = None) -> None:
        if isinstance(outcome, tuple):
            running[outcome[1]] = (index, outcome[0])
        else:
            finished[index] = outcome if outcome is not None else flight

    while handed < len(planned):
        while taken < len(planned) and taken - handed < max(1, limit):
            place(taken, begin(planned[taken]))
            taken += 1
        if handed in finished:
            yield finished.pop(handed)
            handed += 1
            continue
        future = next(as_completed(list(running)))
        index, step = running.pop(future)
        result = future.result(raise_on_failure=False)
        if isinstance(result, Flight):
            place(index, advance(result, future) if result.ok else None, result)
        else:  # the stages contain their own errors: this is the read, or worse
            finished[index] = failed(planned[index], step, result)

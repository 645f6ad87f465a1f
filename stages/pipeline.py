"""The pipeline, declared once: the stages a document goes through after it is read, in order.

Each `Stage` names its function and, when the function needs a resource (the translator),
the settings the resource is built from and how: `PIPELINE` is the only list of stages
in lexnorm. The flow builds one Prefect task per stage from it, the worker processes run
whatever stage they are handed, and the run summary lists the stages' times in its order.

Adding a stage is its module plus one line here (and its columns in
`lexnorm/output/schema.py` when it fills new ones):

    Stage("entities", entities.tag_document),

`perform` runs one stage on one document and contains what goes wrong: an exception, or
a stage that overran the time limit, rejects that document with the reason, never the run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stages import clauses, ingest, language, segment, topics, translate
from stages.records import Document


@dataclass(frozen=True)
class Stage:
    """One stage: its name (the Prefect task's, and the run summary's), its function (a
    module-level function, so that it pickles by reference into worker processes), and,
    for a stage that needs a resource, the type of the settings it takes and the function
    that builds the resource from them (called once per process and settings: the
    resource is long-lived, the function caches it). Such a stage is called as
    `work(doc, resource)`; a resource that counts what it does (`counting()`, a context
    manager yielding this thread's counts) has its counts returned with the document."""

    name: str
    work: Callable[..., Document]
    settings: type | None = None
    resource: Callable[[Any], Any] | None = None

    def __repr__(self) -> str:
        return f"Stage({self.name!r})"


PIPELINE: tuple[Stage, ...] = (
    Stage("clauses", clauses.parse_document),
    Stage("language", language.detect_languages),
    Stage("segment", segment.segment_document),
    Stage("translate", translate.translate_document, translate.TranslationSettings, translate.translator_for),
    Stage("topics", topics.classify_document),
)

Settings = Mapping[str, Any]  # a run's settings: stage name -> that stage's settings object


def settings_for(given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The run's settings for every stage that takes some: those `given` (by stage name),
    else the settings type's own defaults (`from_env()` when it reads the environment)."""
    given = dict(given or {})
    out = {}
    for stage in PIPELINE:
        if stage.settings is not None:
            made = getattr(stage.settings, "from_env", stage.settings)
            out[stage.name] = given[stage.name] if given.get(stage.name) is not None else made()
    return out


def resource(stage: Stage, settings: Settings) -> Any:
    """What `stage` is given besides the document: its resource built from its settings."""
    return stage.resource(settings[stage.name]) if stage.resource is not None else None


@dataclass(frozen=True)
class Performed:
    """A stage's outcome: the document, the seconds the stage took, what its resource
    counted, and the error when the stage failed and rejected the document."""

    doc: Any  # the Document, or where a worker process keeps it (see lexnorm.runtime.workers)
    seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def reject(doc: Document, error: str) -> Document:
    return replace(doc, status="rejected", error=error, clauses=())


def overran(stage: Stage, timeout: float) -> str:
    return f"{stage.name} stage took longer than {timeout:g} s; document rejected"


@contextmanager
def _counting(used: Any) -> Iterator[dict]:
    counting = getattr(used, "counting", None)
    with counting() if counting is not None else nullcontext({}) as counts:
        yield counts


def perform(stage: Stage, doc: Document, settings: Settings, timeout: float | None = None) -> Performed:
    """Run one stage on a document in this process, timing it. An exception rejects the
    document (with the exception summarised) instead of escaping: the same input would fail
    the same way again. A rejected document passes through untouched.

    With a `timeout`, a stage that took longer rejects its document too, but only once it
    has returned: a thread cannot be stopped from outside. The tables are then what worker
    processes give (which do stop the stage: `lexnorm.runtime.workers`), not the time."""
    if not doc.ok:
        return Performed(doc)
    start = time.perf_counter()
    counts: dict = {}
    try:
        used = resource(stage, settings)
        with _counting(used) as mine:
            doc = stage.work(doc) if stage.resource is None else stage.work(doc, used)
        counts = dict(mine)
        error = None
    except Exception as exc:  # the point is to contain any failure
        error = f"{stage.name} stage failed: {type(exc).__name__}: {exc}"
        doc = reject(doc, error)
    seconds = time.perf_counter() - start
    if error is None and timeout is not None and seconds > timeout:
        error = overran(stage, timeout)
        doc = reject(doc, error)
    return Performed(doc, seconds, counts, error)


def warm_up(han: bool = True) -> None:
    """Load what the stages load on first use (langdetect's profiles; jieba's dictionary
    unless `han` is False) so that no document pays for it. jieba costs a process about
    70 MB and 1.5 s of CPU: `may_hold_han` tells whether a run's documents may need it."""
    language.detect("warm up")
    if han:
        segment.tokenizer()


SNIFF_BYTES = 1 << 16  # what `may_hold_han` reads of each file


def may_hold_han(paths: Iterable[Path]) -> bool:
    """Whether any of these input files may hold Han characters (cut by jieba), judged from
    the first SNIFF_BYTES of each. Only a plain-text file whose start is ASCII, or UTF-8
    without Han, is taken not to: PDF, Word and HTML files and other encodings may. A guess
    for what worker processes load before the first document: a document that proves it
    wrong loads jieba then, and is cut the same."""
    for path in paths:
        if path.suffix.lower() not in ingest.TEXT_SUFFIXES:
            return True
        try:
            with os.fdopen(ingest.open_regular(path), "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError:  # not a regular file, unreadable: rejected by ingest, needs nothing
            continue
        if head.isascii():
            continue
        text = head.decode("utf-8", errors="replace")
        if "\ufffd" in text[:-1] or segment.has_han(text):  # not UTF-8 (a cut last character aside), or Han
            return True
    return False


def names() -> tuple[str, ...]:
    return tuple(stage.name for stage in PIPELINE)

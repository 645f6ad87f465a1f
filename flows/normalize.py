"""The normalize flow: for every document in the input folder, ingest -> clauses ->
language -> segment -> translate -> topics; then the links across documents; the tables
are written as the documents come. One Prefect task per stage per document; the work is
in `stages`, this module only wires it.

- Incremental: a document whose bytes, pipeline version and settings are those of its
  stored result is not processed again.
- Streaming: documents go through in doc_id order with a bounded number in flight, and
  each is written to the tables and released as soon as it is done, so memory stays flat
  however many documents there are.
- Workers: the stages run on a pool of processes (GIL-bound work: parsing, jieba,
  langdetect), one long-lived translator per worker; or on threads; or on a Dask cluster.
- The output folder is locked for the run.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import flows  # noqa: F401  (Prefect offline defaults before prefect is imported)
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from stages import alignment, clauses, incremental, ingest, language, segment, tables, topics, translate
from stages.models import fingerprint
from stages.records import Document
from stages.translate import INSTALL_HINT, TranslationSettings

DEFAULT_RAW = Path("data/raw")
DEFAULT_OUT = Path("data/processed")
READ_RETRIES = 2


class Carried:
    """A value handed from task to task, opaque to Prefect, with what the stages measured.

    Prefect walks every dataclass, list and tuple in a task's inputs and results looking
    for futures; for a long document (a 20 MB clause has four million tokens) that walk
    takes seconds per task, while the box costs nothing. It pickles, so it also crosses
    process and machine boundaries."""

    __slots__ = ("info", "value")

    def __init__(self, value, info: dict | None = None) -> None:
        self.value = value
        self.info = info or {}

    @property
    def name(self) -> str:
        """For task run names: the document's id."""
        return getattr(self.value, "doc_id", type(self.value).__name__)

    def then(self, stage: str, work: Callable[[Document], Document], **extra) -> Carried:
        """Run one stage on the carried document, timing it; an exception rejects that
        document (with the exception summarised) instead of stopping the run. No retry:
        the same input would fail the same way."""
        start = time.perf_counter()
        doc = self.value
        if doc.ok:
            try:
                doc = work(doc)
            except Exception as exc:  # the point is to contain any failure
                message = f"{stage} stage failed: {type(exc).__name__}: {exc}"
                get_run_logger().error("%s: %s", doc.doc_id, message)
                doc = replace(doc, status="rejected", error=message, clauses=())
        seconds = {**self.info.get("seconds", {}), stage: time.perf_counter() - start}
        return Carried(doc, {**self.info, **extra, "seconds": seconds})


def _io_error(task, task_run, state) -> bool:
    """Retry a read only when it raised an I/O error (a retry may cure that)."""
    try:
        return isinstance(state.result(raise_on_failure=False), OSError)
    except Exception:
        return False


# Task inputs are boxed documents and settings, not worth hashing for Prefect's result
# cache: lexnorm's own store (stages.incremental) decides what is done again.
@task(
    name="ingest", task_run_name="ingest {path.name}", cache_policy=NO_CACHE,
    retries=READ_RETRIES, retry_delay_seconds=0.2, retry_condition_fn=_io_error,
)  # fmt: skip
def ingest_task(path: Path, raw_dir: Path) -> Carried:
    start = time.perf_counter()
    doc = ingest.read_document(path, raw_dir)
    return Carried(doc, {"seconds": {"ingest": time.perf_counter() - start}})


@task(name="clauses", task_run_name="clauses {doc.name}", cache_policy=NO_CACHE)
def clauses_task(doc: Carried) -> Carried:
    return doc.then("clause", clauses.parse_document)


@task(name="language", task_run_name="language {doc.name}", cache_policy=NO_CACHE)
def language_task(doc: Carried) -> Carried:
    return doc.then("language", language.detect_languages)


@task(name="segment", task_run_name="segment {doc.name}", cache_policy=NO_CACHE)
def segment_task(doc: Carried) -> Carried:
    return doc.then("segmentation", segment.segment_document)


@task(name="translate", task_run_name="translate {doc.name}", cache_policy=NO_CACHE)
def translate_task(doc: Carried, settings: TranslationSettings) -> Carried:
    translator = translate.translator_for(settings)
    with translator.counting() as counts:
        done = doc.then("translation", lambda d: translate.translate_document(d, translator))
    done.info["translation"] = dict(counts)
    return done


@task(name="topics", task_run_name="topics {doc.name}", cache_policy=NO_CACHE)
def topics_task(doc: Carried) -> Carried:
    return doc.then("topic", topics.classify_document)


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(paths: list[Path], raw_dir: Path, out_dir: Path, run_fingerprint: str) -> Carried:
    return Carried(incremental.plan(paths, raw_dir, incremental.ResultStore(out_dir), run_fingerprint))


@task(name="align", cache_policy=NO_CACHE)
def align_task(summaries: Carried, manifest: list[tuple[str, str]], out_dir: Path, keys: dict[str, str]) -> Carried:
    store = incremental.ResultStore(out_dir)
    return Carried(alignment.cross_document_links(summaries.value, manifest, lambda doc_id: store.load(keys[doc_id])))


@dataclass(frozen=True)
class DocumentReport:
    """What the run summary says of one document (its clauses are in the tables)."""

    doc_id: str
    status: str
    error: str | None
    lang: str | None
    encoding: str | None
    n_clauses: int
    n_anomalies: int
    warnings: tuple[str, ...]
    engines: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def of(cls, doc: Document) -> DocumentReport:
        return cls(
            doc.doc_id, doc.status, doc.error, doc.lang, doc.encoding, doc.n_clauses,
            sum(len(c.anomalies) for c in doc.clauses), doc.warnings,
            tuple(sorted({c.translation_engine for c in doc.clauses if c.translation_engine})),
        )  # fmt: skip


class RunResult:
    """What a run produced: a report per document, link counts, the files written,
    translation counts, stage seconds, and which documents were new, changed, unchanged,
    removed. A plain class: Prefect walks a flow's dataclass results field by field."""

    __slots__ = ("alignment_counts", "changes", "documents", "outputs", "seconds", "translation")

    def __init__(self, documents, alignment_counts, outputs, translation, changes, seconds) -> None:
        self.documents: list[DocumentReport] = documents
        self.alignment_counts: dict[str, int] = alignment_counts
        self.outputs: dict[str, Path] = outputs
        self.translation: dict[str, int] = translation
        self.changes: dict[str, list[str]] = changes
        self.seconds: dict[str, float] = seconds

    @property
    def ok(self) -> list[DocumentReport]:
        return [d for d in self.documents if d.ok]

    @property
    def rejected(self) -> list[DocumentReport]:
        return [d for d in self.documents if not d.ok]


def default_settings(out_dir: Path, **overrides) -> TranslationSettings:
    overrides.setdefault("cache_path", Path(out_dir) / incremental.CACHE_DIR / "translations.sqlite")
    return TranslationSettings.from_env(**overrides)


def _fingerprint(settings: TranslationSettings) -> str:
    translator = translate.translator_for(settings)
    models = sorted(fingerprint(p) for p in translator.packages)
    return incremental.run_fingerprint(settings.decoding_key(), settings.require_model, models)


def _submit_rest(read, settings: TranslationSettings):
    doc = clauses_task.submit(read)
    doc = language_task.submit(doc)
    doc = segment_task.submit(doc)
    doc = translate_task.submit(doc, settings)
    return topics_task.submit(doc)


def _done(future) -> bool:
    """Whether a task future has finished, without asking the server."""
    wrapped = getattr(future, "wrapped_future", None)
    return bool(wrapped is not None and wrapped.done())


class _InFlight:
    """One document on its way: its read, then (once the read succeeded) the other stages."""

    __slots__ = ("planned", "read", "rejected", "rest")

    def __init__(self, planned, read) -> None:
        self.planned, self.read, self.rest, self.rejected = planned, read, None, None

    def advance(self, settings: TranslationSettings, wait: bool = False) -> None:
        """Submit the other stages when the read has finished well; a read that failed
        even after its retries becomes a rejected row (the later stages never run)."""
        if self.rest is not None or self.rejected is not None or not (wait or _done(self.read)):
            return
        outcome = self.read.result(raise_on_failure=False)
        if isinstance(outcome, Carried) and outcome.value.ok:
            self.rest = _submit_rest(self.read, settings)
        elif isinstance(outcome, Carried):
            self.rejected = outcome
        else:
            message = f"cannot read the file after {READ_RETRIES + 1} attempts: {type(outcome).__name__}: {outcome}"
            self.rejected = Carried(ingest.rejected_document(self.planned.path, message))

    def finish(self, settings: TranslationSettings) -> Carried:
        self.advance(settings, wait=True)
        return self.rejected if self.rejected is not None else self.rest.result()


@flow(name="lexnorm-normalize", task_runner=ThreadPoolTaskRunner(max_workers=4))
def normalize(
    raw_dir: Path = DEFAULT_RAW,
    out_dir: Path = DEFAULT_OUT,
    translation: TranslationSettings | None = None,
    in_flight: int = 8,
) -> RunResult:
    """Normalise every agreement in `raw_dir` into Parquet tables in `out_dir`."""
    logger = get_run_logger()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    settings = translation or default_settings(out_dir)
    totals = {"sentences": 0, "cached": 0, "translated": 0, "glossed": 0}
    seconds: dict[str, float] = {}  # stage -> seconds spent, as the stages recorded it
    reports: list[DocumentReport] = []
    summaries: list[alignment.DocSummary] = []
    counts = {"translation": 0, "parallel": 0, "topic": 0}
    with tables.output_lock(out_dir):
        tables.clean_stale_temps(out_dir)
        paths = ingest.discover(raw_dir)
        manifest = ingest.read_manifest(raw_dir)
        planned, removed = plan_task(paths, raw_dir, out_dir, _fingerprint(settings)).value
        changes = {state: [p.doc_id for p in planned if p.state == state] for state in ("new", "changed", "unchanged")}
        changes["removed"] = removed
        logger.info(
            "%d input file(s) in %s: %s", len(paths), raw_dir, ", ".join(f"{len(v)} {k}" for k, v in changes.items())
        )
        store = incremental.ResultStore(out_dir)
        window: deque = deque()
        queue = deque(planned)
        with tables.TableWriter(out_dir) as writer:
            while queue or window:
                while queue and len(window) < max(1, in_flight):
                    p = queue.popleft()
                    window.append(p if p.cached is not None else _InFlight(p, ingest_task.submit(p.path, raw_dir)))
                for item in window:
                    if isinstance(item, _InFlight):
                        item.advance(settings)
                head = window.popleft()  # in doc_id order, so the tables are too
                if not isinstance(head, _InFlight):
                    p, doc = head, head.cached
                else:
                    p, carried = head.planned, head.finish(settings)
                    doc = carried.value
                    store.save(p.key, doc)
                    for stage, spent in carried.info.get("seconds", {}).items():
                        seconds[stage] = seconds.get(stage, 0.0) + spent
                    for key, n in carried.info.get("translation", {}).items():
                        totals[key] += n
                writer.add_document(doc)
                reports.append(DocumentReport.of(doc))
                if doc.ok:
                    translated = alignment.translation_links(doc)
                    writer.add_links(translated)
                    counts["translation"] += len(translated)
                    summaries.append(alignment.summarize(doc))
                if not doc.ok:
                    logger.warning("%s rejected: %s", doc.doc_id, doc.error)
            keys = {p.doc_id: p.key for p in planned}
            links = align_task(Carried(summaries), manifest, out_dir, keys).value
            writer.add_links(links)
            for link in links:
                counts[link.kind] += 1
            outputs = writer.commit()
        store.record_run(planned)
    for line in alignment.parallel_summary(links):
        logger.info("parallel versions %s", line)
    if totals["glossed"]:
        logger.warning(
            "No Argos model translates Chinese to English here: text_en of %d Chinese sentence(s) is a CC-CEDICT "
            "dictionary gloss (translation_engine = gloss:cc-cedict), not a translation; to translate, %s.",
            totals["glossed"],
            INSTALL_HINT,
        )
    return RunResult(reports, counts, outputs, totals, changes, seconds)


def task_runner(workers: int = 4, processes: bool = False, dask: str | None = None):
    """Where the stage tasks run: `workers` threads (the default: cheap to start, and the
    translator releases the GIL), or `workers` processes (each stage then pickles the
    document in and out of a worker: worth it with many cores and long documents), or a
    Dask cluster: `dask="tcp://host:8786"`, or `"local"` for a LocalCluster here."""
    if dask:
        from prefect_dask import DaskTaskRunner

        if dask == "local":
            return DaskTaskRunner(
                cluster_class="distributed.LocalCluster",
                cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None},
            )
        return DaskTaskRunner(address=dask)
    if processes:
        return ProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=workers)


def run(
    raw_dir: Path,
    out_dir: Path,
    settings: TranslationSettings | None = None,
    workers: int | None = None,
    processes: bool = False,
    dask: str | None = None,
) -> RunResult:
    """The flow on the chosen workers (see `task_runner`)."""
    workers = workers or (os.cpu_count() or 1 if processes or dask else 4)
    if settings is not None and settings.threads == 0 and (processes or dask) and workers > 1:
        settings = replace(settings, threads=max(1, (os.cpu_count() or 1) // workers))  # no oversubscription
    runner = task_runner(workers, processes, dask)
    return normalize.with_options(task_runner=runner)(raw_dir, out_dir, settings, in_flight=2 * workers + 2)


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.normalize [--raw DIR] [--out DIR] ...` is `lexnorm run`."""
    from lexnorm.cli import main as cli

    return cli(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())

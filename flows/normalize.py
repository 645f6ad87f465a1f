"""The normalize flow: for every document in the input folder, ingest -> clauses ->
language -> segment -> translate -> topics; then the links across documents; the tables
are written as the documents come. One Prefect task per stage per document; the work is
in `stages`, this module only wires it.

- Incremental: a document whose bytes, pipeline version and settings are those of its
  stored result is not processed again.
- Streaming: documents go through in doc_id order with a bounded number in flight, and
  each is written to the tables and released as soon as it is done, so memory stays flat
  however many documents there are.
- Workers: each stage task hands its work to a pool of long-lived worker processes
  (`stages.workers`: GIL-bound parsing, jieba and langdetect, one translator per worker),
  so Prefect's threads in this process only orchestrate; or the stages run in the task
  threads (`processes=0`, `lexnorm run --in-process`); or on a Dask cluster, whose
  workers are processes already.
- The output folder is locked for the run.
- Contained: a stage that fails or overruns the time limit (`stage_timeout`) rejects its
  document; a failure while linking a document costs its links (a warning on the
  document), a failure of the cross-document links costs those links (an error logged);
  an output folder that cannot be written (full, read-only) fails the run with a clear
  message and leaves the previous tables as they were.
"""

# No `from __future__ import annotations` here: a served deployment validates the flow's
# parameters with pydantic, which needs their annotations evaluated, not as strings.

import concurrent.futures
import sys
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import flows  # noqa: F401  (Prefect offline defaults before prefect is imported)
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from stages import alignment, incremental, ingest, report, summary, tables, translate
from stages.models import fingerprint
from stages import workers as stage_workers
from stages.workers import StageWorkers
from stages.summary import DocumentReport, RunResult
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

    def then(
        self, stage: stage_workers.Stage, settings: TranslationSettings, pool: StageWorkers | None,
        timeout: float | None, last: bool = False,
    ) -> "Carried":  # fmt: skip
        """One stage on the carried document: in a worker process of `pool`, where it stays
        until its `last` stage (a `Held` reference is carried meanwhile), or here without a
        pool. A stage that fails, or runs longer than `timeout` seconds, rejects the
        document (see `stages.workers.perform`) and is logged; it is not retried, the same
        input would fail the same way. (A stage in hand when the run is interrupted is not
        logged: nothing of it is written.)"""
        doc = self.value
        if pool is not None:
            done = pool.perform(stage, doc, settings, keep=not last, timeout=timeout)
        else:
            done = stage_workers.perform(stage, doc, settings, timeout)
        if done.error and not (pool is not None and pool.stopped):
            get_run_logger().error("%s: %s", doc.doc_id, done.error)
        info = {**self.info, "seconds": {**self.info.get("seconds", {}), stage.name: done.seconds}}
        if stage.translates:
            info["translation"] = done.counts
        return Carried(done.doc, info)


def _io_error(task, task_run, state) -> bool:
    """Retry a read only when it raised an I/O error (a retry may cure that)."""
    try:
        return isinstance(state.result(raise_on_failure=False), OSError)
    except Exception:
        return False


# Task inputs are boxed documents and settings, not worth hashing for Prefect's result
# cache: lexnorm's own store (stages.incremental) decides what is done again.
@task(
    name="ingest", task_run_name="ingest {name}", cache_policy=NO_CACHE,
    retries=READ_RETRIES, retry_delay_seconds=0.2, retry_condition_fn=_io_error,
)  # fmt: skip
def ingest_task(path: Path, raw_dir: Path, name: str) -> Carried:
    """Read one file; `name` is its name as valid UTF-8 (`ingest.printable`), for the task
    run's name: a name that is not UTF-8 on disk cannot go into Prefect's events."""
    start = time.perf_counter()
    doc = ingest.read_document(path, raw_dir)
    return Carried(doc, {"seconds": {"ingest": time.perf_counter() - start}})


# The stage tasks: each hands its stage to the run's worker processes (`pool`), or does it
# in its own thread when there are none.
@task(name="clauses", task_run_name="clauses {doc.name}", cache_policy=NO_CACHE)
def clauses_task(doc: Carried, settings: TranslationSettings, pool: StageWorkers | None, timeout: float | None) -> Carried:
    return doc.then(stage_workers.CLAUSE, settings, pool, timeout)


@task(name="language", task_run_name="language {doc.name}", cache_policy=NO_CACHE)
def language_task(doc: Carried, settings: TranslationSettings, pool: StageWorkers | None, timeout: float | None) -> Carried:
    return doc.then(stage_workers.LANGUAGE, settings, pool, timeout)


@task(name="segment", task_run_name="segment {doc.name}", cache_policy=NO_CACHE)
def segment_task(doc: Carried, settings: TranslationSettings, pool: StageWorkers | None, timeout: float | None) -> Carried:
    return doc.then(stage_workers.SEGMENTATION, settings, pool, timeout)


@task(name="translate", task_run_name="translate {doc.name}", cache_policy=NO_CACHE)
def translate_task(doc: Carried, settings: TranslationSettings, pool: StageWorkers | None, timeout: float | None) -> Carried:
    return doc.then(stage_workers.TRANSLATION, settings, pool, timeout)


@task(name="topics", task_run_name="topics {doc.name}", cache_policy=NO_CACHE)
def topics_task(doc: Carried, settings: TranslationSettings, pool: StageWorkers | None, timeout: float | None) -> Carried:
    return doc.then(stage_workers.TOPIC, settings, pool, timeout, last=True)


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(paths: list[Path], raw_dir: Path, out_dir: Path, run_fingerprint: str) -> Carried:
    return Carried(incremental.plan(paths, raw_dir, incremental.ResultStore(out_dir), run_fingerprint))


@task(name="align", cache_policy=NO_CACHE)
def align_task(summaries: Carried, manifest: list[tuple[str, str]], out_dir: Path, keys: dict[str, str]) -> Carried:
    """The parallel and topic links across documents. A failure costs these links (logged
    as an error, the links empty), not the run's tables."""
    store = incremental.ResultStore(out_dir)
    try:
        links = alignment.cross_document_links(summaries.value, manifest, lambda doc_id: store.load(keys[doc_id]))
    except Exception as exc:  # contained: the documents' tables do not depend on these links
        get_run_logger().error("links across documents not made (parallel, topic): %s: %s", type(exc).__name__, exc)
        return Carried([])
    return Carried(links)


def default_settings(out_dir: Path, **overrides) -> TranslationSettings:
    overrides.setdefault("cache_path", Path(out_dir) / incremental.CACHE_DIR / "translations.sqlite")
    return TranslationSettings.from_env(**overrides)


def _fingerprint(settings: TranslationSettings) -> str:
    translator = translate.translator_for(settings)
    models = sorted(fingerprint(p) for p in translator.packages)
    return incremental.run_fingerprint(settings.decoding_key(), settings.require_model, models)


@contextmanager
def _timed(seconds: dict[str, float], name: str):
    """Add the time spent in the block to `seconds[name]` (lexnorm's own work in the flow
    body: planning, storing and writing, cross-document alignment)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start


def _done(future) -> bool:
    """Whether a task future has finished, without asking the server."""
    wrapped = getattr(future, "wrapped_future", None)
    return bool(wrapped is not None and wrapped.done())


def _innermost(future):
    """The executor's own future under a Prefect future (process pools wrap it twice)."""
    while hasattr(future, "wrapped_future"):
        future = future.wrapped_future
    return future


def _wait_any(futures: list, timeout: float) -> None:
    """Block until one of the task futures finishes (or `timeout` seconds pass)."""
    wrapped = [_innermost(f) for f in futures]
    if wrapped and all(type(w) is concurrent.futures.Future for w in wrapped):
        concurrent.futures.wait(wrapped, timeout=timeout, return_when=concurrent.futures.FIRST_COMPLETED)
    else:  # a Dask future, say: poll
        time.sleep(min(timeout, 0.005))


class _InFlight:
    """One document on its way through the stages.

    The flow body submits each stage when the one before has finished, with the finished
    document as its input (and the previous task in `wait_for`, so the Prefect UI still
    shows the chain). Submitting the whole chain at once would hand each task a future:
    a task then holds a worker while it waits for its input, and asks the server for the
    state of that input's task run (an HTTP round trip per task)."""

    __slots__ = ("future", "outcome", "planned", "step")

    def __init__(self, planned, read) -> None:
        self.planned, self.future, self.step, self.outcome = planned, read, 0, None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def advance(self, settings: TranslationSettings, pool: StageWorkers | None, timeout: float | None) -> bool:
        """Take the current stage's result if it is there and submit the next stage;
        whether anything moved. A read that failed even after its retries, or a task that
        failed outside its stage's own error handling, becomes a rejected row; a rejected
        document skips the later stages."""
        if self.outcome is not None or not _done(self.future):
            return False
        outcome = self.future.result(raise_on_failure=False)
        if not isinstance(outcome, Carried):  # the stages contain their own errors: this is the read, or worse
            if self.step == 0:
                message = f"cannot read the file after {READ_RETRIES + 1} attempts: {type(outcome).__name__}: {outcome}"
            else:
                message = f"{_STAGES[self.step - 1].name} task failed: {type(outcome).__name__}: {outcome}"
            self.outcome = Carried(ingest.rejected_document(self.planned.path, message))
        elif not outcome.value.ok or self.step == len(_STAGES):
            self.outcome = outcome
        else:
            self.future = _STAGES[self.step].submit(outcome, settings, pool, timeout, wait_for=[self.future])
            self.step += 1
        return True


# After the read, in order (as `stages.workers.STAGES`).
_STAGES = (clauses_task, language_task, segment_task, translate_task, topics_task)


def _cores_shared(settings: TranslationSettings, workers: int) -> TranslationSettings:
    """Each of `workers` translators gets its share of the cores when the settings leave
    the number of CTranslate2 threads to lexnorm (`threads == 0`: one per core)."""
    if settings.threads == 0 and workers > 1:
        return replace(settings, threads=max(1, stage_workers.default_count() // workers))
    return settings


def _in_flight(workers: int) -> int:
    """Documents in flight: enough to keep every worker busy while others are written."""
    return 2 * max(1, workers) + 2


@flow(name="lexnorm-normalize", task_runner=ThreadPoolTaskRunner(max_workers=_in_flight(stage_workers.default_count())))
def normalize(
    raw_dir: Path = DEFAULT_RAW,
    out_dir: Path = DEFAULT_OUT,
    translation: TranslationSettings | None = None,
    processes: int | None = None,
    in_flight: int | None = None,
    stage_timeout: float | None = None,
) -> RunResult:
    """Normalise every agreement in `raw_dir` into Parquet tables in `out_dir`, the stages
    running in `processes` worker processes (default: one per core; 0: in the task threads).
    A stage that takes longer than `stage_timeout` seconds on a document rejects that
    document (default LEXNORM_STAGE_TIMEOUT, else 600; 0: no limit).

    When the tables cannot be written (a full disk, a read-only folder) the previous ones
    stay as they were and the result has no `outputs`; when only the HTML report cannot be
    written, the previous report is removed (it would describe other tables) and the
    result's `outputs` have no "report"."""
    logger = get_run_logger()
    started = time.perf_counter()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    settings = translation or default_settings(out_dir)
    processes = stage_workers.default_count() if processes is None else processes
    in_flight = in_flight or _in_flight(processes)
    timeout = stage_workers.default_timeout() if stage_timeout is None else (stage_timeout or None)
    settings = _cores_shared(settings, processes)
    totals = dict.fromkeys(translate.COUNTS, 0)
    seconds: dict[str, float] = {}  # stage -> seconds spent, as the stages recorded it
    reports: list[DocumentReport] = []
    summaries: list[alignment.DocSummary] = []
    counts = {"translation": 0, "parallel": 0, "topic": 0}
    with tables.output_lock(out_dir):
        tables.clean_stale_temps(out_dir)
        paths = ingest.discover(raw_dir)
        with _timed(seconds, "plan"):
            plan = plan_task(paths, raw_dir, out_dir, _fingerprint(settings)).value
        planned, removed = plan.planned, plan.removed
        parallel = ingest.parallel_manifest(raw_dir, [p.doc_id for p in planned if p.cached is None])
        manifest = list(parallel.pairs)
        for warning in (*plan.warnings, *parallel.warnings):  # a damaged store, a bad manifest: the run goes on
            logger.warning("%s", warning)
        changes = {state: [p.doc_id for p in planned if p.state == state] for state in ("new", "changed", "unchanged")}
        changes["removed"] = removed
        logger.info(
            "%d input file(s) in %s: %s", len(paths), raw_dir, ", ".join(f"{len(v)} {k}" for k, v in changes.items())
        )
        store = incremental.ResultStore(out_dir)
        inputs = {"parallel_manifest": [list(pair) for pair in manifest], "tables": tables.table_run_ids(out_dir)}
        last = incremental.unchanged_run(planned, removed, store, inputs)
        if last is not None:  # nothing to do: the tables on disk are this run's tables
            result = _unchanged(last, planned, changes, out_dir, seconds, started, logger)
            _publish(result)
            return result
        try:
            links, outputs, run_id = _stream(
                planned, manifest, raw_dir, out_dir, settings, processes, in_flight, timeout,
                store, seconds, totals, reports, summaries, counts, logger,
            )  # fmt: skip
        except OSError as exc:  # the output folder: full, read-only, gone
            tables.clean_stale_temps(out_dir)  # this run's, now that it writes no more
            logger.error(
                "cannot write the output in %s: %s; the previous tables are unchanged", out_dir, _os_error(exc)
            )
            result = RunResult(reports, counts, {}, totals, changes, seconds, time.perf_counter() - started, None)
            _publish(result)
            return result
        for warning in store.damage_report():  # stored results found damaged only when loaded
            logger.warning("%s", warning)
        with _timed(seconds, "report"):
            try:
                outputs["report"] = report.write_report(out_dir)
            except Exception as exc:  # the tables are written; a report that fails must not undo the run
                stale = out_dir / report.REPORT_NAME
                logger.error(
                    "the HTML report could not be written: %s%s", _os_error(exc),
                    f"; the previous {stale.name}, which described other tables, was removed" if _remove(stale) else "",
                )  # fmt: skip
        inputs["tables"] = dict.fromkeys(tables.TABLE_NAMES, run_id)  # what table_run_ids will read next time
        record = {**inputs, "run_id": run_id, "alignment_counts": counts, "outputs": {k: str(v) for k, v in outputs.items()}}
        try:
            store.record_run(planned, {r.doc_id: r.stored() for r in reports}, record)
        except OSError as exc:  # the tables are written; the next run does its documents again
            logger.error("cannot record the run in the results store: %s", _os_error(exc))
    for (left, right), pair in summary.pair_counts(links).items():
        logger.info("parallel versions %s <-> %s: %s", left, right, pair)
    if totals["glossed"]:
        logger.warning(
            "No Argos model translates Chinese to English here: text_en of %d Chinese sentence(s) is a CC-CEDICT "
            "dictionary gloss (translation_engine = gloss:cc-cedict), not a translation; to translate, %s.",
            totals["glossed"],
            INSTALL_HINT,
        )
    result = RunResult(reports, counts, outputs, totals, changes, seconds, time.perf_counter() - started, run_id)
    _publish(result)
    return result


def _stream(
    planned, manifest, raw_dir, out_dir, settings, processes, in_flight, timeout,
    store, seconds, totals, reports, summaries, counts, logger,
):  # fmt: skip
    """The documents through the stages and into the tables, in doc_id order, then the
    links across documents; (links, table paths, run id), the counters filled in. An
    OSError here is the output folder's (the reads are in their tasks)."""
    window: deque = deque()
    queue = deque(planned)
    with _stage_workers(processes, settings, planned) as pool, tables.TableWriter(out_dir) as writer:
        while queue or window:
            while queue and len(window) < max(1, in_flight):
                window.append(_start(queue.popleft(), store, raw_dir))
            moving = [item for item in window if isinstance(item, _InFlight) and not item.finished]
            moved = any([item.advance(settings, pool, timeout) for item in moving])  # every one, not the first only
            if isinstance(window[0], _InFlight) and not window[0].finished:
                if not moved:
                    _wait_any([item.future for item in moving], timeout=0.05)
                continue
            head = window.popleft()  # in doc_id order, so the tables are too
            if not isinstance(head, _InFlight):
                p, doc = head
            else:
                p, carried = head.planned, head.outcome
                doc = carried.value
                for stage, spent in carried.info.get("seconds", {}).items():
                    seconds[stage] = seconds.get(stage, 0.0) + spent
                for key, n in carried.info.get("translation", {}).items():
                    totals[key] += n
            with _timed(seconds, "write"):
                if isinstance(head, _InFlight):
                    store.save(p.key, doc)
                translated, summarized, doc = _linked(doc, logger)
                writer.add_document(doc)
                reports.append(DocumentReport.of(doc, p.state))
                writer.add_links(translated)
                counts["translation"] += len(translated)
                if summarized is not None:
                    summaries.append(summarized)
            _progress(logger, len(reports), len(planned), reports[-1], head)
        keys = {p.doc_id: p.key for p in planned}
        with _timed(seconds, "alignment"):
            links = align_task(Carried(summaries), manifest, out_dir, keys).value
        with _timed(seconds, "write"):
            writer.add_links(links)
            for link in links:
                counts[link.kind] += 1
            outputs = writer.commit()
        return links, outputs, writer.run_id


def _linked(doc, logger):
    """(translation links, summary for the cross-document links, document) of a document
    as it is written. A failure here is lexnorm's, not the document's: its clauses are
    good, so it stays `ok` with a warning saying which links it lacks (the stored result
    has no such warning: the next run tries again)."""
    if not doc.ok:
        return [], None, doc
    try:
        return alignment.translation_links(doc), alignment.summarize(doc), doc
    except Exception as exc:  # contained to this document
        warning = f"links not made (translation, parallel and topic): {type(exc).__name__}: {exc}"
        logger.error("%s: %s", doc.doc_id, warning)
        return [], None, replace(doc, warnings=(*doc.warnings, warning))


def _os_error(exc: BaseException) -> str:
    """An error for a message: the OS's words and the file for an OSError."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"


def _remove(path: Path) -> bool:
    """Remove `path` if it is there; whether it was (a full disk still allows it)."""
    try:
        path.unlink()
        return True
    except OSError:
        return False


@contextmanager
def _stage_workers(processes: int, settings: TranslationSettings, planned):
    """The run's worker processes (the process's shared pool), when it has any and any
    document needs its stages."""
    if processes < 1 or all(p.state == "unchanged" for p in planned):
        yield None
        return
    with stage_workers.lease(processes) as pool:
        yield pool


def _start(p: incremental.Planned, store: incremental.ResultStore, raw_dir: Path):
    """A planned document enters the window: (planned, document) when its result is known
    (an unchanged document's stored result, loaded only now), else its read is submitted."""
    if p.cached is not None:
        return p, p.cached
    if p.state == "unchanged" and (doc := store.load(p.key)) is not None:
        return p, doc
    return _InFlight(p, ingest_task.submit(p.path, raw_dir, ingest.printable(p.path.name)))


def _unchanged(last: dict, planned, changes, out_dir: Path, seconds, started: float, logger) -> RunResult:
    """The result of a run that finds every input as the last run left it: its tables stay."""
    reports = [DocumentReport.from_stored(r, "unchanged") for r in last["reports"]]
    stored = last.get("outputs", {})
    outputs = {name: Path(stored[name]) for name in (*tables.TABLE_NAMES, "report") if name in stored}
    if "report" not in outputs or not outputs["report"].exists():
        outputs["report"] = report.write_report(out_dir)
    logger.info(
        "nothing changed since run %s: its tables in %s are current, nothing rewritten", last.get("run_id"), out_dir
    )
    totals = dict.fromkeys(translate.COUNTS, 0)
    elapsed = time.perf_counter() - started
    counts = {kind: last.get("alignment_counts", {}).get(kind, 0) for kind in ("translation", "parallel", "topic")}
    return RunResult(reports, counts, outputs, totals, changes, seconds, elapsed, last.get("run_id"))


def _progress(logger, done: int, total: int, doc: DocumentReport, item) -> None:
    """One console line per document as it is written: how far the run is, and how it went."""
    how = "unchanged, from the results store" if not isinstance(item, _InFlight) else f"{doc.n_clauses} clauses"
    if doc.ok:
        anomalies = f", {doc.n_anomalies} anomalies" if doc.n_anomalies else ""
        logger.info("[%d/%d] %s ok (%s%s)", done, total, doc.doc_id, how, anomalies)
    elif doc.status == "skipped":
        logger.info("[%d/%d] %s skipped: %s", done, total, doc.doc_id, doc.error)
    else:
        logger.warning("[%d/%d] %s rejected: %s", done, total, doc.doc_id, doc.error)


def _publish(result: RunResult) -> None:
    """The run summary as artifacts of the flow run (Markdown, and the documents as a table)."""
    create_markdown_artifact(
        key="lexnorm-run-summary", markdown=summary.markdown(result), description="lexnorm run summary"
    )
    create_table_artifact(
        key="lexnorm-documents", table=summary.document_rows(result), description="lexnorm documents of the run"
    )


def task_runner(n: int, threads: bool = False, dask: str | None = None):
    """Where the stage tasks run. By default, threads that hand each stage to the run's `n`
    worker processes and wait (one per document in flight). With `threads`, `n` threads
    that do the stages themselves. With `dask`, a Dask cluster (`"tcp://host:8786"`, or
    `"local"` for a LocalCluster of `n` worker processes here): its workers do the stages."""
    if dask:
        from prefect_dask import DaskTaskRunner

        if dask == "local":
            return DaskTaskRunner(
                cluster_class="distributed.LocalCluster",
                cluster_kwargs={"n_workers": n, "threads_per_worker": 1, "processes": True, "dashboard_address": None},
            )
        return DaskTaskRunner(address=dask)
    return ThreadPoolTaskRunner(max_workers=n if threads else _in_flight(n))


def run(
    raw_dir: Path,
    out_dir: Path,
    settings: TranslationSettings | None = None,
    workers: int | None = None,
    threads: bool = False,
    dask: str | None = None,
    stage_timeout: float | None = None,
) -> RunResult:
    """The flow with `workers` workers (default: one per core): worker processes, or
    threads of this process (`threads=True`), or Dask workers (see `task_runner`); each
    stage limited to `stage_timeout` seconds per document (see `normalize`)."""
    workers = workers or stage_workers.default_count()
    if settings is not None and dask:
        settings = _cores_shared(settings, workers)
    processes = 0 if threads or dask else workers
    if processes:
        stage_workers.shared(processes)  # they warm up while Prefect starts
    flow_run = normalize.with_options(task_runner=task_runner(workers, threads, dask))
    return flow_run(
        raw_dir, out_dir, settings, processes=processes, in_flight=_in_flight(workers), stage_timeout=stage_timeout
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.normalize [--raw DIR] [--out DIR] ...` is `lexnorm run`."""
    from lexnorm.cli import main as cli

    return cli(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())

"""The normalize flow: the story of a run.

    plan     which input files are new, changed, unchanged or gone (lexnorm.runtime.incremental)
    stream   each document read, then through the pipeline's stages (stages.pipeline), one
             Prefect task per stage, a bounded number in flight (lexnorm.runtime.window),
             each written to the tables as soon as it and those before it are done (an
             unchanged document: its rows copied from the last run's tables)
    align    the links across documents: parallel versions, shared topics
    write    the tables committed together (lexnorm.output.tables)
    report   the HTML report (lexnorm.output.report) and the run summary as artifacts

The work is in `stages`, how it executes in `lexnorm.runtime` (worker processes, the
window, the results store, the output lock), what is written in `lexnorm.output`; this
module only tells the story. What each part contains when it fails: a stage rejects its
document (`stages.pipeline.perform`); a failure while linking a document costs its links
(a warning on it); a failure of the cross-document links costs those links (an error
logged); an output folder that cannot be written (full, read-only) ends the run with a
clear message and the previous tables as they were.
"""

# No `from __future__ import annotations` here: a served deployment validates the flow's
# parameters with pydantic, which needs their annotations evaluated, not as strings.

import time
from contextlib import contextmanager
from functools import cache
from dataclasses import dataclass, replace
from pathlib import Path

import flows  # noqa: F401  (Prefect offline defaults before prefect is imported)
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from lexnorm import INSTALL_HINT
from lexnorm.atomic import clean_stale_temps
from lexnorm.output import report, summary, tables
from lexnorm.output.summary import DocumentReport, RunResult, Tally
from lexnorm.runtime import incremental, sandbox, shortcut
from lexnorm.runtime.incremental import default_settings
from lexnorm.runtime.limits import default_timeout
from lexnorm.runtime.lock import output_lock
from lexnorm.runtime.window import Flight, stream
from lexnorm.runtime.workers import Runner, default_count, lease, process_count, share_cores, shared, window_size
from stages import alignment, ingest, translate
from stages.pipeline import PIPELINE, Stage, settings_for
from stages.records import Alignment
from stages.translate import TranslationSettings

DEFAULT_RAW = Path("data/raw")
DEFAULT_OUT = Path("data/processed")
READ_RETRIES = 2


# ------------------------------------------------------------------ the tasks
# Task inputs are boxed documents and settings, not worth hashing for Prefect's result
# cache: lexnorm's own store (lexnorm.runtime.incremental) decides what is done again.


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(paths: list[Path], raw_dir: Path, out_dir: Path, run_fingerprint: str) -> incremental.Plan:
    return incremental.plan(paths, raw_dir, incremental.ResultStore(out_dir), run_fingerprint)


def _io_error(task, task_run, state) -> bool:
    """Retry a read only when it raised an I/O error (a retry may cure that)."""
    try:
        return isinstance(state.result(raise_on_failure=False), OSError)
    except Exception:
        return False


@task(
    name="ingest", task_run_name="ingest {name}", cache_policy=NO_CACHE,
    retries=READ_RETRIES, retry_delay_seconds=0.2, retry_condition_fn=_io_error,
)  # fmt: skip
def ingest_task(planned: incremental.Planned, raw_dir: Path, name: str) -> Flight:
    """Read one file (a PDF, Word or HTML file by its reader in a bounded child process);
    `name` is its name as valid UTF-8 (`ingest.printable`), for the task
    run's name: a name that is not UTF-8 on disk cannot go into Prefect's events."""
    start = time.perf_counter()
    doc = ingest.read_document(planned.path, raw_dir, extract=sandbox.extract)
    return Flight(planned, doc, read=True, seconds={"ingest": time.perf_counter() - start})


@task(cache_policy=NO_CACHE)
def stage_task(flight: Flight, stage: Stage, runner: Runner) -> Flight:
    """One stage of the pipeline on one document, by the run's `runner`. A stage that fails,
    or runs longer than the time limit, rejects its document and is logged; it is not
    retried, the same input would fail the same way. (A stage in hand when the run is
    interrupted is not logged: nothing of it is written.)"""
    done = runner.perform(stage, flight.doc)
    if done.error and not runner.stopped:
        get_run_logger().error("%s: %s", flight.name, done.error)
    return flight.then(stage.name, done.doc, done.seconds, done.counts, done.error)


@cache
def task_for(stage: str):
    """The task of stage `stage`: `stage_task` named as the stage, so that the Prefect UI
    shows each document's stages by name."""
    return stage_task.with_options(name=stage, task_run_name=f"{stage} {{flight.name}}")


@dataclass(frozen=True)
class CrossLinks:
    """The align task's links as one object: Prefect tracks each item of a task's returned
    list for the whole flow run (an entry per link: 118,000 topic links on 1,000
    documents), but a single object once."""

    links: list[Alignment]


@task(name="align", cache_policy=NO_CACHE)
def align_task(
    summaries: list[alignment.DocSummary], manifest: list[tuple[str, str]], out_dir: Path, keys: dict[str, str]
) -> CrossLinks:
    """The parallel and topic links across documents. A failure costs these links (logged
    as an error, the links empty), not the run's tables."""
    store = incremental.ResultStore(out_dir)
    try:
        return CrossLinks(alignment.cross_document_links(summaries, manifest, lambda doc_id: store.load(keys[doc_id])))
    except Exception as exc:  # contained: the documents' tables do not depend on these links
        get_run_logger().error("links across documents not made (parallel, topic): %s: %s", type(exc).__name__, exc)
        return CrossLinks([])


# ------------------------------------------------------------------ the flow


@flow(name="lexnorm-normalize", task_runner=ThreadPoolTaskRunner(max_workers=window_size(default_count())))
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
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    processes = default_count() if processes is None else processes
    settings = share_cores(settings_for({"translate": translation or default_settings(out_dir)}), processes)
    timeout = default_timeout() if stage_timeout is None else (stage_timeout or None)
    tally = Tally(translation=dict.fromkeys(translate.COUNTS, 0), order=steps())
    with output_lock(out_dir):
        clean_stale_temps(out_dir)
        paths = ingest.discover(raw_dir)
        with tally.timed("plan"):
            plan = plan_task(paths, raw_dir, out_dir, shortcut.fingerprint(settings["translate"]))
            store = incremental.ResultStore(out_dir)
            decision = shortcut.decide(raw_dir, out_dir, plan, paths, store)
        planned, manifest, changes, inputs = plan.planned, decision.manifest, decision.changes, decision.inputs
        for warning in decision.warnings:  # a damaged store, a bad manifest: the run goes on
            logger.warning("%s", warning)
        logger.info("%d input file(s) in %s: %s", len(paths), raw_dir, ", ".join(f"{len(v)} {k}" for k, v in changes.items()))
        if decision.last is not None:  # nothing to do: the tables on disk are this run's tables
            return _publish(shortcut.unchanged_result(decision.last, changes, out_dir, tally, logger))
        try:
            with (
                _runner(processes, settings, timeout, planned) as runner,
                tables.TableWriter(out_dir) as writer,
                tables.PreviousTables(out_dir, _previous_run(store, planned)) as previous,
            ):
                summaries = []
                window = in_flight or window_size(processes)
                begin = _begin(store, raw_dir, previous, store.previous())
                for flight in stream(planned, begin, _advance(runner), _failed, window):
                    summarized = _write(flight, store, writer, tally, len(planned), logger)
                    if summarized is not None:
                        summaries.append(summarized)
                with tally.timed("alignment"):
                    links = align_task(quote(summaries), manifest, out_dir, {p.doc_id: p.key for p in planned}).links
                with tally.timed("write"):
                    writer.add_links(links)
                    tally.count_links(links)
                    pairs = summary.pair_counts(link for link in links if link.kind == "parallel")
                    del links, summaries  # written: not held through the report
                    outputs = writer.commit()
        except OSError as exc:  # the output folder: full, read-only, gone
            clean_stale_temps(out_dir)  # this run's, now that it writes no more
            logger.error("cannot write the output in %s: %s; the previous tables are unchanged", out_dir, _os_error(exc))
            return _publish(tally.result({}, changes))
        for warning in store.damage_report():  # stored results found damaged only when loaded
            logger.warning("%s", warning)
        with tally.timed("report"):
            _report(out_dir, outputs, logger)
        _record(store, planned, tally, inputs, outputs, writer.run_id, logger)
    for (left, right), pair in pairs.items():
        logger.info("parallel versions %s <-> %s: %s", left, right, pair)
    if tally.translation["glossed"]:
        logger.warning(
            "No Argos model translates Chinese to English here: text_en of %d Chinese sentence(s) is a CC-CEDICT "
            "dictionary gloss (translation_engine = gloss:cc-cedict), not a translation; to translate, %s.",
            tally.translation["glossed"], INSTALL_HINT,
        )  # fmt: skip
    return _publish(tally.result(outputs, changes, writer.run_id))


# ------------------------------------------------------------------ the steps of the story


def steps() -> tuple[str, ...]:
    """A run's steps in order, for the run summary: the pipeline's stages among lexnorm's own."""
    return ("plan", "ingest", *(stage.name for stage in PIPELINE), "write", "alignment")


@contextmanager
def _runner(processes: int, settings: dict, timeout: float | None, planned):
    """How the run performs its stages: in the process's shared pool of worker processes,
    when it has any and any document needs its stages, else in the task threads."""
    last = PIPELINE[-1]
    if processes < 1 or all(p.state == "unchanged" for p in planned):
        yield Runner(settings, None, timeout, last)
        return
    with lease(processes) as pool:
        yield Runner(settings, pool, timeout, last)


def _previous_run(store: incremental.ResultStore, planned) -> str | None:
    """The run whose tables an unchanged document's rows may be copied from: the last one
    recorded, when any document is unchanged."""
    return store.last_run_id() if any(p.state == "unchanged" and p.cached is None for p in planned) else None


class Kept:
    """An unchanged document as the last run wrote it: its rows of each table (Arrow), its
    report, its summary for the links across documents and how many translation links it
    has. A plain class: it never goes into a task."""

    __slots__ = ("report", "rows", "summary", "translation_links")

    def __init__(self, rows, report: DocumentReport, summary: alignment.DocSummary | None, translation_links: int):
        self.rows, self.report, self.summary, self.translation_links = rows, report, summary, translation_links


def _kept(p: incremental.Planned, store: incremental.ResultStore, previous: tables.PreviousTables, recorded: dict):
    """An unchanged document's rows from the last run's tables, when that run recorded it
    under the same key and its summary was kept (`ResultStore.save_summary`); else None,
    and it is loaded from the results store as before."""
    entry = recorded.get(p.doc_id) or {}
    kept = store.summary(p.key) if entry.get("key") == p.key and entry.get("report") else None
    if kept is None:
        return None
    try:
        report = DocumentReport.from_stored(entry["report"], p.state)
        summary = None if kept["summary"] is None else alignment.DocSummary.from_plain(kept["summary"])
    except Exception:  # a manifest or summary edited by hand: the store has the document
        return None
    if report.ok != (summary is not None) or (summary is not None and summary.doc_id != p.doc_id):
        return None
    counts = {"clauses": report.n_clauses, "documents": 1, "alignments": kept["translation_links"]}
    rows = previous.rows(p.doc_id, counts, p.sha256)
    return None if rows is None else Kept(rows, report, summary, kept["translation_links"])


def _begin(store: incremental.ResultStore, raw_dir: Path, previous: tables.PreviousTables, recorded: dict):
    """A planned document enters the window: finished when its result is known (a row
    planning decided; an unchanged document's rows in the last run's tables, or else its
    stored result, read only now), else its read is submitted."""

    def begin(p: incremental.Planned):
        if p.cached is not None:
            return Flight(p, p.cached)
        if p.state == "unchanged":
            if (kept := _kept(p, store, previous, recorded)) is not None:
                return Flight(p, kept)
            if (doc := store.load(p.key)) is not None:
                return Flight(p, doc)
        return "ingest", ingest_task.submit(p, raw_dir, ingest.printable(p.path.name))

    return begin


def _advance(runner: Runner):
    """A document's next stage, submitted with the finished step in `wait_for` so that the
    Prefect UI shows the chain; None after the last stage."""

    def advance(flight: Flight, after):
        if flight.step == len(PIPELINE):
            return None
        stage = PIPELINE[flight.step]
        return stage.name, task_for(stage.name).submit(flight, stage, runner, wait_for=[after])

    return advance


def _failed(p: incremental.Planned, step: str, exc: BaseException) -> Flight:
    """A read that failed even after its retries, or a task that failed outside its stage's
    own error handling: a rejected row."""
    if step == "ingest":
        message = f"cannot read the file after {READ_RETRIES + 1} attempts: {type(exc).__name__}: {exc}"
    else:
        message = f"{step} task failed: {type(exc).__name__}: {exc}"
    return Flight(p, ingest.rejected_document(p.path, message), read=True)


def _write(flight: Flight, store, writer: tables.TableWriter, tally: Tally, total: int, logger):
    """A finished document into the results store (when read this run) and the tables,
    counted; its summary for the links across documents (None when it has none)."""
    p, doc = flight.planned, flight.doc
    tally.add_seconds(flight.seconds)
    tally.add_translation(flight.counts.get("translate", {}))
    with tally.timed("write"):
        if isinstance(doc, Kept):
            writer.add_rows(doc.rows)
            tally.reports.append(doc.report)
            tally.links["translation"] += doc.translation_links
            _progress(logger, len(tally.reports), total, doc.report, flight)
            return doc.summary
        if flight.read:
            store.save(p.key, doc)
        translated, summarized, doc = _linked(doc, logger)
        if p.cached is None:  # kept beside the stored result, for the next run (none when linking failed)
            linked = summarized is not None or not doc.ok
            store.save_summary(p.key, {"summary": summarized and summarized.plain(), "translation_links": len(translated)} if linked else None)
        writer.add_document(doc)
        tally.reports.append(DocumentReport.of(doc, p.state))
        writer.add_links(translated)
        tally.links["translation"] += len(translated)
    _progress(logger, len(tally.reports), total, tally.reports[-1], flight)
    return summarized


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


def _progress(logger, done: int, total: int, doc: DocumentReport, flight: Flight) -> None:
    """One console line per document as it is written: how far the run is, and how it went."""
    how = f"{doc.n_clauses} clauses" if flight.read else "unchanged, from the results store"
    if doc.ok:
        anomalies = f", {doc.n_anomalies} anomalies" if doc.n_anomalies else ""
        logger.info("[%d/%d] %s ok (%s%s)", done, total, doc.doc_id, how, anomalies)
    elif doc.status == "skipped":
        logger.info("[%d/%d] %s skipped: %s", done, total, doc.doc_id, doc.error)
    else:
        logger.warning("[%d/%d] %s rejected: %s", done, total, doc.doc_id, doc.error)


def _report(out_dir: Path, outputs: dict, logger) -> None:
    """The HTML report beside the tables. A report that fails must not undo the run: the
    error is logged, and the previous report, which described other tables, removed."""
    try:
        outputs["report"] = report.write_report(out_dir)
    except Exception as exc:
        stale = out_dir / report.REPORT_NAME
        logger.error(
            "the HTML report could not be written: %s%s", _os_error(exc),
            f"; the previous {stale.name}, which described other tables, was removed" if _remove(stale) else "",
        )  # fmt: skip


def _record(store, planned, tally: Tally, inputs: dict, outputs: dict, run_id: str, logger) -> None:
    """What this run did, in the results store, for the next run to compare against."""
    inputs["tables"] = dict.fromkeys(tables.TABLE_NAMES, run_id)  # what table_run_ids will read next time
    record = {**inputs, "run_id": run_id, "alignment_counts": tally.links, "outputs": {k: str(v) for k, v in outputs.items()}}
    try:
        store.record_run(planned, {r.doc_id: r.stored() for r in tally.reports}, record)
    except OSError as exc:  # the tables are written; the next run does its documents again
        logger.error("cannot record the run in the results store: %s", _os_error(exc))


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


def _publish(result: RunResult) -> RunResult:
    """The run summary as artifacts of the flow run (Markdown, and the documents as a table)."""
    create_markdown_artifact(
        key="lexnorm-run-summary", markdown=summary.markdown(result), description="lexnorm run summary"
    )
    create_table_artifact(
        key="lexnorm-documents", table=summary.document_rows(result), description="lexnorm documents of the run"
    )
    return result


# ------------------------------------------------------------------ running it


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
    return ThreadPoolTaskRunner(max_workers=n if threads else window_size(n))


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
    workers = workers or default_count()
    if settings is not None and dask:
        settings = share_cores({"translate": settings}, workers)["translate"]
    processes = process_count(workers, threads, dask)
    if processes:
        shared(processes)  # they warm up while Prefect starts
    flow_run = normalize.with_options(task_runner=task_runner(workers, threads, dask))
    return flow_run(
        raw_dir, out_dir, settings, processes=processes, in_flight=window_size(workers), stage_timeout=stage_timeout
    )


if __name__ == "__main__":  # `python -m flows.normalize`: the flow on data/raw into data/processed
    normalize()

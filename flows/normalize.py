"""The normalize flow: for every document in the input folder, ingest -> clauses ->
language -> segment -> translate -> topics; then the alignments across documents; then
the tables. One Prefect task per stage per document; the work is in `stages`, this
module only wires it.

Runs are incremental: a document whose bytes, pipeline version and settings are those
of its stored result is not processed again. The output folder is locked for the run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import flows  # noqa: F401  (Prefect offline defaults before prefect is imported)
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from stages import alignment, clauses, incremental, ingest, language, segment, tables, topics, translate
from stages.models import fingerprint
from stages.records import Alignment, Document
from stages.translate import INSTALL_HINT, TranslationSettings

DEFAULT_RAW = Path("data/raw")
DEFAULT_OUT = Path("data/processed")
READ_RETRIES = 2


class RunResult:
    """What a run produced: the documents (with their clauses), the links, the files
    written, translation counts, and which documents were new, changed, unchanged, removed.

    A plain class, not a dataclass: Prefect walks a flow's dataclass results field by
    field, which takes seconds when a document is long (see Carried)."""

    __slots__ = ("alignments", "changes", "documents", "outputs", "translation")

    def __init__(
        self,
        documents: list[Document],
        alignments: list[Alignment],
        outputs: dict[str, Path],
        translation: dict[str, int],
        changes: dict[str, list[str]],
    ) -> None:
        self.documents = documents
        self.alignments = alignments
        self.outputs = outputs
        self.translation = translation
        self.changes = changes

    @property
    def ok(self) -> list[Document]:
        return [d for d in self.documents if d.ok]

    @property
    def rejected(self) -> list[Document]:
        return [d for d in self.documents if not d.ok]


class Carried:
    """A value handed from task to task, opaque to Prefect.

    Prefect walks every dataclass, list and tuple in a task's inputs and results looking
    for futures; for a long document (a 20 MB clause has four million tokens) that walk
    takes seconds per task, while the box costs nothing. It pickles, so it also crosses
    process and machine boundaries."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    @property
    def name(self) -> str:
        """For task run names: the document's id."""
        return getattr(self.value, "doc_id", type(self.value).__name__)


def _guarded(stage: str, work: Callable[[Document], Document], doc: Document) -> Document:
    """Run one stage on one document; an exception rejects that document (with the
    exception summarised) instead of stopping the run. No retry: the same input would
    fail the same way."""
    if not doc.ok:
        return doc
    try:
        return work(doc)
    except Exception as exc:  # the point is to contain any failure
        message = f"{stage} stage failed: {type(exc).__name__}: {exc}"
        get_run_logger().error("%s: %s", doc.doc_id, message)
        return replace(doc, status="rejected", error=message, clauses=())


def _io_error(task, task_run, state) -> bool:
    """Retry a read only when it raised an I/O error (a retry may cure that)."""
    try:
        return isinstance(state.result(raise_on_failure=False), OSError)
    except Exception:
        return False


# Task inputs are documents and settings, not worth hashing for Prefect's result cache:
# lexnorm's own store (stages.incremental) decides what is done again.
@task(
    name="ingest", task_run_name="ingest {path.name}", cache_policy=NO_CACHE,
    retries=READ_RETRIES, retry_delay_seconds=0.2, retry_condition_fn=_io_error,
)  # fmt: skip
def ingest_task(path: Path, raw_dir: Path) -> Carried:
    return Carried(ingest.read_document(path, raw_dir))


@task(name="clauses", task_run_name="clauses {doc.name}", cache_policy=NO_CACHE)
def clauses_task(doc: Carried) -> Carried:
    return Carried(_guarded("clause", clauses.parse_document, doc.value))


@task(name="language", task_run_name="language {doc.name}", cache_policy=NO_CACHE)
def language_task(doc: Carried) -> Carried:
    return Carried(_guarded("language", language.detect_languages, doc.value))


@task(name="segment", task_run_name="segment {doc.name}", cache_policy=NO_CACHE)
def segment_task(doc: Carried) -> Carried:
    return Carried(_guarded("segmentation", segment.segment_document, doc.value))


@task(name="translate", task_run_name="translate {doc.name}", cache_policy=NO_CACHE)
def translate_task(doc: Carried, settings: TranslationSettings) -> Carried:
    translator = translate.translator_for(settings)
    return Carried(_guarded("translation", lambda d: translate.translate_document(d, translator), doc.value))


@task(name="topics", task_run_name="topics {doc.name}", cache_policy=NO_CACHE)
def topics_task(doc: Carried) -> Carried:
    return Carried(_guarded("topic", topics.classify_document, doc.value))


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(paths: list[Path], raw_dir: Path, out_dir: Path, run_fingerprint: str) -> Carried:
    return Carried(incremental.plan(paths, raw_dir, incremental.ResultStore(out_dir), run_fingerprint))


@task(name="align", cache_policy=NO_CACHE)
def align_task(docs: Carried, manifest: list[tuple[str, str]]) -> Carried:
    return Carried(alignment.align(docs.value, manifest))


@task(name="write-tables", cache_policy=NO_CACHE)
def write_tables_task(docs: Carried, links: Carried, out_dir: Path) -> dict[str, Path]:
    return tables.write_tables(docs.value, out_dir, links.value)


def default_settings(out_dir: Path, **overrides) -> TranslationSettings:
    overrides.setdefault("cache_path", Path(out_dir) / incremental.CACHE_DIR / "translations.sqlite")
    return TranslationSettings.from_env(**overrides)


def _fingerprint(settings: TranslationSettings) -> str:
    translator = translate.translator_for(settings)
    models = sorted(fingerprint(p) for p in translator.packages)
    return incremental.run_fingerprint(settings.decoding_key(), settings.require_model, models)


@flow(name="lexnorm-normalize", task_runner=ThreadPoolTaskRunner(max_workers=4))
def normalize(
    raw_dir: Path = DEFAULT_RAW, out_dir: Path = DEFAULT_OUT, translation: TranslationSettings | None = None
) -> RunResult:
    """Normalise every agreement in `raw_dir` into Parquet tables in `out_dir`."""
    logger = get_run_logger()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    settings = translation or default_settings(out_dir)
    with tables.output_lock(out_dir):
        tables.clean_stale_temps(out_dir)
        paths = ingest.discover(raw_dir)
        manifest = ingest.read_manifest(raw_dir)
        before = dict(translate.translator_for(settings).stats)
        planned, removed = plan_task(paths, raw_dir, out_dir, _fingerprint(settings)).value
        changes = {state: [p.doc_id for p in planned if p.state == state] for state in ("new", "changed", "unchanged")}
        changes["removed"] = removed
        logger.info(
            "%d input file(s) in %s: %s", len(paths), raw_dir, ", ".join(f"{len(v)} {k}" for k, v in changes.items())
        )
        reads = {p.path: ingest_task.submit(p.path, raw_dir) for p in planned if p.cached is None}
        processed = {}
        for path, read in reads.items():  # as each read ends, its document moves on to the next stages
            outcome = read.result(raise_on_failure=False)
            if not isinstance(outcome, Carried):  # the read failed even after its retries
                processed[path] = ingest.rejected_document(
                    path, f"cannot read the file after {READ_RETRIES + 1} attempts: {type(outcome).__name__}: {outcome}"
                )
                continue
            doc = clauses_task.submit(read)
            doc = language_task.submit(doc)
            doc = segment_task.submit(doc)
            doc = translate_task.submit(doc, settings)
            processed[path] = topics_task.submit(doc)
        store = incremental.ResultStore(out_dir)
        documents = []
        for p in planned:
            if p.cached is not None:
                documents.append(p.cached)
                continue
            outcome = processed[p.path]
            if not isinstance(outcome, Document):
                outcome = outcome.result().value
            store.save(p.key, outcome)
            documents.append(outcome)
        carried = align_task(Carried(documents), manifest)
        links = carried.value
        outputs = write_tables_task(Carried(documents), carried, out_dir)
        store.record_run(planned)
    for doc in documents:
        if not doc.ok:
            logger.warning("%s rejected: %s", doc.doc_id, doc.error)
    for line in alignment.parallel_summary(links):
        logger.info("parallel versions %s", line)
    stats = {k: v - before[k] for k, v in translate.translator_for(settings).stats.items()}
    if stats["glossed"]:
        logger.warning(
            "No Argos model translates Chinese to English here: text_en of %d Chinese sentence(s) is a CC-CEDICT "
            "dictionary gloss (translation_engine = gloss:cc-cedict), not a translation; to translate, %s.",
            stats["glossed"],
            INSTALL_HINT,
        )
    return RunResult(documents, links, outputs, stats, changes)


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.normalize [--raw DIR] [--out DIR] ...` is `lexnorm run`."""
    from lexnorm.cli import main as cli

    return cli(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())

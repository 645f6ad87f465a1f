"""Incremental runs: a document whose bytes, pipeline version and settings have not changed
since the last run is not processed again; its stored result is used.

Results are stored under the output folder (`.lexnorm-cache/documents/<key>.json.gz`, one
file per document, JSON: safe to read, readable by people), keyed by the document's name,
the SHA-256 of its bytes and the run fingerprint (pipeline version, translation settings,
the installed models' fingerprints). `manifest.json` beside them records what the last run
saw, so a run can tell which documents are new, changed, unchanged and removed. Beside each
result, `<key>.summary.json` keeps what aligning it across documents needs: with the last
run's tables (`lexnorm.output.tables.PreviousTables`), an unchanged document is written
without being loaded at all.
Rejections caused by the file's content are stored too (the same bad bytes give the same
error); rejections that may pass on a retry (permissions, I/O) are not.

Planning never stops a run: every input entry gets a row (a document to read, a stored
result, or a row decided here: a file lexnorm does not read is `skipped`, a duplicate name,
a link loop or a FIFO is `rejected`), whatever goes wrong with one entry costs only that
entry, and a damaged store (a truncated or altered result, a manifest of the wrong shape)
is discarded, recomputed and reported once per run.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lexnorm import PIPELINE_VERSION
from lexnorm.atomic import write_atomically
from stages.ingest import doc_id_for, open_regular, printable, reads, refusal, rejected_document, skipped_document
from stages.records import Clause, Document
from lexnorm.output.summary import DocumentReport

if TYPE_CHECKING:
    from stages.translate import TranslationSettings

CACHE_DIR = ".lexnorm-cache"
SUMMARY_SUFFIX = ".summary.json"  # beside a stored result: its alignment summary (ResultStore.save_summary)
State = Literal["new", "changed", "unchanged"]
_TUPLE_FIELDS = {f.name for f in fields(Clause) if "tuple" in str(f.type)} | {"warnings", "page_starts", "joins"}
_ENTRY_STRINGS = ("sha256", "key", "source", "source_path")  # a manifest entry's string fields


@dataclass(frozen=True)
class Planned:
    """One input file and what the run will do with it."""

    path: Path
    doc_id: str
    sha256: str  # "" when the file could not be read safely
    key: str
    state: State
    cached: Document | None = None  # the row itself when planning decided it (skipped, or refused)


@dataclass(frozen=True)
class Plan:
    """What a run will do: each input entry in doc_id order (the tables' order), the doc_ids
    of the last run that are gone, and what was found wrong with the results store (one
    message at most: the flow logs it)."""

    planned: list[Planned]
    removed: list[str]
    warnings: list[str] = field(default_factory=list)


def default_settings(out_dir: Path, **overrides) -> TranslationSettings:
    """The translation settings of a run into `out_dir`: LEXNORM_* variables, then
    `overrides`; the translation cache beside the results store."""
    from stages.translate import TranslationSettings  # here: the translator's module is not needed to plan

    overrides.setdefault("cache_path", Path(out_dir) / CACHE_DIR / "translations.sqlite")
    return TranslationSettings.from_env(**overrides)


def run_fingerprint(*parts: object) -> str:
    """Everything besides a document's bytes that decides its rows."""
    return hashlib.sha256(json.dumps([PIPELINE_VERSION, *parts], sort_keys=True, default=str).encode()).hexdigest()


def _encode(doc: Document) -> bytes:
    def plain(value):
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(type(value))

    record = {f.name: getattr(doc, f.name) for f in fields(Document) if f.name != "clauses"}
    record["clauses"] = [{f.name: getattr(c, f.name) for f in fields(Clause)} for c in doc.clauses]
    return gzip.compress(json.dumps(record, ensure_ascii=False, default=plain).encode(), compresslevel=3)


def _summary_record(data: bytes) -> dict:
    record = json.loads(data)
    if isinstance(record, dict) and isinstance(record.get("translation_links"), int) and "summary" in record:
        return record
    raise ValueError("not the shape lexnorm writes")


def _decode(data: bytes) -> Document:
    record = json.loads(gzip.decompress(data))

    def restore(values: dict) -> dict:
        return {k: tuple(v) if k in _TUPLE_FIELDS and isinstance(v, list) else v for k, v in values.items()}

    clauses = tuple(Clause(**restore(c)) for c in record.pop("clauses"))
    record["furniture"] = tuple(tuple(span) for span in record.get("furniture", ()))
    record["processed_at"] = datetime.fromisoformat(record["processed_at"])
    return Document(**restore(record), clauses=clauses)


class ResultStore:
    """Stored per-document results and the last run's manifest, under the output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.root = Path(out_dir) / CACHE_DIR / "documents"
        self.manifest_path = Path(out_dir) / CACHE_DIR / "manifest.json"
        self.damaged: list[str] = []  # what was found damaged and discarded, in words

    def damage_report(self) -> list[str]:
        """One warning for everything found damaged so far, or none."""
        if not self.damaged:
            return []
        found = "; ".join(self.damaged[:5]) + (f"; and {len(self.damaged) - 5} more" if len(self.damaged) > 5 else "")
        return [
            f"the results store {self.root.parent} was damaged ({found}): the damaged parts were discarded "
            "and their documents are processed again"
        ]

    def _discard(self, path: Path, exc: BaseException) -> None:
        self.damaged.append(f"{path.name}: {type(exc).__name__}: {exc}"[:200])
        path.unlink(missing_ok=True)

    @staticmethod
    def key(doc_id: str, sha256: str, fingerprint: str) -> str:
        return hashlib.sha256(f"{doc_id}\0{sha256}\0{fingerprint}".encode()).hexdigest()[:32]

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.json.gz"

    def load(self, key: str) -> Document | None:
        """The stored result, or None when there is none or it cannot be used (written by
        another version, or damaged: truncated, altered; a damaged one is discarded):
        the document is then processed again."""
        return self._read(self._path(key), _decode)

    def _read(self, path: Path, decode):
        """`decode` of a stored file's bytes, or None when there is none or it is damaged
        (then discarded)."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            return decode(data)
        except Exception as exc:  # EOFError, zlib.error, wrong types...: whatever the bytes are, not a result
            self._discard(path, exc)
            return None

    def intact(self, key: str) -> bool:
        """Whether a stored result is there and its compressed bytes are whole (the gzip
        CRC and length check out, read in blocks: memory stays flat); a damaged one is
        discarded. Cheaper than `load`: nothing is parsed."""
        path = self._path(key)
        try:
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass
            return True
        except FileNotFoundError:
            return False
        except (OSError, EOFError, zlib.error) as exc:
            self._discard(path, exc)
            return False

    def save(self, key: str, doc: Document) -> None:
        if not doc.ok and not doc.sha256:
            return  # unreadable now, maybe readable next time
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomically(self._path(key), _encode(doc), durable=False)  # a lost entry is recomputed

    def _summary_path(self, key: str) -> Path:
        return self.root / f"{key}{SUMMARY_SUFFIX}"

    def save_summary(self, key: str, summary: dict | None) -> None:
        """Beside a stored result, what aligning it across documents needs (its
        `alignment.DocSummary` as plain JSON, or None) and how many translation links it
        has: with the last run's tables, enough to write an unchanged document without
        loading it (`summary`). None removes it (its links could not be made: the next run
        loads the document and tries again)."""
        if summary is None or not self.has(key):  # kept only beside a stored result, dropped with it
            self._summary_path(key).unlink(missing_ok=True)
            return
        write_atomically(self._summary_path(key), json.dumps(summary, ensure_ascii=False).encode(), durable=False)

    def summary(self, key: str) -> dict | None:
        """What `save_summary` kept for `key`, or None (none kept, or damaged: discarded)."""
        return self._read(self._summary_path(key), _summary_record)

    def last_run_id(self) -> str | None:
        """The run id the last run recorded (that of the tables it wrote), or None."""
        run_id = self._manifest().get("run", {}).get("run_id")
        return run_id if isinstance(run_id, str) else None

    def previous(self) -> dict[str, dict]:
        """What the last run recorded per document (doc_id -> key, source, report), or {}."""
        return self._manifest().get("documents", {})

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def _manifest(self) -> dict:
        """The last run's manifest, or {} when there is none or it has not the shape this
        version writes (then it is discarded: stored results are still found by key)."""
        try:
            manifest = json.loads(self.manifest_path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as exc:
            self._discard(self.manifest_path, exc)
            return {}
        documents = manifest.get("documents", {}) if isinstance(manifest, dict) else None
        fine = (
            isinstance(documents, dict) and isinstance(manifest.get("run", {}), dict)
            and all(isinstance(e, dict) and all(isinstance(e.get(k, ""), str) for k in _ENTRY_STRINGS)
                    and isinstance(e.get("report") or {}, dict) for e in documents.values())
        )  # fmt: skip
        if not fine:
            self._discard(self.manifest_path, ValueError("not the shape lexnorm writes"))
            return {}
        return manifest

    def record_run(self, planned: list[Planned], reports: dict[str, dict] | None = None, run: dict | None = None) -> None:
        """Write the manifest of this run (per document: its key, source and summary
        report; the run's own record) and drop stored results no longer referenced."""
        reports = reports or {}
        entries = {
            p.doc_id: {"sha256": p.sha256, "key": p.key, "source": printable(p.path.name),
                       "source_path": printable(str(p.path)), "report": reports.get(p.doc_id)}
            for p in planned if p.key
        }  # fmt: skip
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        record = {"documents": entries, "run": run or {}}
        manifest = json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False).encode()
        write_atomically(self.manifest_path, manifest, durable=False)
        keep = {f"{e['key']}{suffix}" for e in entries.values() for suffix in (".json.gz", SUMMARY_SUFFIX)}
        if self.root.is_dir():
            for stored in self.root.iterdir():
                if stored.name not in keep:
                    stored.unlink(missing_ok=True)


def file_sha256(path: Path, raw_dir: Path) -> str:
    """SHA-256 of an input file's bytes, or "" when it is refused or cannot be read (a FIFO
    or a device is never opened for reading: see `ingest.open_regular`)."""
    if refusal(path, raw_dir):
        return ""
    try:
        digest = hashlib.sha256()
        with os.fdopen(open_regular(path), "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return ""


def _stored_from(store: ResultStore, key: str, path: Path) -> bool:
    """Whether the stored result under `key` is readable and was made from `path`."""
    doc = store.load(key)
    return doc is not None and doc.source_path == printable(str(path))


def _claim(name: str, taken: dict[str, str]) -> str:
    """An id for the entry called `name` (its whole file name), unique without case (`UP` and
    `up` would be one file on a case-insensitive file system, and one anchor in the report):
    the name itself, or `name~2`, `name~3`... when a document already has it."""
    doc_id, n = name, 1
    while doc_id.casefold() in taken:
        n += 1
        doc_id = f"{name}~{n}"
    taken[doc_id.casefold()] = name
    return doc_id


def _decided(path: Path, doc: Document, previous: dict, fingerprint: str) -> Planned:
    """A row decided in planning (skipped, refused): unchanged when the last run recorded
    the same row for the same file, so a folder holding a .pdf can still be left as it is."""
    key = ResultStore.key(doc.doc_id, "", run_fingerprint(fingerprint, doc.status, doc.error))
    before = previous.get(doc.doc_id) or {}
    same = before.get("key") == key and before.get("source_path") == doc.source_path
    state: State = "unchanged" if same else ("changed" if before else "new")
    return Planned(path, doc.doc_id, "", key, state, doc)


def _plan_read(path: Path, raw_dir: Path, store: ResultStore, fingerprint: str, previous: dict) -> Planned:
    doc_id = doc_id_for(path)
    refused = refusal(path, raw_dir)
    if refused and not refused.startswith("cannot read"):  # a loop, a FIFO, a link out: the same next time
        return _decided(path, rejected_document(path, refused), previous, fingerprint)
    sha = file_sha256(path, raw_dir)
    key = store.key(doc_id, sha, fingerprint)
    before = previous.get(doc_id) or {}
    # Unchanged: the same key (name, bytes, fingerprint) from the same path, stored whole.
    # The result itself is loaded only when its turn to be written comes (memory stays flat).
    same = bool(sha) and store.intact(key) and (
        (before.get("key") == key and before.get("source_path") == printable(str(path)))
        or _stored_from(store, key, path)  # stored by a run that did not finish, say
    )
    state: State = "unchanged" if same else ("changed" if before else "new")
    return Planned(path, doc_id, sha, key, state)


def plan(paths: list[Path], raw_dir: Path, store: ResultStore, fingerprint: str) -> Plan:
    """What to do with each entry of the input folder (`ingest.discover`), the doc_ids of
    the last run that are gone, and a warning if the store was found damaged. Files that
    are read claim their ids first (in name order); a second file with the same id (ignoring
    case: `UP.TXT`, `up.md`) is rejected, and it and the files lexnorm does not read are
    identified by their whole name. Whatever fails for one entry rejects that entry only."""
    previous = store.previous()
    planned: list[Planned] = []
    taken: dict[str, str] = {}  # casefolded id -> the file name that has it
    readable = sorted((p for p in paths if reads(p)), key=lambda p: (doc_id_for(p).casefold(), doc_id_for(p), p.name))
    duplicates = []
    for path in readable:
        if doc_id_for(path).casefold() in taken:
            duplicates.append(path)
            continue
        taken[doc_id_for(path).casefold()] = printable(path.name)
        try:
            planned.append(_plan_read(path, raw_dir, store, fingerprint, previous))
        except Exception as exc:  # contained: this entry only
            planned.append(Planned(path, doc_id_for(path), "", "", "new", rejected_document(path, _failed(exc))))
    for path in duplicates:
        first = taken[doc_id_for(path).casefold()]
        message = f"another input file has the same name without extension, ignoring case ({first}); rename one of them"
        doc_id = _claim(printable(path.name), taken)
        planned.append(_decided(path, rejected_document(path, message, doc_id=doc_id), previous, fingerprint))
    for path in sorted(p for p in paths if not reads(p)):
        doc_id = _claim(printable(path.name), taken)
        try:
            planned.append(_decided(path, skipped_document(path, doc_id), previous, fingerprint))
        except Exception as exc:
            planned.append(Planned(path, doc_id, "", "", "new", rejected_document(path, _failed(exc), doc_id=doc_id)))
    planned.sort(key=lambda p: p.doc_id)
    current = {p.doc_id for p in planned}
    removed = sorted(doc_id for doc_id in previous if doc_id not in current)
    return Plan(planned, removed, store.damage_report())


def _failed(exc: BaseException) -> str:
    return f"could not be planned: {type(exc).__name__}: {printable(str(exc))}"


def unchanged_run(planned: list[Planned], removed: list[str], store: ResultStore, run: dict) -> dict | None:
    """The last run's record when this run would write exactly what it wrote: every input
    unchanged, none removed, and `run` (this run's inputs besides the documents: the
    parallel manifest, the tables' run ids found on disk) equal to what the last run
    recorded. None when anything differs."""
    recorded = store._manifest()  # read once: the run's record and the documents'
    last = recorded.get("run", {})
    if not planned or removed or any(p.state != "unchanged" for p in planned) or not last:
        return None
    if any(last.get(k) != v for k, v in run.items()):
        return None
    previous = recorded.get("documents", {})
    if any(not (previous.get(p.doc_id) or {}).get("report") for p in planned):
        return None
    reports = [previous[p.doc_id]["report"] for p in planned]
    try:
        for stored in reports:
            DocumentReport.from_stored(stored, "unchanged")  # what the flow will make of them
    except Exception as exc:  # a manifest edited by hand, or by another version: run again
        store._discard(store.manifest_path, exc)
        return None
    return {**last, "reports": reports}

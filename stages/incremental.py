"""Incremental runs: a document whose bytes, pipeline version and settings have not changed
since the last run is not processed again; its stored result is used.

Results are stored under the output folder (`.lexnorm-cache/documents/<key>.json.gz`, one
file per document, JSON: safe to read, readable by people), keyed by the document's name,
the SHA-256 of its bytes and the run fingerprint (pipeline version, translation settings,
the installed models' fingerprints). `manifest.json` beside them records what the last run
saw, so a run can tell which documents are new, changed, unchanged and removed.
Rejections caused by the file's content are stored too (the same bad bytes give the same
error); rejections that may pass on a retry (permissions, I/O) are not.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Literal

from lexnorm import PIPELINE_VERSION
from stages.ingest import doc_id_for, refusal, rejected_document
from stages.records import Clause, Document

CACHE_DIR = ".lexnorm-cache"
State = Literal["new", "changed", "unchanged"]
_TUPLE_FIELDS = {f.name for f in fields(Clause) if "tuple" in str(f.type)} | {"warnings"}


@dataclass(frozen=True)
class Planned:
    """One input file and what the run will do with it."""

    path: Path
    doc_id: str
    sha256: str  # "" when the file could not be read safely
    key: str
    state: State
    cached: Document | None = None  # the document itself when planning decided it (a refused duplicate)


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


def _decode(data: bytes) -> Document:
    record = json.loads(gzip.decompress(data))

    def restore(values: dict) -> dict:
        return {k: tuple(v) if k in _TUPLE_FIELDS and isinstance(v, list) else v for k, v in values.items()}

    clauses = tuple(Clause(**restore(c)) for c in record.pop("clauses"))
    record["processed_at"] = datetime.fromisoformat(record["processed_at"])
    return Document(**restore(record), clauses=clauses)


class ResultStore:
    """Stored per-document results and the last run's manifest, under the output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.root = Path(out_dir) / CACHE_DIR / "documents"
        self.manifest_path = Path(out_dir) / CACHE_DIR / "manifest.json"

    @staticmethod
    def key(doc_id: str, sha256: str, fingerprint: str) -> str:
        return hashlib.sha256(f"{doc_id}\0{sha256}\0{fingerprint}".encode()).hexdigest()[:32]

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.json.gz"

    def load(self, key: str) -> Document | None:
        try:
            return _decode(self._path(key).read_bytes())
        except (OSError, ValueError, TypeError, KeyError):
            return None  # missing or unreadable (e.g. written by another version): process again

    def save(self, key: str, doc: Document) -> None:
        if not doc.ok and not doc.sha256:
            return  # unreadable now, maybe readable next time
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(_encode(doc))
        os.replace(tmp, path)

    def previous(self) -> dict[str, dict]:
        """What the last run recorded per document (doc_id -> key, source, report), or {}."""
        return self._manifest().get("documents", {})

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def _manifest(self) -> dict:
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            return manifest if isinstance(manifest, dict) else {}
        except (OSError, ValueError):
            return {}

    def record_run(self, planned: list[Planned], reports: dict[str, dict] | None = None, run: dict | None = None) -> None:
        """Write the manifest of this run (per document: its key, source and summary
        report; the run's own record) and drop stored results no longer referenced."""
        reports = reports or {}
        entries = {
            p.doc_id: {"sha256": p.sha256, "key": p.key, "source": p.path.name, "source_path": str(p.path),
                       "report": reports.get(p.doc_id)}
            for p in planned if p.sha256 and p.key
        }  # fmt: skip
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_name(f".manifest.json.{os.getpid()}.tmp")
        record = {"documents": entries, "run": run or {}}
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.manifest_path)
        keep = {f"{e['key']}.json.gz" for e in entries.values()}
        if self.root.is_dir():
            for stored in self.root.iterdir():
                if stored.name not in keep:
                    stored.unlink(missing_ok=True)


def file_sha256(path: Path, raw_dir: Path) -> str:
    """SHA-256 of an input file's bytes, or "" when it is refused or cannot be read."""
    if refusal(path, raw_dir):
        return ""
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return ""


def _stored_from(store: ResultStore, key: str, path: Path) -> bool:
    """Whether the stored result under `key` is readable and was made from `path`."""
    doc = store.load(key)
    return doc is not None and doc.source_path == str(path)


def plan(paths: list[Path], raw_dir: Path, store: ResultStore, fingerprint: str) -> tuple[list[Planned], list[str]]:
    """What to do with each input file, and the doc_ids of the last run that are gone."""
    previous = store.previous()
    planned = []
    taken: dict[str, Path] = {}
    for path in sorted(paths, key=lambda p: (doc_id_for(p), p.name)):  # doc_id order: the tables' order
        doc_id = doc_id_for(path)
        if doc_id in taken:
            message = f"another input file has the same name without extension ({taken[doc_id].name}); rename one of them"
            planned.append(Planned(path, doc_id, "", "", "new", rejected_document(path, message)))
            continue
        taken[doc_id] = path
        sha = file_sha256(path, raw_dir)
        key = store.key(doc_id, sha, fingerprint)
        before = previous.get(doc_id) or {}
        # Unchanged: the same key (name, bytes, fingerprint) from the same path, stored. The
        # result itself is loaded only when its turn to be written comes (memory stays flat).
        same = bool(sha) and store.has(key) and (
            (before.get("key") == key and before.get("source_path") == str(path))
            or _stored_from(store, key, path)  # stored by a run that did not finish, say
        )
        state: State = "unchanged" if same else ("changed" if before else "new")
        planned.append(Planned(path, doc_id, sha, key, state))
    current = set(taken)
    removed = sorted(doc_id for doc_id in previous if doc_id not in current)
    return planned, removed


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
    return {**last, "reports": [previous[p.doc_id]["report"] for p in planned]}

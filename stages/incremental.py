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
    cached: Document | None  # the stored result, for an unchanged document


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
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))["documents"]
        except (OSError, ValueError, KeyError):
            return {}

    def record_run(self, planned: list[Planned]) -> None:
        """Write the manifest of this run and drop stored results no longer referenced."""
        entries = {p.doc_id: {"sha256": p.sha256, "key": p.key, "source": p.path.name} for p in planned if p.sha256 and p.key}
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_name(f".manifest.json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"documents": entries}, indent=1, sort_keys=True), encoding="utf-8")
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
        cached = store.load(key) if sha else None
        if cached is not None and cached.source_path != str(path):
            cached = None  # same bytes under another path: process, so source_path is right
        before = previous.get(doc_id)
        state: State = "unchanged" if cached is not None else ("changed" if before else "new")
        planned.append(Planned(path, doc_id, sha, key, state, cached))
    current = set(taken)
    removed = sorted(doc_id for doc_id in previous if doc_id not in current)
    return planned, removed

"""Translation stage: every non-English clause gets English text, offline.

With an Argos package installed for the clause's language (directly into English, or
through a third language), sentences go through CTranslate2 in large batches, using the
package's own model and SentencePiece/BPE tokenizer, with Argos's decoding options
(`replace_unknowns`, `target_prefix`, length penalty 0.2). Argos's own `translate()`
is not used: it splits sentences with MiniSBD, which downloads a model on first use and
fails offline, and it batches only 32 tokens at a time.

Translations are cached on disk (SQLite) by model fingerprint, decoding settings and
source sentence: a re-run translates nothing it has translated before.

With no package for Chinese (a language whose `dictionary_gloss` is set, stages/lang/),
clauses get a CC-CEDICT dictionary gloss
(`translation_engine = gloss:cc-cedict`), never presented as a translation. With no
package for another language, `text_en` stays empty: that is said once per document
(its `warnings`) and once per language in the run summary (the `untranslated_*` counts),
not on every clause, whose `anomalies` are kept for problems of the text.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from stages import gloss, segment
from stages import lang as languages
from lexnorm import INSTALL_HINT
from stages.models import ModelPackage, fingerprint, installed_packages, route
from stages.quality import sentence_flags
from stages.records import Clause, Document
from stages.sentences import sentences_by_line, split_sentences

log = logging.getLogger("lexnorm.translate")
TARGET = "en"
# What a Translator counts (`stats`, `counting`). The untranslated_* counts are per
# language (`ByLanguage`): documents, and clauses, left without English for want of a model.
COUNTS = ("sentences", "cached", "translated", "glossed", "untranslated_documents", "untranslated_clauses")


class ByLanguage(Counter):
    """Counts per language that add up as the plain counts do, starting from 0 (`0 + x`,
    `x + y`): whoever sums a translator's counts (the flow's run totals, a worker's
    replay) sums these with them, and the run summary finds them per language."""

    def __add__(self, other):
        if other == 0:
            return ByLanguage(self)
        return ByLanguage(Counter.__add__(self, other)) if isinstance(other, Counter) else NotImplemented

    __radd__ = __add__

    def __iadd__(self, other):  # Counter's own in-place add refuses a plain 0
        return self + other


class ModelRequired(RuntimeError):
    """A translation model was required (--require-model) and none fits."""


@dataclass(frozen=True)
class TranslationSettings:
    """How sentences are translated. Fields that change the output are part of the cache key."""

    beam_size: int = 4
    batch_size: int = 64  # sentences per CTranslate2 batch (sorted by length inside)
    threads: int = 0  # CTranslate2 intra-op threads; 0 = one per core
    max_decoding_length: int = 256
    length_penalty: float = 0.2
    compute_type: str = "auto"
    require_model: bool = False
    cache_path: Path | None = None  # SQLite file; None = no cache
    package_dirs: tuple[Path, ...] | None = None  # None = where argostranslate looks

    def decoding_key(self) -> str:
        return json.dumps(
            {"beam": self.beam_size, "max_len": self.max_decoding_length, "length_penalty": self.length_penalty},
            sort_keys=True,
        )

    @classmethod
    def from_env(cls, **overrides) -> TranslationSettings:
        """Defaults, then LEXNORM_BEAM_SIZE / _BATCH_SIZE / _THREADS / _MAX_DECODING_LENGTH, then overrides."""
        values = {}
        for name in ("beam_size", "batch_size", "threads", "max_decoding_length"):
            env = os.environ.get(f"LEXNORM_{name.upper()}")
            if env:
                values[name] = int(env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# ---------------------------------------------------------------------------- cache


class TranslationCache:
    """Sentence translations on disk, keyed by (model fingerprint, decoding settings, source).

    A cache is a convenience: one that cannot be used never stops a run, it only costs
    the translations it would have saved. A damaged file (not a database, corrupt pages, a
    table of another layout) is moved aside as `NAME.damaged-TIMESTAMP`, said once in a
    warning, and a new cache started. A cache that is locked, read-only or otherwise
    unusable is skipped with a warning: sentences are translated without it, and it is
    tried again after `RETRY_SECONDS`. Opening and repairing happen under a lock file, so
    that of several processes sharing the cache only one moves a damaged file aside."""

    TABLE = "translations_v2"  # a new name when the row layout changes: old caches are ignored, not misread
    COLUMNS = ("model", "decoding", "source", "target", "output_tokens", "score")
    TIMEOUT = 5.0  # seconds SQLite waits for another process's write lock
    RETRY_SECONDS = 60.0  # after a failure, the cache is skipped this long (no wait per document)

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._retry_at = 0.0
        self._suspect = False  # corruption was met: check the whole file before using it again
        self._warned = False
        with self._lock:
            self._connection()  # now, so that a damaged cache is found before any work

    # -- use

    def get(self, model: str, decoding: str, sources: list[str]) -> dict[str, tuple[str, int, float]]:
        found: dict[str, tuple[str, int, float]] = {}
        with self._lock:
            db = self._connection()
            if db is None:
                return found
            try:
                for i in range(0, len(sources), 500):
                    chunk = sources[i : i + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(
                        f"select source, target, output_tokens, score from {self.TABLE}"
                        f" where model=? and decoding=? and source in ({marks})",
                        [model, decoding, *chunk],
                    )
                    found.update({src: (tgt, n, score) for src, tgt, n, score in rows})
            except sqlite3.Error as exc:
                self._failed(exc)
                return {}
        return found

    def put(self, model: str, decoding: str, rows: Iterable[tuple[str, str, int, float]]) -> None:
        with self._lock:
            db = self._connection()
            if db is None:
                return
            try:
                with db:  # one transaction: all rows or none
                    db.execute("begin")
                    db.executemany(
                        f"insert or replace into {self.TABLE} values (?, ?, ?, ?, ?, ?)",
                        [(model, decoding, src, tgt, n, score) for src, tgt, n, score in rows],
                    )
            except sqlite3.Error as exc:
                self._failed(exc)

    def __len__(self) -> int:
        with self._lock:
            db = self._connection()
            try:
                return db.execute(f"select count(*) from {self.TABLE}").fetchone()[0] if db else 0
            except sqlite3.Error as exc:
                self._failed(exc)
                return 0

    # -- opening, failing, repairing

    def _connection(self) -> sqlite3.Connection | None:
        """The open database, opened (and repaired) if need be; None while it cannot be used."""
        if self._db is None and time.monotonic() >= self._retry_at:
            try:
                self._db = self._open()
            except (sqlite3.Error, OSError) as exc:
                self._failed(exc)
        return self._db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.path.with_name(self.path.name + ".lock")):
            db, problem = self._try_open()
            if problem is not None:
                self._set_aside(problem)
                db, problem = self._try_open()
            if problem is not None:
                raise sqlite3.DatabaseError(f"a new cache is damaged too: {problem}")
            self._suspect = False
            return db

    def _try_open(self) -> tuple[sqlite3.Connection | None, str | None]:
        """(the database, None), or (None, what is damaged); other failures raise."""
        db = sqlite3.connect(self.path, timeout=self.TIMEOUT, check_same_thread=False, isolation_level=None)
        try:
            problem = self._check(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            if not _damaged(exc):
                raise
            return None, str(exc)
        if problem is not None:
            db.close()
            return None, problem
        return db, None

    def _check(self, db: sqlite3.Connection) -> str | None:
        """What is wrong with an opened cache file, or None (the table is created if missing)."""
        db.execute("pragma journal_mode=wal")
        if self._suspect:
            result = db.execute("pragma quick_check").fetchall()
            if result != [("ok",)]:
                return f"quick_check: {'; '.join(str(r[0]) for r in result[:3])}"
        db.execute(
            f"create table if not exists {self.TABLE} (model text, decoding text, source text, target text,"
            " output_tokens integer, score real, primary key (model, decoding, source))"
        )
        columns = tuple(row[1] for row in db.execute(f"pragma table_info({self.TABLE})"))
        if columns != self.COLUMNS:
            return f"table {self.TABLE} has columns {', '.join(columns)}, not {', '.join(self.COLUMNS)}"
        return None

    def _set_aside(self, problem: str) -> None:
        """Move the damaged file (and its WAL files) aside, and say so."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        for suffix in ("", "-wal", "-shm", "-journal"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                os.replace(part, aside.with_name(aside.name + suffix))
        log.warning(
            "translation cache %s is damaged (%s): moved aside to %s; a new cache is started "
            "(sentences it held are translated again)", self.path, problem, aside.name,
        )  # fmt: skip

    def _failed(self, exc: Exception) -> None:
        """Stop using the cache for now: at once again when it looks damaged (it is
        checked and repaired on reopening), else after RETRY_SECONDS."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if isinstance(exc, sqlite3.DatabaseError) and _damaged(exc):
            self._suspect = True
            return
        self._retry_at = time.monotonic() + self.RETRY_SECONDS
        if not self._warned:
            self._warned = True
            log.warning(
                "translation cache %s cannot be used (%s: %s): translating without it", self.path, type(exc).__name__, exc
            )


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite says the file is damaged (not a database, corrupt), not merely busy."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (the kernel's: released if the holder dies); no lock when
    the file cannot be created (a read-only folder: nothing can be repaired there anyway)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


# ---------------------------------------------------------------------------- engines


@dataclass
class Translated:
    """One sentence's English and what it took to get there."""

    text: str
    output_tokens: int = 0  # target tokens of the last hop (for the truncation flag)
    score: float = 1.0  # 0..1: mean token probability (times each hop's), or gloss coverage


@dataclass
class ArgosModel:
    """One loaded package: CTranslate2 translator and the package's tokenizer."""

    package: ModelPackage
    settings: TranslationSettings
    fingerprint: str = field(init=False)
    calls: int = field(default=0, init=False)  # translate_batch calls, for tests and benchmarks

    def __post_init__(self) -> None:
        from argostranslate.package import Package

        self.fingerprint = fingerprint(self.package)
        self._argos = Package(self.package.path)
        self._tokenizer = self._argos.tokenizer
        self._prefix = self._argos.target_prefix or ""
        self._translator = None  # loaded on first use: a fully cached run never loads it
        self._lock = threading.Lock()

    def _ct2(self):
        if self._translator is None:
            import ctranslate2

            self._translator = ctranslate2.Translator(
                str(self.package.path / "model"),
                device="cpu",
                compute_type=self.settings.compute_type,
                inter_threads=1,
                intra_threads=self.settings.threads,
            )
        return self._translator

    def translate(self, sentences: list[str]) -> list[Translated]:
        if not sentences:
            return []
        tokenized = [self._tokenizer.encode(s) for s in sentences]
        prefix = [[self._prefix]] * len(tokenized) if self._prefix else None
        with self._lock:
            self.calls += 1
            results = self._ct2().translate_batch(
                tokenized,
                target_prefix=prefix,
                max_batch_size=self.settings.batch_size,
                beam_size=self.settings.beam_size,
                num_hypotheses=1,
                length_penalty=self.settings.length_penalty,
                max_decoding_length=self.settings.max_decoding_length,
                replace_unknowns=True,
                return_scores=True,
            )
        out = []
        for result in results:
            tokens = result.hypotheses[0]
            text = self._tokenizer.decode(tokens)
            if self._prefix and text.startswith(self._prefix):
                text = text[len(self._prefix) :]
            out.append(Translated(text.strip(), len(tokens), min(1.0, math.exp(result.scores[0]))))
        return out


class Translator:
    """Routes each language to its Argos models (cached) or to the Chinese gloss."""

    def __init__(self, settings: TranslationSettings, packages: list[ModelPackage] | None = None) -> None:
        self.settings = settings
        dirs = list(settings.package_dirs) if settings.package_dirs is not None else None
        self.packages = installed_packages(dirs) if packages is None else packages
        self.cache = TranslationCache(settings.cache_path) if settings.cache_path else None
        self._models: dict[Path, ArgosModel] = {}
        self._lock = threading.Lock()
        self.stats = dict.fromkeys(COUNTS, 0)
        self._local = threading.local()

    def _count(self, key: str, n: int) -> None:
        with self._lock:
            self.stats[key] += n
        mine = getattr(self._local, "counts", None)
        if mine is not None:
            mine[key] = mine.get(key, 0) + n

    @contextmanager
    def counting(self) -> Iterator[dict[str, int]]:
        """Counts of this thread's calls only (a document's share when threads share a translator)."""
        self._local.counts = dict.fromkeys(self.stats, 0)
        try:
            yield self._local.counts
        finally:
            self._local.counts = None

    def route(self, lang: str) -> list[ModelPackage] | None:
        return route(lang, self.packages, TARGET)

    def glosses(self, lang: str) -> bool:
        """Whether `lang` gets the dictionary gloss: no model for it, and a gloss for it."""
        return not self.route(lang) and languages.get(lang).dictionary_gloss

    def engine(self, lang: str) -> str | None:
        hops = self.route(lang)
        if hops:
            return "+".join([hops[0].engine] + [h.engine.removeprefix("argos:") for h in hops[1:]])
        return gloss.ENGINE if languages.get(lang).dictionary_gloss else None

    def _model(self, package: ModelPackage) -> ArgosModel:
        with self._lock:
            if package.path not in self._models:
                self._models[package.path] = ArgosModel(package, self.settings)
            return self._models[package.path]

    def _hop(self, model: ArgosModel, sentences: list[str]) -> list[Translated]:
        """One model over unique sentences, through the cache."""
        unique = list(dict.fromkeys(sentences))
        decoding = self.settings.decoding_key()
        known = self.cache.get(model.fingerprint, decoding, unique) if self.cache is not None else {}
        todo = [s for s in unique if s not in known]
        self._count("cached", len(unique) - len(todo))
        self._count("translated", len(todo))
        fresh = model.translate(todo)
        if self.cache is not None and todo:
            self.cache.put(
                model.fingerprint, decoding, [(s, t.text, t.output_tokens, t.score) for s, t in zip(todo, fresh)]
            )
        table = {s: Translated(*known[s]) for s in known}
        table.update(zip(todo, fresh))
        return [table[s] for s in sentences]

    def translate(
        self, sentences: list[str], lang: str, tokens: list[list[str] | None] | None = None
    ) -> list[Translated] | None:
        """English for each sentence, or None when nothing can translate `lang`. `tokens`:
        each sentence's tokens with punctuation where the segmentation stage's give them
        (`segment.sentence_tokens`), for the gloss, which otherwise cuts the sentence."""
        self._count("sentences", len(sentences))
        hops = self.route(lang)
        if hops:
            current = [Translated(s) for s in sentences]
            for package in hops:
                hop = self._hop(self._model(package), [t.text for t in current])
                current = [replace(h, score=h.score * prev.score) for h, prev in zip(hop, current)]
            return current
        if languages.get(lang).dictionary_gloss:
            self._count("glossed", len(sentences))
            cut = tokens or [None] * len(sentences)
            return [Translated(*gloss.gloss_with_coverage(s, t)) for s, t in zip(sentences, cut)]
        return None


@cache
def _shared(settings: TranslationSettings) -> Translator:
    return Translator(settings)


def translator_for(settings: TranslationSettings) -> Translator:
    """The process's long-lived translator for these settings (models load once)."""
    return _shared(settings)


# ---------------------------------------------------------------------------- stage


def _english_clause(clause: Clause) -> Clause:
    return replace(clause, text_en=clause.text, sentences=tuple(split_sentences(clause.text)))


def translate_document(doc: Document, translator: Translator) -> Document:
    """Translation stage: `text_en`, `translation_engine`, `sentences`, `sentences_en` and
    quality anomalies for every clause of an accepted document; a warning for each of its
    languages that no installed model translates."""
    if not doc.ok:
        return doc
    out: list[Clause] = []
    pending: dict[str, list[int]] = {}  # language -> indexes of clauses to translate
    line_counts: dict[int, list[int]] = {}  # clause index -> sentences on each of its lines
    for clause in doc.clauses:
        lang = clause.lang or doc.lang or TARGET
        if lang == TARGET or not clause.text:
            out.append(_english_clause(clause) if lang == TARGET else clause)
            continue
        lines = sentences_by_line(clause.text)
        line_counts[len(out)] = [len(line) for line in lines]
        pending.setdefault(lang, []).append(len(out))
        out.append(replace(clause, sentences=tuple(s for line in lines for s in line)))
    warnings: list[str] = []
    for lang, indexes in pending.items():
        if translator.settings.require_model and not translator.route(lang):
            raise ModelRequired(f"no installed Argos model translates {lang} to English (--require-model); {INSTALL_HINT}")
        sentences = [s for i in indexes for s in out[i].sentences]
        tokens = _sentence_tokens([out[i] for i in indexes], doc.lang) if translator.glosses(lang) else None
        translated = translator.translate(sentences, lang, tokens)
        if translated is None:
            translator._count("untranslated_documents", ByLanguage({lang: 1}))
            translator._count("untranslated_clauses", ByLanguage({lang: len(indexes)}))
            warnings.append(
                f"no translation model {lang}→{TARGET} installed: text_en left empty for {len(indexes)} clause(s)"
            )
            continue
        engine = translator.engine(lang)
        limit = translator.settings.max_decoding_length
        position = 0
        for i in indexes:
            clause = out[i]
            n = len(clause.sentences)
            mine = translated[position : position + n]
            position += n
            flags: list[str] = []
            if engine and engine.startswith("argos:"):
                for k, (src, t) in enumerate(zip(clause.sentences, mine), start=1):
                    flags.extend(sentence_flags(k, src, t.text, t.output_tokens, limit))
            english = [t.text for t in mine]
            out[i] = replace(
                clause,
                text_en=_join(line_counts[i], english),
                translation_engine=engine,
                sentences_en=tuple(english),
                translation_scores=tuple(round(t.score, 4) for t in mine),
                anomalies=clause.anomalies + tuple(flags),
            )
    return replace(doc, clauses=tuple(out), warnings=doc.warnings + tuple(warnings))


def _sentence_tokens(clauses: list[Clause], doc_lang: str | None) -> list[list[str] | None]:
    """The tokens with punctuation of each sentence of `clauses`, from their `tokens` where
    the segmentation stage cut them with jieba (None where not: the gloss cuts those)."""
    out: list[list[str] | None] = []
    for c in clauses:
        if c.tokens and segment.cut_by_jieba(c.text, c.lang or doc_lang):
            out.extend(segment.sentence_tokens(c.text, c.tokens, c.sentences))
        else:
            out.extend([None] * len(c.sentences))
    return out


def _join(line_counts: list[int], english: list[str]) -> str:
    """English sentences joined as the source's were: a space within a line, a line break
    between lines."""
    lines, k = [], 0
    for count in line_counts:
        lines.append(" ".join(english[k : k + count]))
        k += count
    return "\n".join(lines)


"""Translation stage: every non-English clause gets English text, offline.

With an Argos package installed for the clause's language (directly into English, or
through a third language), sentences go through CTranslate2 in large batches, using the
package's own model and SentencePiece/BPE tokenizer, with Argos's decoding options
(`replace_unknowns`, `target_prefix`, length penalty 0.2). Argos's own `translate()`
is not used: it splits sentences with MiniSBD, which downloads a model on first use and
fails offline, and it batches only 32 tokens at a time.

Translations are cached on disk (SQLite) by model fingerprint, decoding settings and
source sentence: a re-run translates nothing it has translated before.

With no package for Chinese, clauses get a CC-CEDICT dictionary gloss
(`translation_engine = gloss:cc-cedict`), never presented as a translation.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from stages import gloss
from stages.models import ModelPackage, fingerprint, installed_packages, route
from stages.quality import sentence_flags
from stages.records import Clause, Document
from stages.sentences import sentences_by_line, split_sentences

log = logging.getLogger("lexnorm.translate")
TARGET = "en"
INSTALL_HINT = "install a model with `lexnorm models install PATH.argosmodel` (see `lexnorm models list`)"
COUNTS = ("sentences", "cached", "translated", "glossed")  # what a Translator counts (`stats`, `counting`)


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
    """Sentence translations on disk, keyed by (model fingerprint, decoding settings, source)."""

    TABLE = "translations_v2"  # a new name when the row layout changes: old caches are ignored, not misread

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute(
            f"create table if not exists {self.TABLE} (model text, decoding text, source text, target text,"
            " output_tokens integer, score real, primary key (model, decoding, source))"
        )

    def get(self, model: str, decoding: str, sources: list[str]) -> dict[str, tuple[str, int, float]]:
        found: dict[str, tuple[str, int, float]] = {}
        with self._lock:
            for i in range(0, len(sources), 500):
                chunk = sources[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"select source, target, output_tokens, score from {self.TABLE}"
                    f" where model=? and decoding=? and source in ({marks})",
                    [model, decoding, *chunk],
                )
                found.update({src: (tgt, n, score) for src, tgt, n, score in rows})
        return found

    def put(self, model: str, decoding: str, rows: Iterable[tuple[str, str, int, float]]) -> None:
        with self._lock:
            self._db.execute("begin")
            self._db.executemany(
                f"insert or replace into {self.TABLE} values (?, ?, ?, ?, ?, ?)",
                [(model, decoding, src, tgt, n, score) for src, tgt, n, score in rows],
            )
            self._db.execute("commit")

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute(f"select count(*) from {self.TABLE}").fetchone()[0]


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

    def engine(self, lang: str) -> str | None:
        hops = self.route(lang)
        if hops:
            return "+".join([hops[0].engine] + [h.engine.removeprefix("argos:") for h in hops[1:]])
        return gloss.ENGINE if lang == "zh" else None

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

    def translate(self, sentences: list[str], lang: str) -> list[Translated] | None:
        """English for each sentence, or None when nothing can translate `lang`."""
        self._count("sentences", len(sentences))
        hops = self.route(lang)
        if hops:
            current = [Translated(s) for s in sentences]
            for package in hops:
                hop = self._hop(self._model(package), [t.text for t in current])
                current = [replace(h, score=h.score * prev.score) for h, prev in zip(hop, current)]
            return current
        if lang == "zh":
            self._count("glossed", len(sentences))
            return [Translated(*gloss.gloss_with_coverage(s)) for s in sentences]
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
    quality anomalies for every clause of an accepted document."""
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
    for lang, indexes in pending.items():
        if translator.settings.require_model and not translator.route(lang):
            raise ModelRequired(f"no installed Argos model translates {lang} to English (--require-model); {INSTALL_HINT}")
        sentences = [s for i in indexes for s in out[i].sentences]
        translated = translator.translate(sentences, lang)
        engine = translator.engine(lang)
        limit = translator.settings.max_decoding_length
        position = 0
        for i in indexes:
            clause = out[i]
            n = len(clause.sentences)
            if translated is None:
                flag = f"untranslated: no model translates {lang} to English; {INSTALL_HINT}"
                out[i] = replace(clause, anomalies=clause.anomalies + (flag,))
                continue
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
    return replace(doc, clauses=tuple(out))


def _join(line_counts: list[int], english: list[str]) -> str:
    """English sentences joined as the source's were: a space within a line, a line break
    between lines."""
    lines, k = [], 0
    for count in line_counts:
        lines.append(" ".join(english[k : k + count]))
        k += count
    return "\n".join(lines)


"""Translation stage vs bare CTranslate2 and vs Argos's per-text translate(), in one run.

All on the same Chinese sentences and the same noise model (a random-weight Transformer
of d_model 256, 3+3 layers, built here by lexnorm.testing; its EOS bias gives outputs
of realistic length). The model is noise: this measures time, not quality.

- bare:     ctranslate2.Translator.translate_batch on the pre-tokenised sentences, with
            the scores the stage asks for (its translation_scores column);
- lexnorm:  translate_document on a document made of those sentences (sentence split,
            tokenise, batch, decode, quality flags, cache writes), fresh cache;
- cached:   the same again with the cache filled by the first run;
- argos:    argostranslate's PackageTranslation.translate() per sentence (its MiniSBD
            splitter replaced by the identity: it would download a model, and the input
            is already one sentence).
Identical decoding options everywhere: beam 4, length penalty 0.2, max 96 tokens.
Bare and lexnorm are timed alternately, best of --repeat each (the machine's speed drifts).
Targets: lexnorm / bare <= 1.1. Usage: python bench/translation.py [--sentences N] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from _inputs import SEEDS, SHARED, Result, best_of, best_of_pair

from lexnorm.testing import build_noise_package
from stages.models import install, installed_packages
from stages.records import Clause, Document
from stages.sentences import split_sentences
from stages.translate import TranslationCache, TranslationSettings, Translator, translate_document

BEAM, MAX_LEN, PENALTY = 4, 96, 0.2


def chinese_sentences(limit: int) -> list[str]:
    pipl = SHARED / "corpus" / "cn_pipl_zh.txt"
    seed = next(p for p in SEEDS if p.name.startswith("003"))
    source = pipl if pipl.exists() else seed
    sentences = list(dict.fromkeys(split_sentences(source.read_text(encoding="utf-8"))))
    return sentences[:limit]


def as_document(sentences: list[str]) -> Document:
    clauses = tuple(
        Clause("bench", f"s{i}", None, 1, i, None, False, None, s, "zh", 0, 0) for i, s in enumerate(sentences)
    )
    return Document("bench", "bench", "", 0, "utf-8", "ok", None, "0", datetime.now(UTC), text="", lang="zh", clauses=clauses)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    sentences = chinese_sentences(args.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        texts = [p.read_text(encoding="utf-8") for p in SEEDS]
        archive = build_noise_package(tmp, texts, vocab_size=4000, d_model=256, layers=3, heads=4, ffn=1024, eos_bias=20.0)
        pkg = install(archive, tmp / "packages")
        settings = TranslationSettings(
            beam_size=BEAM, max_decoding_length=MAX_LEN, length_penalty=PENALTY, cache_path=tmp / "cache.sqlite",
            package_dirs=(tmp / "packages",),
        )  # fmt: skip

        # bare CTranslate2 (tokenisation done before timing)
        import ctranslate2
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(pkg.path / "sentencepiece.model"))
        tokenized = [sp.encode(s, out_type=str) for s in sentences]
        bare_translator = ctranslate2.Translator(
            str(pkg.path / "model"), device="cpu", compute_type=settings.compute_type, intra_threads=settings.threads
        )
        bare_translator.translate_batch(tokenized[:4], beam_size=BEAM, max_decoding_length=MAX_LEN)  # warm up
        doc = as_document(sentences)
        packages = installed_packages([tmp / "packages"])
        fresh = iter(range(1000))

        translator = Translator(settings, packages)  # long-lived, as in a run: the model loads once

        def first_run() -> None:  # the same translator with an empty cache each time
            translator.cache = TranslationCache(tmp / f"cache-{next(fresh)}.sqlite")
            translate_document(doc, translator)

        first_run()  # warm up: loads the model
        bare, ours = best_of_pair(
            args.repeat,
            lambda: bare_translator.translate_batch(
                tokenized, max_batch_size=settings.batch_size, beam_size=BEAM, length_penalty=PENALTY,
                max_decoding_length=MAX_LEN, replace_unknowns=True, return_scores=True,
            ),
            first_run,
        )  # fmt: skip
        last_cache = replace(settings, cache_path=tmp / f"cache-{next(fresh)}.sqlite")
        translate_document(doc, Translator(last_cache, packages))
        cached = best_of(args.repeat, lambda: translate_document(doc, Translator(last_cache, packages)))

        from argostranslate import package as argos_package
        from argostranslate import translate as argos_translate

        class OneSentence:
            def split_sentences(self, text: str) -> list[str]:
                return [text]

        argos_pkg = argos_package.Package(pkg.path)
        zh, en = argos_translate.Language("zh", "Chinese"), argos_translate.Language("en", "English")
        per_text = argos_translate.PackageTranslation(zh, en, argos_pkg)
        per_text.sentencizer = OneSentence()
        from argostranslate import settings as argos_settings

        argos_settings.beam_size = BEAM
        per_text.translate(sentences[0])  # loads its own CTranslate2 translator
        start = time.perf_counter()
        for s in sentences:
            per_text.translate(s)
        argos = time.perf_counter() - start

    n = len(sentences)
    print(f"{n} Chinese sentences, noise model d256 3+3 layers, beam {BEAM}, max {MAX_LEN} tokens ({os.cpu_count()} cores)")
    print(f"{'':<44}{'seconds':>9}{'sent/s':>9}{'ratio':>8}")
    for label, t in (
        ("bare ctranslate2 translate_batch", bare),
        ("lexnorm translation stage, first run", ours),
        ("lexnorm translation stage, cached re-run", cached),
        ("argostranslate translate() per sentence", argos),
    ):
        print(f"{label:<44}{t:>9.3f}{n / t:>9.1f}{t / bare:>7.2f}x")
    print(f"lexnorm / bare ctranslate2: {ours / bare:.2f}x (target <= 1.1x); cached / first run: {cached / ours:.3f}")
    print(f"argostranslate per-text / lexnorm: {argos / ours:.1f}x")
    return [
        Result("translation stage / bare CTranslate2 translate_batch", f"{ours / bare:.2f}x", "<= 1.1x", ours / bare <= 1.1),
        Result("translation: cached re-run / first run", f"{cached / ours:.3f}"),
        Result("translation: argostranslate per sentence / stage", f"{argos / ours:.1f}x"),
    ]


if __name__ == "__main__":
    main()

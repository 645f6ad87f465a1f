"""Translation stage: plumbing on a noise model, the CC-CEDICT gloss, quality flags,
and (only when a real zh->en model is available) real translation."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import SEEDS, SHARED, by_id
from stages.clauses import parse_document
from stages.language import detect_languages
from stages.quality import missing_numbers, repeated_phrase, sentence_flags
from stages.records import Document
from stages.translate import ModelRequired, TranslationSettings, Translator, translate_document


def seed_doc(key: str) -> Document:
    text = SEEDS[key].read_text(encoding="utf-8")
    doc = Document(SEEDS[key].stem, str(SEEDS[key]), "", 0, "utf-8", "ok", None, "0", datetime.now(UTC), text=text)
    return detect_languages(parse_document(doc))



@pytest.fixture(scope="module")
def zh_doc():
    return seed_doc("003")


def settings(tmp_path, package_dir=None, **kw):
    dirs = (package_dir,) if package_dir else (tmp_path / "no-packages",)
    return TranslationSettings(cache_path=tmp_path / "cache.sqlite", package_dirs=dirs, **kw)


# ------------------------------------------------------------- plumbing on the noise model


def test_noise_model_translates_every_chinese_clause_in_one_batch_call(tmp_path, package_dir, zh_doc, no_network):
    translator = Translator(settings(tmp_path, package_dir, max_decoding_length=24))
    doc = translate_document(zh_doc, translator)
    model = next(iter(translator._models.values()))
    assert model.calls == 1  # all the document's sentences in one translate_batch call
    for c in doc.clauses:
        assert c.translation_engine == "argos:translate-zh_en-noise-fixture-0.0"
        assert c.text_en is not None and len(c.sentences_en) == len(c.sentences) > 0
    assert translator.stats["translated"] == len({s for c in doc.clauses for s in c.sentences})
    assert not no_network


def test_cache_makes_a_rerun_translate_nothing(tmp_path, package_dir, zh_doc):
    first = translate_document(zh_doc, Translator(settings(tmp_path, package_dir, max_decoding_length=24)))
    again = Translator(settings(tmp_path, package_dir, max_decoding_length=24))
    second = translate_document(zh_doc, again)
    assert again.stats["translated"] == 0 and again.stats["cached"] > 0
    assert all(m.calls == 0 and m._translator is None for m in again._models.values())  # model never loaded
    assert [c.text_en for c in first.clauses] == [c.text_en for c in second.clauses]
    other = Translator(settings(tmp_path, package_dir, max_decoding_length=12))  # other settings, other key
    translate_document(zh_doc, other)
    assert other.stats["translated"] > 0


def test_settings_reach_ctranslate2_and_truncation_is_flagged(tmp_path, package_dir, zh_doc):
    doc = translate_document(zh_doc, Translator(settings(tmp_path, package_dir, max_decoding_length=8, beam_size=1)))
    flagged = [a for c in doc.clauses for a in c.anomalies if a.startswith("translation_truncated")]
    assert flagged and "8-token decoding limit" in flagged[0]
    assert all(len(s.split()) <= 8 for c in doc.clauses for s in c.sentences_en)


def test_english_clauses_keep_their_text(tmp_path, package_dir):
    doc = translate_document(seed_doc("001"), Translator(settings(tmp_path, package_dir)))
    for c in doc.clauses:
        assert c.text_en == c.text and c.translation_engine is None and c.sentences_en is None
        assert c.sentences or not c.text


# --------------------------------------------------------------------- no model: gloss


def test_without_a_model_chinese_gets_a_labelled_gloss(tmp_path, zh_doc, no_network):
    translator = Translator(settings(tmp_path))
    doc = translate_document(zh_doc, translator)
    c = by_id(doc.clauses)
    assert {x.translation_engine for x in doc.clauses} == {"gloss:cc-cedict"}
    assert "People's Republic of China" in c["8"].text_en
    assert "governing law" in c["8"].text_en
    assert translator.stats["glossed"] > 0 and translator.stats["translated"] == 0
    assert not no_network


def test_require_model_refuses_to_gloss(tmp_path, zh_doc):
    with pytest.raises(ModelRequired, match="lexnorm models install"):
        translate_document(zh_doc, Translator(settings(tmp_path, require_model=True)))


def test_language_without_any_route_is_flagged_untranslated(tmp_path, zh_doc):
    doc = replace(zh_doc, clauses=tuple(replace(c, lang="fr") for c in zh_doc.clauses[:2]))
    out = translate_document(doc, Translator(settings(tmp_path)))
    assert out.clauses[0].text_en is None and out.clauses[0].anomalies[-1].startswith("untranslated: no model")


# ----------------------------------------------------------------------- quality flags


def test_quality_flags():
    assert repeated_phrase("the fee the fee the fee is due".split()) == "the fee"
    assert repeated_phrase("a b c d e".split()) is None
    assert missing_numbers("甲方支付人民币120万元，于2025年1月1日", "Party A pays RMB 1.2 million on January 1, 2025") == []
    assert missing_numbers("支付30%的费用", "pay the fees") == ["30"]
    flags = sentence_flags(2, "费用为100元。", "fee fee fee", output_tokens=16, limit=16)
    assert [f.split(":")[0] for f in flags] == ["translation_truncated", "translation_loop", "translation_numbers"]
    assert sentence_flags(1, "费用。", "", 0, 16) == ["translation_empty: sentence 1 produced no text"]


# ------------------------------------------------------------------------- real model


def _real_model_archive() -> Path | None:
    if os.environ.get("LEXNORM_ARGOS_MODEL"):
        return Path(os.environ["LEXNORM_ARGOS_MODEL"])
    found = sorted((SHARED / "models").glob("*zh*en*.argosmodel")) if (SHARED / "models").is_dir() else []
    return found[0] if found else None


def test_real_model_translates_seed_003(tmp_path):
    from stages.models import install, installed_packages

    archive = _real_model_archive()
    if archive is not None:
        package_dirs = (tmp_path / "packages",)
        install(archive, package_dirs[0])
    elif any(p.pair == "zh->en" and "noise" not in p.code for p in installed_packages()):
        package_dirs = None
    else:
        pytest.skip(
            "no real zh->en Argos model: set LEXNORM_ARGOS_MODEL to a .argosmodel, put one in ../shared/models, "
            "or install one with `lexnorm models install`"
        )
    translator = Translator(TranslationSettings(cache_path=None, package_dirs=package_dirs))
    doc = translate_document(seed_doc("003"), translator)
    c = by_id(doc.clauses)
    assert c["8"].translation_engine.startswith("argos:") and "noise" not in c["8"].translation_engine
    assert "People's Republic of China" in c["8"].text_en
    assert "agreement" in c["7"].text_en.lower()
    assert any(w in c["9.2"].text_en.lower() for w in ("invalid", "unenforceable"))

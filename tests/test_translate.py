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
from stages.translate import ModelRequired, TranslationCache, TranslationSettings, Translator, translate_document


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


def test_a_language_without_a_model_is_said_once_per_document_not_on_every_clause(tmp_path, zh_doc):
    """No model for German or French: text_en stays empty, the document says so once in its
    warnings, no clause gets an anomaly for it, and the counts say it per language."""
    clauses = [replace(c, lang="de") for c in zh_doc.clauses[:3]] + [replace(c, lang="fr") for c in zh_doc.clauses[3:5]]
    doc = replace(zh_doc, clauses=tuple(clauses) + zh_doc.clauses[5:])
    translator = Translator(settings(tmp_path))
    with translator.counting() as counts:
        out = translate_document(doc, translator)
    assert [c.text_en for c in out.clauses[:5]] == [None] * 5
    assert not any(a.startswith("untranslated") for c in out.clauses for a in c.anomalies)
    assert out.warnings[-2:] == (
        "no translation model de→en installed: text_en left empty for 3 clause(s)",
        "no translation model fr→en installed: text_en left empty for 2 clause(s)",
    )
    assert counts["untranslated_documents"] == {"de": 1, "fr": 1}
    assert counts["untranslated_clauses"] == {"de": 3, "fr": 2}
    assert out.clauses[5].translation_engine == "gloss:cc-cedict"  # the Chinese clauses as before


def test_run_summary_names_each_language_without_a_model_once(tmp_path, zh_doc):
    """The counts of several documents add up as the flow adds them (from 0, key by key),
    and the console and Markdown summaries say per language what is left untranslated."""
    from lexnorm.output.summary import DocumentReport, RunResult, console, markdown
    from stages.translate import COUNTS

    translator = Translator(settings(tmp_path))
    totals, reports = dict.fromkeys(COUNTS, 0), []
    for i, langs in enumerate((["de"] * 4, ["de", "fr"], ["de"] * 2)):
        clauses = tuple(replace(c, lang=lang) for c, lang in zip(zh_doc.clauses, langs))
        with translator.counting() as counts:
            out = translate_document(replace(zh_doc, doc_id=f"doc{i}", clauses=clauses), translator)
        for key, n in counts.items():
            totals[key] += n
        reports.append(DocumentReport.of(out))
    result = RunResult(reports, {}, {}, totals, {"new": ["doc0", "doc1", "doc2"]}, {})
    line = "no model for de (3 documents, 7 clauses), fr (1 document, 1 clause): text_en left empty; install a model"
    text = console(result)
    assert text.count("no model for") == 1 and "translation: none; 0 sentence(s) translated" in text
    assert line in text and line in markdown(result)
    assert "no translation model de→en installed: text_en left empty for 4 clause(s)" in text  # the document's note


# ------------------------------------------------------------------ a damaged cache


def quick(tmp_path, package_dir):
    """Settings that keep the noise model's work small (short greedy decoding)."""
    return settings(tmp_path, package_dir, max_decoding_length=8, beam_size=1)


def _corrupt_pages(path: Path) -> None:
    """A real cache whose pages past the first are overwritten: SQLite opens it, and fails
    only when a query reads them."""
    import sqlite3

    with sqlite3.connect(path) as db:  # all in the main file (none left in the WAL)
        db.execute("pragma wal_checkpoint(truncate)")
    data = bytearray(path.read_bytes())
    assert len(data) > 3 * 4096
    data[4096:] = b"\x55" * (len(data) - 4096)
    path.write_bytes(bytes(data))


def _wrong_table(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute(f"create table {TranslationCache.TABLE} (source text, english text)")


DAMAGE = {
    "garbage": lambda path: path.write_bytes(b"this is not a database\n" * 400),
    "cut short": lambda path: path.write_bytes(b"SQLite format 3\x00" + bytes(84) + b"\x01" * 3000),
    "wrong table": _wrong_table,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_cache_is_moved_aside_said_once_and_rebuilt(tmp_path, package_dir, zh_doc, caplog, damage):
    """Garbage in the cache failed every later run with sqlite3.DatabaseError."""
    cache = tmp_path / "cache.sqlite"
    DAMAGE[damage](cache)
    expected = translate_document(zh_doc, Translator(replace(quick(tmp_path, package_dir), cache_path=None)))
    with caplog.at_level("WARNING", logger="lexnorm.translate"):
        translator = Translator(quick(tmp_path, package_dir))
        doc = translate_document(zh_doc, translator)
    assert [c.text_en for c in doc.clauses] == [c.text_en for c in expected.clauses]
    warned = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert len(warned) == 1 and "moved aside" in warned[0]
    assert len(list(tmp_path.glob("cache.sqlite.damaged-*"))) == 1
    again = Translator(quick(tmp_path, package_dir))  # the new cache holds this run's translations
    translate_document(zh_doc, again)
    assert again.stats["translated"] == 0 and again.stats["cached"] == translator.stats["translated"] > 0


def test_a_cache_whose_pages_are_corrupt_is_replaced_when_met(tmp_path, package_dir, zh_doc, caplog):
    """Corruption past the header shows only when the pages are read, mid-run."""
    translate_document(zh_doc, Translator(quick(tmp_path, package_dir)))
    _corrupt_pages(tmp_path / "cache.sqlite")
    with caplog.at_level("WARNING", logger="lexnorm.translate"):
        translator = Translator(quick(tmp_path, package_dir))
        doc = translate_document(zh_doc, translator)
    assert all(c.text_en for c in doc.clauses if c.text)
    assert len([r for r in caplog.records if "moved aside" in r.getMessage()]) == 1
    again = Translator(quick(tmp_path, package_dir))
    translate_document(zh_doc, again)
    assert again.stats["translated"] == 0 and again.stats["cached"] > 0


def test_a_locked_or_unreachable_cache_does_not_stop_translation(tmp_path, package_dir, zh_doc, caplog, monkeypatch):
    """Another process holding the cache's write lock, or a cache path that cannot be
    created: translate without the cache, with one warning, and leave the file alone."""
    import sqlite3

    monkeypatch.setattr(TranslationCache, "TIMEOUT", 0.2)
    TranslationCache(tmp_path / "cache.sqlite").put("m", "d", [("source", "target", 1, 1.0)])
    holder = sqlite3.connect(tmp_path / "cache.sqlite", isolation_level=None)
    holder.execute("begin exclusive")  # another process writing: it can be read, not written
    try:
        with caplog.at_level("WARNING", logger="lexnorm.translate"):
            translator = Translator(quick(tmp_path, package_dir))
            doc = translate_document(zh_doc, translator)
    finally:
        holder.execute("rollback")
        holder.close()
    assert all(c.text_en for c in doc.clauses if c.text) and translator.stats["translated"] > 0
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and "cannot be used" in warned[0] and "locked" in warned[0]
    assert not list(tmp_path.glob("*.damaged-*"))
    assert len(TranslationCache(tmp_path / "cache.sqlite")) == 1  # what it held is still there

    (tmp_path / "a-file").write_text("x")
    caplog.clear()
    with caplog.at_level("WARNING", logger="lexnorm.translate"):
        nowhere = Translator(replace(quick(tmp_path, package_dir), cache_path=tmp_path / "a-file" / "cache.sqlite"))
        doc = translate_document(zh_doc, nowhere)
    assert all(c.text_en for c in doc.clauses if c.text)
    assert len(caplog.records) == 1 and "cannot be used" in caplog.records[0].getMessage()


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


# ------------------------------------------------------- a real run: the command line

GERMAN = """DIENSTLEISTUNGSVERTRAG

1. Gegenstand des Vertrages
Der Auftragnehmer verpflichtet sich, für den Auftraggeber die in der Anlage beschriebenen Leistungen zu erbringen.

2. Vergütung
2.1 Der Auftraggeber zahlt dem Auftragnehmer für seine Leistungen eine monatliche Vergütung von 5.000 Euro.
2.2 Die Rechnungen sind innerhalb von dreißig Tagen nach Zugang ohne Abzug zu bezahlen.

3. Vertraulichkeit
Die Parteien verpflichten sich, alle vertraulichen Informationen der anderen Partei geheim zu halten.

4. Anwendbares Recht
Dieser Vertrag unterliegt dem Recht der Bundesrepublik Deutschland. Gerichtsstand ist Berlin.
"""

FRENCH = """CONTRAT DE PRESTATION DE SERVICES

1. Objet du contrat
Le prestataire s'engage à fournir au client les services décrits dans l'annexe du présent contrat.

2. Rémunération
Le client verse au prestataire une rémunération mensuelle de 5 000 euros, payable dans les trente jours.

3. Droit applicable
Le présent contrat est régi par le droit français. Tout litige relève des tribunaux de Paris.
"""


def test_lexnorm_run_with_a_damaged_cache_and_languages_without_a_model(tmp_path):
    """`lexnorm run` (a real flow run, one worker process) on a German and a French
    agreement, no model installed, garbage in the translation cache: the run completes,
    says once that the cache was damaged and once per language that text_en is empty."""
    import subprocess
    import sys

    import pandas as pd

    from conftest import REPO

    raw, out, packages = tmp_path / "raw", tmp_path / "out", tmp_path / "no-packages"
    raw.mkdir()
    packages.mkdir()
    (raw / "vertrag_de.txt").write_text(GERMAN, encoding="utf-8")
    (raw / "contrat_fr.txt").write_text(FRENCH, encoding="utf-8")
    cache = out / ".lexnorm-cache" / "translations.sqlite"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(bytes(range(256)) * 12)
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(packages), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out), "--workers", "1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert (proc.stderr + proc.stdout).count("is damaged (file is not a database): moved aside") == 1
    assert len(list(cache.parent.glob("translations.sqlite.damaged-*"))) == 1
    summary = [line for line in proc.stdout.splitlines() if line.startswith("translation: ")]
    assert len(summary) == 1 and "no model for de (1 document, " in summary[0] and "), fr (1 document, " in summary[0]
    assert "text_en left empty; install a model with `lexnorm models install" in summary[0]
    clauses = pd.read_parquet(out / "clauses.parquet")
    assert set(clauses.lang) == {"de", "fr"} and clauses.text_en.isna().all()
    assert not any(a.startswith("untranslated") for anomalies in clauses.anomalies for a in anomalies)
    documents = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    n_de = int((clauses.doc_id == "vertrag_de").sum())
    assert list(documents.loc["vertrag_de", "warnings"]) == [
        f"no translation model de→en installed: text_en left empty for {n_de} clause(s)"
    ]


def test_per_language_counts_sum_with_plain_counts_in_any_order():
    """The flow sums each document's counts into the run's totals with `+=`: a document
    with no untranslated language contributes a plain 0, before or after one that has."""
    from stages.translate import ByLanguage

    total = 0
    for counts in (0, ByLanguage(de=2), 0, ByLanguage(de=1, fr=3), 0):
        total += counts
    assert total == ByLanguage(de=3, fr=3) and isinstance(total, ByLanguage)

"""Parser against the verified counts in ../shared/corpus/SOURCES.md (skipped without it)."""

from __future__ import annotations

import re
from collections import Counter

from conftest import by_id


def articles(clauses):
    return [c.clause_id for c in clauses if re.fullmatch(r"art\d+", c.clause_id)]


def test_pipl_chinese_articles_chapters_sections_items(corpus_clauses):
    clauses = corpus_clauses("cn_pipl_zh.txt")
    assert articles(clauses) == [f"art{n}" for n in range(1, 75)]
    assert [c.clause_id for c in clauses if c.level == 1] == [f"ch{n}" for n in range(1, 9)]
    assert [c.clause_id for c in clauses if ".sec" in c.clause_id] == ["ch2.sec1", "ch2.sec2", "ch2.sec3"]
    items = [c for c in clauses if re.fullmatch(r"art\d+\(\d+\)", c.clause_id)]
    assert len(items) == 62
    c = by_id(clauses)
    assert c["art13"].parent_id == "ch2.sec1" and c["art13(1)"].label == "（一）"
    assert c["ch1"].heading == "总则"
    assert c["art3"].text.count("\n") >= 1  # R7: the second paragraph stays in the article


def test_pipl_english_skips_contents_and_matches_chinese(corpus_clauses):
    en = corpus_clauses("cn_pipl_en.txt")
    zh = corpus_clauses("cn_pipl_zh.txt")
    assert articles(en) == [f"art{n}" for n in range(1, 75)]
    assert [c.clause_id for c in en if c.level == 1] == [f"ch{n}" for n in range(1, 9)]
    assert Counter(c.clause_id for c in en) == Counter(c.clause_id for c in zh)  # same skeleton, 1:1
    c = by_id(en)
    assert c["preamble"].text.count("Chapter") == 8  # the Contents block stays in the preamble
    assert c["ch1"].heading == "General Provisions" and c["ch2.sec1"].heading == "General Rules"


def test_civil_code_articles_books_parts_chapters(corpus_clauses):
    clauses = corpus_clauses("cn_civil_code_zh.txt")
    assert articles(clauses) == [f"art{n}" for n in range(1, 1261)]
    assert [c.clause_id for c in clauses if c.level == 1] == [f"book{n}" for n in range(1, 8)] + ["supp"]
    chapters = [c for c in clauses if re.fullmatch(r"book\d\.ch\d+", c.clause_id)]
    assert len(chapters) == 84
    assert len([c for c in clauses if ".sec" in c.clause_id]) == 37
    assert len([c for c in clauses if re.fullmatch(r"book\d\.part\d", c.clause_id)]) == 8
    c = by_id(clauses)
    assert c["book2.ch4"].parent_id == "book2.part2"  # chapters run on across a book's parts
    assert c["art1259"].parent_id == "supp" and c["supp"].heading == "附则"
    book_of = {}
    for x in clauses:
        if x.clause_id.startswith("art") and "(" not in x.clause_id:
            node = x
            while node.parent_id:
                node = c[node.parent_id]
            book_of[int(x.clause_id[3:])] = node.clause_id
    assert book_of[204] == "book1" and book_of[205] == "book2" and book_of[988] == "book3" and book_of[1258] == "book7"


def test_cuad_endorsement_sections(corpus_clauses):
    clauses = corpus_clauses("en_cuad_endorsement_womensgolf.txt")
    top = [c.clause_id for c in clauses if c.level == 1 and not c.clause_id.startswith("rec")]
    assert top[:11] == [str(n) for n in range(1, 12)]
    assert len([c for c in clauses if re.fullmatch(r"\d+\.\d+", c.clause_id)]) == 38
    assert len([c for c in clauses if re.fullmatch(r"\d+\.\d+\.\d+", c.clause_id)]) == 11
    c = by_id(clauses)
    assert c["11.1"].label == "11.1." and c["11.4"].parent_id == "11"
    assert [k for k in c if k.startswith("exhA(") and k.count("(") == 1] == [f"exhA({x})" for x in "abcdefg"]
    assert [k for k in c if k.startswith("exhA(b)(")] == [f"exhA(b)({r})" for r in ("i", "ii", "iii", "iv")]


def test_cuad_hosting_glued_heading_and_exhibit(corpus_clauses):
    clauses = corpus_clauses("en_cuad_hosting_inktomi.txt")
    c = by_id(clauses)
    top = [x.clause_id for x in clauses if x.level == 1 and not x.clause_id.startswith(("exh", "rec"))]
    assert top == [str(n) for n in range(1, 14)]
    assert c["10"].heading == "Termination and Other Remedies"  # glued to the end of the 9 paragraph
    assert len([x for x in clauses if re.fullmatch(r"\d+\.\d+", x.clause_id)]) == 60
    assert len([x for x in clauses if re.fullmatch(r"\d+\.\d+\.\d+", x.clause_id)]) == 15
    assert c["exhA.1"].parent_id == "exhA"  # the exhibit's own numbering stays apart


def test_chinese_platform_agreement_flags_the_repeated_5_2(corpus_clauses):
    clauses = corpus_clauses("zh_tos_payee_platform.txt")
    assert [c.clause_id for c in clauses if c.level == 1] == [str(n) for n in range(1, 10)]
    assert len([c for c in clauses if re.fullmatch(r"\d+\.\d+(#\d+)?", c.clause_id)]) == 39
    c = by_id(clauses)
    assert "5.2#2" in c and c["5.2#2"].parent_id == "5"
    assert [a.split(":")[0] for a in c["5.2#2"].anomalies] == ["duplicate_number", "duplicate_text"]
    assert c["1"].heading == "总则"


def test_samr_model_contract_articles(corpus_clauses):
    clauses = corpus_clauses("zh_contract_samr_data_processing_gf2025_2616.txt")
    assert articles(clauses) == [f"art{n}" for n in range(1, 19)]
    c = by_id(clauses)
    assert c["art2(1)"].label == "1." and c["art2(1)(1)"].label == "（1）"
    assert len([x for x in clauses if x.label and re.fullmatch(r"\d+\.", x.label)]) == 54
    assert len([x for x in clauses if x.label and re.fullmatch(r"（\d+）", x.label)]) == 28
    # the instructions before 第一条 (使用说明, 特别提示) are front matter: the preamble
    assert "使用说明" in c["preamble"].text and "特别提示" in c["preamble"].text


def test_data_security_law(corpus_clauses):
    clauses = corpus_clauses("cn_dsl_zh.txt")
    assert articles(clauses) == [f"art{n}" for n in range(1, 56)]
    assert len([c for c in clauses if c.level == 1]) == 7

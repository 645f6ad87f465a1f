"""Supplementary blocks (R13), ranges of deleted articles (R10), statute contents blocks with
article ranges (R14) in Japanese and Chinese, and the warnings that say a parse looks wrong
(stages/plausibility.py). Real-document checks skip without ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS

from stages import layout
from stages.clauses import build_clauses
from stages.plausibility import contents_warnings, label_form, nesting_warnings
from stages.records import Clause

DEV = CORPUS / "dev"


def _tree(text: str) -> dict[str, str | None]:
    clauses, _ = build_clauses("t", text)
    return {c.clause_id: c.parent_id for c in clauses}


def _warnings(text: str) -> list[str]:
    return build_clauses("t", text)[1]


# ------------------------------------------------------------------ R13 supplementary blocks

JA_SEVERAL = """第一条　この法律は、発明を保護する。
第二条　この法律で「発明」とは、創作をいう。
附　則
この法律の施行期日は、別に法律で定める。
附　則　（昭和三七年五月一六日法律第一四〇号）　抄
１　この法律は、昭和三十七年十月一日から施行する。
附　則　（平成五年四月二三日法律第二六号）
第一条　この法律は、公布の日から施行する。
第二条　この法律の施行前の行為については、なお従前の例による。
"""


def test_several_japanese_supplementary_blocks_are_numbered_and_restart_their_articles():
    tree = _tree(JA_SEVERAL)
    assert [k for k in tree if k != "preamble"] == [
        "art1", "art2", "supp1", "supp2", "supp3", "supp3.art1", "supp3.art2",
    ]  # fmt: skip
    assert tree["supp3.art1"] == "supp3" and tree["supp1"] is None
    clauses, _ = build_clauses("t", JA_SEVERAL)
    by = {c.clause_id: c for c in clauses}
    assert by["supp2"].heading == "附則"  # the amending act's citation stays text
    assert "法律第一四〇号" in by["supp2"].text
    assert not any(c.anomalies for c in clauses)  # a restart inside its block is no disorder


def test_a_single_chinese_supplementary_block_keeps_the_laws_numbering():
    text = "第一章　总则\n第一条　甲。\n第二条　乙。\n附　则\n第三条　本法自公布之日起施行。\n"
    tree = _tree(text)
    assert tree["supp"] is None and tree["art3"] == "supp"


def test_a_single_block_that_restarts_its_articles_scopes_them():
    text = "第一条　甲。\n第二条　乙。\n附則\n第一条　この法律は、公布の日から施行する。\n第二条　経過措置。\n"
    tree = _tree(text)
    assert tree["supp.art1"] == "supp" and tree["supp.art2"] == "supp" and "art1#2" not in tree


def test_a_sentence_about_the_supplementary_provisions_is_no_heading():
    tree = _tree("第一条　甲。\n附則の規定は、なお効力を有する。\n第二条　乙。\n")
    assert set(tree) == {"art1", "art2"}


# ------------------------------------------------------------------ R10 ranges of deleted articles


def test_a_range_of_deleted_articles_is_one_clause_and_the_next_continues_after_it():
    text = "第五十四条　甲。\n第五十五条から第六十三条まで　削除\n第六十四条　乙。\n第百二十九条及び第百三十条　削除\n第百三十一条　丙。\n"
    clauses, _ = build_clauses("t", text)
    by = {c.clause_id: c for c in clauses}
    assert list(by) == ["art54", "art55-63", "art64", "art129-130", "art131"]
    assert by["art55-63"].text == "削除" and by["art55-63"].label == "第五十五条から第六十三条まで"
    assert by["art64"].anomalies == ()  # continues after 63
    assert by["art129-130"].anomalies == ("number_gap: expected 65, found 129",)
    assert by["art131"].anomalies == ()


def test_a_chinese_range_stub_is_one_clause():
    tree = _tree("第四条　甲。\n第五条至第八条　删去\n第九条　乙。\n")
    assert list(tree) == ["art4", "art5-8", "art9"]


def test_a_sentence_citing_a_range_is_no_label():
    tree = _tree("第一条　甲。\n第二条から第三条までの規定は、適用しない。\n第二条　乙。\n")
    assert list(tree) == ["art1", "art2"]


# ------------------------------------------------------------------ R14 statute contents


JA_CONTENTS = """特許法
目次
　第一章　総則（第一条―第二条）
　第二章　特許（第三条―第四条）
　附則

第一章　総則
第一条　甲。
第二条　乙。
第二章　特許
第三条　丙。
第四条　丁。
附　則
この法律は、公布の日から施行する。
"""

ZH_CONTENTS = """某某法
目录
第一章　总则（第一条至第二条）
第二章　监督（第三条至第四条）
附　则

第一章　总则
第一条　甲。
第二条　乙。
第二章　监督
第三条　丙。
第四条　丁。
附　则
第五条　本法自公布之日起施行。
"""


@pytest.mark.parametrize("text", [JA_CONTENTS, ZH_CONTENTS], ids=["目次", "目录"])
def test_a_contents_block_with_article_ranges_makes_no_clauses(text):
    clauses, warnings = build_clauses("t", text)
    ids = [c.clause_id for c in clauses]
    assert ids[:3] == ["preamble", "ch1", "ch1.art1"] or ids[:3] == ["preamble", "ch1", "art1"]
    assert not any("#" in i for i in ids) and ids.count("ch2") == 1
    assert "supp" in ids and not warnings
    assert "目" in clauses[0].text  # the contents stay in the preamble's text


def test_article_range_tail_is_a_located_entry():
    assert layout.paged_entry("　第九章　特例（第百八十四条の三―第百八十四条の二十）")
    assert layout.paged_entry("第二章　一般规定（第九条至第二十条）")
    assert layout.paged_entry("Chapter 2 Scope (Articles 3-7)")
    assert not layout.paged_entry("（目的）")
    assert not layout.paged_entry("the parties agree for the period (2020-2021)")


# ------------------------------------------------------------------ plausibility


def test_a_tree_that_reads_well_has_no_warnings():
    assert _warnings(JA_SEVERAL) == [] and _warnings("1. Term\nOne year.\n2. Fees\n(a) monthly;\n(b) in advance.\n") == []


def test_a_long_clause_holding_unread_labels_is_reported():
    body = "".join(f"({n}) Recital number {n} explains the purpose of this act at some length.\n" for n in range(1, 9))
    text = "REGULATION OF THE PARLIAMENT\nConsidering the following:\n" + body + "Therefore:\n" + "".join(
        f"Article {n}\nShort.\n" for n in range(1, 5)
    )
    warnings = _warnings(text)
    assert len(warnings) == 1 and "clause preamble holds" in warnings[0] and "8 lines" in warnings[0]
    assert "(1) Recital number 1" in warnings[0]


def test_label_lines_that_made_no_clause_are_reported():
    text = "AGREEMENT\nINTRODUCTION\nA. The Company makes things.\nB. The Partner sells things.\nC. They agree.\n" + "".join(
        f"{n}. Clause {n}\nText of clause {n} that runs on for a while to be a clause of its own.\n" for n in range(1, 4)
    )
    warnings = _warnings(text)
    assert len(warnings) == 1 and warnings[0].startswith("implausible tree: 3 lines that start with a label made no clause")
    assert "line 3" in warnings[0]


def _chain(*labels: str) -> list[Clause]:
    """Each clause the child of the one before, labelled as given."""
    out, parent = [], None
    for k, label in enumerate(labels):
        clause_id = f"{parent or ''}{label}"
        out.append(Clause("t", clause_id, parent, k + 1, k, label, False, None, "x", None, k, k + 1, ()))
        parent = clause_id
    return out


def test_a_list_form_nested_four_deep_is_reported():
    warnings = nesting_warnings(_chain("1.", "(a)", "(ii)", "(c)", "(iv)"))
    assert len(warnings) == 1 and "nests the list form (a) 4 levels deep" in warnings[0] and "1.(a)(ii)(c)(iv)" in warnings[0]
    assert nesting_warnings(_chain("1.", "(a)", "(i)", "(A)", "(1)", "(b)")) == []  # three deep, forms alternate
    assert label_form("(iv)") == label_form("(b)") == "(a)" and label_form("（三）") == "（一）" and label_form("(B)") == "(A)"


def _clauses_at(text: str, *line_numbers: int) -> list[Clause]:
    """Clauses starting at the given lines (1-based) of `text`, the first at 0: a tree as a
    parser that missed the contents would make it."""
    offsets = [0]
    for line in text.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)
    starts = [0] + [offsets[n - 1] for n in line_numbers]
    ends = starts[1:] + [len(text)]
    return [
        Clause("t", f"c{k}", None, 1, k, None, False, None, text[a:b], None, a, b, ())
        for k, (a, b) in enumerate(zip(starts, ends))
    ]


def test_a_contents_title_whose_entries_became_clauses_is_reported():
    text = "Example Act\nContents\nPart I—Preliminary\n1 Short title\nPart II—Rules\n2 Rules\nPart I—Preliminary\n"
    read_wrongly = _clauses_at(text, 3, 5, 7)
    assert contents_warnings(text, read_wrongly, []) == [
        "implausible tree: the contents title at line 2 ('Contents') was not read as a table of contents; its "
        "entries became clauses"
    ]
    assert contents_warnings(text, _clauses_at(text, 7), []) == []  # the table was dropped: its lines start nothing


def test_a_contents_caption_over_prose_says_nothing():
    text = "1. Report\nContents\n(1) The Commissioner shall, within one year, prepare a report that contains findings.\n2. Other\nText.\n"
    assert _warnings(text) == []


def test_many_duplicate_ids_are_reported_but_one_slip_is_not():
    one = "".join(f"{n}. Clause {n}\nText.\n" for n in (1, 2, 3, 3, 4, 5))
    assert _warnings(one) == []
    many = "1. Fees\n(a) one;\n(a) two;\n(a) three;\n(a) four.\n2. Term\nOne year.\n"
    assert any("clause ids are duplicates" in w for w in _warnings(many))


def test_plausibility_is_linear_on_one_long_line():
    text = "(1) a " * 20000 + "\n" + "Contents\n" * 3000
    clauses, warnings = build_clauses("t", text)  # a hang would fail the suite's timeout
    assert clauses


# ------------------------------------------------------------------ real documents

needs_corpus = pytest.mark.skipif(not DEV.is_dir(), reason="needs ../shared/corpus/dev (the dev corpus)")


def _real(path: Path):
    return build_clauses(path.stem, path.read_text(encoding="utf-8"))


@needs_corpus
def test_japanese_patent_act_supplementary_blocks_ranges_and_contents():
    clauses, warnings = _real(DEV / "ja_patent_act_egov.txt")
    ids = [c.clause_id for c in clauses]
    blocks = [i for i in ids if i.startswith("supp") and "." not in i]
    assert blocks == [f"supp{k}" for k in range(1, 71)]
    assert "art55-63" in ids and "art129-130" in ids and "art64" in ids
    main = [i for i in ids if i.startswith("art")]
    assert len(main) == 302 and not any("#" in i for i in ids)
    assert sum(1 for i in ids if ".art" in i) == 158  # the article headings inside 附則
    assert ids.count("sch") == 1 and not warnings


@needs_corpus
@pytest.mark.parametrize(
    "path",
    [DEV / "cn_criminal_law_zh.txt", DEV / "tw_personal_data_protection_act_zh.txt", CORPUS / "cn_civil_code_zh.txt",
     CORPUS / "cn_pipl_zh.txt", CORPUS / "cn_pipl_en.txt"],
    ids=lambda p: p.stem,
)  # fmt: skip
def test_chinese_statutes_parse_without_warnings(path):
    clauses, warnings = _real(path)
    assert warnings == [] and not any("#" in c.clause_id for c in clauses)


@needs_corpus
def test_criminal_law_supplementary_article_keeps_the_laws_number():
    clauses, _ = _real(DEV / "cn_criminal_law_zh.txt")
    by = {c.clause_id: c for c in clauses}
    assert by["art452"].parent_id == "supp"


@needs_corpus
@pytest.mark.parametrize("name", sorted(p.name for p in DEV.glob("*") if p.suffix in (".txt", ".md") and p.stem != "SOURCES"))
def test_documents_parsed_right_have_no_warnings(name):
    """Every dev document now parses exactly (tests/test_dev_corpus.py): none may warn. Until
    each was fixed, each had its warning (the Australian act's duplicate ids, PIPEDA's list
    nested in itself, the azul contract's duplicates); the warnings themselves are tested on
    made-up texts above."""
    _, warnings = _real(DEV / name)
    assert warnings == []

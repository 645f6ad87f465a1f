"""docs/clause-ids.md rule by rule, on small texts written for each case."""

from __future__ import annotations

import pytest

from conftest import by_id, parse_text
from stages.numbering import han_to_int, nfkc_view, scan_line


def ids(text: str) -> list[str]:
    return [c.clause_id for c in parse_text(text)]


# ------------------------------------------------------------------ R1 decimal numbers


def test_r1_decimal_levels_parents_and_leading_zeros():
    c = by_id(parse_text("1. Scope\n1.1 a\n1.2 b\n1.2.1 c\n2. Next\nSection 2.03 d\n"))
    assert c["1.2.1"].parent_id == "1.2" and c["1.2.1"].level == 3
    assert c["2.3"].label == "Section 2.03" and c["2.3"].parent_id == "2"


def test_r1_trailing_dot_comma_and_number_alone_on_its_line():
    c = by_id(parse_text("1. A\n1.1. First with dot\n1.2, second with comma\n1.3\nBody on the next line.\n"))
    assert c["1.1"].label == "1.1." and c["1.2"].label == "1.2," and c["1.3"].text == "Body on the next line."


@pytest.mark.parametrize(
    "sentence",
    [
        "The service is available 99.9% of each month.",
        "Late payments bear interest at 1.5% per month.",
        "Refunds are handled as described, see Section 3.01 below.",
        "The fee is 2.5 per cent of the amount.",
    ],
)
def test_r1_numbers_inside_sentences_never_start_a_clause(sentence):
    text = f"1. Payment\n1.1 First.\n{sentence}\n1.2 Second.\n"
    assert ids(text) == ["1", "1.1", "1.2"]


def test_r1_mid_line_number_counts_only_when_expected_next():
    assert ids("1. A\n1.1 x\nSpecial notes for 1.2 Minors\n1.2.1 y\n") == ["1", "1.1", "1.2", "1.2.1"]
    # 1.5 is not the number expected after 1.1: it stays text
    assert ids("1. A\n1.1 x\nSpecial notes for 1.5 Minors\n1.2 y\n") == ["1", "1.1", "1.2"]


# --------------------------------------------------------------- R2 Chinese N、 lists


def test_r2_chinese_list_restarting_inside_a_clause_nests():
    c = by_id(parse_text("1、总则\n内容。\n2、义务\n1、不得利用本服务危害国家安全；\n2、不得传播违法信息。\n3、其他\n内容。\n"))
    assert [k for k in c] == ["1", "2", "2.1", "2.2", "3"]
    assert c["2.2"].parent_id == "2" and c["2.1"].label == "1、"


def test_r2_chinese_numeral_comma_and_paren_items():
    c = by_id(parse_text("一、总则\n（一）第一项；\n（二）第二项；\n二、附则\n"))
    assert list(c) == ["1", "1(1)", "1(2)", "2"]
    assert c["1(1)"].label == "（一）"


# --------------------------------------------------------------------- R3 list items


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. A\n(1) x\n(2) y\n", ["1", "1(1)", "1(2)"]),
        ("1. A\n- (1) x\n- (2) y\n", ["1", "1(1)", "1(2)"]),
        ("1. A\n(a) x\n(b) y\n", ["1", "1(a)", "1(b)"]),
        ("1. A\n(a) x\n(i) one\n(ii) two\n(iv) four\n", ["1", "1(a)", "1(a)(i)", "1(a)(ii)", "1(a)(iv)"]),
        ("1. A\n（1）全角\n（2）全角\n", ["1", "1(1)", "1(2)"]),
        ("1. A\n（一）甲\n（三）丙\n", ["1", "1(1)", "1(3)"]),
        ("1. A\n１．全角数字\n２．全角数字\n", ["1", "1(1)", "1(2)"]),
        ("1. A\n① 甲\n② 乙\n", ["1", "1(1)", "1(2)"]),
        ("1. Terms\n  1. indented\n  2. list\n2. Next\n", ["1", "1(1)", "1(2)", "2"]),
        ("1. A\n(A) upper\n(B) case\n", ["1", "1(a)", "1(b)"]),
    ],
)
def test_r3_list_items(text, expected):
    assert ids(text) == expected


def test_r3_roman_i_after_h_is_the_letter_i():
    text = "1. A\n" + "".join(f"({ch}) item\n" for ch in "abcdefghij")
    assert ids(text)[-3:] == ["1(h)", "1(i)", "1(j)"]


# ------------------------------------------------------------------------ R4 and R5


def test_r4_bullet_where_a_number_is_missing():
    c = by_id(parse_text("1. A\n- (1) one\n- (2) two\n- missing three\n- (4) four\n"))
    assert c["1(3)"].number_inferred and c["1(3)"].label == "-"
    assert c["1(4)"].parent_id == "1"


def test_r5_bullets_get_bracketed_ordinals_and_nest_by_indentation():
    text = "1. A\n• one\n  • one-a\n  • one-b\n• two\n"
    assert ids(text) == ["1", "1[1]", "1[1][1]", "1[1][2]", "1[2]"]


def test_r5_document_without_numbers():
    text = "Heading One\n\n  • a\n    • a1\n  • b\n\nHeading Two\n\n  • c\n"
    assert ids(text) == ["[1]", "[1][1]", "[1][1][1]", "[1][2]", "[2]", "[2][1]"]


# ----------------------------------------------------------------------- R6 statutes


def test_r6_chinese_statute_divisions():
    text = "第一编　总则\n第一章 基本规定\n第一条 目的。\n第二章 自然人\n第一节 能力\n第二条 权利。\n（一）甲；\n第二编 物权\n第一分编 通则\n第一章 一般\n第三条 物权。\n"
    c = by_id(parse_text(text))
    assert list(c) == [
        "book1", "book1.ch1", "art1", "book1.ch2", "book1.ch2.sec1", "art2", "art2(1)", "book2", "book2.part1",
        "book2.ch1", "art3",
    ]  # fmt: skip
    assert c["art2"].parent_id == "book1.ch2.sec1" and c["book2.ch1"].parent_id == "book2.part1"
    assert c["book1"].label == "第一编" and c["book1"].heading == "总则"


def test_r6_english_articles_roman_and_decimals_under_them():
    text = "ARTICLE I DEFINITIONS\n1.1 Terms.\n1.2 More.\nARTICLE II SERVICES\n2.1 Scope.\nArticle 3 Fees\n"
    c = by_id(parse_text(text))
    assert list(c) == ["art1", "1.1", "1.2", "art2", "2.1", "art3"]
    assert c["1.1"].parent_id == "art1" and c["2.1"].parent_id == "art2"


def test_r6_references_to_articles_are_not_labels():
    text = "第一条 依照本法第十二条规定。\n第十二条规定的情形除外。\n第二条 其他。\n"
    assert ids(text) == ["art1", "art2"]


# -------------------------------------------------------------------- R0, R7, R8


def test_r0_preamble_and_table_of_contents():
    text = "AGREEMENT\nTable of Contents\n1. Definitions\n2. Fees\n3. Term\n\n1. Definitions\nText.\n2. Fees\nText.\n3. Term\nText.\n"
    clauses = parse_text(text)
    assert [c.clause_id for c in clauses] == ["preamble", "1", "2", "3"]
    assert "Table of Contents" in clauses[0].text and clauses[0].text.count("Fees") == 1


def test_r7_unlabelled_paragraphs_belong_to_the_clause_they_follow():
    c = by_id(parse_text("1. A\nFirst paragraph.\n\nSecond paragraph.\n2. B\n"))
    assert c["1"].text == "A\nFirst paragraph.\nSecond paragraph."


def test_r8_headings():
    c = by_id(parse_text("1. Account\n1.1 You must register.\n1.2 Account Security.\nKeep it safe.\n"))
    assert c["1"].heading == "Account" and c["1.2"].heading == "Account Security"
    assert c["1.1"].heading is None


# ----------------------------------------------------------------------- anomalies


def test_duplicates_are_made_unique_and_recorded():
    c = by_id(parse_text("1. A\n1.1 x\n1.2 y\n1.2 y again\n1.3 z\n"))
    assert "1.2#2" in c and c["1.2#2"].anomalies[0].startswith("duplicate_number: 1.2")
    assert not c["1.3"].anomalies


def test_gaps_and_backward_numbers_are_recorded_not_dropped():
    c = by_id(parse_text("1. A\n2. B\n4. D\n3. C\n"))
    assert list(c) == ["1", "2", "4", "3"]
    assert c["4"].anomalies[0].startswith("number_gap:") and c["3"].anomalies[0].startswith("out_of_order:")


def test_deep_nesting():
    deep = ".".join(["1"] * 12)
    text = "".join(".".join(["1"] * n) + (". x\n" if n == 1 else " x\n") for n in range(1, 13))
    c = by_id(parse_text(text))
    assert c[deep].level == 12


# ------------------------------------------------------------------- grammar pieces


def test_chinese_numerals():
    assert [han_to_int(s) for s in ("一", "十", "十二", "二十", "一百零一", "一千二百六十", "两")] == [
        1, 10, 12, 20, 101, 1260, 2,
    ]  # fmt: skip


def test_nfkc_view_maps_back_to_original_offsets():
    view, index = nfkc_view("（１）全角")
    assert view.startswith("(1)")
    assert index[view.index(")")] == 2
    label = scan_line("（１）全角", 100)[0]
    assert (label.start, label.end, label.text) == (100, 103, "（１）")

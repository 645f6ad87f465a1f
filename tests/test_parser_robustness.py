"""The clause parser never crashes, never goes quadratic and never recurses with the size
of a document: numerals it cannot read are text, one line can be a whole document, a
list can restart fifty thousand times. Every input still partitions into clause spans."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_coverage import assert_partition

from conftest import REPO, by_id, parse_text
from stages.alignment import numbers
from stages.gloss import _render_protected
from stages.numbering import han_to_int, nfkc_view, scan_line

# ------------------------------------------------------------------ 1. numerals

_DIGITS = "〇一二三四五六七八九"


def japanese(n: int) -> str:
    """Japanese statute style below 10000: no 一 before a unit, no zeros (千三百五 = 1305)."""
    out = []
    for unit, mark in ((1000, "千"), (100, "百"), (10, "十")):
        d, n = divmod(n, unit)
        if d:
            out.append(("" if d == 1 else _DIGITS[d]) + mark)
    return "".join(out) + (_DIGITS[n] if n else "")


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("百十八", 118), ("百二十一", 121), ("千三百二十六", 1326), ("百", 100), ("千", 1000), ("十", 10),
        ("百五", 105), ("千三百五", 1305), ("二〇二五", 2025), ("一百零一", 101), ("两", 2), ("十二", 12),
        ("一千二百五十九", 1259), ("百万", 1_000_000), ("１２", 12),
    ],
)  # fmt: skip
def test_valid_numerals_are_read(numeral, value):
    assert han_to_int(numeral) == value


@pytest.mark.parametrize("numeral", ["十十", "万", "亿", "二十〇", "百百", "千千", "十二三", "", "²", "甲"])
def test_invalid_numerals_are_none(numeral):
    assert han_to_int(numeral) is None


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.integers(1, 99_999))
def test_numerals_read_back_in_every_style(n):
    assert han_to_int(cn2an.an2cn(n)) == n  # modern Chinese: 一万零五
    assert han_to_int("".join(_DIGITS[int(d)] for d in str(n))) == n  # year style: 二〇二五
    assert han_to_int(str(n).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})) == n  # full width


def test_japanese_numerals_read_back():
    """Every number whose Japanese form starts with a bare 百 or 千 (the style's mark)."""
    for n in [*range(100, 200), *range(1000, 2000)]:
        assert han_to_int(japanese(n)) == n, japanese(n)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet="〇零一二两三四五六七八九十百千万亿", max_size=8))
def test_any_numeral_string_is_a_number_or_none(s):
    value = han_to_int(s)
    assert value is None or (isinstance(value, int) and value >= 0)


def test_japanese_numerals_do_not_break_number_extraction():
    """The alignment's evidence read 第百十八号 with cn2an and the whole run failed."""
    found = numbers("（昭和三十四年法律第百二十一号）第百十八号 百二十一人 第千三百二十六条 第十十条")
    assert found[121] == 2 and found[118] == 1 and found[1326] == 1 and found[34] == 1


def test_gloss_keeps_a_bad_numeral_as_printed():
    assert _render_protected("第百十八条") == "Article 118"
    assert _render_protected("第十十条") == "Article 十十"


@pytest.mark.parametrize(
    ("text", "holder", "bad"),
    [
        ("第一条 总则\n第十十条 内容\n第二条 其他\n", "art1", "第十十条"),
        ("1、总则\n（一）甲\n（十十）乙\n", "1(1)", "（十十）"),
        ("第一条 正文\n附件十十\n附件内容\n", "art1", "附件十十"),
        ("前言\n第十十条 开头\n", "preamble", "第十十条"),
    ],
)
def test_invalid_numeral_in_a_label_place_is_text_with_an_anomaly(text, holder, bad):
    clauses = parse_text(text)
    assert_partition(text, clauses)
    c = by_id(clauses)[holder]
    assert f"bad_number: {bad} is not a valid numeral" in c.anomalies
    assert bad.strip("（）") in c.text
    assert not any(x.label == bad for x in clauses)


def test_japanese_articles_get_their_numbers():
    text = "第百十七条 甲\n第百十八条 乙\n第百十九条 丙\n"
    assert [c.clause_id for c in parse_text(text)] == ["art117", "art118", "art119"]


# ------------------------------------------------------------------ 2. linear time


_ONE_LINE = """
import sys
from stages.clauses import build_clauses
unit = sys.argv[1]
text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
clauses, _ = build_clauses("d", text)
assert clauses[0].char_start == 0 and clauses[-1].char_end == len(text)
print(len(clauses))
"""


@pytest.mark.parametrize(
    "unit",
    [
        "Fee 1.5 ",  # a decimal number every 8 characters
        "The Company shall pay the fees when due. 10. Termination ",  # glued headings
        "see Section 3.01 and 4.02 of the Agreement. 1. Term. (a) x ",
        "1. Intro " + "." * 500 + " ",  # dot leaders
        "第一条 " + "　" * 50,
    ],
)
def test_one_megabyte_line_parses_in_linear_time(unit):
    """1 MB on one line: seconds when linear, many minutes when any step is quadratic (it
    took 10 s for 80 KB before). A real subprocess, so the timeout ends it."""
    done = subprocess.run(
        [sys.executable, "-c", _ONE_LINE, unit], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_glued_headings_on_a_long_line_are_still_found():
    text = "1. Term\nThe term is one year. 2. Fees\n"
    assert [c.clause_id for c in parse_text(text)] == ["1", "2"]


# --------------------------------------------------------------- 3. repeated lists


def test_repeated_list_starts_are_siblings_not_children():
    text = "(a) item\n" * 1000
    clauses = parse_text(text)
    assert_partition(text, clauses)
    assert [c.clause_id for c in clauses[:3]] == ["(a)", "(a)#2", "(a)#3"]
    assert clauses[-1].clause_id == "(a)#1000"
    assert {c.level for c in clauses} == {1} and {c.parent_id for c in clauses} == {None}
    assert "duplicate_number: (a) appears again; this one is (a)#2" in clauses[1].anomalies


def test_repeated_list_under_a_clause_stays_under_it():
    text = "1. Scope\n" + "(a) item\n" * 5 + "2. Next\n"
    ids = [c.clause_id for c in parse_text(text)]
    assert ids == ["1", "1(a)", "1(a)#2", "1(a)#3", "1(a)#4", "1(a)#5", "2"]


def test_alternating_restarts_do_not_nest_without_bound():
    text = "(a) one\n(b) two\n" * 2000
    clauses = parse_text(text)
    assert_partition(text, clauses)
    assert max(c.level for c in clauses) <= 3
    assert len({c.clause_id for c in clauses}) == len(clauses)


def test_fifty_thousand_restarts_in_linear_time_and_memory():
    code = (
        "from stages.clauses import build_clauses\n"
        "cl, _ = build_clauses('d', '(a) item\\n' * 50000)\n"
        "assert max(c.level for c in cl) == 1 and cl[-1].clause_id == '(a)#50000'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


# ------------------------------------------------------------- 4. NFKC label text


def test_label_is_printed_text_when_nfkc_changes_lengths():
    """⑴ expands to "(1)" and ｶﾞ composes to ガ: equal total lengths, different maps."""
    text = "⑴ｶﾞｶﾞ\n⑵ｶﾞ\n"
    clauses = parse_text(text)
    assert [(c.clause_id, c.label) for c in clauses] == [("(1)", "⑴"), ("(2)", "⑵")]
    assert clauses[0].text == "ｶﾞｶﾞ"
    assert_partition(text, clauses)
    [label] = scan_line("⑴ｶﾞｶﾞ", 0)
    assert (label.text, label.start, label.end) == ("⑴", 0, 1)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet="⑴⑵ｶﾞﾟﾊ①１．（）(a) ﬁ㈠é\u0301カ", max_size=20))
def test_nfkc_view_maps_every_view_character_to_its_source(s):
    view, index = nfkc_view(s)
    assert len(index) == len(view) + 1 and index[-1] == len(s)
    assert list(index) == sorted(index)
    for j, ch in enumerate(s):
        piece = "".join(view[i] for i in range(len(view)) if index[i] == j)
        assert piece in (ch, unicodedata.normalize("NFKC", ch))


# ---------------------------------------------------------- 5. long numbers


def test_four_digit_numbers_continue_a_list():
    text = "".join(f"{n}. Item {n}\n" for n in range(1, 1003))
    clauses = parse_text(text)
    assert_partition(text, clauses)
    assert [c.clause_id for c in clauses[-4:]] == ["999", "1000", "1001", "1002"]
    assert all(not c.anomalies for c in clauses)


def test_four_digit_items_continue_an_item_list():
    text = "1. Scope\n" + "".join(f"({n}) item\n" for n in range(998, 1002))
    assert [c.clause_id for c in parse_text(text)][1:] == ["1(998)", "1(999)", "1(1000)", "1(1001)"]


@pytest.mark.parametrize(
    "text",
    [
        "1. Term\nThe term begins on\n2024. It ends later.\n2. Fees\n",
        "1. Term\n2024 Annual Report\n2. Fees\n",
        "1. Term\n1.1 Start\n2024.10.15 is the date.\n2. Fees\n",
        "2024. A year\n1. Term\n2. Fees\n",
    ],
)
def test_years_at_line_start_are_not_clauses(text):
    clauses = parse_text(text)
    assert_partition(text, clauses)
    assert not any(c.clause_id.startswith("2024") for c in clauses)
    assert "2024" in " ".join(c.text for c in clauses)

"""Properties that hold for any text, checked on generated documents made of label
fragments (hypothesis, derandomized so CI is repeatable)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import parse_text

FRAGMENTS = [
    "1. ", "1.1 ", "2.", "3.1.7 ", "7.5, ", "(a) ", "(i) ", "(iv) ", "- (1) ", "- ", "• ", "  • ", "    • ", "1、", "一、",
    "（一）", "（1）", "①", "第十二条 ", "第一章 ", "第一节 ", "第三编 ", "第一分编 ", "附则", "ARTICLE IV ", "Article 3 ",
    "Chapter II", "Section 2.03 ", "Section 1 ", "EXHIBIT A", "Contents", "A. ", "a) ", "1) ", "99.9% ",
    "see Section 3.01 ", "Special tips for 1.2 Minor", " 11.3:", "text. 10. Heading", "文本", "Heading", "", "\t", "　",
    "㈠", "⑴", "12 ", "\x01", "é", "ﬁ", " words here", " 条款内容。", ":",
]  # fmt: skip

lines = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map("".join)
documents = st.lists(lines, max_size=30).flatmap(lambda ls: st.sampled_from(["\n", "\n\n"]).map(lambda sep: sep.join(ls)))


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_text_parses_into_a_partition_with_unique_ids_and_a_consistent_tree(text):
    clauses = parse_text(text)
    assert clauses[0].char_start == 0 and clauses[-1].char_end == len(text)
    assert all(a.char_end == b.char_start for a, b in zip(clauses, clauses[1:]))
    ids = [c.clause_id for c in clauses]
    assert len(ids) == len(set(ids))
    index = {c.clause_id: c for c in clauses}
    for c in clauses:
        if c.parent_id is not None:
            assert index[c.parent_id].level == c.level - 1 and index[c.parent_id].seq < c.seq

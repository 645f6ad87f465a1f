"""The five bundled seeds against docs/clause-ids.md (issue 2's examples and more)."""

from __future__ import annotations

import re

from conftest import by_id


def top_level(clauses):
    return [c.clause_id for c in clauses if c.level == 1]


def test_all_five_seeds_are_bundled(seed_clauses):
    assert sorted(seed_clauses) == ["000", "001", "002", "003", "004"]


def test_ids_are_unique_and_seq_is_document_order(seed_clauses):
    for clauses in seed_clauses.values():
        ids = [c.clause_id for c in clauses]
        assert len(ids) == len(set(ids))
        assert [c.seq for c in clauses] == list(range(len(clauses)))
        starts = [c.char_start for c in clauses]
        assert starts == sorted(starts)


def test_parents_exist_and_levels_follow_the_tree(seed_clauses):
    for clauses in seed_clauses.values():
        index = by_id(clauses)
        for c in clauses:
            if c.parent_id is None:
                assert c.level in (0, 1)
            else:
                assert index[c.parent_id].level == c.level - 1
                assert index[c.parent_id].seq < c.seq


def test_000_top_level_and_quirks(seed_clauses):
    clauses = seed_clauses["000"]
    c = by_id(clauses)
    assert top_level(clauses) == [str(n) for n in range(1, 13)]
    assert c["7.5"].label == "7.5," and c["7.5"].parent_id == "7"
    assert c["8.4"].label == "8.4,"
    # R1: a number mid-line / at the end of a line that is exactly the expected next one
    assert c["9.4"].parent_id == "9" and c["9.4"].heading == "Special tips for Minor users"
    assert c["9.4.1"].parent_id == "9.4"
    assert c["11.3"].parent_id == "11"
    assert c["11.3"].text.startswith("We have the right to unilaterally terminate this Agreement")
    assert [k for k in c if k.startswith("11.3(")] == ["11.3(1)", "11.3(2)", "11.3(3)"]
    # R4: an unlabelled bullet between (3) and (5)
    assert c["5.1.2(4)"].number_inferred and c["5.1.2(4)"].label == "-"
    assert not c["5.1.2(3)"].number_inferred
    # R5: bullets under item (23), then the list goes on with (24)
    assert [k for k in c if k.startswith("5.5(23)[")] == ["5.5(23)[1]", "5.5(23)[2]", "5.5(23)[3]"]
    assert all(c[k].number_inferred and c[k].parent_id == "5.5(23)" for k in ("5.5(23)[1]", "5.5(23)[3]"))
    assert c["5.5(24)"].parent_id == "5.5"
    assert "12.3" in c and c["3.1.7(1)"].label == "- (1)"
    assert c["preamble"].level == 0 and c["preamble"].text.startswith("Pixmax Terms of Service")


def test_001_indented_list_under_a_clause(seed_clauses):
    c = by_id(seed_clauses["001"])
    assert [k for k in c if k.startswith("3.2(")] == [f"3.2({n})" for n in range(1, 11)]
    assert c["3.2(10)"].label == "10." and c["3.2(1)"].level == 3
    assert [k for k in c if k.startswith("3.3(")] == [f"3.3({n})" for n in range(1, 10)]
    assert top_level(seed_clauses["001"]) == [str(n) for n in range(1, 10)]
    assert c["3.2"].heading == "Compliance with Laws and Prohibited Behaviors"
    assert c["9.4"].text.endswith("Updated on January 5, 2025")  # R7: a trailing paragraph


def test_002_numbers_alone_on_their_line(seed_clauses):
    c = by_id(seed_clauses["002"])
    assert [k for k in c if re.fullmatch(r"1\.2\.\d+", k)] == [f"1.2.{n}" for n in range(1, 9)]
    assert [k for k in c if re.fullmatch(r"2\.2\.\d+", k)] == [f"2.2.{n}" for n in range(1, 13)]
    assert c["1.1"].label == "1.1" and c["1.1"].text.startswith("You warrant")
    assert c["1.2.8"].text.endswith("This is the main content paragraph of 1.2.8")
    assert [k for k in c if k.startswith("1.2.8(")] == ["1.2.8(a)", "1.2.8(b)", "1.2.8(c)"]
    letters = [k[len("2.2.5(") : -1] for k in c if k.startswith("2.2.5(")]
    assert letters == list("abcdefghijklmnopqrst")  # (i) after (h) is the letter i
    assert c["1.2.4"].heading == "Account Security"
    assert top_level(seed_clauses["002"]) == [str(n) for n in range(1, 15)]


def test_003_chinese_top_level_and_restarted_list(seed_clauses):
    clauses = seed_clauses["003"]
    c = by_id(clauses)
    assert top_level(clauses) == [str(n) for n in range(1, 11)]
    assert c["5.1"].parent_id == "5" and c["5.1"].label == "1、"
    assert [k for k in c if k.startswith("5.1(")] == [f"5.1({n})" for n in range(1, 10)]
    assert sum(1 for x in clauses if x.clause_id == "1") == 1
    assert c["1"].heading == "服务对象"
    assert c["preamble"].text.startswith("服务商用户协议")
    assert c["10"].text.endswith("联系 QQ: 28190076")


def test_004_no_numbers_headings_and_bullets(seed_clauses):
    clauses = seed_clauses["004"]
    assert top_level(clauses) == [f"[{n}]" for n in range(1, 10)]
    assert all(x.number_inferred for x in clauses)
    assert all(re.fullmatch(r"(\[\d+\])+", x.clause_id) for x in clauses)
    c = by_id(clauses)
    assert c["[1]"].heading == "General" and c["[9]"].heading == "Miscellaneous"
    assert c["[2][3][1]"].parent_id == "[2][3]"  # bullets nest by indentation
    assert "shall be governed by the laws of the Mainland" in c["[9][3]"].text
    assert "preamble" not in c  # nothing precedes the first heading


def test_every_seed_with_leading_text_has_a_preamble(seed_clauses):
    for key in ("000", "001", "002", "003"):
        first = seed_clauses[key][0]
        assert first.clause_id == "preamble" and first.level == 0 and first.parent_id is None


def test_anomalies_are_recorded_only_where_the_document_breaks_a_rule(seed_clauses):
    found = {(key, c.clause_id): c.anomalies for key, cl in seed_clauses.items() for c in cl if c.anomalies}
    assert set(found) == {("000", "5.1.2(4)"), ("000", "9.4"), ("000", "11.3")}
    assert found[("000", "5.1.2(4)")][0].startswith("inferred_number:")

"""Contract rules of issue 14 on small hand-written documents: bullets across a page break (R5),
list items inside a page filed as one line (R1, R3), and the errata of the dev corpus's
ground truth (`lexnorm.testing.load_errata`, tests/dev_corpus_errata.json)."""

from __future__ import annotations

import json

import pytest

from conftest import SHARED, by_id, parse_text
from lexnorm.testing import DEV_ERRATA, Erratum, apply_errata, compare_with_expected, describe_erratum, load_errata

DEV = SHARED / "corpus" / "dev"


def ids(text: str) -> list[str]:
    return [c.clause_id for c in parse_text(text)]


# ---------------------------------------------------------------------------- R5 bullets


def test_a_bullet_whose_indentation_a_page_break_lost_is_the_next_of_its_list():
    text = (
        "4. Confidentiality\nThe Receiving Party undertakes:\n\n"
        "  - to keep it confidential,\n\n  - to use it only for the Amendment,\n\n\n\n"
        "- to disclose it only to employees,\n\n  - not to copy it;\n\n  - not to pass it on unless:\n\n"
        "  (i) each third party signed an undertaking; and,\n\n  (ii) the Disclosing Party approved;\n\n"
        "  - to notify the Disclosing Party.\n"
    )
    assert ids(text) == ["4", "4[1]", "4[2]", "4[3]", "4[4]", "4[5]", "4[5](i)", "4[5](ii)", "4[6]"]


def test_a_bullet_never_restarts_a_list_even_after_prose():
    """Two bullet lists under one clause, the second shallower after a paragraph: bullets have no
    number to restart, so the second list numbers on ([3], never [1]#2); being a list of its
    own, a deeper bullet after it nests under it."""
    text = (
        "1. Notices\nNotices go to:\n  - the legal team;\n  - the board.\n\n"
        "Copies go to:\n- the auditor;\n  - by post.\n"
    )
    assert ids(text) == ["1", "1[1]", "1[2]", "1[3]", "1[3][1]"]


def test_bullets_at_one_indentation_still_nest_by_indentation():
    text = "1. Notices\nNotices go to:\n- the legal team;\n  - by e-mail;\n  - by post;\n- the board.\n"
    assert ids(text) == ["1", "1[1]", "1[1][1]", "1[1][2]", "1[2]"]


# ------------------------------------------------------------------ R1, R3 items inside a line


def test_items_inside_a_page_filed_as_one_line_follow_their_clause():
    """`2.1 ...     (i) ...     (ii) ...   2.2 ...     (i) ...`: each item after a line break's run
    of spaces; the list's first item opens it under the clause whose label opened the line, a
    later one counts where it is expected next. `12.1(ii)` (no gap) stays a citation, and the
    `(ii)` of the next line is 2.2's second item, the indented `(i)`, `(ii)` a list inside 2.2(i)."""
    text = (
        "1. Definitions\nTerms as in the GMA.\n\n2. Amendment\n"
        "The GMA is amended as follows:     2.1 Clause 12 - INVOICING       (i) Clause 12.1(ii) of the GMA is "
        "cancelled.     (ii) Any other provision of Clause 12 remains in force.   2.2 Exhibit 14 - PRICES       "
        "(i) Clause 3.2 of Exhibit 14 is replaced as follows:\n\n  (i) [*****]\n\n  (ii) [*****]\n\n"
        "(ii) Any other provision of Exhibit 14 remains in force.\n\n3. Term\nOne year.\n"
    )
    assert ids(text) == [
        "1", "2", "2.1", "2.1(i)", "2.1(ii)", "2.2", "2.2(i)", "2.2(i)(i)", "2.2(i)(ii)", "2.2(ii)", "3",
    ]  # fmt: skip
    c = by_id(parse_text(text))
    assert c["2.1(i)"].text == "Clause 12.1(ii) of the GMA is cancelled."
    assert c["2.1"].heading == "Clause 12 - INVOICING"


def test_an_item_inside_a_line_that_nothing_expects_is_text():
    text = "1. Fees\nThe fees are due as set out below, monthly.       (c) Reserved for later use.\n2. Term\nOne year.\n"
    assert ids(text) == ["1", "2"]


# ---------------------------------------------------------------------------- errata


TRUTH = {"second_level": ["2.1", "4.1"], "top_level": ["1", "2"]}
MEASURED = {"second_level": ["2.1", "2.2", "4.1"], "top_level": ["1", "2"]}
FIX = Erratum("second_level", ["2.1", "4.1"], ["2.1", "2.2", "4.1"], "l.85: 2.2 is a clause")


def test_an_erratum_corrects_the_truth_and_says_so():
    assert compare_with_expected(TRUTH, MEASURED) == ["second_level: expected 2, got 3; 1 extra (2.2)"]
    assert compare_with_expected(TRUTH, MEASURED, [FIX]) == []
    # the corrected value is still measured: a parser that drops 2.2 fails
    assert compare_with_expected(TRUTH, dict(MEASURED, second_level=["2.1", "4.1"]), [FIX]) == [
        "second_level: expected 3, got 2; 1 missing (2.2)"
    ]
    assert describe_erratum(FIX) == "second_level: corrected by an erratum (2 -> 3 ids; added 2.2): l.85: 2.2 is a clause"


def test_a_stale_erratum_fails_the_comparison():
    fixed_upstream = dict(TRUTH, second_level=["2.1", "2.2", "4.1"])
    corrected, stale = apply_errata(fixed_upstream, [FIX])
    assert corrected == fixed_upstream and len(stale) == 1
    assert compare_with_expected(fixed_upstream, MEASURED, [FIX]) == stale


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"doc": {"second_level": {"was": [], "now": ["1.1"]}}}, "needs `was`, `now` and a `reason`"),
        ({"doc": {"second_level": {"was": [], "now": ["1.1"], "reason": " "}}}, "needs `was`, `now` and a `reason`"),
        ({"doc": {"article_labels": {"was": [], "now": [], "reason": "l.1"}}}, "not a key the yardstick measures"),
    ],
)
def test_an_erratum_without_reason_or_on_an_unmeasured_key_is_refused(tmp_path, entry, message):
    path = tmp_path / "errata.json"
    path.write_text(json.dumps(entry), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_errata(path)
    assert load_errata(tmp_path / "absent.json") == {}


def test_the_project_errata_apply_to_the_dev_truth_as_it_is():
    """Every erratum of tests/dev_corpus_errata.json names an expected JSON of the dev corpus and
    still corrects what that truth says (none is stale)."""
    errata = load_errata(DEV_ERRATA)
    assert errata, "tests/dev_corpus_errata.json is empty"
    if not (DEV / "expected").is_dir():
        pytest.skip(f"{DEV} not found")
    for stem, entries in errata.items():
        expected = json.loads((DEV / "expected" / f"{stem}.json").read_text(encoding="utf-8"))
        assert apply_errata(expected, entries)[1] == [], stem


# ---------------------------------------------------------------------------- R13 wrapped mentions


def test_an_attachment_mention_wrapped_to_a_line_start_is_text():
    text = (
        "1. Services\nThe provider performs the services described in\nExhibit A.\n2. Fees\nThe fees are set out in\n"
        "EXHIBIT B, which forms part of this Agreement.\n3. Term\nOne year.\nEXHIBIT A\nServices\n1. Hosting\n"
    )
    assert ids(text) == ["1", "2", "3", "exhA", "exhA.1"]
    assert by_id(parse_text(text))["1"].text.endswith("described in\nExhibit A.")


def test_an_attachment_heading_after_a_line_without_a_full_stop_stays_a_heading():
    """A heading in capitals alone on its line begins the attachment, even after a table row or a
    signature line that ends without punctuation; so does one after a blank line."""
    text = (
        "1. Fees\nThe fees are listed below.\nTotal fees payable per annum\nEXHIBIT A\nServices\n1. Hosting\n"
        "By: ____________\nExhibit B\nPrices\n"
    )
    assert ids(text) == ["1", "exhA", "exhA.1", "exhB"]


# ---------------------------------------------------------------------------- R16 quoted amendments


def test_text_quoted_inside_an_amending_article_stays_in_it():
    text = (
        "Article 12 Amendments\nRegulation (EU) 2016/679 is amended as follows:\n"
        "(1) Article 5 is replaced by the following:\n‘1. Member States shall apply it.\n\n"
        "2. The Commission shall report.’;\n(2) in Article 6, the following point is added:\n“(c) public interest.”\n"
        "Article 13 Entry into force\nIt enters into force.\n"
        "Article 14 Fees\nClause 12 is replaced by: '1. The fees are due monthly.\n2. Late fees bear interest.'\n"
        "(1) The fees are paid in euro.\n"
    )
    assert ids(text) == ["art12", "art12(1)", "art12(2)", "art13", "art14", "art14(1)"]
    c = by_id(parse_text(text))
    assert c["art12(1)"].text.endswith("‘1. Member States shall apply it.\n2. The Commission shall report.’;")
    assert c["art14"].text.endswith("2. Late fees bear interest.'")


def test_a_quotation_whose_closing_mark_is_lost_quotes_nothing():
    """The closing mark of the first quotation is lost: the next article (a division) and the next
    amending item (printed like the quoting one, `三、` after `二、`) are not swallowed."""
    text = (
        "Article 106\nIn Article 5, the following paragraph is added:\n‘12. When adopting acts, take it into account.\n\n"
        "Article 107\nIn Article 6, the following paragraph is added:\n‘4. When adopting acts.’\n"
    )
    assert ids(text) == ["art106", "art107"]
    text = "一、总则\n二、将第十条修改为：\n“（一）第一项；\n“（二）第二项。\n三、第十一条修改为：“本法施行。”\n"
    assert ids(text) == ["1", "2", "3"]


# ---------------------------------------------------------------------------- R17 checkboxes, glued labels


def test_a_checkbox_before_a_label_belongs_to_the_label():
    text = "□1. Scope\nThis applies.\n☐ 2. Term\nOne year.\n(a) first;\n☑ (b) second;\n■ (c) third.\n■ a bullet\n□网盘；\n"
    clauses = parse_text(text)
    assert [c.clause_id for c in clauses] == ["1", "2", "2(a)", "2(b)", "2(c)", "2(c)[1]"]
    c = by_id(clauses)
    assert c["1"].char_start == 0 and c["1"].text == "Scope\nThis applies." and c["1"].label == "1."
    assert c["2(b)"].text == "second;" and "☑" not in c["2(b)"].text
    assert c["2(c)[1]"].text == "a bullet\n□网盘；"  # a box before words is text


def test_a_decimal_glued_to_its_first_word_is_a_label():
    text = (
        "1. General\nThe rules.\n1.1.The parties agree.\n1.2.The rate is 3.5. Not U.S. or No.5 here.\n"
        "U.S. law applies.\nNo.5 is reserved.\n2. Term\n2.1.The term is one year.\n"
    )
    clauses = parse_text(text)
    assert [c.clause_id for c in clauses] == ["1", "1.1", "1.2", "2", "2.1"]
    assert by_id(clauses)["1.1"].text == "The parties agree."


# ---------------------------------------------------------------------------- R10 lettered ranges


def test_a_lettered_range_of_items_is_one_clause():
    text = (
        "1. Definitions\n(d) one;\n(e)-(ea) (Repealed by No. 3, 2012)\n(f) two;\n(g) to (h) [Repealed]\n(i) three.\n"
        "2. Items\n(i)-(ii) (Repealed)\n(iii) kept.\n"
    )
    clauses = parse_text(text)
    assert [c.clause_id for c in clauses] == ["1", "1(d)", "1(e-ea)", "1(f)", "1(g-h)", "1(i)", "2", "2(i-ii)", "2(iii)"]
    c = by_id(clauses)
    assert c["1(e-ea)"].text == "(Repealed by No. 3, 2012)" and c["1(f)"].anomalies == ()
    assert c["1(i)"].anomalies == () and c["2(iii)"].anomalies == ()


# ---------------------------------------------------------------------------- R6 sections of an article


def test_sections_that_restart_in_each_article_are_the_articles():
    text = (
        "ARTICLE I\nDEFINITIONS\nSECTION 1.  Definitions. Terms.\nSECTION 2.  Construction. Words.\n"
        "ARTICLE II\nTHE LOANS\nSECTION 1.  Amount and Terms\n(a) The loan.\nSECTION 2.  Interest\nThe rate.\n"
    )
    clauses = parse_text(text)
    assert [(c.clause_id, c.parent_id) for c in clauses] == [
        ("art1", None), ("1.1", "art1"), ("1.2", "art1"), ("art2", None), ("2.1", "art2"), ("2.1(a)", "2.1"),
        ("2.2", "art2"),
    ]  # fmt: skip
    assert by_id(clauses)["2.1"].heading == "Amount and Terms"


def test_sections_numbered_through_the_contract_keep_their_list_ids():
    text = "ARTICLE I\nSection 1. One.\nSection 2. Two.\nARTICLE II\nSection 3. Three.\nSection 4. Four.\n"
    assert ids(text) == ["art1", "1.1", "1.2", "art2", "art2(3)", "art2(4)"]

"""R10/R11 of docs/clause-ids.md: statutes of the common-law tradition, sections numbered
through the whole text under Parts, Divisions and Subdivisions, with lettered insertions,
ranges and printed zeros. Small hand-written texts per shape, then the real documents of the
dev corpus (skipped without ../shared)."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS

from lexnorm.testing import compare_with_expected, measure_tree
from stages.clauses import build_clauses
from stages.ingest import read_document
from stages.clauses import parse_document

DEV = CORPUS / "dev"


def _tree(text: str) -> list[tuple[str, str | None]]:
    clauses, _ = build_clauses("d", text)
    return [(c.clause_id, c.parent_id) for c in clauses]


def test_hong_kong_style_sections_with_a_dot_under_parts():
    text = "Part 1\nPreliminary\n1. Short title\nThis Ordinance may be cited as the Example Ordinance.\n" \
           "2. Interpretation\n(1) In this Ordinance, words mean things.\nPart 2\nDuties\n3. General duty\nA duty.\n"
    assert _tree(text) == [
        ("part1", None), ("1", "part1"), ("2", "part1"), ("2(1)", "2"), ("part2", None), ("3", "part2"),
    ]


def test_australian_divisions_subdivisions_and_lettered_sections():
    text = (
        "An Act about privacy\n"
        "Part II—Interpretation\nDivision 1—General definitions\n6 Interpretation\n(1) In this Act:\n"
        "6AA Meaning of responsible person\nA person is responsible.\n6A Breach\n(2A) A breach.\n"
        "Division 2—Credit\nSubdivision A—Credit provider\n6G Meaning of credit provider\nA bank.\n"
        "Subdivision B—Other definitions\n6H Meaning of credit\nCredit.\n"
        "Part IIIA—Credit reporting\nDivision 1—Introduction\n19 Guide to this Part\nThis Part is about credit.\n"
        "Division 2 deals with credit reporting bodies.\n"
    )
    assert _tree(text) == [
        ("preamble", None), ("part2", None), ("part2.div1", "part2"), ("6", "part2.div1"), ("6(1)", "6"),
        ("6AA", "part2.div1"), ("6A", "part2.div1"), ("6A(2A)", "6A"), ("part2.div2", "part2"),
        ("part2.div2.subA", "part2.div2"), ("6G", "part2.div2.subA"), ("part2.div2.subB", "part2.div2"),
        ("6H", "part2.div2.subB"), ("part3A", None), ("part3A.div1", "part3A"), ("19", "part3A.div1"),
    ]


def test_canadian_decimal_sections_ranges_and_printed_zeros():
    text = (
        "Short title\n1 This Act may be cited as the Example Act.\nPART 1\nProtection\n"
        "Application\n4 (1) This Part applies to every organization.\n"
        "Business contact information\n4.01 This Part does not apply to business contact information.\n"
        "Certificate\n4.1 (1) If a certificate is issued, this Part applies.\n(2) Despite subsection (1), it does not.\n"
        "DIVISION 1.1\nBreaches\n10.1 (1) An organization shall report a breach.\n"
        "PART 3\nAmending\n11 to 17 [Amendments]\nPART 4\n18 and 19 [Amendments]\n"
        "2000, c. 5, s. 59\n"
    )
    assert _tree(text) == [
        ("preamble", None), ("1", None), ("part1", None), ("4", "part1"), ("4(1)", "4"), ("4.01", "part1"),
        ("4.1", "part1"), ("4.1(1)", "4.1"), ("4.1(2)", "4.1"), ("part1.div1.1", "part1"),
        ("10.1", "part1.div1.1"), ("10.1(1)", "10.1"), ("part3", None), ("11-17", "part3"), ("part4", None),
        ("18-19", "part4"),
    ]


def test_printed_zeros_drop_where_the_document_prints_one_form():
    text = "PART 1\nGeneral\n2.03 This Part applies.\n3 Another section.\n"
    assert [cid for cid, _ in _tree(text)] == ["part1", "2.3", "3"]


def test_a_number_out_of_order_or_far_ahead_is_text_and_schedules_start_over():
    text = (
        "Part 1—Preliminary\n1 Short title\nThis Act is the Example Act.\n2 Commencement\n"
        "The Act commences on 1 July.\n2000 people were consulted.\n1 year later it was reviewed.\n"
        "Schedule 1—Principles\nPart 1—Openness\n1 Principle 1—open management\n1.1 An entity must be open.\n"
        "1.2 It must publish a policy.\n2 Principle 2—anonymity\n"
    )
    clauses, _ = build_clauses("d", text)
    assert [(c.clause_id, c.parent_id) for c in clauses] == [
        ("part1", None), ("1", "part1"), ("2", "part1"), ("sch1", None), ("sch1.part1", "sch1"),
        ("sch1.1", "sch1.part1"), ("sch1.1.1", "sch1.1"), ("sch1.1.2", "sch1.1"), ("sch1.2", "sch1.part1"),
    ]
    two = next(c for c in clauses if c.clause_id == "2")
    assert "2000 people" in two.text and "1 year later" in two.text


def test_a_statute_with_articles_keeps_its_numbers_as_before():
    """Parts above articles (Chinese 分编, a `Part 1` over `Article 1`) are no common-law statute:
    a bare number there is not a section."""
    text = "Part 1 General\nArticle 1 Scope\n1 This Regulation applies.\nArticle 2 Terms\nWords.\n"
    assert [cid for cid, _ in _tree(text)] == ["part1", "art1", "art2"]


def test_hong_kong_chinese_parts_and_divisions():
    text = "第1部\n導言\n第1條 簡稱\n本條例可引稱為示例條例。\n第2部\n規定\n第1分部\n一般規定\n第2條 責任\n須負責。\n"
    assert _tree(text) == [
        ("part1", None), ("art1", "part1"), ("part2", None), ("part2.div1", "part2"), ("art2", "part2.div1"),
    ]


DEFINITIONS = (
    "Part 1—Preliminary\n4 Definitions\n(1) In this Act:\n"
    "body means a body corporate.\n"
    "carrier means:\n(a) a railway; or\n(b) a ferry service.\n"
    "court means the Federal Court.\n"
    "dealer means:\n(a) a broker; or\n(b) a bank that:\n(i) takes deposits; and\n(ii) lends money.\n"
    "entity, in relation to a trust, includes\n(a) the trustee; and\n(b) the settlor.\n"
    "(2) A word defined in subsection (1) has that meaning in the regulations.\n"
    "5 Application\nThis Act applies to carriers.\n"
)


def test_a_definition_paragraph_holds_its_own_list():
    """R11: each unlabelled definition (`carrier means:`) carries its own `(a)`, `(b)`; the lists
    restart, so the definition is a clause `4(1)[k]` (inferred, like R5's) and its list is under
    it: "paragraph (b) of the definition of dealer" is `4(1)[2](b)`. The first definition's list
    moves under `4(1)[1]` when the second one shows the pattern. No id is a duplicate."""
    clauses, _ = build_clauses("d", DEFINITIONS)
    assert [(c.clause_id, c.parent_id) for c in clauses] == [
        ("part1", None), ("4", "part1"), ("4(1)", "4"),
        ("4(1)[1]", "4(1)"), ("4(1)[1](a)", "4(1)[1]"), ("4(1)[1](b)", "4(1)[1]"),
        ("4(1)[2]", "4(1)"), ("4(1)[2](a)", "4(1)[2]"), ("4(1)[2](b)", "4(1)[2]"),
        ("4(1)[2](b)(i)", "4(1)[2](b)"), ("4(1)[2](b)(ii)", "4(1)[2](b)"),
        ("4(1)[3]", "4(1)"), ("4(1)[3](a)", "4(1)[3]"), ("4(1)[3](b)", "4(1)[3]"),
        ("4(2)", "4"), ("5", "part1"),
    ]
    c = {x.clause_id: x for x in clauses}
    assert c["4(1)[1]"].text == "carrier means:" and c["4(1)[1]"].number_inferred and c["4(1)[1]"].level == 4
    assert c["4(1)[1](a)"].level == 5 and c["4(1)[2](b)(i)"].level == 6
    assert c["4(1)[3]"].text == "entity, in relation to a trust, includes" and c["4(1)[3]"].heading is None
    assert "court means the Federal Court." in c["4(1)[1](b)"].text  # a definition without a list is text (R7)


def test_a_list_under_the_clause_own_lead_in_is_not_moved():
    """The clause's own lead-in (`(1) This Act applies to:`, or the first paragraph after a heading)
    keeps its list; only a later lead-in paragraph that starts a list again holds its own."""
    text = (
        "Part 1—Preliminary\n5 Application\n(1) This Act applies to:\n(a) agencies; and\n(b) organisations.\n"
        "It also applies to:\n(a) contractors; and\n(b) their staff.\n"
        "6 Fees\nThe fees are:\n(a) ten dollars; or\n(b) five dollars.\n"
    )
    assert [cid for cid, _ in _tree(text)] == [
        "part1", "5", "5(1)", "5(1)(a)", "5(1)(b)", "5(1)[1]", "5(1)[1](a)", "5(1)[1](b)", "6", "6(a)", "6(b)",
    ]


def test_a_wrapped_lead_in_is_the_clause_own_words():
    """A lead-in whose sentence began on the label's line (wrapped) is that clause's: its list
    stays `(2)(a)` even after an earlier list."""
    text = (
        "Part 1—Preliminary\n5 Application\n(1) This Act applies to:\n(a) agencies; and\n(b) organisations.\n"
        "(2) This subsection applies to an entity that\nis a small business and that:\n(a) trades; or\n(b) lends.\n"
    )
    assert [cid for cid, _ in _tree(text)] == ["part1", "5", "5(1)", "5(1)(a)", "5(1)(b)", "5(2)", "5(2)(a)", "5(2)(b)"]


def test_an_inserted_subsection_follows_its_base():
    """R10: `(1A)` after `(1)` is its sibling (not a list under it), and `(2)` follows `(1A)`."""
    text = (
        "Part 1—Preliminary\n16B Collection\n(1) An entity collects if:\n(a) it asks; or\n(b) it records.\n"
        "(1A) An entity also collects if it buys.\n(1B) Or if it is given.\n(2) Subsection (1) applies.\n"
    )
    assert _tree(text)[2:] == [
        ("16B(1)", "16B"), ("16B(1)(a)", "16B(1)"), ("16B(1)(b)", "16B(1)"), ("16B(1A)", "16B"), ("16B(1B)", "16B"),
        ("16B(2)", "16B"),
    ]


def test_a_repealed_roman_item_leaves_a_gap_not_a_letter():
    """R3: `(iii)` then `(v)` (a repealed `(iv)`) under `(d)` is the numeral five, not the letter v."""
    text = (
        "Part 1—Preliminary\n6 Meaning\n(1) A body is:\n(d) a body appointed by:\n(i) a Governor; or\n"
        "(ii) a Minister; or\n(iii) an Administrator; or\n(v) a State Minister; or\n(e) a court.\n"
    )
    assert [cid for cid, _ in _tree(text)][-3:] == ["6(1)(d)(iii)", "6(1)(d)(v)", "6(1)(e)"]


def test_a_subclause_cited_at_a_line_end_is_no_clause():
    """R1: `subclause 3.4 applies ...` cites 3.4 (a reference word), however short the line."""
    text = (
        "Part 1—Preliminary\n1 Short title\nThis Act is the Example Act.\n"
        "Schedule 1—Principles\n3 Principle 3\n3.3 An entity must not collect information unless:\n"
        "(a) it consents; or\n(b) subclause 3.4 applies.\n3.4 This subclause applies if:\n(a) a law requires it.\n"
    )
    assert [cid for cid, _ in _tree(text)] == ["part1", "1", "sch1", "sch1.3", "sch1.3.3", "sch1.3.3(a)", "sch1.3.3(b)", "sch1.3.4", "sch1.3.4(a)"]


def _measure(name: str) -> tuple[dict, dict]:
    path = DEV / f"{name}.txt"
    if not path.exists():
        pytest.skip("the dev corpus (../shared/corpus/dev) is not here")
    expected = json.loads((DEV / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    return expected, measure_tree(parse_document(read_document(path)))


def test_australian_privacy_act_sections_parts_divisions():
    expected, measured = _measure("au_privacy_act_1988_en")
    lines = compare_with_expected(expected, measured)
    for key in ("sections", "section_ids", "parts", "part_ids", "divisions", "subdivisions", "top_level"):
        assert not [line for line in lines if line.startswith(f"{key}:")], lines


def test_pipeda_sections_and_divisions():
    expected, measured = _measure("ca_pipeda_en")
    assert measured["division_ids"] == ["1", "1.1", "2", "3", "4", "5"]
    assert measured["part_ids"] == ["1", "2", "3", "4", "5", "6"]
    # every section of the Act is a clause whose id is its number; a range is one clause (R10)
    doc = parse_document(read_document(DEV / "ca_pipeda_en.txt"))
    parents = {c.clause_id: c.parent_id for c in doc.clauses}
    want = [s.replace(" to ", "-").replace(" and ", "-") for s in expected["section_ids"]]
    assert all(sid in parents for sid in want), [sid for sid in want if sid not in parents]
    assert parents["4.01"] == parents["4.1"] == "part1" and parents["52-57"] == "part3"
    assert "10.4" not in parents  # quoted by an amendment not in force: no section of the Act


def test_australian_privacy_act_is_exact():
    """Endnotes make no schedule (R13), the definitions' lists make no duplicate id (R11)."""
    expected, measured = _measure("au_privacy_act_1988_en")
    assert compare_with_expected(expected, measured) == []


def test_pipeda_is_exact_with_its_amendments_not_in_force():
    expected, measured = _measure("ca_pipeda_en")
    assert compare_with_expected(expected, measured) == []
    assert measured["schedules"] == ["sch1", "sch2", "sch3", "sch4", "schNifProvs"]


def test_a_lead_in_after_an_item_is_read_the_same_in_every_case():
    """An item closes its sentence whatever the case of its words: a German item (`b.
    Bundesorgane.`, nouns capitalised) before a lead-in paragraph is no heading, so the list
    after the lead-in is placed as after an English one (`b. federal bodies.`); the language
    versions of one act keep the same ids and align."""
    def tree(first_items: str, lead_in: str) -> list[tuple[str, str | None]]:
        text = f"Art. 1 Scope\n1 This Act applies to:\n{first_items}\n{lead_in}\na. private notes;\nb. court files.\nArt. 2 Terms\nText.\n"
        clauses, _ = build_clauses("t", text)
        return [(c.clause_id, c.parent_id) for c in clauses]

    german = tree("a. private Personen;\nb. Bundesorgane.", "2 Es ist nicht anwendbar auf:")
    english = tree("a. private persons;\nb. federal bodies.", "2 It does not apply to:")
    assert german == english
    assert ("art1[1](a)", "art1[1]") in english

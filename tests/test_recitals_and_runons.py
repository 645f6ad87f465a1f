"""Recitals (R12), labels that continue a sentence (R16) and labels inside the run-on lines of
contracts filed with whole pages on one line (docs/clause-ids.md). Small hand-written texts per
rule, then the dev corpus's contracts and the AI Act, which skip without ../shared."""

from __future__ import annotations

import pytest

from conftest import by_id, corpus_file, parse_text

ACT = """THE EUROPEAN PARLIAMENT AND THE COUNCIL OF THE EUROPEAN UNION,
Having regard to the opinion of the European Economic and Social Committee (1),
Whereas:
(1) The protection of natural persons is a fundamental right.
(2) The principles should respect their rights:
(a) to privacy;
(b) to data protection.
(3) This Regulation should apply from 2026.
HAVE ADOPTED THIS REGULATION:
CHAPTER I
General provisions
Article 1
Subject matter
1. This Regulation lays down rules.
"""


def ids(text: str) -> list[str]:
    return [c.clause_id for c in parse_text(text)]


def test_an_acts_numbered_recitals_are_rec_n_at_level_1_and_the_citations_stay_in_the_preamble():
    clauses = by_id(parse_text(ACT))
    assert ids(ACT)[:4] == ["preamble", "rec1", "rec2", "rec3"]
    assert "Having regard" in clauses["preamble"].text and "(1)," in clauses["preamble"].text
    assert clauses["rec1"].level == 1 and clauses["rec1"].parent_id is None and clauses["rec1"].label == "(1)"
    assert clauses["rec1"].heading is None
    # the points of a recital are its text, not clauses of their own
    assert "(a) to privacy;" in clauses["rec2"].text
    assert not any(i.startswith("rec2(") for i in clauses)
    assert clauses["art1"].parent_id == "ch1" and "HAVE ADOPTED" in clauses["rec3"].text


@pytest.mark.parametrize(
    "opener, formula",
    [
        ("in Erwägung nachstehender Gründe:", "HABEN FOLGENDE VERORDNUNG ERLASSEN:"),
        ("considérant ce qui suit:", "ONT ADOPTÉ LE PRÉSENT RÈGLEMENT:"),
    ],
)
def test_german_and_french_acts_open_and_close_their_recitals_in_their_own_words(opener, formula):
    text = f"DAS PARLAMENT,\n{opener}\n(1) Erster Grund.\n(2) Zweiter Grund.\n{formula}\nArtikel 1\nGegenstand\n"
    text = text.replace("Artikel 1", "Artikel 1" if "Erwägung" in opener else "Article premier")
    assert [i for i in ids(text) if i.startswith("rec")] == ["rec1", "rec2"]


def test_lettered_recitals_of_a_contract_are_recA_recB_and_not_the_body():
    text = """THIS AGREEMENT is made between Acme Ltd. and Beta LLC.
WHEREAS:
(A) Acme provides hosting services.
(B) Beta wishes to buy them.
NOW, THEREFORE, the parties agree as follows:
1. Definitions
Words have their usual meaning.
2. Fees
Fees are due monthly.
"""
    assert ids(text) == ["preamble", "recA", "recB", "1", "2"]


def test_unlabelled_whereas_paragraphs_are_rec_k_and_keep_their_word():
    text = """SERVICES AGREEMENT between Acme Ltd. and Beta LLC.
RECITALS
WHEREAS, Acme provides hosting services; and
AND WHEREAS Beta wishes to buy them, whereas Gamma does not;
NOW, THEREFORE, the parties agree as follows:
ARTICLE I
DEFINITIONS
1.01 Terms. Words have their usual meaning.
"""
    clauses = by_id(parse_text(text))
    assert [i for i in clauses if i.startswith("rec")] == ["rec[1]", "rec[2]"]
    assert clauses["rec[1]"].text.startswith("WHEREAS, Acme") and clauses["rec[1]"].number_inferred
    assert clauses["rec[2]"].text.startswith("AND WHEREAS Beta")
    assert "RECITALS" in clauses["preamble"].text


def test_numbered_recitals_of_a_contract_do_not_become_its_clauses_1_to_3():
    text = """AGREEMENT between Acme and Beta.
WHEREAS:
1. Acme owns the programs.
2. Beta operates websites.
3. Both wish to cooperate.
NOW, THEREFORE, the Parties agree as follows:
1. Definitions
2. Licence
3. Fees
4. Term
"""
    assert ids(text) == ["preamble", "rec1", "rec2", "rec3", "1", "2", "3", "4"]


def test_recitals_inside_a_page_filed_as_one_line_count_in_sequence():
    text = (
        'This Agreement is entered into between Party A and Party B ("Parties").     WHEREAS:     '
        "1. Party A owns the programs listed in Exhibit 1 hereto;     2. Party B may operate 3 websites "
        'and 4. other services ("Business"); and     3. Both Parties agree to cooperate.\n'
        "NOW, THEREFORE, the Parties agree as follows:\n1. Definitions\n2. Term\n"
    )
    clauses = by_id(parse_text(text))
    assert [i for i in clauses if i.startswith("rec")] == ["rec1", "rec2", "rec3"]
    assert "4. other services" in clauses["rec2"].text


def test_without_recitals_or_with_whereas_only_after_the_body_nothing_changes():
    text = "1. Scope\nThis applies, whereas that does not.\n2. Term\nEXHIBIT A\nWHEREAS, the Board resolves;\n"
    assert not [i for i in ids(text) if i.startswith("rec")]


def test_every_character_stays_in_a_span_with_recitals():
    clauses = parse_text(ACT)
    assert clauses[0].char_start == 0 and clauses[-1].char_end == len(ACT)
    assert all(a.char_end == b.char_start for a, b in zip(clauses, clauses[1:]))


# ------------------------------------------------------------------ the dev corpus


@pytest.mark.parametrize(
    "name, count, first",
    [
        ("en_cuad_alliance_cherryhill.txt", 5, "rec[1]"),
        ("en_cuad_alliance_sucampo.txt", 7, "rec[1]"),
        ("en_cuad_cobranding_stampscom.txt", 4, "recA"),
        ("en_cuad_content_license_phoenixnewmedia.txt", 3, "rec1"),
        ("en_cuad_ip_garrettmotion.txt", 7, "rec[1]"),
        ("en_cuad_maintenance_amendment_azul.txt", 3, "rec[1]"),
        ("en_cuad_outsourcing_cca.txt", 2, "rec[1]"),
        ("en_cuad_promotion_middlebrook.txt", 3, "rec[1]"),
        ("eu_ai_act_2024_1689_en.txt", 180, "rec1"),
    ],
)
def test_dev_documents_have_their_recitals(name, count, first):
    path = corpus_file(f"dev/{name}")
    clauses = parse_text(path.read_text(encoding="utf-8"), path.stem)
    recs = [c for c in clauses if c.clause_id.startswith("rec")]
    assert len(recs) == count
    assert recs[0].clause_id == first and clauses[0].clause_id == "preamble"
    assert all(c.level == 1 and c.parent_id is None for c in recs)


# ------------------------------------------------------------------ R16 continuations


def test_a_line_start_number_that_continues_the_sentence_is_text():
    text = """1. Payment
1.1 The buyer pays the price set out in Section
2.05 or 4.04.
1.2 The seller delivers the goods within seven
(7) days after payment, and within thirty-five
(35) days after that, or as required by Section
1.10(b) as promptly as possible.
1.3 Title passes on delivery.
"""
    clauses = by_id(parse_text(text))
    assert list(clauses) == ["1", "1.1", "1.2", "1.3"]
    assert "2.05 or 4.04." in clauses["1.1"].text and "(7) days" in clauses["1.2"].text
    assert "1.10(b) as promptly" in clauses["1.2"].text
    assert not [a for c in clauses.values() for a in c.anomalies]
    # a first line that runs on is no heading
    assert clauses["1.1"].heading is None and clauses["1.2"].heading is None


def test_a_list_under_a_lead_in_without_a_colon_and_labels_after_headings_stay_labels():
    text = """1. Scope
(1) This Part does not apply to
(a) any government institution; or
(b) any individual.
"""
    assert [c.clause_id for c in parse_text(text)] == ["1", "1(1)", "1(1)(a)", "1(1)(b)"]
    text = """ARTICLE I
DEFINITIONS
1.01 Terms. Words mean what they say.
ARTICLE II
GENERAL TERMS
2.01 within the meaning of the Act, terms are defined.
"""
    assert [c.clause_id for c in parse_text(text)] == ["art1", "1.1", "art2", "2.1"]


def test_a_blank_line_ends_the_sentence_before_a_label():
    text = "1. Fees\n1.1 The fees are set out in the schedule of seven\n\n(7) items.\n"
    # seven / (7) across a paragraph break: a list item, not a continuation
    assert "1.1(7)" in [c.clause_id for c in parse_text(text)]


# ------------------------------------------------------------------ labels inside run-on lines


RUN_ON = (
    'AGREEMENT between Party A and Party B ("Parties").     WHEREAS:     1. Party A owns the programs;     '
    "2. Party B runs websites.\n"
    "     NOW, THEREFORE, the Parties agree as follows:     ARTICLE ONE DEFINITION     1.1 Unless otherwise "
    "stated, words mean what they say, as set out in Article V and Section 2.1 below.     ARTICLE TWO LICENSE     "
    "2.1 Party A grants a licence.     2.2 Party B represents that     2.2.1 it owns its servers;     2.2.2 it pays. "
    "Section 2.3 Fees. Fees are due monthly under Section 2.2(b). Section 2.4 Taxes. Taxes are paid.     3\n"
    "Source: PARTY B, F-1, 4/21/2011\n"
    "     ARTICLE THREE TERM     3.1 One year. Under ARTICLE FIVE nothing happens.\n     EXHIBIT 1     Programs "
    "licensed by Party A: news, sport\n"
)


def test_divisions_and_sections_inside_a_page_filed_as_one_line_count_when_expected_next():
    clauses = by_id(parse_text(RUN_ON))
    got = [i for i in clauses if not i.startswith(("rec", "preamble"))]
    assert got == ["art1", "1.1", "art2", "2.1", "2.2", "2.2.1", "2.2.2", "2.3", "2.4", "art3", "3.1", "exh1"]
    assert [i for i in clauses if i.startswith("rec")] == ["rec1", "rec2"]
    # a label inside the line begins where it stands: the article keeps its heading words
    assert clauses["art1"].text.startswith("DEFINITION") and clauses["1.1"].text.startswith("Unless")
    assert clauses["2.3"].label == "Section 2.3" and "under Section 2.2(b)" in clauses["2.3"].text
    # ARTICLE FIVE after ARTICLE THREE is not the one expected next: it is text
    assert "Under ARTICLE FIVE nothing happens." in clauses["3.1"].text


def test_a_run_on_section_after_a_heading_in_capitals_and_not_after_a_citation():
    text = (
        "NOW, THEREFORE, the Parties agree as follows: ARTICLE I\n"
        "DEFINITIONS AND INTERPRETATION Section 1.01 Definitions. Words as defined in Section 2.02(d). "
        "Section 1.02 Interpretation. Headings are for convenience. See Section 1.03 Other for more.\n"
    )
    got = [c.clause_id for c in parse_text(text)]
    assert got == ["preamble", "art1", "1.1", "1.2"]


# ------------------------------------------------------------------ SECTION N. and EDGAR cover lines

COVER = "EXHIBIT 10.41\n\nCREDIT AGREEMENT\n\nThis Agreement is made between A and B.\n\n"


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "SECTION 1.  Amount and Terms\n(a) The Loans.\n(b) Interest.\nSECTION 2.  Conditions\n(a) Closing.\n",
            ["preamble", "1", "1(a)", "1(b)", "2", "2(a)"],
        ),
        ("1.1 The Loans. The Lender lends.\n1.2 Interest.\n2.1 Closing.\n", ["preamble", "1.1", "1.2", "2.1"]),
        ("1.1 The Loans.\n1.2 Interest.\n\nEXHIBIT A\nForm of Note\n", ["preamble", "1.1", "1.2", "exhA"]),
    ],
)
def test_an_edgar_cover_line_before_the_agreement_does_not_wrap_it(body, expected):
    clauses = parse_text(COVER + body)
    assert [c.clause_id for c in clauses] == expected
    assert clauses[0].text.startswith("EXHIBIT 10.41")
    # `SECTION 1.` with a whole number heads a section: its heading is its words
    if body.startswith("SECTION"):
        assert by_id(clauses)["1"].heading == "Amount and Terms" and by_id(clauses)["1"].label == "SECTION 1."


def test_a_roman_number_with_the_digit_1_for_the_letter_i_counts_only_where_expected():
    text = "ARTICLE I\nTERMS\n1.01 Scope.\nARTICLE I1\nFEES\n2.01 Price.\nARTICLE III\nTERM\n3.01 One year.\n"
    clauses = by_id(parse_text(text))
    assert [i for i in clauses if i.startswith("art")] == ["art1", "art2", "art3"]
    assert clauses["art2"].label == "ARTICLE I1" and clauses["2.1"].parent_id == "art2"
    # not the article expected next: text of the clause it stands in
    text = "ARTICLE I\nTERMS\n1.01 Scope.\nARTICLE 1I1\nARTICLE II\nFEES\n"
    assert [c.clause_id for c in parse_text(text) if c.clause_id.startswith("art")] == ["art1", "art2"]
    text = "ARTICLE I\nTERMS\n1.01 Scope.\nARTICLE I1I\nFEES\nARTICLE II\nTERM\n"
    assert [c.clause_id for c in parse_text(text) if c.clause_id.startswith("art")] == ["art1", "art2"]


def test_a_decimal_with_a_space_slipped_in_counts_only_where_expected():
    text = "5. Fees\n5.5. Paid monthly.\n5. 6. The basis is the data.\n5.7. Invoices.\n6. Term\n"
    assert [c.clause_id for c in parse_text(text)] == ["5", "5.5", "5.6", "5.7", "6"]
    text = "1. Fees\n1.1 Paid monthly.\n3. 9. Not the one expected.\n1.2 Invoices.\n"
    clauses = by_id(parse_text(text))
    assert list(clauses) == ["1", "1.1", "1.2"] and "3. 9. Not" in clauses["1.1"].text

"""R13 of docs/clause-ids.md at the end of a statute: what follows the law is no attachment of it.

A consolidated statute ends with back matter. An Australian compilation ends with `Endnotes`
(abbreviation key, legislation and amendment history tables flattened to tab-separated rows,
`Schedule 1<TAB>rs No 9, 2010`); Justice Laws (Canada) ends an Act with `AMENDMENTS NOT IN
FORCE` and `RELATED PROVISIONS`, blocks of provisions its XML makes schedules. Small texts
written for each shape (no third-party text)."""

from __future__ import annotations

from conftest import by_id, parse_text


def ids(text: str) -> list[str]:
    return [c.clause_id for c in parse_text(text)]


COMPILATION = (
    "Example Act 2001\nCompilation No. 7\n"
    "Contents\nPart 1—Preliminary\n1 Short title\n2 Definitions\nSchedule 1—Forms\nEndnotes\n"
    "Endnote 1—About the endnotes\n"
    "An Act about examples\n"
    "Part 1—Preliminary\n1 Short title\nThis Act is the Example Act 2001.\n"
    "2 Definitions\n(1) In this Act, words have their meaning.\n"
    "Schedule 1—Forms\n1 Form of notice\nA notice is in writing.\n"
    "Endnotes\nEndnote 1—About the endnotes\nThe endnotes give the history of this Act.\n"
    "Endnote 4—Amendment history\n"
    "Provision affected\tHow affected\n"
    "Part 1\t\n"
    "s 2....................\tam No 5, 2003\n"
    "Schedule 1\t\n"
    "Schedule 1................\trs No 9, 2010\n"
    "Part 2\t\n"
    "cl 1.....................\tad No 9, 2010\n"
)


def test_endnotes_after_the_law_make_no_clauses():
    clauses = parse_text(COMPILATION)
    assert [c.clause_id for c in clauses] == ["preamble", "part1", "1", "2", "2(1)", "sch1", "sch1.1"]
    last = clauses[-1]
    assert "Amendment history" in last.text and "rs No 9, 2010" in last.text  # nothing is lost
    assert last.char_end == len(COMPILATION)


def test_an_endnotes_entry_of_the_contents_does_not_end_the_law():
    """The contents list `Endnotes` before the body: the body still starts and runs on."""
    c = by_id(parse_text(COMPILATION))
    assert "Endnotes" in c["preamble"].text and c["1"].parent_id == "part1"


def test_endnotes_heading_in_capitals_and_a_sentence_that_names_them():
    text = "Part 1—General\n1 Scope\nSee the Endnotes.\nThe endnotes explain it.\nENDNOTES\nPart 2\t\n"
    assert ids(text) == ["part1", "1"]
    # `Endnotes` inside a line, or with more words on it, is text
    text = "Part 1—General\n1 Scope\nEndnotes are kept by the Registrar.\n2 Fees\nNone.\n"
    assert ids(text) == ["part1", "1", "2"]


def test_an_attachment_word_in_a_table_row_is_no_heading():
    """Without an Endnotes heading (an older compilation, a table in the Act itself): a row whose
    first cell is `Schedule 2`, between rows of the same table, cites the schedule."""
    text = (
        "Part 1—Preliminary\n1 Short title\nThis Act is the Example Act.\n"
        "Schedule 1—Fees\n1 Fee\nA fee of $10.\n"
        "Table of amendments\n"
        "Provision\tAmendment\n"
        "Schedule 2\tad No 3, 2020\n"
        "Schedule 3\trep No 4, 2021\n"
    )
    assert ids(text) == ["part1", "1", "sch1", "sch1.1"]


def test_a_heading_with_a_tab_after_its_number_stays_a_heading():
    """One line with a tab is no table: `SCHEDULE 2<TAB>Fees` alone heads the schedule."""
    text = "Part 1—Preliminary\n1 Short title\nThis Act is the Example Act.\nSCHEDULE 2\tFees\n1 Fee\nTen dollars.\n"
    assert ids(text) == ["part1", "1", "sch2", "sch2.1"]
    from stages.clauses import drop_table_rows, scan_labels

    labels = scan_labels(text)
    assert drop_table_rows(text, labels) == labels


CONSOLIDATION = (
    "Example Protection Act\nS.C. 2030, c. 1\n"
    "PART 1\nProtection\n"
    "Definitions\n2 (1) The definitions in this subsection apply in this Part.\n"
    "Amendments not in force\n3 Amendments not in force are listed after the schedules.\n"
    "SCHEDULE 1\n(Section 2)\n1 A principle.\n"
    "RELATED PROVISIONS\n— 2031, c. 4, s. 20\n20 Section 2 applies to pending matters.\n"
    "AMENDMENTS NOT IN FORCE\n— 2032, c. 8, s. 40\n40 Section 3 of the Act is replaced by the following:\n"
    "Consent\n3 (1) An organization shall obtain consent.\n(2) Consent may be withdrawn.\n"
)


def test_justice_laws_back_matter_blocks_are_schedules_of_their_own():
    clauses = parse_text(CONSOLIDATION)
    c = by_id(clauses)
    assert [x.clause_id for x in clauses if x.parent_id is None] == [
        "preamble", "part1", "sch1", "schRelatedProvs", "schNifProvs",
    ]
    assert c["schNifProvs"].heading == "AMENDMENTS NOT IN FORCE"
    assert c["schRelatedProvs"].heading == "RELATED PROVISIONS"
    # the Act's sections 2 and 3 stay the Act's; numbers quoted in the blocks are scoped by them
    assert c["3"].parent_id == "part1" and "3#2" not in c
    assert all(x.clause_id.startswith("schNifProvs") for x in clauses[clauses.index(c["schNifProvs"]) :])


def test_back_matter_words_in_title_case_are_a_marginal_note():
    """`Amendments not in force` in the body is a marginal note (text); only the capitalised
    heading alone on its line opens the block."""
    c = by_id(parse_text(CONSOLIDATION))
    assert "Amendments not in force" in c["2"].text and c["3"].parent_id == "part1"


def test_french_back_matter_blocks_have_the_same_ids():
    text = (
        "PARTIE 1\nProtection\n2 Les définitions s'appliquent.\nANNEXE 1\n1 Un principe.\n"
        "DISPOSITIONS CONNEXES\n20 L'article 2 s'applique.\nMODIFICATIONS NON EN VIGUEUR\n40 L'article 3 est remplacé.\n"
    )
    tops = [c.clause_id for c in parse_text(text) if c.parent_id is None]
    assert tops[-2:] == ["schRelatedProvs", "schNifProvs"]

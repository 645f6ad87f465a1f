"""Layout of contracts as filed (R14 tables of contents, R15 page furniture): small hand-written
documents per rule, and the dev corpus's contracts against their verified ground truth
(skipped when ../shared is absent)."""

from __future__ import annotations

import json

import pytest

from conftest import SHARED, by_id, parse_text
from stages import layout
from stages.clauses import parse_document
from stages.ingest import read_document

DEV = SHARED / "corpus" / "dev"


def ids(text: str) -> list[str]:
    return [c.clause_id for c in parse_text(text)]


# ---------------------------------------------------------------------------- R15


@pytest.mark.parametrize("line", ["12", "  - 12 -", "-9-", "— 3 —", "Page 3 of 10", "Page 2/9", "ii", "<PAGE>"])
def test_page_numbers_are_furniture(line):
    assert layout.is_page_number(line)


@pytest.mark.parametrize("line", ["1. Term", "(a) Fees", "- to keep it confidential", "Page", "12 months"])
def test_labels_and_words_are_not_page_numbers(line):
    assert not layout.is_page_number(line)


def test_page_furniture_starts_no_clause_and_leaves_the_text():
    text = (
        "1. Term\nThe term is one year.\n- 12 -\nCONFIDENTIAL TREATMENT REQUESTED\n"
        "2. Fees\nFees are due monthly.\nPage 3 of 10\nCONFIDENTIAL TREATMENT REQUESTED\n"
        "3. Notices\nIn writing.\nCONFIDENTIAL TREATMENT REQUESTED\n"
    )
    clauses = parse_text(text)
    assert [c.clause_id for c in clauses] == ["1", "2", "3"]
    c = by_id(clauses)
    assert c["1"].text == "Term\nThe term is one year."
    assert c["2"].text == "Fees\nFees are due monthly."
    assert clauses[0].char_start == 0 and clauses[-1].char_end == len(text)  # the spans still cover it


def test_a_repeated_label_line_is_text_not_furniture():
    text = "1. Fees\n(a) Reserved.\n2. Term\n(a) Reserved.\n3. Notices\n(a) Reserved.\n"
    assert ids(text) == ["1", "1(a)", "2", "2(a)", "3", "3(a)"]
    assert by_id(parse_text(text))["3(a)"].text == "Reserved."


def test_a_repeated_form_line_is_kept():
    text = "第一条　甲方\n签字：\n第二条　乙方\n签字：\n第三条　丙方\n签字：\n"
    assert by_id(parse_text(text))["art3"].text.endswith("签字：")


# ---------------------------------------------------------------------------- R14


def test_entries_run_together_with_page_numbers_make_no_clauses():
    text = (
        "TABLE OF CONTENTS\n1. Term 2 2. Fees 4 3. Notices 6\n"
        "1. Term\nOne year.\n2. Fees\nMonthly.\n3. Notices\nIn writing.\n"
    )
    assert ids(text) == ["preamble", "1", "2", "3"]


def test_contents_entries_that_never_come_again_make_no_clauses():
    text = (
        "Execution version   TABLE OF CONTENTS:   CLAUSE   PAGE\n\n"
        "1.   DEFINITIONS     4\n\n2.   AMENDMENT     4\n\n7.   SCHEDULES     9\n\n"
        "This Amendment is made between the parties named below and takes effect today.\n"
        "1. DEFINITIONS\nWords have their meaning.\n2. AMENDMENT\nClause 12 is amended.\n"
    )
    assert ids(text) == ["preamble", "1", "2"]


def test_article_and_section_entries_over_page_breaks():
    text = (
        "TABLE OF CONTENTS Page\n\nARTICLE I DEFINITIONS Section 1.01. Definitions 1 ARTICLE II FEES\n\n"
        "Section 2.01. Fees 4 Section 2.02. Taxes 4 i\n\n"
        "This AGREEMENT is made as of today by and between the parties named below.\n"
        "ARTICLE I DEFINITIONS\nSection 1.01. Definitions. Words have their meaning.\n"
        "ARTICLE II FEES\nSection 2.01. Fees. Monthly.\nSection 2.02. Taxes. Paid by the buyer.\n"
    )
    assert ids(text) == ["preamble", "art1", "1.1", "art2", "2.1", "2.2"]


def test_contents_at_the_front_of_an_exhibit():
    text = (
        "1. Services\nThe provider performs the services.\n2. Fees\nMonthly.\n"
        "EXHIBIT A\nContents\n1. Scope ..... 2\n2. Levels ..... 3\n"
        "This exhibit sets out the service levels that the provider must meet.\n"
        "1. Scope\nAll services.\n2. Levels\nHigh.\n"
    )
    assert ids(text) == ["1", "2", "exhA", "exhA.1", "exhA.2"]


def test_a_contents_title_over_no_entries_drops_nothing():
    text = "1. Services\nText.\n2. Spec\nTable of Contents\n[*]\n1. OVERVIEW\nThe goal of this document is clarity.\n"
    assert ids(text) == ["1", "2", "2(1)"]  # `1. OVERVIEW` stays a clause


def test_a_numbered_contents_line_is_no_title():
    assert not layout.is_contents_title("1.       Table of Contents", starts_with_label=True)
    assert layout.is_contents_title("TABLE OF CONTENTS Page", starts_with_label=False)


# ------------------------------------------------------------------ real documents


def _dev(name: str):
    path = DEV / f"{name}.txt"
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared/corpus/dev is absent on this machine (set LEXNORM_SHARED)")
    expected = json.loads((DEV / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    return parse_document(read_document(path, path.parent)).clauses, expected


def _section_id(printed: str) -> str:
    return ".".join(str(int(part)) for part in printed.split("."))


@pytest.mark.parametrize("name", ["en_cuad_ip_garrettmotion"])
def test_contract_with_contents_and_running_headers(name):
    clauses, expected = _dev(name)
    got = [c.clause_id for c in clauses]
    assert [i for i in got if i.startswith("art")] == [f"art{n}" for n in range(1, len(expected["top_level"]) + 1)]
    assert {_section_id(s) for s in expected["section_ids"]} <= set(got)
    assert not [i for i in got if "#" in i]
    assert all("Source: GARRETT MOTION" not in c.text for c in clauses)  # the footer is furniture (R15)


@pytest.mark.parametrize(
    "name",
    [
        "en_cuad_maintenance_amendment_azul",
        "en_cuad_cobranding_stampscom",
        "en_cuad_outsourcing_cca",
        "en_cuad_promotion_middlebrook",
        "en_cuad_alliance_cherryhill",
    ],
)
def test_contract_top_level_and_exhibits(name):
    clauses, expected = _dev(name)
    top = [c.clause_id for c in clauses if c.parent_id is None and c.clause_id != "preamble" and not c.clause_id.startswith("rec")]
    exhibits = [i for i in top if i.startswith(ATTACHMENTS)]
    assert len(exhibits) == len(expected["schedules"])
    if not expected.get("article_ids"):
        assert [i for i in top if not i.startswith(ATTACHMENTS)] == expected["top_level"]
    assert all(not c.text.strip().startswith("Source:") for c in clauses)


ATTACHMENTS = ("exh", "sch", "annex", "app")  # R13: the kinds of attachment, as id prefixes


@pytest.mark.parametrize("name", ["zh_contract_samr_data_provision_gf2025_2615", "zh_contract_samr_data_fusion_gf2025_2617"])
def test_samr_contracts_articles_and_attachments(name):
    clauses, expected = _dev(name)
    got = [c.clause_id for c in clauses]
    assert [i for i in got if i.startswith("art") and i[3:].isdigit()] == [f"art{a}" for a in expected["article_ids"]]
    assert len([i for i in got if i.startswith(ATTACHMENTS) and "." not in i]) == len(expected["schedules"])
    assert not [i for i in got if "#" in i]

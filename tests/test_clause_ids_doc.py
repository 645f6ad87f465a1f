"""docs/clause-ids.md is the contract for clause ids, and it stays true: every worked example of an
implemented rule is parsed and must give exactly the ids, parents, headings and anomaly codes the
page lists; every anomaly code the parser can record is documented; code and tests cite the page,
and only rules it defines.

Examples of rules not yet implemented (R9-R17, issue 14) run as xfail(strict=False): they are the
contract for the next piece of work, some of their rows already hold today (an XPASS tells whoever
implements the rule that the page's "not yet implemented" marker can go), and `raises=AssertionError`
keeps a parser crash on them a failure, since no input may stop a run. Skipping them instead would
hide both signals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO, parse_text

DOC = REPO / "docs" / "clause-ids.md"
RULES = [f"R{n}" for n in range(18)]
# Rules the page marks "not yet implemented"; a rule leaves this list in the change that implements it.
NOT_YET: set[str] = set()  # every rule of docs/clause-ids.md is implemented (issue 14)
NOT_YET_MARK = "**Status: not yet implemented"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_SECTION = re.compile(r"^#{2,3} (.+)$", re.MULTILINE)
_RULE = re.compile(r"R\d+")


@dataclass(frozen=True)
class Example:
    section: str  # "R3", or the heading of a section that is not a rule ("Anomalies")
    line: int  # line of the ```text block in docs/clause-ids.md
    text: str
    rows: list[tuple[str, str | None, str | None, tuple[str, ...]]]


def _section_key(title: str) -> str:
    first = title.split()[0]
    return first if _RULE.fullmatch(first) else title


def _row(line: str) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    cells = [cell.strip() for cell in line.split("|")] + ["", "", ""]
    clause_id, parent, heading, codes = cells[:4]
    return clause_id, parent or None, heading or None, tuple(codes.split())


def read_doc() -> tuple[dict[str, str], list[Example]]:
    """(section key -> its Markdown, examples in page order). A ```text block must be followed by
    its ```ids block: a lone one is a mistake in the page, not an example to ignore."""
    page = DOC.read_text(encoding="utf-8")
    heads = list(_SECTION.finditer(page))
    sections = {
        _section_key(m.group(1)): page[m.end() : heads[i + 1].start() if i + 1 < len(heads) else len(page)]
        for i, m in enumerate(heads)
    }
    fences = list(_FENCE.finditer(page))
    examples: list[Example] = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "text":
            continue
        line = page.count("\n", 0, fence.start()) + 1
        following = fences[i + 1] if i + 1 < len(fences) else None
        assert following is not None and following.group(1) == "ids", f"line {line}: ```text without its ```ids block"
        owner = [m for m in heads if m.start() < fence.start()][-1]
        rows = [_row(row) for row in following.group(2).splitlines() if row.strip()]
        examples.append(Example(_section_key(owner.group(1)), line, fence.group(2), rows))
    return sections, examples


SECTIONS, EXAMPLES = read_doc()


def parsed_rows(text: str) -> list[tuple[str, str | None, str | None, tuple[str, ...]]]:
    return [
        (c.clause_id, c.parent_id, c.heading, tuple(a.split(":", 1)[0] for a in c.anomalies)) for c in parse_text(text)
    ]


def _param(example: Example):
    marks = []
    if example.section in NOT_YET:
        reason = f"{example.section} not implemented yet (issue 14)"
        marks = [pytest.mark.xfail(reason=reason, strict=False, raises=AssertionError)]
    return pytest.param(example, id=f"{example.section.replace(' ', '-')}-line{example.line}", marks=marks)


@pytest.mark.parametrize("example", [_param(e) for e in EXAMPLES])
def test_worked_example(example: Example):
    got = parsed_rows(example.text)
    assert got == example.rows, (
        f"docs/clause-ids.md line {example.line} ({example.section}): the parser now gives\n"
        + "\n".join(" | ".join([cid, parent or "", heading or "", " ".join(codes)]) for cid, parent, heading, codes in got)
    )


def test_every_rule_has_a_section_and_an_example():
    assert [r for r in RULES if r not in SECTIONS] == []
    with_examples = {e.section for e in EXAMPLES}
    assert [r for r in RULES if r not in with_examples] == []
    assert {"Anomalies", "The shape of an id"} <= with_examples


def test_not_yet_implemented_markers_agree_with_this_test():
    marked = {r for r in RULES if NOT_YET_MARK in SECTIONS[r]}
    assert marked == NOT_YET, "docs/clause-ids.md and NOT_YET disagree on which rules are not implemented yet"


def test_every_anomaly_code_of_the_clause_stage_is_documented_and_shown():
    source = (REPO / "stages" / "clauses.py").read_text(encoding="utf-8")
    codes = set(re.findall(r"\"([a-z_]+): ", source))  # the `code: explanation` strings
    assert len(codes) >= 10  # the pattern still finds them
    table = SECTIONS["Anomalies"]
    assert [code for code in sorted(codes) if f"| `{code}` |" not in table] == []
    shown = {code for e in EXAMPLES if e.section not in NOT_YET for row in e.rows for code in row[3]}
    assert sorted(codes - shown) == []


def test_code_and_tests_cite_the_page_and_only_rules_it_defines():
    files = [*sorted((REPO / "stages").rglob("*.py")), *sorted((REPO / "lexnorm").rglob("*.py")), *sorted((REPO / "tests").glob("*.py")), REPO / "README.md"]
    stale, unknown = [], []
    for path in files:
        if path == Path(__file__):
            continue  # it names the old path to look for it
        source = path.read_text(encoding="utf-8")
        if "spec/clause-ids.md" in source:
            stale.append(path.name)
        unknown += [f"{path.name}: {r}" for r in re.findall(r"\bR\d+\b", source) if r not in RULES]
    assert stale == [], "cite docs/clause-ids.md, the project's own copy of the rules"
    assert unknown == []

"""Topic stage: each clause gets zero or more topics from lexnorm's multilingual taxonomy
(`stages/data/topics.json`: governing law, liability limitation, minors, ...).

A topic's score for a clause is the sum of the weights of its patterns found in the
clause (each pattern once; a match in the heading counts double), plus half of the
parent's heading score for that topic (a clause under "8. Governing Law" leans that
way), or half of the parent's whole score for a list item (the items of "shall not
publish the following content:" are content rules). Every clause is matched with the
patterns of its own language on its own words, never through a translation: the taxonomy
holds one pattern set per language (`patterns_en`, `patterns_zh`, `patterns_de`, ...), and a
language without a set of its own is read by the set its record names (`topic_patterns` in
stages/lang/, English by default). Patterns are matched case-insensitively (which changes
nothing for Han or kana); those of the languages written with spaces are bounded by `\b`,
those of Chinese and Japanese are substrings, as their words are not separated. A clause
has every topic whose score reaches the threshold.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from stages import lang as languages
from stages.records import Clause, Document

TAXONOMY = Path(__file__).parent / "data" / "topics.json"
SAMPLE_CHARS = 4_000  # a clause's topic shows in its heading and opening; a 20 MB clause is not read whole


@dataclass(frozen=True)
class Topic:
    id: str
    en: str
    zh: str
    patterns: dict[str, tuple[tuple[re.Pattern, float], ...]]  # pattern set ("en", "zh", "de", ...) -> compiled patterns

    @property
    def label(self) -> str:
        return f"{self.en} / {self.zh}"


@dataclass(frozen=True)
class TopicScore:
    score: float
    heading_score: float
    terms: tuple[str, ...]  # what matched, for `detail`


PATTERN_SET = re.compile(r"patterns_([a-z]{2,3})")


@cache
def taxonomy() -> tuple[float, dict[str, Topic]]:
    raw = json.loads(TAXONOMY.read_text(encoding="utf-8"))
    topics = {}
    for topic_id, spec in raw["topics"].items():
        patterns = {
            found.group(1): tuple((re.compile(p, re.IGNORECASE), float(w)) for p, w in value)
            for key, value in spec.items()
            if (found := PATTERN_SET.fullmatch(key))
        }
        topics[topic_id] = Topic(topic_id, spec["en"], spec["zh"], patterns)
    return float(raw["threshold"]), topics


@cache
def pattern_sets() -> frozenset[str]:
    """The languages the taxonomy has patterns for (every topic has a set in each; the
    topic tests check it)."""
    _, topics = taxonomy()
    return frozenset(code for topic in topics.values() for code in topic.patterns)


def _script(lang: str | None) -> str:
    """Which of the taxonomy's pattern sets reads this language: its own when the taxonomy
    has one (German clauses by `patterns_de`, Japanese by `patterns_ja`), else the one its
    record names (`Language.topic_patterns`; English when it names none or one the taxonomy
    lacks). A language is read by another's patterns only while it has none of its own: a
    language borrowing Chinese (ja) keeps Chinese's `topic_patterns` as its fallback."""
    language = languages.get(lang)
    sets = pattern_sets()
    if language.code in sets:
        return language.code
    named = getattr(language, "topic_patterns", None)
    return named if named in sets else "en"


def score_clause(
    clause: Clause, parent_heading_scores: dict[str, float] | None = None, only: str | None = None
) -> dict[str, TopicScore]:
    """Every topic (or just `only`) with a non-zero score for this clause."""
    _, topics = taxonomy()
    if only is not None:
        topics = {only: topics[only]}
    heading = clause.heading or ""
    body = clause.text[:SAMPLE_CHARS]
    script = _script(clause.lang)
    inherited = parent_heading_scores or {}
    scores = {}
    for topic in topics.values():
        total = heading_total = 0.0
        terms = []
        for pattern, weight in topic.patterns.get(script, ()):
            in_heading = pattern.search(heading) if heading else None
            found = in_heading or pattern.search(body)
            if found:
                gained = weight * (2 if in_heading else 1)
                total += gained
                if in_heading:
                    heading_total += gained
                terms.append(found.group(0))
        total += 0.5 * inherited.get(topic.id, 0.0)
        if total > 0:
            scores[topic.id] = TopicScore(total, heading_total, tuple(terms))
    return scores


def _is_list_item(clause: Clause) -> bool:
    return clause.clause_id.endswith((")", "]"))


def document_scores(doc: Document) -> dict[str, dict[str, TopicScore]]:
    """clause_id -> topic -> score, for every clause of the document. A sub-clause leans
    towards its parent's heading; a list item towards everything its parent says (the
    lead-in "shall not publish the following content:" says what the items are about)."""
    by_id: dict[str, dict[str, TopicScore]] = {}
    for clause in doc.clauses:
        parent = by_id.get(clause.parent_id) if clause.parent_id else None
        inherited = None
        if parent:
            whole = _is_list_item(clause)
            inherited = {t: (s.score if whole else s.heading_score) for t, s in parent.items()}
        by_id[clause.clause_id] = score_clause(clause, inherited)
    return by_id


def classify_document(doc: Document) -> Document:
    """Topic stage: fills `topics` for every clause of an accepted document."""
    if not doc.ok:
        return doc
    threshold, _ = taxonomy()
    scores = document_scores(doc)
    clauses = []
    for c in doc.clauses:
        found = sorted((t, s.score) for t, s in scores[c.clause_id].items() if s.score >= threshold)
        clauses.append(replace(c, topics=tuple(t for t, _ in found), topic_scores=tuple(s for _, s in found)))
    return replace(doc, clauses=tuple(clauses))


def matched_terms(doc: Document, clause: Clause, topic_id: str) -> tuple[str, ...]:
    """The words that gave `clause` its `topic_id` (for an alignment's detail)."""
    by_id = {c.clause_id: c for c in doc.clauses}
    parent = by_id.get(clause.parent_id) if clause.parent_id else None
    inherited = None
    if parent is not None:
        parent_scores = score_clause(parent, only=topic_id)
        whole = _is_list_item(clause)
        inherited = {t: (s.score if whole else s.heading_score) for t, s in parent_scores.items()}
    found = score_clause(clause, inherited, only=topic_id).get(topic_id)
    return found.terms if found else ()

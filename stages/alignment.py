"""Alignment stage: three kinds of link between clauses, written to alignments.parquet.

- translation: each non-English clause to its English (`text_en`), and sentence by
  sentence (`detail.sentence` indexes `sentences` / `sentences_en`). Score: the model's
  confidence (or the gloss's dictionary coverage).
- parallel: two input documents that are language versions of one agreement (detected,
  or listed in the input folder's manifest.json) are aligned clause by clause: by
  clause id first, then inside the gaps between matched clauses in order when both
  sides have as many clauses, else by aligning the two sequences by length, level,
  printed number and the numbers mentioned (in the spirit of Gale and Church); when the
  versions number their clauses differently (few ids in common), the whole sequences are
  aligned that way. Every pair is checked against content evidence (numbers and dates, quoted terms, length ratio,
  and the English when a real model translated the left side). Clauses without a
  counterpart get a row with the other side null. Inside matched clauses with the same
  number of paragraphs, paragraphs are linked too.
- topic: per topic of lexnorm's taxonomy, the best clause of each document is linked to
  the best clause of every other document (the governing-law clauses of all agreements).

`detail` is JSON saying what was compared and what was found, so a reader can tell why
two clauses were linked.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import combinations

from stages.lang.numbers import mentions
from stages.lang.zh import HAN_DIGITS
from stages.numbering import han_to_int
from stages.records import Alignment, Clause, Document
from stages.topics import matched_terms, taxonomy
from stages.translate import TARGET

LOW_CONFIDENCE = 0.5
SKELETON_MIN = 0.8  # share of clause ids two documents must have in common to be language versions
NUMBERS_MIN = 0.3  # and of the numbers they mention
MIN_COMMON_IDS = 5
ID_TRUST = 0.5  # below this share of clauses matched by id, two versions are aligned by structure instead


def _detail(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


# ------------------------------------------------------------------------ translation


def translation_links(doc: Document) -> list[Alignment]:
    links = []
    for c in doc.clauses:
        if c.translation_engine is None or c.sentences_en is None:
            continue
        scores = list(c.translation_scores or [0.0] * len(c.sentences_en))
        clause_score = statistics.fmean(scores) if scores else 0.0
        links.append(
            Alignment(
                "translation", doc.doc_id, c.clause_id, doc.doc_id, c.clause_id, round(clause_score, 4),
                c.translation_engine, _translation_detail("clause", len(scores)),
            )
        )  # fmt: skip
        for i, score in enumerate(scores):
            links.append(
                Alignment(
                    "translation", doc.doc_id, c.clause_id, doc.doc_id, c.clause_id, round(score, 4),
                    c.translation_engine, _translation_detail("sentence", i),
                )
            )  # fmt: skip
    return links


@lru_cache(maxsize=4096)
def _translation_detail(level: str, n: int) -> str:
    """A translation link's `detail`: a clause's (n sentences) or its sentence n's. A few
    distinct strings for a whole run's links, each made once (it was a third of the time
    of writing a long document's rows)."""
    if level == "clause":
        return _detail(level="clause", left="text", right="text_en", sentences=n)
    return _detail(level="sentence", sentence=n, left="sentences", right="sentences_en")


# ---------------------------------------------------------------------------- evidence

_EN_WORD = re.compile(r"[a-z]+")
_QUOTED = re.compile(r"“[^”]{1,60}”|\"[^\"]{1,60}\"|《[^》]{1,60}》|「[^」]{1,60}」")
_STOP = frozenset("the a an of to and or in on for by with as at be is are shall may this that any such its their".split())


# Numbers a clause mentions, comparable across languages: digits, scaled amounts, native
# numerals in counting positions (第十三条, 三十日), English number words and month names.
numbers = mentions


def _agreement(a: Counter, b: Counter) -> float | None:
    if not a and not b:
        return None
    return sum((a & b).values()) / sum((a | b).values())


def _content_words(text: str) -> set[str]:
    return {w for w in _EN_WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def compare(left: Clause, right: Clause, expected_ratio: float, translated: bool) -> tuple[float, dict]:
    """Content evidence that `left` and `right` say the same thing, and a 0..1 score."""
    ln, rn = numbers(left.text), numbers(right.text)
    evidence: dict = {}
    parts: list[tuple[float, float]] = []  # (value, weight)
    agree = _agreement(ln, rn)
    if agree is not None:
        evidence["numbers"] = {"left": sorted(ln, key=str), "right": sorted(rn, key=str), "agreement": round(agree, 3)}
        parts.append((agree, 2.0))
    lq, rq = len(_QUOTED.findall(left.text)), len(_QUOTED.findall(right.text))
    if lq or rq:
        evidence["quoted_terms"] = [lq, rq]
        parts.append((1 - abs(lq - rq) / (max(lq, rq) + 1), 0.5))  # quoting habits differ between languages
    if left.text and right.text:
        ratio = len(right.text) / len(left.text)
        evidence["length_ratio"] = round(ratio, 3)
        evidence["expected_ratio"] = round(expected_ratio, 3)
        parts.append((math.exp(-abs(math.log(ratio / expected_ratio))), 1.0))
    if translated and left.text_en and right.text:
        a, b = _content_words(left.text_en), _content_words(right.text)
        if a and b:
            overlap = len(a & b) / len(a | b)
            evidence["translation_overlap"] = round(overlap, 3)
            parts.append((min(1.0, 2 * overlap), 2.0))  # a good translation shares about half its content words
    score = sum(v * w for v, w in parts) / sum(w for _, w in parts) if parts else 0.5
    evidence["low_confidence"] = score < LOW_CONFIDENCE
    return round(score, 4), evidence


# ---------------------------------------------------------------------------- parallel


@dataclass(frozen=True)
class DocSummary:
    """What cross-document alignment needs to know of a document, without its clauses:
    enough to detect language versions and to link topics, small enough to keep for
    every document of a large run."""

    doc_id: str
    lang: str | None
    skeleton: frozenset[str]  # clause ids, preamble and #duplicates aside
    numbers: Counter
    best: dict[str, tuple[str, float, tuple[str, ...]]]  # topic -> (clause_id, score, matched words)

    def plain(self) -> dict:
        """As JSON can hold it, so that a results store can keep it beside the document and
        an unchanged document need not be loaded to be aligned again: the numbers as
        (value, count) pairs (JSON keeps 5 and 5.0 apart, not as object keys), ids sorted."""
        return {
            "doc_id": self.doc_id, "lang": self.lang, "skeleton": sorted(self.skeleton),
            "numbers": [[value, n] for value, n in self.numbers.items()],
            "best": {t: [c, score, list(words)] for t, (c, score, words) in self.best.items()},
        }  # fmt: skip

    @classmethod
    def from_plain(cls, record: dict) -> DocSummary:
        """The summary `plain` gave (a ValueError, TypeError or KeyError when `record` is not one)."""
        numbers_total: Counter = Counter()
        for value, n in record["numbers"]:
            if not isinstance(value, int | float) or not isinstance(n, int):
                raise TypeError(f"not a number and its count: {value!r}, {n!r}")
            numbers_total[value] = n
        best = {}
        for topic, (clause_id, score, words) in record["best"].items():
            if not isinstance(score, int | float):  # kept as it was: 2 and 2.0 print apart in a link's detail
                raise TypeError(f"not a score: {score!r}")
            best[str(topic)] = (str(clause_id), score, tuple(map(str, words)))
        lang = record["lang"]
        return cls(str(record["doc_id"]), None if lang is None else str(lang), frozenset(map(str, record["skeleton"])), numbers_total, best)


def summarize(doc: Document) -> DocSummary:
    numbers_total: Counter = Counter()
    top: dict[str, tuple[float, Clause]] = {}
    for clause in doc.clauses:
        numbers_total.update(numbers(clause.text))
        for topic_id, score in zip(clause.topics, clause.topic_scores):
            if topic_id not in top or score > top[topic_id][0]:
                top[topic_id] = (score, clause)
    best = {t: (c.clause_id, score, matched_terms(doc, c, t)) for t, (score, c) in top.items()}
    skeleton = frozenset(c.clause_id for c in doc.clauses if c.clause_id != "preamble" and "#" not in c.clause_id)
    return DocSummary(doc.doc_id, doc.lang, skeleton, numbers_total, best)


def _oriented(a: DocSummary, b: DocSummary) -> tuple[DocSummary, DocSummary]:
    """Left is the source language, right the English (or by doc_id when neither is)."""
    if a.lang == TARGET and b.lang != TARGET:
        return b, a
    if b.lang == TARGET and a.lang != TARGET:
        return a, b
    return (a, b) if a.doc_id <= b.doc_id else (b, a)


def pairs_from(summaries: list[DocSummary], manifest: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str, dict]]:
    """(left doc_id, right doc_id, how found) for language versions of one agreement:
    listed in the manifest, or detected (different languages, nearly the same clause ids,
    and the same numbers)."""
    by_id = {s.doc_id: s for s in summaries}
    pairs: list[tuple[str, str, dict]] = []
    seen: set[frozenset] = set()
    for a_id, b_id in manifest:
        if a_id in by_id and b_id in by_id and frozenset((a_id, b_id)) not in seen:
            seen.add(frozenset((a_id, b_id)))
            left, right = _oriented(by_id[a_id], by_id[b_id])
            pairs.append((left.doc_id, right.doc_id, {"found_by": "manifest"}))
    candidates: dict[str, list[tuple[float, str, dict]]] = {}
    for a, b in combinations(sorted(summaries, key=lambda s: s.doc_id), 2):
        if a.lang == b.lang or frozenset((a.doc_id, b.doc_id)) in seen:
            continue
        if min(len(a.skeleton), len(b.skeleton)) < SKELETON_MIN * max(len(a.skeleton), len(b.skeleton)):
            continue  # too different in size to share 80% of their ids: skip the set work
        common = len(a.skeleton & b.skeleton)
        union = len(a.skeleton | b.skeleton)
        skeleton = common / union if union else 0.0
        if common < MIN_COMMON_IDS or skeleton < SKELETON_MIN:
            continue
        agree = _agreement(a.numbers, b.numbers)
        if agree is not None and agree < NUMBERS_MIN:
            continue
        evidence = {"found_by": "detection", "skeleton": round(skeleton, 3), "numbers": agree and round(agree, 3)}
        strength = skeleton + (agree or 0.0)
        candidates.setdefault(a.doc_id, []).append((strength, b.doc_id, evidence))
        candidates.setdefault(b.doc_id, []).append((strength, a.doc_id, evidence))
    # a document is the language version of at most one other per language: its best match,
    # when that document's best match (in the first one's language) is the first one
    best: dict[tuple[str, str | None], tuple[float, str, dict]] = {}
    for doc_id, found in candidates.items():
        for strength, other, evidence in found:
            key = (doc_id, by_id[other].lang)
            if key not in best or (strength, other) > (best[key][0], best[key][1]):
                best[key] = (strength, other, evidence)
    for (doc_id, _), (_, other, evidence) in sorted(best.items()):
        mutual = best.get((other, by_id[doc_id].lang))
        if mutual is not None and mutual[1] == doc_id and doc_id < other:
            left, right = _oriented(by_id[doc_id], by_id[other])
            pairs.append((left.doc_id, right.doc_id, evidence))
    return pairs


def parallel_pairs(docs: list[Document], manifest: Iterable[tuple[str, str]] = ()) -> list[tuple[Document, Document, dict]]:
    """`pairs_from` over whole documents."""
    by_id = {d.doc_id: d for d in docs if d.ok}
    return [(by_id[a], by_id[b], found) for a, b, found in pairs_from([summarize(d) for d in by_id.values()], manifest)]


def _paragraphs(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def parallel_links(left: Document, right: Document, found: dict) -> list[Alignment]:
    lmap = {c.clause_id: c for c in left.clauses}
    rmap = {c.clause_id: c for c in right.clauses}
    pairs: list[tuple[Clause, Clause, str]] = [(lmap[i], rmap[i], "id") for i in lmap if i in rmap]
    if len(pairs) >= ID_TRUST * min(len(lmap), len(rmap)):
        ratios = [len(r.text) / len(lc.text) for lc, r, _ in pairs if lc.text and r.text]
        by_id = statistics.median(ratios) if ratios else 1.0
        pairs += _structural(left.clauses, right.clauses, {i for i in lmap if i in rmap}, by_id)
    else:  # the versions number their clauses differently: align the whole sequences
        overall = sum(len(c.text) for c in right.clauses) / max(1, sum(len(c.text) for c in left.clauses))
        found = align_sequences(list(left.clauses), list(right.clauses), overall or 1.0)
        pairs = [(left.clauses[i], right.clauses[j], "id" if left.clauses[i].clause_id == right.clauses[j].clause_id else "structure") for i, j in found]
    pairs.sort(key=lambda p: p[0].seq)
    ratios = [len(r.text) / len(lc.text) for lc, r, _ in pairs if lc.text and r.text]
    expected = statistics.median(ratios) if ratios else 1.0
    translated = any((c.translation_engine or "").startswith("argos:") for c in left.clauses)
    links: list[Alignment] = []
    for lc, rc, method in pairs:
        score, evidence = compare(lc, rc, expected, translated)
        links.append(
            Alignment(
                "parallel", left.doc_id, lc.clause_id, right.doc_id, rc.clause_id, score, method,
                _detail(level="clause", pair=found, **evidence),
            )
        )  # fmt: skip
        lp, rp = _paragraphs(lc.text), _paragraphs(rc.text)
        if len(lp) == len(rp) > 1:
            for k, (a, b) in enumerate(zip(lp, rp)):
                p_score, p_evidence = compare(_as_clause(lc, a), _as_clause(rc, b), expected, False)
                links.append(
                    Alignment(
                        "parallel", left.doc_id, lc.clause_id, right.doc_id, rc.clause_id, p_score, method,
                        _detail(level="paragraph", left_paragraph=k, right_paragraph=k, **p_evidence),
                    )
                )  # fmt: skip
    matched_left = {lc.clause_id for lc, _, _ in pairs}
    matched_right = {rc.clause_id for _, rc, _ in pairs}
    for c in left.clauses:
        if c.clause_id not in matched_left:
            links.append(Alignment("parallel", left.doc_id, c.clause_id, right.doc_id, None, 0.0, "unmatched", _detail(level="clause", unmatched="left", pair=found)))
    for c in right.clauses:
        if c.clause_id not in matched_right:
            links.append(Alignment("parallel", left.doc_id, None, right.doc_id, c.clause_id, 0.0, "unmatched", _detail(level="clause", unmatched="right", pair=found)))
    return links


def _as_clause(clause: Clause, text: str) -> Clause:
    return replace(clause, text=text, text_en=None)


def _gaps(clauses: tuple[Clause, ...], matched: set[str]) -> dict[str | None, list[Clause]]:
    """The clauses without an id match, grouped by the id-matched clause before them."""
    out: dict[str | None, list[Clause]] = {}
    anchor = None
    for c in clauses:
        if c.clause_id in matched:
            anchor = c.clause_id
        else:
            out.setdefault(anchor, []).append(c)
    return out


def _structural(
    left: tuple[Clause, ...], right: tuple[Clause, ...], matched: set[str], expected_ratio: float
) -> list[tuple[Clause, Clause, str]]:
    """Between two consecutive id matches, the clauses left unmatched are paired: in order
    when both sides have as many (a renumbered or mislabelled clause: "position"), else by
    aligning the two sequences (`align_sequences`: "structure"), which lets a clause that
    one version has and the other lacks (an extra recital, an item split in two) stay
    unmatched instead of shifting every pair after it."""
    lg, rg = _gaps(left, matched), _gaps(right, matched)
    found = []
    for anchor, lcs in lg.items():
        rcs = rg.get(anchor, [])
        if not lcs or not rcs:
            continue
        if len(lcs) == len(rcs):
            found.extend((a, b, "position") for a, b in zip(lcs, rcs))
        else:
            found.extend((lcs[i], rcs[j], "structure") for i, j in align_sequences(lcs, rcs, expected_ratio))
    return found


SKIP_COST = 0.55  # a clause left without a counterpart costs about as much as a poor pair
MAX_CELLS = 2_000_000  # the alignment's band: beyond this, the gap is left unmatched (bounded time)


_LABEL_DIGITS = re.compile(r"\d+")


def _label_key(clause: Clause) -> str:
    """A clause's own number as printed, comparable across languages: its last run of
    digits ('Article 12' and '12.' and '(12)' -> '12'), else its numeral in Han
    characters as a number ('第十二条' -> '12'), else its letters ('(a)' -> 'a')."""
    label = clause.label or ""
    digits = _LABEL_DIGITS.findall(label)
    if digits:
        return str(int(digits[-1]))
    han = "".join(ch for ch in label if ch in HAN_DIGITS)
    value = han_to_int(han) if han else None
    if value is not None:
        return str(value)
    return re.sub(r"[\W_]+", "", label).lower()


def _pair_cost(a: Clause, b: Clause, expected_ratio: float) -> float:
    """How unlike two clauses are in structure and length, 0 (alike) .. about 1, in the
    spirit of Gale and Church's length-based sentence alignment: the length ratio against
    the pair's usual ratio, plus the level and the printed number (which translations
    keep even where the ids differ), plus the numbers the texts mention."""
    cost = 0.0
    if a.text and b.text:
        cost += min(1.0, abs(math.log(len(b.text) / len(a.text) / expected_ratio)) / 1.5) * 0.5
    else:
        cost += 0.25
    cost += 0.0 if a.level == b.level else 0.25
    la, lb = _label_key(a), _label_key(b)
    cost += 0.0 if la and la == lb else 0.05 if not la or not lb else 0.1  # renumbered versions differ here
    agree = _agreement(numbers(a.text), numbers(b.text))
    if agree is not None:
        cost += (1 - agree) * 0.5  # amounts, dates and periods survive translation
    return cost


def align_sequences(left: list[Clause], right: list[Clause], expected_ratio: float) -> list[tuple[int, int]]:
    """The pairs (i, j) of the cheapest monotone alignment of two clause sequences, each
    clause paired once or left alone (SKIP_COST), by dynamic programming over a band
    around the diagonal wide enough for the difference in length (time and memory
    O((n + m) * band), bounded by MAX_CELLS: a longer gap is left unmatched)."""
    n, m = len(left), len(right)
    band = abs(n - m) + 8
    if (n + 1) * (2 * band + 1) > MAX_CELLS:
        return []
    inf = float("inf")
    cost: list[dict[int, float]] = [dict() for _ in range(n + 1)]
    move: list[dict[int, int]] = [dict() for _ in range(n + 1)]  # 0 pair, 1 skip left, 2 skip right
    cost[0][0] = 0.0
    for i in range(n + 1):
        lo, hi = max(0, i - band), min(m, i + band)
        row, moves = cost[i], move[i]
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            best, how = inf, -1
            if i and j and j - 1 in cost[i - 1]:
                best, how = cost[i - 1][j - 1] + _pair_cost(left[i - 1], right[j - 1], expected_ratio), 0
            if i and j in cost[i - 1] and cost[i - 1][j] + SKIP_COST < best:
                best, how = cost[i - 1][j] + SKIP_COST, 1
            if j and j - 1 in row and row[j - 1] + SKIP_COST < best:
                best, how = row[j - 1] + SKIP_COST, 2
            if how >= 0:
                row[j], moves[j] = best, how
    if m not in cost[n]:
        return []
    pairs, i, j = [], n, m
    while i or j:
        how = move[i][j]
        if how == 0:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


# ------------------------------------------------------------------------------ topics


def _strength(score: float) -> float:
    """A topic score (2, 3, 5, ...) as 0..1."""
    return 1 - math.exp(-score / 3)


TOPIC_HUBS = 8  # per topic, every document's best clause links to the strongest few clauses of the run


def topic_links_from(summaries: list[DocSummary]) -> list[Alignment]:
    """Per topic, the best clause of each document (highest topic score; the first on a
    tie) linked to the topic's strongest clauses in the run (its TOPIC_HUBS best). With up
    to TOPIC_HUBS + 1 documents that is every pair; with a thousand it stays linear."""
    _, topics = taxonomy()
    ordered = sorted(summaries, key=lambda s: s.doc_id)
    links = []
    for topic_id, topic in topics.items():
        found = [(s.doc_id, *s.best[topic_id]) for s in ordered if topic_id in s.best]
        hubs = sorted(found, key=lambda f: (-f[2], f[0]))[:TOPIC_HUBS]
        pairs = {tuple(sorted((hub, other))) for hub in hubs for other in found if other[0] != hub[0]}
        for (ld, lc, ls, lt), (rd, rc, rs, rt) in sorted(pairs):
            score = math.sqrt(_strength(ls) * _strength(rs))
            links.append(
                Alignment(
                    "topic", ld, lc, rd, rc, round(score, 4), "topic-keywords",
                    _detail(
                        topic=topic_id, label=topic.label, left_score=ls, right_score=rs, left_terms=list(lt),
                        right_terms=list(rt), why="the best-scoring clause for this topic in each document",
                    ),
                )
            )  # fmt: skip
    return links


def topic_links(docs: list[Document]) -> list[Alignment]:
    return topic_links_from([summarize(d) for d in docs if d.ok])


# ------------------------------------------------------------------------------- stage


def cross_document_links(
    summaries: list[DocSummary], manifest: Iterable[tuple[str, str]], load: Callable[[str], Document]
) -> list[Alignment]:
    """Parallel and topic links of a run, from the documents' summaries; `load` fetches a
    whole document (from the results store) only for the language versions found."""
    links: list[Alignment] = []
    for left_id, right_id, found in pairs_from(summaries, manifest):
        links.extend(parallel_links(load(left_id), load(right_id), found))
    links.extend(topic_links_from(summaries))
    return links


def align(docs: list[Document], manifest: Iterable[tuple[str, str]] = ()) -> list[Alignment]:
    """Alignment stage over whole documents (after translation and topics)."""
    ok = sorted((d for d in docs if d.ok), key=lambda d: d.doc_id)
    by_id = {d.doc_id: d for d in ok}
    links = [link for doc in ok for link in translation_links(doc)]
    links.extend(cross_document_links([summarize(d) for d in ok], manifest, by_id.__getitem__))
    return links

"""Alignment quality, per kind: precision and recall.

- topic: the classifier against 60 hand-labelled seed clauses (bench/data/topics_gold.json),
  per topic and overall (micro-averaged over clause-topic decisions); and per language
  against labelled clauses of the dev corpus (bench/data/topics_gold_dev.json: de, fr, ja,
  en, zh), each found by a short quote of its text, not by clause id;
- parallel: PIPL Chinese <-> English (../shared/corpus): the 74 articles and 62 items must
  link to their counterparts; paragraphs against the gold file
  gold_article_align_zh_en/cn_pipl_2021_aligned.jsonl (each of our paragraphs, and each
  item, is mapped to a gold paragraph by its text);
- translation: every non-English seed clause linked to its English, sentence by sentence.
Usage: python bench/alignment_eval.py
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from pathlib import Path

from _inputs import SEEDS, SHARED

from stages.alignment import align, parallel_links, parallel_pairs
from stages.clauses import parse_document
from stages.ingest import read_document
from stages.language import detect_languages
from stages.topics import classify_document
from stages.translate import TranslationSettings, Translator, translate_document

GOLD_TOPICS = Path(__file__).parent / "data" / "topics_gold.json"
GOLD_TOPICS_DEV = Path(__file__).parent / "data" / "topics_gold_dev.json"


def prepared(path: Path):
    return classify_document(detect_languages(parse_document(read_document(path))))


def pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def topic_eval() -> None:
    docs = {p.name[:3]: prepared(p) for p in SEEDS}
    clauses = {(k, c.clause_id): c for k, d in docs.items() for c in d.clauses}
    counts: dict[str, Counter] = defaultdict(Counter)
    for key, clause_id, gold in json.loads(GOLD_TOPICS.read_text())["labels"]:
        predicted = set(clauses[(key, clause_id)].topics)
        gold = set(gold)
        for topic in predicted | gold:
            _count(counts[topic], {topic} & predicted, {topic} & gold)
    total = sum(counts.values(), Counter())
    print("topic classification on 60 labelled seed clauses")
    print(f"  {'topic':<24}{'gold':>5}{'pred':>5}{'precision':>11}{'recall':>8}")
    for topic in sorted(counts):
        c = counts[topic]
        p, r = pr(c["tp"], c["fp"], c["fn"])
        print(f"  {topic:<24}{c['tp'] + c['fn']:>5}{c['tp'] + c['fp']:>5}{p:>11.2f}{r:>8.2f}")
    p, r = pr(total["tp"], total["fp"], total["fn"])
    print(f"  {'all (micro)':<24}{total['tp'] + total['fn']:>5}{total['tp'] + total['fp']:>5}{p:>11.2f}{r:>8.2f}")


def _flat(text: str) -> str:
    """Text as a quote is looked up in it: NFKC, runs of whitespace as one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def _count(counts: Counter, predicted: set[str], gold: set[str]) -> None:
    for topic in predicted | gold:
        counts["tp" if topic in predicted and topic in gold else "fp" if topic in predicted else "fn"] += 1


def topic_eval_dev() -> None:
    """Per language: the classifier against labelled dev-corpus clauses. A labelled clause is
    the parsed clause whose text holds its quote (the shortest, if a parent repeats it); a
    quote no clause holds is counted as a clause with no topics and reported."""
    dev = SHARED / "corpus" / "dev"
    if not dev.is_dir():
        print(f"topic classification on the dev corpus: skipped, {dev} not found")
        return
    labels = json.loads(GOLD_TOPICS_DEV.read_text(encoding="utf-8"))["labels"]
    docs = {name: prepared(dev / name) for name in sorted({label["file"] for label in labels})}
    texts = {name: [(_flat(c.text), c) for c in doc.clauses] for name, doc in docs.items()}
    counts: dict[str, Counter] = defaultdict(Counter)
    clauses: Counter = Counter()
    missing = []
    for label in labels:
        quote = _flat(label["quote"])
        holders = [c for text, c in texts[label["file"]] if quote in text]
        if not holders:
            missing.append(f"{label['file']}: {label['quote']}")
        predicted = set(min(holders, key=lambda c: len(c.text)).topics) if holders else set()
        _count(counts[label["lang"]], predicted, set(label["topics"]))
        clauses[label["lang"]] += 1
    print(f"topic classification on {len(labels)} labelled dev-corpus clauses, per language")
    print(f"  {'language':<24}{'clauses':>8}{'gold':>5}{'pred':>5}{'precision':>11}{'recall':>8}")
    for lang in sorted(counts, key=lambda k: (-clauses[k], k)):
        c = counts[lang]
        p, r = pr(c["tp"], c["fp"], c["fn"])
        print(f"  {lang:<24}{clauses[lang]:>8}{c['tp'] + c['fn']:>5}{c['tp'] + c['fp']:>5}{p:>11.2f}{r:>8.2f}")
    for quote in missing:
        print(f"  not found in any clause (counted as no topics): {quote}")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"^\s*(?:\(\d+\)|\([一二三四五六七八九十]+\))\s*", "", text)
    return re.sub(r"\s+", "", text)


def _gold_index(paragraph: str, gold: list[str]) -> int | None:
    target = _norm(paragraph)
    scores = [SequenceMatcher(None, target, _norm(g)).ratio() for g in gold]
    best = max(range(len(gold)), key=scores.__getitem__)
    return best if scores[best] > 0.8 else None


def parallel_eval() -> None:
    zh_path, en_path = SHARED / "corpus" / "cn_pipl_zh.txt", SHARED / "corpus" / "cn_pipl_en.txt"
    gold_path = SHARED / "corpus" / "gold_article_align_zh_en" / "cn_pipl_2021_aligned.jsonl"
    if not (zh_path.exists() and en_path.exists() and gold_path.exists()):
        print(f"parallel: skipped, {SHARED / 'corpus'} not found")
        return
    zh, en = prepared(zh_path), prepared(en_path)
    pairs = parallel_pairs([zh, en])
    print(f"parallel: detected pairs {[(a.doc_id, b.doc_id, f['found_by']) for a, b, f in pairs]}")
    links = parallel_links(*pairs[0])
    clause_links = [link for link in links if json.loads(link.detail)["level"] == "clause" and link.left_clause and link.right_clause]
    articles = [link for link in clause_links if re.fullmatch(r"art\d+", link.left_clause)]
    items = [link for link in clause_links if re.fullmatch(r"art\d+\(\d+\)", link.left_clause)]
    correct_articles = sum(link.left_clause == link.right_clause for link in articles)
    correct_items = sum(link.left_clause == link.right_clause for link in items)
    low = sum(json.loads(link.detail)["low_confidence"] for link in clause_links)
    unmatched = sum(1 for link in links if link.method == "unmatched")
    print(f"  articles linked correctly: {correct_articles}/74 (links {len(articles)}); items: {correct_items}/62 (links {len(items)})")
    print(f"  clause links {len(clause_links)}, low confidence {low}, unmatched clauses {unmatched}")

    gold = {row["article"]: row for row in map(json.loads, gold_path.read_text(encoding="utf-8").splitlines())}
    zh_by, en_by = {c.clause_id: c for c in zh.clauses}, {c.clause_id: c for c in en.clauses}
    predicted: set[tuple[int, int, int]] = set()
    for link in links:
        detail = json.loads(link.detail)
        if not link.left_clause or not link.right_clause or not link.left_clause.startswith("art"):
            continue
        article = int(re.match(r"art(\d+)", link.left_clause).group(1))
        g = gold[article]
        lc, rc = zh_by[link.left_clause], en_by[link.right_clause]
        if detail["level"] == "paragraph":
            a = lc.text.split("\n")[detail["left_paragraph"]]
            b = rc.text.split("\n")[detail["right_paragraph"]]
        elif detail["level"] == "clause" and len(lc.text.split("\n")) == 1 == len(rc.text.split("\n")):
            a, b = lc.text, rc.text  # a one-paragraph clause is a paragraph link too (items, short articles)
        else:
            continue
        i, j = _gold_index(a, g["zh_paragraphs"]), _gold_index(b, g["en_paragraphs"])
        if i is not None and j is not None:
            predicted.add((article, i, j))
        else:
            predicted.add((article, -1, -1))  # a link to something the gold does not have: a false positive
    gold_pairs = {(a, i, i) for a, row in gold.items() for i in range(len(row["zh_paragraphs"]))}
    tp = len(predicted & gold_pairs)
    p, r = pr(tp, len(predicted - gold_pairs), len(gold_pairs - predicted))
    print(f"  paragraphs: gold {len(gold_pairs)}, predicted {len(predicted)}, correct {tp}: precision {p:.3f}, recall {r:.3f}")


def translation_eval() -> None:
    doc = prepared(next(p for p in SEEDS if p.name.startswith("003")))
    settings = TranslationSettings(cache_path=None, package_dirs=(Path("/nonexistent"),))
    doc = translate_document(doc, Translator(settings))
    links = [a for a in align([doc]) if a.kind == "translation"]
    clause_links = [a for a in links if json.loads(a.detail)["level"] == "clause"]
    sentences = sum(len(c.sentences) for c in doc.clauses if c.sentences_en is not None)
    print(f"translation (no model installed: gloss): {len(clause_links)}/{len(doc.clauses)} Chinese clauses linked, "
          f"{len(links) - len(clause_links)}/{sentences} sentences")  # fmt: skip


if __name__ == "__main__":
    topic_eval()
    topic_eval_dev()
    parallel_eval()
    translation_eval()

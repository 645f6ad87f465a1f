"""Clause-parser throughput, against the bare library on the same input in one run.

The baseline is what any parser must at least do: one pass of Python's `re` over every
line looking for a label (the regex SOURCES.md used to count articles, widened to the
decimal, item and bullet labels). lexnorm's clause stage does that and builds the tree,
ids, spans, text, headings and anomalies. Prints MB/s for both and the ratio
(lexnorm time / bare time). Usage: python bench/parse_throughput.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import re

from _inputs import REPO, SHARED, Result, best_of

from stages.clauses import build_clauses
INPUTS = {
    "Civil Code (zh)": SHARED / "corpus" / "cn_civil_code_zh.txt",
    "CUAD hosting (en)": SHARED / "corpus" / "en_cuad_hosting_inktomi.txt",
    "CUAD endorsement (en)": SHARED / "corpus" / "en_cuad_endorsement_womensgolf.txt",
}
BARE = re.compile(
    r"^\s*(?:第[〇零一二三四五六七八九十百千]+[编章节条](?:\s|$)|\d+(?:\.\d+)*[.、]?\s|[（(][\w一二三四五六七八九十]+[)）]|[-•]\s)",
    re.MULTILINE,
)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    seeds = sorted((REPO / "data" / "raw").glob("*.txt"))
    inputs = {name: path for name, path in INPUTS.items() if path.exists()}
    if len(inputs) < len(INPUTS):
        print(f"note: {SHARED / 'corpus'} not found; measuring the bundled seeds only")
    texts = {name: path.read_text(encoding="utf-8") for name, path in inputs.items()}
    texts["5 bundled seeds"] = "\n".join(p.read_text(encoding="utf-8") for p in seeds)
    results = []
    print(f"{'input':<24}{'MB':>7}{'clauses':>9}{'lexnorm MB/s':>14}{'bare re MB/s':>14}{'ratio':>8}")
    for name, text in texts.items():
        mb = len(text.encode()) / 1e6
        clauses = len(build_clauses("bench", text)[0])
        ours = best_of(args.repeat, lambda text=text: build_clauses("bench", text))
        bare = best_of(args.repeat, lambda text=text: sum(1 for _ in BARE.finditer(text)))
        print(f"{name:<24}{mb:>7.3f}{clauses:>9}{mb / ours:>14.1f}{mb / bare:>14.1f}{ours / bare:>7.1f}x")
        results.append(Result(f"parse {name}", f"{mb / ours:.1f} MB/s ({ours / bare:.0f}x a bare re scan)", ">= 5 MB/s", mb / ours >= 5))
    print(f"(best of {args.repeat} runs; ratio = lexnorm time / bare regex time; {os.cpu_count()} cores)")
    return results


if __name__ == "__main__":
    main()

"""Segmentation stage vs bare jieba on the same text, in one run.

Bare: `jieba.Tokenizer().lcut(text)` (precise mode, jieba's own dictionary) on each
Chinese clause's text. lexnorm: `segment_chinese` on the same texts (protected spans,
legal dictionary, no white space or punctuation tokens). Both tokenizers are initialised
before timing, and timed alternately, best of --repeat each (the machine's speed drifts).
Target: ratio <= 1.2. Usage: python bench/segmentation.py [--repeat N]
"""

from __future__ import annotations

import argparse
import logging
import os
import warnings

from _inputs import Result, best_of, best_of_pair, chinese_text

from stages.clauses import build_clauses
from stages.segment import segment_chinese, tokenizer


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    name, text = chinese_text()
    texts = [c.text for c in build_clauses("bench", text)[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba
    jieba.setLogLevel(logging.WARNING)
    bare_tok = jieba.Tokenizer()
    bare_tok.initialize()
    tokenizer()  # lexnorm's, with the legal dictionary
    chars = sum(len(t) for t in texts)

    bare, ours = best_of_pair(args.repeat, lambda: [bare_tok.lcut(t) for t in texts], lambda: [segment_chinese(t) for t in texts])
    whole = best_of(args.repeat, lambda: bare_tok.lcut("\n".join(texts)))
    n_bare = sum(len(bare_tok.lcut(t)) for t in texts)
    n_ours = sum(len(segment_chinese(t)) for t in texts)
    print(f"input: {name}, {len(texts)} clauses, {chars:,} characters ({os.cpu_count()} cores)")
    print(f"{'':<36}{'seconds':>9}{'chars/s':>12}{'tokens':>9}")
    print(f"{'bare jieba.lcut per clause':<36}{bare:>9.3f}{chars / bare:>12,.0f}{n_bare:>9}")
    print(f"{'bare jieba.lcut whole text':<36}{whole:>9.3f}{chars / whole:>12,.0f}")
    print(f"{'lexnorm segmentation stage':<36}{ours:>9.3f}{chars / ours:>12,.0f}{n_ours:>9}")
    print(f"ratio lexnorm / bare jieba (per clause): {ours / bare:.2f}x   (target <= 1.2x)")
    print(f"ratio lexnorm / bare jieba (whole text): {ours / whole:.2f}x")
    return [Result(f"jieba stage / bare jieba.lcut ({name})", f"{ours / bare:.2f}x", "<= 1.2x", ours / bare <= 1.2)]


if __name__ == "__main__":
    main()

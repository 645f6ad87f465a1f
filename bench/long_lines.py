"""Clause-parser time on one long line against the same text in lines, in one run.

Text extracted without line breaks (a PDF or HTML converter that drops them) puts a
whole document on one line. Every step of the parser must stay linear there: the input
is the English corpus contracts (or the seeds) repeated to --mb megabytes, parsed once
as they are and once with every line break replaced by a space. Prints the time of each
and the ratio (one line / lines); about 1x, at most 2x, is the target. A quadratic step
shows as a ratio in the hundreds. Usage: python bench/long_lines.py [--mb 1] [--repeat 3]
"""

from __future__ import annotations

import argparse

from _inputs import SEEDS, SHARED, Result, best_of_pair

from stages.clauses import build_clauses

SOURCES = [
    SHARED / "corpus" / "en_cuad_hosting_inktomi.txt",
    SHARED / "corpus" / "en_cuad_endorsement_womensgolf.txt",
    SHARED / "corpus" / "cn_pipl_en.txt",
]
TARGET = 2.0


def sample(mb: float) -> tuple[str, str]:
    """(name, text): the English corpus documents, or the seeds, repeated to `mb` MB."""
    paths = [p for p in SOURCES if p.exists()]
    name = "English corpus"
    if not paths:
        print(f"note: {SHARED / 'corpus'} not found; using the seeds")
        paths, name = SEEDS, "seeds"
    base = "\n".join(p.read_text(encoding="utf-8") for p in paths)
    size = int(mb * 1e6)
    text = (base + "\n") * (size // len(base.encode()) + 1)
    return name, text[:size]


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    name, lines = sample(args.mb)
    one_line = lines.replace("\n", " ")
    mb = len(lines.encode()) / 1e6
    in_lines, single = best_of_pair(
        args.repeat, lambda: build_clauses("bench", lines), lambda: build_clauses("bench", one_line)
    )
    ratio = single / in_lines
    print(f"{'input':<28}{'MB':>7}{'lines s':>10}{'one line s':>12}{'ratio':>8}")
    print(f"{name:<28}{mb:>7.2f}{in_lines:>10.2f}{single:>12.2f}{ratio:>7.1f}x")
    print(f"(best of {args.repeat} runs each, alternately; ratio = one-line time / in-lines time)")
    return [
        Result(f"parse {mb:.0f} MB as one line", f"{single:.2f} s ({ratio:.1f}x the same text in lines)", f"<= {TARGET:.0f}x", ratio <= TARGET)
    ]


if __name__ == "__main__":
    main()

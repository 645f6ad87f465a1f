"""`make bench`: every benchmark, one run on this machine, then one combined table of
ratios against the bare libraries and of the targets. Each script also runs on its own
(`python bench/scale.py --sizes 1,100`, ...) with its own options.
Usage: python bench/all.py [--quick]  (--quick: scale with 1 and 100 documents only)
"""

from __future__ import annotations

import argparse
import sys

import civil_code
import dev_corpus
import fixed_cost
import format_twins
import long_lines
import parse_throughput
import pdf_extract
import rerun
import scale
import segmentation
import translation
from _inputs import print_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scale with 1 and 100 documents only")
    args = parser.parse_args(argv)
    results = []
    for name, module, options in (
        ("parsing", parse_throughput, []),
        ("parsing one long line", long_lines, []),
        ("dev corpus against its ground truth", dev_corpus, []),
        ("PDF and HTML documents against their text twins", format_twins, []),
        ("PDF text extraction against pdftotext", pdf_extract, []),
        ("segmentation", segmentation, []),
        ("translation", translation, []),
        ("unchanged re-run of the seeds", rerun, []),
        ("one small document: the fixed cost of a run", fixed_cost, []),
        ("ten copies of the Civil Code, no model", civil_code, []),
        ("scale", scale, ["--sizes", "1,100" if args.quick else "1,100,1000"]),
    ):
        print(f"\n== {name}", flush=True)
        results += module.main(options)
    print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

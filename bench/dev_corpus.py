"""The clause parser against the verified ground truth of ../shared/corpus/dev (issue 14).

One row per document: truth/lexnorm for articles, chapters, sections, parts/divisions, top-level
clauses, recitals, schedules, then lexnorm's duplicate ids and warnings, and whether the tree
matches every measured key of the truth exactly (`lexnorm.testing.compare_with_expected`, the
same check as tests/test_dev_corpus.py). The truth is read with its errata applied
(tests/dev_corpus_errata.json: values of the truth found wrong, each with its reason); a document
exact only thanks to one says `yes (e)`, and --why prints every erratum applied.
Parsing only: no language stage, no Prefect.
Usage: python bench/dev_corpus.py [--why]  (--why: print each document's mismatch lines and errata)
"""

from __future__ import annotations

import argparse
import json
import time

from _inputs import SHARED, Result

from lexnorm.testing import compare_with_expected, describe_erratum, load_errata, measure_tree, unmeasured
from stages.clauses import parse_document
from stages.ingest import read_document

DEV = SHARED / "corpus" / "dev"
# column: (heading, keys summed for truth and lexnorm; a list key counts its length)
COLUMNS = {
    "articles": ("articles",),
    "chapters": ("chapters",),
    "sections": ("sections",),
    "parts/div": ("parts", "divisions"),
    "top level": ("top_level",),
    "recitals": ("recitals",),
    "schedules": ("schedules",),
}


def _amount(values: dict, keys: tuple[str, ...]) -> int | None:
    present = [values[k] for k in keys if k in values]
    if not present:
        return None
    return sum(len(v) if isinstance(v, list) else (v or 0) for v in present)


def _cell(expected: dict, measured: dict, keys: tuple[str, ...]) -> str:
    want, got = _amount(expected, keys), _amount(measured, keys)
    if want is None:
        return f"-/{got}"
    return f"{want}/{got}" + ("" if want == got else "*")


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--why", action="store_true", help="print each document's mismatch lines")
    args = parser.parse_args(argv)
    truths = sorted((DEV / "expected").glob("*.json"))
    if not truths:
        print(f"note: {DEV} not found; nothing to measure")
        return [Result("dev corpus: documents parsed exactly", "n/a (no dev corpus)", "21/21", None)]
    rows, why, seconds, exact = [], {}, 0.0, 0
    errata = load_errata()
    for truth in truths:
        expected = json.loads(truth.read_text(encoding="utf-8"))
        [path] = [p for p in DEV.glob(f"{truth.stem}.*") if p.suffix in (".txt", ".md")]
        start = time.perf_counter()
        doc = parse_document(read_document(path, path.parent))
        seconds += time.perf_counter() - start
        measured = measure_tree(doc)
        corrections = errata.get(truth.stem, ())
        lines = compare_with_expected(expected, measured, corrections)
        exact += not lines
        why[path.name] = (lines, unmeasured(expected), corrections)
        rows.append(
            [path.name]
            + [_cell(expected, measured, keys) for keys in COLUMNS.values()]
            + [str(len(measured["duplicates"])), str(len(measured["warnings"])),
               "no" if lines else "yes (e)" if corrections else "yes"]
        )
    head = ["file", *(f"{c} t/l" for c in COLUMNS), "dups", "warn", "exact"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    print(f"\n{exact} of {len(rows)} exact; parsing took {seconds:.1f} s "
          "(t/l = truth/lexnorm, * = differs, - = not in the truth, (e) = against the truth as "
          "corrected by tests/dev_corpus_errata.json)")  # fmt: skip
    if args.why:
        for name, (lines, skipped, corrections) in why.items():
            print(f"\n{name}: {'exact' if not lines else ''}{' (against the corrected truth)' if corrections and not lines else ''}")
            for line in lines:
                print(f"  {line}")
            for erratum in corrections:
                print(f"  erratum: {describe_erratum(erratum)}")
            if skipped:
                print(f"  (not measured: {', '.join(skipped)})")
    return [Result("dev corpus: documents parsed exactly", f"{exact}/{len(rows)}", f"{len(rows)}/{len(rows)}", exact == len(rows))]


if __name__ == "__main__":
    main()

"""PDF and HTML documents against their text twins and the ground truth (issue 15).

The dev corpus holds eight CUAD contracts as the PDFs their text was extracted from and the EU
AI Act as the page its text came from, and the Data Governance Act page. Each file is read the
way a run reads it (its format's reader, `stages.formats`, then the clause stage), and compared:

- truth: the tree matches every measured key of the ground truth (expected/*.json, with its
  errata; the same check as tests/test_dev_corpus.py) — `yes`/`no`;
- ids: the clause id lists of the file and of its text twin — `equal`, or how many ids only
  the file has (+) and only the twin has (-);
- texts: of the clauses both have, how many have the same text once white space is collapsed
  (and the typography the twins folded to ASCII, curly quotes and dashes, is folded likewise),
  and how many more differ only by words of the lines the reader found to be furniture;
- furniture: lines the reader found to be page furniture (left out of clause text, kept in
  `documents.text`); pages: the PDF's page count.
Usage: python bench/format_twins.py
"""

from __future__ import annotations

import argparse
import difflib
import json
import time

from _inputs import SHARED, Result

from lexnorm.testing import compare_with_expected, load_errata, measure_tree
from stages.clauses import parse_document
from stages.ingest import read_document

DEV = SHARED / "corpus" / "dev"
# Typographic forms the CUAD twins have folded to ASCII (and a hyphen one of them kept as U+00AD):
# the texts are compared with both sides folded so.
FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "‐": "-", "‑": "-", "\xa0": " ", "\xad": "-"})


def _texts(doc) -> dict[str, str]:
    return {c.clause_id: " ".join(c.text.translate(FOLD).split()) for c in doc.clauses}


def _only_furniture(ours: str, twin: str, furniture: set[str]) -> bool:
    """Whether the twin's text is ours plus words of lines the reader found to be page
    furniture (the twin keeps page numbers and running footers inside its clause texts)."""
    a, b = twin.split(), ours.split()
    for op, i1, i2, _j1, _j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op != "delete" or not all(word in furniture for word in a[i1:i2]):
            return False
    return True


def main(argv: list[str] | None = None) -> list[Result]:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    files = sorted((DEV / "pdf").glob("*.pdf")) + sorted((DEV / "html").glob("*.*htm*"))
    if not files:
        print(f"note: no PDF or HTML in {DEV}; nothing to measure")
        return [Result("PDF/HTML documents against their twins", "n/a (no dev corpus)", "all exact", None)]
    errata = load_errata()
    head = ["document", "format", "pages", "furniture", "truth", "ids vs twin", "texts equal", "seconds"]
    rows, exact, with_truth = [], 0, 0
    for path in files:
        start = time.perf_counter()
        doc = parse_document(read_document(path, path.parent))
        seconds = time.perf_counter() - start
        truth_path = DEV / "expected" / f"{path.stem}.json"
        truth = "-"
        if truth_path.exists():
            with_truth += 1
            lines = compare_with_expected(json.loads(truth_path.read_text(encoding="utf-8")), measure_tree(doc), errata.get(path.stem, ()))
            truth = "yes" if not lines else f"no ({lines[0][:40]})"
            exact += not lines
        twin_path = DEV / f"{path.stem}.txt"
        ids_cell = texts_cell = "-"
        if twin_path.exists():
            twin = parse_document(read_document(twin_path, DEV))
            ours, theirs = _texts(doc), _texts(twin)
            only_ours, only_theirs = len(ours.keys() - theirs.keys()), len(theirs.keys() - ours.keys())
            same_order = [c.clause_id for c in doc.clauses] == [c.clause_id for c in twin.clauses]
            ids_cell = "equal" if same_order else f"+{only_ours} -{only_theirs}"
            shared = ours.keys() & theirs.keys()
            words = {w for a, b in doc.furniture for w in doc.text[a:b].translate(FOLD).split()}
            equal = sum(ours[k] == theirs[k] for k in shared)
            aside = sum(ours[k] != theirs[k] and _only_furniture(ours[k], theirs[k], words) for k in shared)
            texts_cell = f"{equal}/{len(shared)}" + (f" (+{aside} furniture)" if aside else "")
        furniture = len(doc.furniture)
        rows.append([path.name, doc.format or doc.status, str(doc.page_count or "-"), str(furniture), truth, ids_cell, texts_cell, f"{seconds:.2f}"])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    print("\ntruth: the tree matches the ground truth; ids vs twin: `equal`, or ids only in the file (+) / only in "
          "its .txt twin (-); texts equal: shared clauses whose text is the same after collapsing white space "
          "(+k furniture: k more whose twin differs only by words of page-furniture lines, which the twin keeps)")
    return [Result("PDF/HTML documents exact against the ground truth", f"{exact}/{with_truth}", f"{with_truth}/{with_truth}", exact == with_truth)]


if __name__ == "__main__":
    main()

"""PDF text extraction: the candidate libraries against pdftotext on the dev PDFs (issue 15).

Chooses the library of `stages/formats/pdf.py` by measurement. Each candidate reads the eight
CUAD PDFs of ../shared/corpus/dev/pdf page by page, the way the reader will (bytes in, one text
per page out); poppler's `pdftotext` (a subprocess, pages split at its form feeds) is the
anchor. Two things are measured in one run:

- speed: pages per second, each file timed best of --rounds, the libraries alternating file by
  file so that all see the same machine; the ratio is the library's speed / pdftotext's;
- text quality against the file's text twin (../shared/corpus/dev/<name>.txt, CUAD's own
  extraction of the same PDF, one paragraph per line). Both sides are compared as words after
  NFC (what the reader will do), typographic quotes and dashes folded to ASCII (the twins have
  them folded) and white space collapsed; case is kept. Word F1 is over the multisets of words;
  `order` is the share of the twin's words that the extraction has in the twin's order, in runs
  of three words or more (difflib's SequenceMatcher, autojunk off, over word trigrams: over
  single words it takes seconds per file, since "the" and "of" repeat hundreds of times).
  Defects are counted in the extraction: ligature characters (U+FB00-FB06: "ﬁ" is not "fi" for
  a search), soft hyphens, U+FFFD, control characters other than tab and line ends, CR line ends
  (the reader must turn them into LF), words glued (a word of the extraction that is two
  consecutive words of the twin), words split (a word of the twin that the extraction has as two
  consecutive words), and whether the page count matches.

Three more rows measure lexnorm's own reader (`stages/formats/pdf.py`: PDFium plus its layout
pass, the text as the parser reads it, page furniture blanked): in this process; as a run
calls it, in a bounded reader process kept from file to file (`lexnorm.runtime.sandbox`'s
pool: its start is paid once, on the first file); and in a fresh bounded child process per
file, as runs read files before the pool (the child's start, about 0.25 s a file here). The
summary gives the pooled reader's time over the in-process reader's, and the per-file cost
of the sandbox both ways. Its recall against the twins is lower by the furniture it leaves
out, which the twins keep.

Installed size is each distribution's files (importlib.metadata's RECORD), alone and with what
it requires, recursively. --diffs prints, per library, a few words it lacks and a few it adds.
Usage: python bench/pdf_extract.py [--rounds N] [--diffs]
"""

from __future__ import annotations

import argparse
import difflib
import io
import logging
import re
import shutil
import subprocess
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from _inputs import SHARED, Result

DEV = SHARED / "corpus" / "dev"
PDFS = DEV / "pdf"
ANCHOR = "pdftotext"
# Typographic forms the twins have folded to ASCII; NBSP became a space there too.
FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "‐": "-", "‑": "-", "\xa0": " "})
LIGATURES = re.compile("[\ufb00-\ufb06]")
# Control characters but tab and line ends (\f splits pages), and the noncharacters U+FFFE/FFFF
# (pdfium writes U+FFFE for the hyphen of a word broken at a line end: "non\ufffeconfidential").
CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
DISTRIBUTIONS = {"pypdfium2": "pypdfium2", "pdfminer.six": "pdfminer.six", "pdfplumber": "pdfplumber", "pypdf": "pypdf"}


def _pypdfium2(path: Path, data: bytes) -> list[str]:
    import pypdfium2

    doc = pypdfium2.PdfDocument(data)
    try:
        pages = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return pages
    finally:
        doc.close()


def _pdfminer(path: Path, data: bytes) -> list[str]:
    from pdfminer.high_level import extract_text

    return _split_form_feeds(extract_text(io.BytesIO(data)))


def _pdfplumber(path: Path, data: bytes) -> list[str]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() for page in pdf.pages]


def _pypdf(path: Path, data: bytes) -> list[str]:
    import pypdf

    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def _pdftotext(path: Path, data: bytes) -> list[str]:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=120, check=True)
    return _split_form_feeds(done.stdout.decode("utf-8"))


def _lexnorm(path: Path, data: bytes) -> list[str]:
    """lexnorm's own reader (stages.formats.pdf, PDFium with its layout pass), in this
    process, as the parser reads it: page furniture blanked, wrapped lines joined."""
    from stages.formats import pdf

    return _paged(pdf.read(data))


def _lexnorm_sandboxed(path: Path, data: bytes) -> list[str]:
    """The same reader as a run calls it: in a bounded reader process, kept between files
    (lexnorm.runtime.sandbox's pool)."""
    from lexnorm.runtime import sandbox

    return _paged(sandbox.extract("pdf", data))


_ONE_FILE_EACH = []  # a pool whose readers read one file each, made on first use


def _lexnorm_child_per_file(path: Path, data: bytes) -> list[str]:
    """The same reader in a fresh bounded child process per file: the cost before the pool."""
    from lexnorm.runtime import sandbox

    if not _ONE_FILE_EACH:
        _ONE_FILE_EACH.append(sandbox.ReaderPool(1, reads=1))
    return _paged(_ONE_FILE_EACH[0].extract("pdf", data, sandbox.READER_MEMORY_MB, sandbox.READER_SECONDS))


def _paged(got) -> list[str]:
    from stages.layout import reader_view

    view = reader_view(got.text, got.furniture, got.joins)
    starts = [*got.page_starts, len(view)]
    return [view[a:b] for a, b in zip(starts, starts[1:])]


def _split_form_feeds(text: str) -> list[str]:
    """Pages of a text whose every page ends with a form feed (pdftotext, pdfminer)."""
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


# name: (extract one file's pages, how the pages come)
CANDIDATES: dict[str, tuple[Callable[[Path, bytes], list[str]], str]] = {
    "pypdfium2": (_pypdfium2, "per page"),
    "pdfminer.six": (_pdfminer, "form feeds"),
    "pdfplumber": (_pdfplumber, "per page"),
    "pypdf": (_pypdf, "per page"),
    ANCHOR: (_pdftotext, "form feeds"),
    "lexnorm": (_lexnorm, "page_starts"),
    "lexnorm (sandboxed)": (_lexnorm_sandboxed, "page_starts"),
    "lexnorm (child per file)": (_lexnorm_child_per_file, "page_starts"),
}
IN_PROCESS, POOLED, PER_FILE = "lexnorm", "lexnorm (sandboxed)", "lexnorm (child per file)"


@dataclass(frozen=True, slots=True)
class Quality:
    """One extraction of one file against its twin."""

    twin_words: int
    words: int
    matched: int  # multiset intersection
    in_order: int  # twin words in runs of >= 3 in the twin's order
    ligatures: int
    soft_hyphens: int
    replacement: int  # U+FFFD
    controls: int
    crlf: int
    glued: int
    split: int
    pages_ok: bool

    def __add__(self, other: Quality) -> Quality:
        return Quality(*(a + b if not isinstance(a, bool) else a and b for a, b in zip(_fields(self), _fields(other))))


def _fields(q: Quality) -> tuple:
    return tuple(getattr(q, name) for name in Quality.__slots__)


def words_of(text: str) -> list[str]:
    """The words compared: NFC, typographic punctuation folded, split on white space."""
    return unicodedata.normalize("NFC", text).translate(FOLD).split()


def word_f1(got: list[str], want: list[str]) -> float:
    """F1 of two multisets of words."""
    matched = sum((Counter(got) & Counter(want)).values())
    return 2 * matched / max(len(got) + len(want), 1)


def _concatenations(words: list[str]) -> set[str]:
    return {a + b for a, b in zip(words, words[1:])}


def measure(pages: list[str], page_count: int, twin: str) -> Quality:
    """Compare one extraction with its twin; every step is linear but the trigram matching."""
    text = "\n".join(pages)
    got, want = words_of(text), words_of(twin)
    have, need = Counter(got), Counter(want)
    extra, missing = have - need, need - have
    glued_forms, split_forms = _concatenations(want), _concatenations(got)
    trigrams = difflib.SequenceMatcher(None, list(zip(want, want[1:], want[2:])), list(zip(got, got[1:], got[2:])), autojunk=False)
    return Quality(
        twin_words=len(want),
        words=len(got),
        matched=sum((have & need).values()),
        in_order=sum(block.size + 2 for block in trigrams.get_matching_blocks() if block.size),
        ligatures=len(LIGATURES.findall(text)),
        soft_hyphens=text.count("\xad"),
        replacement=text.count("\ufffd"),
        controls=len(CONTROLS.findall(text)),
        crlf=text.count("\r"),
        glued=sum(n for word, n in extra.items() if word in glued_forms and word not in need),
        split=sum(n for word, n in missing.items() if word in split_forms and word not in have),
        pages_ok=len(pages) == page_count,
    )


def installed_mb(name: str) -> tuple[float, float, list[str]]:
    """(MB of the distribution's files, MB with everything it requires, those requirements)."""
    from packaging.requirements import Requirement

    seen, todo = [], [name]
    while todo:
        current = todo.pop()
        if current.lower() in (s.lower() for s in seen):
            continue
        try:
            dist = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            continue
        seen.append(dist.metadata["Name"])
        for line in dist.requires or ():
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)

    def size(dist_name: str) -> float:
        files = metadata.distribution(dist_name).files or ()
        return sum(p.stat().st_size for p in (f.locate() for f in files) if p.is_file()) / 1e6

    return size(seen[0]), sum(size(s) for s in seen), seen[1:]


def _quiet() -> None:
    """The libraries log every oddity of a PDF (pdfminer, pypdf): not this benchmark's news."""
    for name in ("pdfminer", "pypdf", "pdfplumber"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="best of N timings per file (default 1: one round takes ~45 s)")
    parser.add_argument("--diffs", action="store_true", help="print a few lacking and added words per library")
    args = parser.parse_args(argv)
    files = sorted(PDFS.glob("*.pdf"))
    twins = {f: DEV / f"{f.stem}.txt" for f in files}
    files = [f for f in files if twins[f].exists()]
    if not files:
        print(f"note: no PDF with a text twin in {PDFS} (is ../shared there? set LEXNORM_SHARED); nothing to measure")
        return [Result("PDF text extraction", "n/a (no dev PDFs)")]
    _quiet()
    candidates = dict(CANDIDATES)
    anchor = ANCHOR
    if shutil.which("pdftotext") is None:
        print("note: pdftotext (poppler-utils) is not installed; the ratios are against pypdfium2")
        del candidates[ANCHOR]
        anchor = "pypdfium2"
    data = {f: f.read_bytes() for f in files}
    page_counts = {f: len(_pypdfium2(f, data[f])) for f in files}
    best: dict[tuple[str, Path], float] = {}
    output: dict[tuple[str, Path], list[str]] = {}
    failed: dict[str, str] = {}
    for _ in range(args.rounds):
        for f in files:
            for name, (extract, _how) in candidates.items():
                if name in failed:
                    continue
                start = time.perf_counter()
                try:
                    pages = extract(f, data[f])
                except Exception as error:  # a candidate that cannot read a dev PDF is a finding, not a crash
                    failed[name] = f"{f.name}: {type(error).__name__}: {error}"
                    continue
                seconds = time.perf_counter() - start
                best[name, f] = min(best.get((name, f), float("inf")), seconds)
                output.setdefault((name, f), pages)
    if anchor in failed:
        print(f"note: {anchor} could not read every dev PDF ({failed[anchor]}); no ratios")
        return [Result("PDF text extraction", f"n/a ({anchor} failed)", "", False)]
    total_pages = sum(page_counts.values())
    speed = {name: total_pages / sum(best[name, f] for f in files) for name in candidates if name not in failed}
    quality = {}
    for name in speed:
        per_file = [measure(output[name, f], page_counts[f], twins[f].read_text(encoding="utf-8")) for f in files]
        quality[name] = sum(per_file[1:], per_file[0])
    head = ["library", "pages/s", f"x {anchor}", "recall", "precision", "F1", f"F1 {anchor}", "order", "lig", "shy", "fffd", "ctl", "CR", "glued", "split", "pages", "MB", "MB+deps"]
    rows, results = [], []
    for name, pps in speed.items():
        q = quality[name]
        recall, precision = q.matched / q.twin_words, q.matched / max(q.words, 1)
        f1 = 2 * recall * precision / max(recall + precision, 1e-9)
        order = q.in_order / q.twin_words
        agree = sum(word_f1(words_of("\n".join(output[name, f])), words_of("\n".join(output[anchor, f]))) * page_counts[f] for f in files) / total_pages
        own, total, _deps = installed_mb(DISTRIBUTIONS[name]) if name in DISTRIBUTIONS else (0.0, 0.0, [])
        size = (f"{own:.1f}", f"{total:.1f}") if name in DISTRIBUTIONS else ("system", "system") if name == ANCHOR else ("=pypdfium2", "")
        pages = f"{'yes' if q.pages_ok else 'NO'} ({candidates[name][1]})"
        rows.append([name, f"{pps:.0f}", f"{pps / speed[anchor]:.2f}", f"{recall:.3f}", f"{precision:.3f}", f"{f1:.3f}", "-" if name == anchor else f"{agree:.3f}", f"{order:.3f}",
                     *(str(v) for v in (q.ligatures, q.soft_hyphens, q.replacement, q.controls, q.crlf, q.glued, q.split)), pages, *size])  # fmt: skip
        results.append(Result(f"PDF text {name}", f"{pps:.0f} pages/s ({pps / speed[anchor]:.2f}x {anchor}), word F1 {f1:.3f}, order {order:.3f}"))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) if i in (0, 15) else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    print(f"\n{len(files)} PDFs, {total_pages} pages; best of {args.rounds} per file; x {anchor} = speed / {anchor}'s speed; "
          f"recall/precision/F1 over the multiset of words against the text twin; F1 {anchor}: against {anchor}'s words "
          "(page-weighted mean per file); order = share of the twin's words in "
          "order (runs of >= 3); lig = ligature characters, shy = soft hyphens, fffd = U+FFFD, ctl = control characters, "
          "CR = carriage returns, glued/split = words run together/broken apart; MB = installed size (+deps: with what it requires)")  # fmt: skip
    for name in speed:
        if name in DISTRIBUTIONS:
            print(f"  {name} requires: {', '.join(installed_mb(DISTRIBUTIONS[name])[2]) or 'nothing'}")
    for name, why in failed.items():
        print(f"  {name} FAILED on {why}")
        results.append(Result(f"PDF text {name}", "failed on a dev PDF", "", False))
    if all(name in speed for name in (IN_PROCESS, POOLED, PER_FILE)):
        results += _sandbox_rows({name: sum(best[name, f] for f in files) for name in (IN_PROCESS, POOLED, PER_FILE)}, len(files))
    if args.diffs:
        _print_diffs(files, twins, output, speed)
    return results


def _sandbox_rows(seconds: dict[str, float], files: int) -> list[Result]:
    """The sandbox's cost per file, pooled and a child per file, from the same run's timings."""
    bare = seconds[IN_PROCESS]
    pooled, per_file = ((seconds[name] - bare) / files * 1000 for name in (POOLED, PER_FILE))
    print(f"\nlexnorm's reader on {files} PDFs: in this process {bare:.2f} s, pooled reader processes "
          f"{seconds[POOLED]:.2f} s (x{seconds[POOLED] / bare:.2f}), a child per file {seconds[PER_FILE]:.2f} s "
          f"(x{seconds[PER_FILE] / bare:.2f}); the sandbox's cost per file: {pooled:.0f} ms pooled, {per_file:.0f} ms a child per file")
    return [
        Result("PDF reader as a run calls it (pooled) / in process", f"{seconds[POOLED] / bare:.2f}x"),
        Result("  sandbox cost per file: pooled, a child per file", f"{pooled:.0f} ms, {per_file:.0f} ms"),
    ]


def _print_diffs(files: list[Path], twins: dict[Path, Path], output: dict, speed: dict) -> None:
    """A few words each library lacks (in the twin, not extracted) and adds, most frequent first."""
    for name in speed:
        lacking, adding = Counter(), Counter()
        for f in files:
            got, want = Counter(words_of("\n".join(output[name, f]))), Counter(words_of(twins[f].read_text(encoding="utf-8")))
            lacking += want - got
            adding += got - want
        print(f"\n{name}\n  lacks: {lacking.most_common(12)}\n  adds:  {adding.most_common(12)}")


if __name__ == "__main__":
    main()

"""Scale: time and peak memory for 1, 100 and 1,000 documents, orchestration overhead per
document, and an unchanged re-run, on a corpus this script builds.

The corpus: copies of the bundled seeds and of ../shared/corpus (when present) with
varied names and small edits (a number changed, a line dropped), about 50 MB for 1,000
documents. Each size runs `lexnorm run` in a fresh process into a fresh output folder;
peak memory is the largest RSS of that process tree. Orchestration overhead per document
is (flow wall time - the same work in a plain Python loop without Prefect) / documents,
in one process with one worker (and, for comparison, flow time minus the time lexnorm's
own work recorded inside the flow).
Usage: python bench/scale.py [--sizes 1,100,1000] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _inputs import REPO, SEEDS, SHARED, Result


PROCESSES = False


def sources() -> list[Path]:
    corpus = sorted((SHARED / "corpus").glob("*.txt")) if (SHARED / "corpus").is_dir() else []
    return SEEDS + corpus


def build_corpus(target: Path, n: int, seed: int = 0) -> int:
    """n edited copies, round robin over the sources; returns the total size in bytes."""
    rng = random.Random(seed)
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sources()]
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        stem, text = texts[i % len(texts)]
        lines = text.split("\n")
        if len(lines) > 10:
            del lines[rng.randrange(len(lines))]  # a line dropped
        edited = "\n".join(lines)
        numbers = list(re.finditer(r"\d{2,}", edited))
        if numbers:
            m = rng.choice(numbers)  # a number changed
            edited = edited[: m.start()] + str(int(m.group()) + rng.randrange(1, 9)) + edited[m.end() :]
        path = target / f"doc{i:04d}_{stem[:40]}.txt"
        path.write_text(edited, encoding="utf-8")
        total += path.stat().st_size
    return total


def timed_run(raw: Path, out: Path, workers: int) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB of the process tree, stdout) of one `lexnorm run`."""
    cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out), "--workers", str(workers)]
    cmd += ["--processes"] if PROCESSES else []
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    return seconds, peak_kb // 1024, proc.stdout


def bare_pipeline(raw: Path, out: Path, settings) -> float:
    """Seconds for the same work without Prefect: the same stage functions, results store,
    table writer, alignment and report, in a plain loop over the documents."""
    from stages import alignment, clauses, incremental, ingest, language, report, segment, tables, topics, translate

    start = time.perf_counter()
    translator = translate.translator_for(settings)
    work = (clauses.parse_document, language.detect_languages, segment.segment_document,
            lambda d: translate.translate_document(d, translator), topics.classify_document)  # fmt: skip
    store, summaries = incremental.ResultStore(out), []
    with tables.TableWriter(out) as writer:
        for path in sorted(ingest.discover(raw), key=ingest.doc_id_for):
            doc = ingest.read_document(path, raw)
            for stage in work:
                doc = stage(doc) if doc.ok else doc
            store.save(doc.doc_id, doc)
            writer.add_document(doc)
            if doc.ok:
                writer.add_links(alignment.translation_links(doc))
                summaries.append(alignment.summarize(doc))
        writer.add_links(alignment.cross_document_links(summaries, ingest.read_manifest(raw), store.load))
        writer.commit()
    report.write_report(out)
    return time.perf_counter() - start


def overhead_per_document(raw: Path, out: Path) -> tuple[float, float, float, int]:
    """(flow seconds, lexnorm's own seconds inside the flow, bare loop seconds, documents):
    in-process, one worker, Prefect's server already up, langdetect and jieba loaded."""
    from flows.normalize import default_settings, run

    settings = default_settings(out)
    run(raw, out / "warm-up", settings, workers=1)
    start = time.perf_counter()
    result = run(raw, out / "measured", settings, workers=1)
    flow_seconds = time.perf_counter() - start
    bare = bare_pipeline(raw, out / "bare", settings)
    return flow_seconds, sum(result.seconds.values()), bare, len(result.documents)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--processes", action="store_true", help="worker processes instead of threads")
    args = parser.parse_args(argv)
    global PROCESSES
    PROCESSES = args.processes
    sizes = [int(s) for s in args.sizes.split(",")]
    if not (SHARED / "corpus").is_dir():
        print(f"note: {SHARED / 'corpus'} not found; the scale corpus is built from the seeds only")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in sizes:
            raw = tmp / f"raw{n}"
            size = build_corpus(raw, n)
            first, peak, _ = timed_run(raw, tmp / f"out{n}", args.workers)
            again, peak_again, _ = timed_run(raw, tmp / f"out{n}", args.workers)
            rows.append((n, size / 1e6, first, peak, again, peak_again))
        flow_s, stage_s, bare_s, docs = overhead_per_document(tmp / f"raw{min(sizes, key=lambda s: abs(s - 100))}", tmp / "overhead")
    how = f"--workers {args.workers}" + (" --processes" if args.processes else "")
    print(f"scale corpus runs, `lexnorm run {how}`, a fresh process each ({os.cpu_count()} cores)")
    print(f"{'documents':>10}{'MB':>8}{'first s':>9}{'s/doc':>8}{'MB/s':>7}{'peak MB':>9}{'re-run s':>10}{'re-run/first':>14}")
    for n, mb, first, peak, again, _ in rows:
        print(f"{n:>10}{mb:>8.1f}{first:>9.1f}{first / n:>8.3f}{mb / first:>7.2f}{peak:>9}{again:>10.1f}{again / first:>14.2f}")
    if len(rows) > 1:
        (n0, mb0, t0, *_), (n1, mb1, t1, *_) = rows[-2], rows[-1]
        print(f"growth {n0} -> {n1} documents: time x{t1 / t0:.1f} for data x{mb1 / mb0:.1f} (linear would be equal)")
    overhead_ms = (flow_s - bare_s) / docs * 1000
    own_ms = (flow_s - stage_s) / docs * 1000
    print(f"orchestration overhead: ({flow_s:.2f} s Prefect flow - {bare_s:.2f} s the same work in a plain loop) / {docs} "
          f"documents = {overhead_ms:.0f} ms per document (target <= 50 ms); flow - the time lexnorm's own work "
          f"recorded inside it ({stage_s:.2f} s): {own_ms:.0f} ms per document")  # fmt: skip
    results = [Result(f"peak RSS, {n} document(s), {mb:.2f} MB", f"{peak} MB") for n, mb, _, peak, *_ in rows]
    if len(rows) > 1:
        results.append(Result(f"time growth {n0} -> {n1} documents", f"x{t1 / t0:.1f} for x{mb1 / mb0:.1f} the data"))
    n, _, first, _, again, _ = rows[-1]
    results.append(Result(f"unchanged re-run / first run ({n} documents)", f"{again / first:.2f}", "<= 0.10", again / first <= 0.10))
    results.append(Result(f"Prefect flow / plain loop, same work ({docs} docs, 1 worker)", f"{flow_s / bare_s:.2f}x"))
    results.append(Result(f"orchestration overhead per document ({docs} docs, 1 worker)", f"{overhead_ms:.0f} ms", "<= 50 ms", overhead_ms <= 50))
    return results


if __name__ == "__main__":
    main()

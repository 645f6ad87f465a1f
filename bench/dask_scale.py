"""A run on a Dask LocalCluster against the default run, on the same scale corpus: the
numbers docs/scaling.md projects to a million documents from.

Builds `--docs` documents with bench/scale.py's `build_corpus` (edited copies of the seeds
and of ../shared/corpus; about 54 MB for 1,000), then runs, each in a fresh process into a
fresh output folder, `lexnorm run` (the default: worker processes fed by Prefect's task
threads) and `lexnorm run --dask local --workers N` (a LocalCluster of N worker processes,
one thread each, that do the read and the stages themselves). For each it reports wall
time, documents/s, MB/s, the peak RSS of the whole process tree (the run, its worker or
Dask processes, Prefect's temporary server; sampled every 0.2 s) and the per-step times
of the run's own summary ("time per stage": each stage's time summed over documents; plan,
write and alignment are the main process's own). The machine has 2 cores shared with
others: one run of each, as few as possible; the ratio is the number to read.

The one global step that grows faster than the documents is the cross-document pass
(`stages.alignment.cross_document_links`): it compares every pair of document summaries.
`--align` times it without a run on 1,000 to 8,000 summaries: the sources' own summaries
(their stages run here, in this process), copied under new ids as the corpus copies them,
so the pairs it compares and finds are the corpus's; it also gives a summary's size.
Usage: python bench/dask_scale.py [--docs 1000] [--workers 2] [--align 1000,2000,4000,8000]
(--docs 0: no runs)
"""

from __future__ import annotations

import argparse
import pickle
import re
import tempfile
import time
from pathlib import Path

import scale
from _inputs import Result

STEP = re.compile(r"(\w+) ([\d.]+) s")


def step_seconds(stdout: str) -> dict[str, float]:
    """The run summary's "time per stage" line as {step: seconds}."""
    line = next((x for x in stdout.splitlines() if x.startswith("time per stage: ")), "")
    return {name: float(value) for name, value in STEP.findall(line)}


def measure(raw: Path, out: Path, options: list[str]) -> tuple[float, int, dict[str, float]]:
    """(seconds, peak RSS MB of the process tree, per-step seconds) of one `lexnorm run`."""
    scale.RUN_OPTIONS[:] = options
    try:
        seconds, peak, stdout = scale.timed_run(raw, out)
    finally:
        scale.RUN_OPTIONS[:] = []
    return seconds, peak, step_seconds(stdout)


def summaries_of_sources() -> list:
    """The cross-document summary of each source of the scale corpus, its stages run here."""
    from stages import alignment, ingest, pipeline
    from stages.translate import TranslationSettings

    settings = {"translate": TranslationSettings(package_dirs=(), cache_path=None)}
    summaries = []
    for path in scale.sources():
        doc = ingest.read_document(path, path.parent)
        for stage in pipeline.PIPELINE:
            doc = pipeline.perform(stage, doc, settings).doc
        if doc.ok:
            summaries.append(alignment.summarize(doc))
    return summaries


def cross_document_cost(sizes: list[int]) -> list[tuple[int, float, float, int, int]]:
    """(summaries, seconds of pairs_from, seconds of topic_links_from, pairs found, topic
    links) for each size, the sources' summaries copied round robin under new ids."""
    from dataclasses import replace

    from stages import alignment

    sources = summaries_of_sources()
    rows = []
    for n in sizes:
        copies = [replace(sources[i % len(sources)], doc_id=f"doc{i:06d}") for i in range(n)]
        start = time.perf_counter()
        pairs = alignment.pairs_from(copies)
        middle = time.perf_counter()
        topics = alignment.topic_links_from(copies)
        rows.append((n, middle - start, time.perf_counter() - middle, len(pairs), len(topics)))
    size = sum(len(pickle.dumps(s)) for s in sources) / len(sources)
    print(f"cross-document pass on copies of the {len(sources)} sources' summaries ({size / 1024:.1f} KB pickled each)")
    print(f"{'summaries':>10}{'pairs_from s':>14}{'us/pair':>9}{'topic s':>9}{'pairs':>8}{'topic links':>13}")
    for n, paired, topical, found, links in rows:
        print(f"{n:>10}{paired:>14.2f}{paired / (n * (n - 1) / 2) * 1e6:>9.2f}{topical:>9.2f}{found:>8}{links:>13}")
    return rows


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="documents in the corpus (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="workers of both runs (default 2)")
    parser.add_argument("--align", default="", help="also time the cross-document pass on these numbers of summaries")
    parser.add_argument("--modes", default="default,dask local", help="which runs (default: both, `default,dask local`)")
    args = parser.parse_args(argv)
    results = []
    if args.align:
        rows = cross_document_cost([int(n) for n in args.align.split(",")])
        (n0, t0, *_), (n1, t1, *_) = rows[0], rows[-1]
        results.append(Result(f"cross-document pairs_from, {n0} -> {n1} summaries", f"{t0:.2f} s -> {t1:.2f} s (x{t1 / t0:.0f})"))
    if args.docs <= 0:
        return results
    workers = ["--workers", str(args.workers)]
    every = {"default": workers, "dask local": ["--dask", "local", *workers]}
    modes = {name: every[name] for name in args.modes.split(",")}
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        mb = scale.build_corpus(raw, args.docs) / 1e6
        runs = {name: measure(raw, Path(tmp) / f"out-{i}", options) for i, (name, options) in enumerate(modes.items())}
    print(f"{args.docs} documents, {mb:.1f} MB, {args.workers} workers; one run each, a fresh process")
    print(f"{'run':<12}{'s':>8}{'docs/s':>8}{'MB/s':>7}{'peak MB':>9}  per step (s, summed over documents)")
    for name, (seconds, peak, steps) in runs.items():
        per_step = ", ".join(f"{step} {value:.1f}" for step, value in steps.items())
        print(f"{name:<12}{seconds:>8.1f}{args.docs / seconds:>8.2f}{mb / seconds:>7.2f}{peak:>9}  {per_step}")
        results.append(Result(
            f"{name} run, {args.docs} docs ({mb:.0f} MB), {args.workers} workers",
            f"{args.docs / seconds:.1f} docs/s, {mb / seconds:.2f} MB/s, peak {peak} MB",
        ))  # fmt: skip
    if len(runs) == 2:
        (base, *_), (dask, *_) = runs["default"], runs["dask local"]
        results.append(Result(f"dask local / default run time, {args.docs} docs", f"{dask / base:.2f}x"))
    return results


if __name__ == "__main__":
    main()

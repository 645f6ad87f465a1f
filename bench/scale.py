"""Scale: time and peak memory for 1, 100 and 1,000 documents, orchestration overhead per
document, and an unchanged re-run, on a corpus this script builds.

The corpus: copies of the bundled seeds and of ../shared/corpus (when present) with
varied names and small edits (a number changed, a line dropped), about 50 MB for 1,000
documents. Each size runs `lexnorm run` in a fresh process into a fresh output folder;
peak memory is the largest total RSS of that process and its children (the worker
processes, Prefect's temporary server), sampled every 0.2 s. After the first run and an
unchanged re-run, one document's text is changed and the run timed again (a partial
re-run: the unchanged documents' rows are copied from the tables). Orchestration overhead per
document is (flow wall time - the same work in a plain Python loop without Prefect) /
documents, with one worker process, the median of `--repeat` pairs run one after the
other (this machine's speed drifts); for comparison it also prints flow time minus the
time the stages and lexnorm's own work recorded (they overlap when a worker does the
stages), and the CPU each process spent.
Usage: python bench/scale.py [--sizes 1,100,1000] [--workers N] [--in-process]
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
from dataclasses import dataclass
from pathlib import Path

from _inputs import REPO, SEEDS, SHARED, Result


RUN_OPTIONS: list[str] = []
PREFECT_CPU_BEFORE_MS = 157 + 93  # server + main process per document when issue 16 was filed: the target halves it  # extra `lexnorm run` options (--workers, --in-process)


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


def change_one(raw: Path) -> None:
    """One document's text changed (a clause added at its end), as between two scheduled runs."""
    path = sorted(raw.iterdir())[len(list(raw.iterdir())) // 2]
    path.write_text(path.read_text(encoding="utf-8") + "\n99. Added\nThe parties add one clause.\n", encoding="utf-8")


def tree(process, measure):
    """(process, measure(process)) for a process and each of its descendants still alive."""
    import psutil

    for p in [process, *process.children(recursive=True)]:
        try:
            value = measure(p)
        except psutil.Error:  # it ended meanwhile
            continue
        yield p, value


def tree_rss(process) -> int:
    """Bytes resident in a process and all its descendants."""
    return sum(rss for _, rss in tree(process, lambda p: p.memory_info().rss))


def timed_run(raw: Path, out: Path, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB of the process tree, stdout) of one `lexnorm run` (in
    environment `env`, default this one's)."""
    import psutil

    cmd = [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out), *RUN_OPTIONS]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=stdout, stderr=stderr, text=True, env=env)
        watched, peak = psutil.Process(proc.pid), 0
        while proc.poll() is None:
            peak = max(peak, tree_rss(watched))
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        stdout.seek(0), stderr.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr.read()[-2000:]}")
        return seconds, peak // 2**20, stdout.read()


def bare_pipeline(raw: Path, out: Path, settings) -> float:
    """Seconds for the same work without Prefect: the same stages (as a worker performs
    them), results store, table writer, alignment and report, in a plain loop."""
    from lexnorm.output import report, tables
    from lexnorm.runtime import incremental
    from stages import alignment, ingest, pipeline

    start = time.perf_counter()
    store, summaries = incremental.ResultStore(out), []
    with tables.TableWriter(out) as writer:
        for path in sorted(ingest.discover(raw), key=ingest.doc_id_for):
            doc = ingest.read_document(path, raw)
            for stage in pipeline.PIPELINE:
                doc = pipeline.perform(stage, doc, {"translate": settings}).doc
            store.save(doc.doc_id, doc)
            writer.add_document(doc)
            if doc.ok:
                writer.add_links(alignment.translation_links(doc))
                summaries.append(alignment.summarize(doc))
        writer.add_links(alignment.cross_document_links(summaries, ingest.read_manifest(raw), store.load))
        writer.commit()
    report.write_report(out)
    return time.perf_counter() - start


def cpu_seconds(process) -> dict[str, float]:
    """CPU seconds so far of this process ("main"), Prefect's temporary server ("server")
    and the stage worker processes ("workers")."""
    spent = {"main": 0.0, "server": 0.0, "workers": 0.0}
    for p, (command, times) in tree(process, lambda p: (" ".join(p.cmdline()), p.cpu_times())):
        kind = "main" if p.pid == process.pid else "server" if "uvicorn" in command else "workers"
        spent[kind] += times.user + times.system
    return spent


@dataclass
class Paired:
    """One flow run and the same work in a plain loop right after it."""

    flow: float  # seconds
    recorded: float  # seconds the stages and lexnorm's own work recorded inside the flow
    bare: float  # seconds
    documents: int
    cpu: dict[str, float]  # CPU seconds of the flow run by process kind

    @property
    def overhead_ms(self) -> float:
        return (self.flow - self.bare) / self.documents * 1000


def overhead_per_document(raw: Path, out: Path, in_process: bool, repeat: int) -> list[Paired]:
    """`repeat` pairs of (flow run, plain loop), one after the other so that each pair sees
    the same machine: one worker, Prefect's server already up, langdetect and jieba loaded
    (in the worker process too: a process keeps its warm workers for the next run)."""
    import psutil

    from flows.normalize import default_settings, run

    settings = default_settings(out)
    run(raw, out / "warm-up", settings, workers=1, threads=in_process)
    me, pairs = psutil.Process(), []
    for i in range(repeat):
        before, start = cpu_seconds(me), time.perf_counter()
        result = run(raw, out / f"flow{i}", settings, workers=1, threads=in_process)
        flow_seconds = time.perf_counter() - start
        cpu = {kind: spent - before[kind] for kind, spent in cpu_seconds(me).items()}
        bare = bare_pipeline(raw, out / f"bare{i}", settings)
        pairs.append(Paired(flow_seconds, sum(result.seconds.values()), bare, len(result.documents), cpu))
    return pairs


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--workers", type=int, help="workers for the scale runs (default: lexnorm's, one per core)")
    parser.add_argument("--in-process", action="store_true", help="the stages in threads, not worker processes")
    parser.add_argument("--repeat", type=int, default=3, help="flow / plain loop pairs for the overhead (median)")
    args = parser.parse_args(argv)
    RUN_OPTIONS[:] = (["--workers", str(args.workers)] if args.workers else []) + (["--in-process"] if args.in_process else [])
    sizes = [int(s) for s in args.sizes.split(",")]
    if not (SHARED / "corpus").is_dir():
        print(f"note: {SHARED / 'corpus'} not found; the scale corpus is built from the seeds only")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in sizes:
            raw = tmp / f"raw{n}"
            size = build_corpus(raw, n)
            first, peak, _ = timed_run(raw, tmp / f"out{n}")
            again, peak_again, _ = timed_run(raw, tmp / f"out{n}")
            change_one(raw)
            one, _, _ = timed_run(raw, tmp / f"out{n}")
            rows.append((n, size / 1e6, first, peak, again, peak_again, one))
        raw = tmp / f"raw{min(sizes, key=lambda s: abs(s - 100))}"
        pairs = overhead_per_document(raw, tmp / "overhead", args.in_process, args.repeat)
    how = " ".join(["lexnorm run", *RUN_OPTIONS])
    print(f"scale corpus runs, `{how}`, a fresh process each ({os.cpu_count()} cores)")
    print(f"{'documents':>10}{'MB':>8}{'first s':>9}{'s/doc':>8}{'MB/s':>7}{'peak MB':>9}{'re-run s':>10}{'re-run/first':>14}{'one changed s':>15}")
    for n, mb, first, peak, again, _, one in rows:
        print(f"{n:>10}{mb:>8.1f}{first:>9.1f}{first / n:>8.3f}{mb / first:>7.2f}{peak:>9}{again:>10.1f}{again / first:>14.2f}{one:>15.1f}")
    if len(rows) > 1:
        (n0, mb0, t0, *_), (n1, mb1, t1, *_) = rows[-2], rows[-1]
        print(f"growth {n0} -> {n1} documents: time x{t1 / t0:.1f} for data x{mb1 / mb0:.1f} (linear would be equal)")
    print("orchestration overhead, one worker: (Prefect flow - the same work in a plain loop) / documents")
    for pair in pairs:
        docs = pair.documents
        print(f"  ({pair.flow:.2f} s - {pair.bare:.2f} s) / {docs} = {pair.overhead_ms:.0f} ms per document; "
              f"flow - the time recorded inside it ({pair.recorded:.2f} s, overlapping): {(pair.flow - pair.recorded) / docs * 1000:.0f} ms; "
              "CPU: " + ", ".join(f"{kind} {spent / docs * 1000:.0f} ms" for kind, spent in pair.cpu.items()) + " per document")  # fmt: skip
    median = sorted(pairs, key=lambda pair: pair.overhead_ms)[len(pairs) // 2]
    overhead_ms, docs = median.overhead_ms, median.documents
    every = ", ".join(f"{pair.overhead_ms:.0f}" for pair in pairs)
    results = [Result(f"peak RSS, {n} document(s), {mb:.2f} MB", f"{peak} MB") for n, mb, _, peak, *_ in rows]
    if len(rows) > 1:
        results.append(Result(f"time growth {n0} -> {n1} documents", f"x{t1 / t0:.1f} for x{mb1 / mb0:.1f} the data"))
    n, _, first, _, again, _, one = rows[-1]
    results.append(Result(f"unchanged re-run / first run ({n} documents)", f"{again / first:.2f}", "<= 0.10", again / first <= 0.10))
    results.append(Result(f"one document of {n} changed / first run", f"{one / first:.2f}", "<= 0.10", one / first <= 0.10))
    peaks = {size: peak for size, _, _, peak, *_ in rows}
    if 100 in peaks and n > 100:
        ratio = peaks[n] / peaks[100]
        results.append(Result(f"peak RSS {n:,} docs / 100 docs", f"{ratio:.2f}x", "<= 1.2x", ratio <= 1.2))
    how = "1 thread" if args.in_process else "1 worker process"
    results.append(Result(f"Prefect flow / plain loop, same work ({docs} docs, {how})", f"{median.flow / median.bare:.2f}x"))
    results.append(Result(f"orchestration overhead per document ({docs} docs, {how})", f"{overhead_ms:.0f} ms (median of {every})", "<= 50 ms", overhead_ms <= 50))
    cpu = median.cpu
    main_ms, server_ms = cpu["main"] / docs * 1000, cpu["server"] / docs * 1000
    results.append(Result(
        "Prefect's CPU per document, Prefect server + main process", f"{main_ms + server_ms:.0f} ms ({server_ms:.0f} + {main_ms:.0f})",
        f"<= {PREFECT_CPU_BEFORE_MS / 2:.0f} ms", main_ms + server_ms <= PREFECT_CPU_BEFORE_MS / 2,
    ))  # fmt: skip
    return results


if __name__ == "__main__":
    main()

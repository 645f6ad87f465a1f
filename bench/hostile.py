"""Each hostile input alone through the whole `lexnorm run` command: its outcome and the
time the command took, against the same command on one bundled seed in the same run.

The inputs are `lexnorm.testing.write_hostile_inputs` (the cases that once stopped,
hung or silently damaged a run); `tests/test_hostile.py` runs them all in one folder.
Usage: python bench/hostile.py [--only NAME,...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _inputs import REPO, SEEDS, Result

import pyarrow.parquet as pq

from lexnorm.testing import write_hostile_inputs

TIMEOUT = 900


def _run(raw: Path, out: Path) -> tuple[float, int, list[dict]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    docs = out / "documents.parquet"
    rows = pq.read_table(docs, columns=["source_path", "status", "error", "n_clauses"]).to_pylist() if docs.exists() else []
    if "Traceback" in proc.stdout + proc.stderr:
        rows.append({"source_path": "(traceback)", "status": "TRACEBACK", "error": proc.stderr[-200:], "n_clauses": 0})
    return seconds, proc.returncode, rows


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated case names")
    args = parser.parse_args(argv)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        staged = tmp / "staged"
        cases = write_hostile_inputs(staged)
        cases["manifest.json"] = "warning"
        wanted = set(args.only.split(",")) if args.only else None
        baseline_raw = tmp / "baseline"
        baseline_raw.mkdir()
        shutil.copy(SEEDS[0], baseline_raw)
        base, _, _ = _run(baseline_raw, tmp / "baseline_out")
        print(f"one seed, whole command: {base:.1f} s")
        print(f"{'case':<22} {'exit':>4} {'seconds':>8} {'x seed':>7}  outcome")
        for i, name in enumerate(cases):
            if wanted and name not in wanted:
                continue
            raw = tmp / f"case{i}"
            raw.mkdir()
            source = os.path.join(os.fsencode(staged), eval(name)) if name.startswith("b'") else staged / name
            os.rename(source, os.path.join(os.fsencode(raw), os.path.basename(os.fsencode(source))))
            if name == "to_fifo.txt":
                os.rename(staged / "pipe", raw / "pipe")
            if name == "manifest.json":
                shutil.copy(SEEDS[0], raw)
            seconds, code, rows = _run(raw, tmp / f"out{i}")
            outcome = "; ".join(f"{r['status']}" + (f" ({r['error']})" if r["error"] else f" ({r['n_clauses']} clauses)") for r in rows)
            print(f"{name:<22} {code:>4} {seconds:>8.1f} {seconds / base:>7.2f}  {outcome[:150]}", flush=True)
            results.append(Result(f"hostile input {name}: whole command / one seed's", f"{seconds / base:.2f}x, exit {code}"))
    return results


if __name__ == "__main__":
    from _inputs import print_summary

    print_summary(main())

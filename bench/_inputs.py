"""Inputs shared by the benchmarks: the corpus when ../shared is there, else the seeds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("LEXNORM_SHARED", REPO.parent / "shared"))
SEEDS = sorted((REPO / "data" / "raw").glob("*.txt"))


def chinese_text() -> tuple[str, str]:
    """(name, text): the Civil Code, or seed 003 repeated to a similar size without it."""
    civil = SHARED / "corpus" / "cn_civil_code_zh.txt"
    if civil.exists():
        return "Civil Code (zh)", civil.read_text(encoding="utf-8")
    seed = next(p for p in SEEDS if p.name.startswith("003")).read_text(encoding="utf-8")
    print(f"note: {civil} not found; using seed 003 x40")
    return "seed 003 x40 (zh)", "\n".join([seed] * 40)


def best_of(repeat: int, fn) -> float:
    import time

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def best_of_pair(repeat: int, bare, ours) -> tuple[float, float]:
    """Best seconds of `bare` and of `ours`, timed alternately (bare, ours, bare, ...) so
    that both see the same machine: its speed drifts between runs."""
    import time

    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((bare, ours)):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


class Result:
    """One line of `make bench`'s summary: what was measured, its value, the target if
    the issue set one, and whether it was met (None: no target)."""

    __slots__ = ("met", "metric", "target", "value")

    def __init__(self, metric: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.metric, self.value, self.target, self.met = metric, value, target, met


def print_summary(results: list[Result]) -> None:
    """The combined table."""
    import os

    width = max(len(r.metric) for r in results)
    value_width = max(len(r.value) for r in results)
    print(f"\nlexnorm benchmarks, one run on this machine ({os.cpu_count()} cores)")
    print(f"{'measure':<{width}}  {'value':<{value_width}}  {'target':<10}  met")
    print(f"{'-' * width}  {'-' * value_width}  {'-' * 10}  ---")
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "NO")
        print(f"{r.metric:<{width}}  {r.value:<{value_width}}  {r.target:<10}  {met}")

"""The `lexnorm` command line.

    lexnorm run [--raw DIR] [--out DIR]    normalise the agreements in DIR into Parquet tables
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lexnorm import __version__


def _summary(result, seconds: float) -> str:
    rows = [("document", "status", "lang", "encoding", "clauses", "anomalies", "note")]
    for doc in sorted(result.documents, key=lambda d: d.doc_id):
        anomalies = sum(len(c.anomalies) for c in doc.clauses)
        note = doc.error or "; ".join(doc.warnings)
        rows.append(
            (doc.doc_id, doc.status, doc.lang or "-", doc.encoding or "-", str(doc.n_clauses), str(anomalies), note)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths)) + ("  " + r[-1] if r[-1] else "") for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    ok, rejected = len(result.ok), len(result.rejected)
    clauses = sum(d.n_clauses for d in result.documents)
    lines.append("")
    lines.append(f"{ok} document(s) ok, {rejected} rejected, {clauses} clauses in {seconds:.1f} s")
    for name, path in result.outputs.items():
        lines.append(f"  {name:<10} {path}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    if not args.raw.is_dir():
        print(f"lexnorm: input folder {args.raw} does not exist", file=sys.stderr)
        return 2
    from flows.normalize import normalize  # imports Prefect: only when a run is asked for

    started = time.perf_counter()
    result = normalize(args.raw, args.out)
    print(_summary(result, time.perf_counter() - started))
    if not result.documents:
        print(f"lexnorm: no *.txt or *.md files in {args.raw}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lexnorm", description="Multilingual legal-text normalisation.")
    parser.add_argument("--version", action="version", version=f"lexnorm {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="normalise the agreements in a folder into Parquet tables")
    run.add_argument("--raw", type=Path, default=Path("data/raw"), help="input folder (default: data/raw)")
    run.add_argument("--out", type=Path, default=Path("data/processed"), help="output folder (default: data/processed)")
    run.set_defaults(handler=_run)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

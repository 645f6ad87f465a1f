"""The `lexnorm` command line.

    lexnorm run [--raw DIR] [--out DIR] [translation options]   normalise a folder of agreements
    lexnorm models install PATH.argosmodel                       install an Argos model offline
    lexnorm models list                                          show installed translation models
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lexnorm import __version__


def _summary(result, seconds: float) -> str:
    rows = [("document", "status", "lang", "encoding", "clauses", "anomalies", "note")]
    for doc in result.documents:
        note = doc.error or "; ".join(doc.warnings)
        rows.append(
            (doc.doc_id, doc.status, doc.lang or "-", doc.encoding or "-", str(doc.n_clauses), str(doc.n_anomalies), note)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths)) + ("  " + r[-1] if r[-1] else "") for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    ok, rejected = len(result.ok), len(result.rejected)
    clauses = sum(d.n_clauses for d in result.documents)
    engines = sorted({engine for d in result.documents for engine in d.engines})
    t = result.translation
    lines.append("")
    lines.append(f"{ok} document(s) ok, {rejected} rejected, {clauses} clauses in {seconds:.1f} s")
    lines.append("documents: " + ", ".join(f"{len(v)} {k}" for k, v in result.changes.items()))
    lines.append(
        f"translation: {', '.join(engines) or 'none needed'}; {t['translated']} sentence(s) translated, "
        f"{t['cached']} from cache, {t['glossed']} glossed"
    )
    lines.append("alignments: " + ", ".join(f"{n} {k}" for k, n in result.alignment_counts.items()))
    for name, path in result.outputs.items():
        lines.append(f"  {name:<10} {path}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    if not args.raw.is_dir():
        print(f"lexnorm: input folder {args.raw} does not exist", file=sys.stderr)
        return 2
    from flows.normalize import default_settings, run  # imports Prefect: only when a run is asked for
    from stages.translate import INSTALL_HINT, TARGET, Translator

    settings = default_settings(
        args.out,
        beam_size=args.beam_size,
        batch_size=args.batch_size,
        threads=args.threads,
        max_decoding_length=args.max_decoding_length,
        require_model=args.require_model,
    )
    if args.require_model and not any(p.to_code == TARGET for p in Translator(settings).packages):
        print(f"lexnorm: --require-model: no Argos model into English is installed; {INSTALL_HINT}", file=sys.stderr)
        return 2
    from stages.tables import OutputLocked, output_lock

    started = time.perf_counter()
    try:
        with output_lock(args.out):  # the flow takes it again; here it fails early with a clear message
            result = run(args.raw, args.out, settings, workers=args.workers, processes=args.processes, dask=args.dask)
    except OutputLocked as exc:
        print(f"lexnorm: {exc}", file=sys.stderr)
        return 3
    print(_summary(result, time.perf_counter() - started))
    if not result.documents:
        print(f"lexnorm: no *.txt or *.md files in {args.raw}", file=sys.stderr)
        return 1
    return 0


def _models_install(args: argparse.Namespace) -> int:
    from stages.models import PackageError, install

    try:
        pkg = install(args.path, args.target)
    except PackageError as exc:
        print(f"lexnorm: {exc}", file=sys.stderr)
        return 2
    print(f"installed {pkg.pair} {pkg.code} {pkg.version} in {pkg.path}\n  sha256 {pkg.archive_sha256}")
    return 0


def _models_list(args: argparse.Namespace) -> int:
    from stages.models import installed_packages, packages_dir

    packages = installed_packages([args.target] if args.target else None)
    if not packages:
        print(f"no translation models installed (looked in {args.target or packages_dir()})")
        print("install one with: lexnorm models install PATH.argosmodel")
        return 0
    for pkg in packages:
        print(f"{pkg.pair:<10} {pkg.engine:<40} {pkg.path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lexnorm", description="Multilingual legal-text normalisation.")
    parser.add_argument("--version", action="version", version=f"lexnorm {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="normalise the agreements in a folder into Parquet tables")
    run.add_argument("--raw", type=Path, default=Path("data/raw"), help="input folder (default: data/raw)")
    run.add_argument("--out", type=Path, default=Path("data/processed"), help="output folder (default: data/processed)")
    run.add_argument("--require-model", action="store_true", help="fail instead of glossing when no model is installed")
    run.add_argument("--beam-size", type=int, help="translation beam size (default 4, env LEXNORM_BEAM_SIZE)")
    run.add_argument("--batch-size", type=int, help="sentences per translation batch (default 64)")
    run.add_argument("--threads", type=int, help="translation threads (default: one per core)")
    run.add_argument("--max-decoding-length", type=int, help="longest translation in tokens (default 256)")
    run.add_argument("--workers", type=int, help="parallel workers (default: 4 threads; with --processes or --dask, one per core)")
    run.add_argument("--processes", action="store_true", help="run the stages in worker processes instead of threads")
    run.add_argument("--dask", metavar="ADDRESS", help="run the stages on a Dask cluster: tcp://host:8786, or `local`")
    run.set_defaults(handler=_run)

    models = commands.add_parser("models", help="install and list Argos translation models (offline)")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    install = model_commands.add_parser("install", help="install an .argosmodel file")
    install.add_argument("path", type=Path)
    install.add_argument("--target", type=Path, help="package folder (default: argostranslate's, or ARGOS_PACKAGES_DIR)")
    install.set_defaults(handler=_models_install)
    listing = model_commands.add_parser("list", help="show installed translation models")
    listing.add_argument("--target", type=Path, help="package folder to list (default: all argostranslate looks in)")
    listing.set_defaults(handler=_models_list)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

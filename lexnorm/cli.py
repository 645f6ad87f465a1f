"""The `lexnorm` command line.

    lexnorm run [--raw DIR] [--out DIR] [translation options]   normalise a folder of agreements
    lexnorm serve --cron "0 2 * * *" [--raw DIR] [--out DIR]  serve the flow on a schedule (needs a Prefect server)
    lexnorm server                                               start a local Prefect server (offline defaults)
    lexnorm models install PATH.argosmodel                       install an Argos model offline
    lexnorm models list                                          show installed translation models
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from lexnorm import __version__


# Exit statuses of `lexnorm run` beyond 0 (done) and 1 (no input files).
USAGE, LOCKED, OUTPUT_INCOMPLETE, SERVER_FAILED = 2, 3, 4, 5
INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal, as a shell reports it


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into the same orderly stop as Ctrl-C."""


def _terminate(signum, frame) -> None:
    raise _Terminated


def use_system_allocator() -> None:
    """Arrow's buffers from the C library's allocator rather than Arrow's default
    (mimalloc), which keeps freed memory for reuse: on 100 to 1,000 documents a run's
    peak is 65-75 MB lower, at the same speed (`bench/scale.py`). Before pyarrow is
    imported, in this process and the workers it starts; ARROW_DEFAULT_MEMORY_POOL, when
    set, wins."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def _run(args: argparse.Namespace) -> int:
    """`lexnorm run`. Ctrl-C and SIGTERM stop the run in order within seconds: the worker
    processes are killed at once (their stages are in hand and nothing of them would be
    written), the previous tables stay, Prefect's temporary server is stopped. A reaper
    ends whatever is left if this process is killed outright (SIGKILL)."""
    if not args.raw.is_dir():
        print(f"lexnorm: input folder {args.raw} does not exist", file=sys.stderr)
        return USAGE
    use_system_allocator()
    if args.stage_timeout is not None and args.stage_timeout < 0:
        print("lexnorm: --stage-timeout must be a number of seconds (0: no limit)", file=sys.stderr)
        return USAGE
    if args.stage_timeout is None:
        from lexnorm.runtime.limits import default_timeout

        try:
            args.stage_timeout = default_timeout()
        except ValueError as exc:
            print(f"lexnorm: {exc}", file=sys.stderr)
            return USAGE
        args.stage_timeout = args.stage_timeout or 0.0  # 0: no limit
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run_interruptible(args)
    except KeyboardInterrupt as exc:
        how = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
        print(
            f"lexnorm: run stopped ({signal.Signals(how).name}); the tables in {args.out} are those of the last "
            "complete run, and the documents done so far are kept for the next run", file=sys.stderr,
        )  # fmt: skip
        return INTERRUPTED[how]
    finally:
        signal.signal(signal.SIGTERM, previous)


def _unchanged(args: argparse.Namespace, settings):
    """The run's result when nothing changed since the last run into `args.out`, decided
    before Prefect is even imported (`lexnorm.runtime.shortcut`); None when there is work.
    A failure to decide is no error: the flow decides again."""
    import logging

    from lexnorm.runtime import shortcut

    handler = logging.StreamHandler()  # stderr, in the form of the flow's log lines
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | lexnorm - %(message)s", "%H:%M:%S"))
    shortcut.log.addHandler(handler)
    shortcut.log.setLevel(logging.INFO)
    shortcut.log.propagate = False
    try:
        return shortcut.unchanged(args.raw, args.out, settings, order=("plan",))
    except Exception:  # an unreadable store, a folder that changed under us: the flow will say what
        return None
    finally:
        shortcut.log.removeHandler(handler)


# What a run imports only once its flow has started (Prefect's engine, FastAPI's encoder
# for the flow's parameters, pandas through pyarrow, the report's): imported while the
# server starts, they are off the run's path.
PRELOAD = (
    "pandas", "prefect.utilities.visualization", "prefect.runner", "prefect.concurrency.v1.sync", "fastapi.encoders",
    "jinja2",
)  # fmt: skip


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # an optional speed-up only: the run imports what it needs anyway
            pass


def _start_workers(args: argparse.Namespace) -> int:
    """The run's number of workers, its worker processes started now so that they warm up
    beside Prefect's server and the imports (the flow then leases the same pool). By
    default one worker per core, but no more than there are files: a worker with nothing
    to do costs a process start and its memory. They load jieba only when the files may
    hold Han text (`may_hold_han`), which costs a process 70 MB."""
    from lexnorm.runtime.workers import default_count, process_count, shared
    from stages import ingest
    from stages.pipeline import may_hold_han

    try:
        files: list[Path] | None = [path for path in ingest.discover(args.raw) if ingest.reads(path)]
    except OSError:
        files = None
    workers = args.workers or (default_count() if files is None else max(1, min(default_count(), len(files))))
    if processes := process_count(workers, args.in_process, args.dask):
        shared(processes, han=files is None or may_hold_han(files))
    return workers


def _run_interruptible(args: argparse.Namespace) -> int:
    from flows import prefect_env

    # Prefect's server for the run starts first (when the run needs one of its own): it
    # takes longest to be ready, and it is ended at once if there turns out to be no work.
    prefect_env.start_reaper()
    prefect_env.use_template_database()  # before Prefect reads its settings
    prefect_env.begin_server()
    from lexnorm.runtime.incremental import default_settings
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
        return USAGE
    from lexnorm.output import summary
    from lexnorm.runtime.lock import OutputLocked, output_lock
    from stages import ingest

    try:
        with output_lock(args.out):  # the flow takes it again; here it fails early with a clear message
            result = _unchanged(args, settings)
            if result is not None:
                prefect_env.stop_server()
            else:
                from flows.normalize import run  # imports Prefect: only when there is work to do

                _preload()
                workers = _start_workers(args)
                try:
                    prefect_env.wait_for_server()
                except prefect_env.ServerFailed as exc:
                    print(f"lexnorm: {exc}", file=sys.stderr)
                    return SERVER_FAILED
                result = run(
                    args.raw, args.out, settings, workers=workers, threads=args.in_process, dask=args.dask,
                    stage_timeout=args.stage_timeout,
                )  # fmt: skip
    except OutputLocked as exc:
        print(f"lexnorm: {exc}", file=sys.stderr)
        return LOCKED
    except OSError as exc:  # the output folder cannot be made or locked: read-only, a file in its place
        reason = exc.strerror or str(exc)
        print(f"lexnorm: cannot write to the output folder {args.out}: {reason}", file=sys.stderr)
        return OUTPUT_INCOMPLETE
    print(summary.console(result))
    if "clauses" not in result.outputs:
        print(f"lexnorm: the tables could not be written in {args.out} (see the error above); "
              "the previous tables are unchanged", file=sys.stderr)  # fmt: skip
        return OUTPUT_INCOMPLETE
    if all(d.status == "skipped" for d in result.documents):
        others = f" ({len(result.documents)} other file(s) listed as skipped)" if result.documents else ""
        kinds = ", ".join(ingest.INPUT_SUFFIXES)
        print(f"lexnorm: no documents lexnorm reads ({kinds}) in {args.raw}{others}", file=sys.stderr)
        return 1
    if "report" not in result.outputs:
        print(f"lexnorm: the tables were written in {args.out}, the HTML report was not (see the error above)",
              file=sys.stderr)  # fmt: skip
        return OUTPUT_INCOMPLETE
    return 0


NO_SERVER = """lexnorm serve needs a Prefect server to hold the schedule (a run's temporary server
stops with the run). Start one, in another terminal or as a service:

    .venv/bin/lexnorm server                      # Prefect server on http://127.0.0.1:4200, offline

then point lexnorm at it and serve:

    export PREFECT_API_URL=http://127.0.0.1:4200/api
    .venv/bin/lexnorm serve --cron "0 2 * * *"
"""


def _serve(args: argparse.Namespace) -> int:
    if not os.environ.get("PREFECT_API_URL"):
        print(NO_SERVER, file=sys.stderr)
        return 2
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows.normalize import normalize

    try:
        schedule = Cron(args.cron, timezone=args.timezone)
    except ValueError as exc:
        print(f"lexnorm: --cron {args.cron!r}: {exc}", file=sys.stderr)
        return 2
    # Absolute folders: the scheduled runs do not depend on where they are started from.
    parameters = {"raw_dir": str(args.raw.resolve()), "out_dir": str(args.out.resolve())}
    normalize.serve(
        name=args.name, schedules=[schedule], parameters=parameters, limit=1,
        entrypoint_type=EntrypointType.MODULE_PATH, pause_on_shutdown=False,
        description=f"lexnorm: {parameters['raw_dir']} -> {parameters['out_dir']}, cron {args.cron} ({args.timezone})",
    )  # fmt: skip
    return 0


def _server(args: argparse.Namespace) -> int:
    """`prefect server start` with lexnorm's offline defaults (no telemetry, no update checks)."""
    import flows  # noqa: F401  (sets the offline defaults in this environment)

    from flows.prefect_env import real_server_environ, record_server

    env = {**real_server_environ(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "true"}
    record_server(args.host, args.port)  # `lexnorm run` finds it there and reports to it
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "server", "start", "--host", args.host, "--port", str(args.port)]
    os.execve(command[0], command, env)


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


def _read(args: argparse.Namespace) -> int:
    """`lexnorm read FILE`: what lexnorm reads from one file, without a run (no Prefect):
    the text as the clause parser reads it (page furniture blanked, wrapped lines joined),
    or with --clauses the clause tree, each clause with its pages. The library's
    `stages.ingest.read_document` and `stages.clauses.parse_document`, as a run calls them."""
    from lexnorm.output.report import pages
    from lexnorm.output.summary import read_as
    from lexnorm.runtime import sandbox
    from stages import ingest
    from stages.clauses import parse_document
    from stages.layout import reader_view

    doc = ingest.read_document(args.path, extract=sandbox.extract)
    if not doc.ok:
        print(f"lexnorm: {args.path}: {doc.status}: {doc.error}", file=sys.stderr)
        return 1
    print(f"# {doc.doc_id}: {read_as(doc)}, {len(doc.text):,} characters, {len(doc.furniture)} page-furniture lines", file=sys.stderr)
    if not args.clauses:
        print(reader_view(doc.text, doc.furniture, doc.joins) if doc.furniture or doc.joins else doc.text)
        return 0
    for clause in parse_document(doc).clauses:
        where = pages(clause.page_start, clause.page_end) or ""
        words = " ".join(clause.text.split())
        print(f"{'  ' * max(clause.level - 1, 0)}{clause.clause_id}\t{where}\t{words[:70]}")
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
    run.add_argument("--workers", type=int, help="parallel workers: worker processes, or threads, or Dask workers (default: one per core)")
    run.add_argument("--in-process", action="store_true", help="run the stages in threads of this process, not in worker processes")
    run.add_argument("--dask", metavar="ADDRESS", help="run the stages on a Dask cluster: tcp://host:8786, or `local`")
    run.add_argument(
        "--stage-timeout", type=float, metavar="SECONDS",
        help="reject a document whose stage takes longer (default 600, env LEXNORM_STAGE_TIMEOUT; 0: no limit)",
    )  # fmt: skip
    run.set_defaults(handler=_run)

    read = commands.add_parser("read", help="show what lexnorm reads from one file (text, or --clauses), without a run")
    read.add_argument("path", type=Path, help="a .txt, .md, .pdf, .docx or .html file")
    read.add_argument("--clauses", action="store_true", help="print the clause tree (id, pages, first words) instead of the text")
    read.set_defaults(handler=_read)

    serve = commands.add_parser("serve", help="serve the flow as a Prefect deployment on a cron schedule")
    serve.add_argument("--cron", required=True, help='when to run, e.g. "0 2 * * *" (every day at 02:00)')
    serve.add_argument("--timezone", default="UTC", help="time zone of the cron schedule (default UTC)")
    serve.add_argument("--name", default="scheduled", help="deployment name (default: scheduled)")
    serve.add_argument("--raw", type=Path, default=Path("data/raw"), help="input folder (default: data/raw)")
    serve.add_argument("--out", type=Path, default=Path("data/processed"), help="output folder (default: data/processed)")
    serve.set_defaults(handler=_serve)

    server = commands.add_parser("server", help="start a local Prefect server (for schedules and the UI), offline")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=4200)
    server.set_defaults(handler=_server)

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


def console() -> None:
    """The `lexnorm` command: `main`, then the process ends as soon as its exit handlers
    have run (Prefect's, the worker pools', the temporary server's, logging's) and its
    output is flushed. Python's own teardown, which would free every object of Prefect,
    jieba and pyarrow one by one, only delays the exit (seconds after a run); a library
    caller of `main` (a notebook, the tests) keeps its process."""
    import atexit

    try:
        code = main()
    except SystemExit as exc:  # argparse's --help, --version and usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except KeyboardInterrupt:  # a Ctrl-C outside a run's own handling
        code = INTERRUPTED[signal.SIGINT]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


if __name__ == "__main__":
    console()

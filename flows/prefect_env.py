"""Prefect defaults for lexnorm: local, offline, quiet, and nothing left behind.

These are defaults only (`os.environ.setdefault`): a team that points PREFECT_API_URL at
its own Prefect server, or sets any of these variables, keeps its settings. They must be
in place before `prefect` is imported, which is why `flows/__init__.py` calls this.

Without PREFECT_API_URL a run reports to a server started by `lexnorm server` when one
is running (`running_server`), else to Prefect's temporary server, a uvicorn process
serving Prefect's own app: `lexnorm run` starts it as its first step (`begin_server`), a
library call of the flow lets Prefect start it when the flow first needs it. Two things
keep it from outliving the run:
- its database is a file of this process's own, removed when the process ends (Prefect's
  default, ~/.prefect/prefect.db, grows by about 2 MB per run and is never trimmed); it
  starts as a copy of an empty database migrated once per Prefect version and kept in the
  user's cache (`template_path`), so that no run waits for Prefect's migrations;
- `lexnorm run` starts a reaper (`start_reaper`) that ends every process of the run, the
  temporary server included, when the run's main process ends, even by SIGKILL: Prefect
  starts that server itself, so lexnorm cannot ask the kernel to kill it with its parent
  as it does for its own worker processes (`lexnorm.runtime.workers.die_with_parent`).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

OFFLINE_DEFAULTS = {
    # no anonymous usage telemetry: neither the SDK's events nor the server's heartbeat
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # with no PREFECT_API_URL, runs use Prefect's temporary local server; it needs no UI
    "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
    "PREFECT_UI_ENABLED": "false",
    # Task runs log only warnings and errors: the flow logs one progress line per document
    # instead of two Prefect lines per task (twelve per document), and the Prefect UI shows
    # every task run's state anyway. Set it to INFO to see them.
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "WARNING",
}


# Only for Prefect's temporary local server (no PREFECT_API_URL): when a run ends right
# after a burst of task events, the server is stopped while its task-run recorder is still
# writing them, and it logs the cancelled write with a traceback. That server lives only
# for the run, so its own log is kept to critical messages; a real server is untouched.
#
# Prefect waits 20 s for that server to answer; on a busy machine (two cores, other jobs)
# it can take longer than that to start, and the run would fail: it is given 120 s.
#
# Nobody can read what a temporary server records once the run is over (its database
# goes with the run, and it serves no UI), so it records only what Prefect itself needs
# to run the flow: flow runs, task runs (from their events) and artifacts. Not the run's
# log lines (the console has them), not its events as such, and no automations are
# evaluated (a new database has none). This cut Prefect's CPU per document (server + main
# process) by about 16 % in a same-session A/B. A real server records everything.
TEMPORARY_SERVER_DEFAULTS = {
    "PREFECT_LOGGING_LOGGERS_PREFECT_SERVER_LEVEL": "CRITICAL",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
}

LOGGING_KEY = "PREFECT_LOGGING_SETTINGS_PATH"
MIGRATE_KEY = "PREFECT_API_DATABASE_MIGRATE_ON_START"
BLOCKS_KEY = "PREFECT_API_BLOCKS_REGISTER_ON_START"
MEMOIZE_KEY = "PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION"
TEMPLATE_SECONDS = 300  # the most that making the migrated template database may take
DATABASE_KEYS = ("PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL")
DATABASE_PREFIX = "lexnorm-prefect-"  # + pid + "-": the temporary server's database folder of one process

_set_here: dict[str, str] = {}  # the temporary-server defaults this process set (not the user's)


def use_local_prefect() -> None:
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if os.environ.get("PREFECT_API_URL"):
        return
    for key, value in TEMPORARY_SERVER_DEFAULTS.items():
        if key not in os.environ:
            os.environ[key] = _set_here[key] = value
    needs_database = not any(os.environ.get(key) for key in DATABASE_KEYS)
    if needs_database or LOGGING_KEY not in os.environ:
        folder = _database_folder()
        if needs_database:
            os.environ[DATABASE_KEYS[0]] = _set_here[DATABASE_KEYS[0]] = f"sqlite+aiosqlite:///{folder}/prefect.db"
        if LOGGING_KEY not in os.environ and (config := _quiet_database_logging(folder)) is not None:
            os.environ[LOGGING_KEY] = _set_here[LOGGING_KEY] = str(config)


def _quiet_database_logging(folder: Path) -> Path | None:
    """Prefect's own logging configuration with SQLAlchemy's connection pool kept to
    critical messages, written into `folder`. The temporary server's shutdown race (see
    TEMPORARY_SERVER_DEFAULTS) also cancels a pooled connection's reset, which SQLAlchemy
    logs with a traceback through the root logger; Prefect's settings can only change the
    loggers its file names, so the file gets one more. None (Prefect's defaults stay) when
    Prefect's file cannot be found or read."""
    import yaml

    try:
        spec = importlib.util.find_spec("prefect")  # found, not imported: Prefect reads the settings at import
        source = Path(spec.submodule_search_locations[0]) / "logging" / "logging.yml"
        config = yaml.safe_load(source.read_text(encoding="utf-8"))
        config["loggers"]["sqlalchemy.pool"] = {"level": "CRITICAL"}
        target = folder / "logging.yml"
        target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return target
    except (AttributeError, OSError, TypeError, KeyError, yaml.YAMLError):
        return None


def template_path() -> Path:
    """Where the template database of this Prefect version is kept (a user cache): migrated
    to Prefect's head, Prefect's block types registered, no runs."""
    from importlib.metadata import version

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "lexnorm" / f"prefect-{version('prefect')}-blocks.db"


def use_template_database() -> bool:
    """Start this process's temporary-server database (the one `use_local_prefect` chose)
    as a copy of the migrated template, and tell Prefect not to migrate it again; whether
    it did. Only for `lexnorm run`, before Prefect is imported: a test harness's or a real
    server's database is theirs to migrate, and the setting, read at Prefect's import, would
    reach every later server of the process (a run called in a process that already uses
    Prefect, a test suite's, leaves it to Prefect)."""
    url = _set_here.get(DATABASE_KEYS[0])
    if not url or os.environ.get(DATABASE_KEYS[0]) != url or any(key in os.environ for key in (MIGRATE_KEY, BLOCKS_KEY)):
        return False
    if "prefect" in sys.modules:  # too late to tell this process's Prefect, and the setting would outlive the run
        return False
    if not _from_template(Path(url.split("///", 1)[1])):
        return False
    # the copy is at Prefect's head already, with Prefect's block types registered; with
    # nothing to register, the server's start need not load every Prefect collection (the
    # Dask one imports distributed: 0.5 s of the server's start) to hash what it would
    # register, nor write that hash into the user's ~/.prefect/memo_store.toml
    for key in (MIGRATE_KEY, BLOCKS_KEY, MEMOIZE_KEY):
        if key not in os.environ:
            os.environ[key] = _set_here[key] = "false"
    return True


def _from_template(database: Path) -> bool:
    """Put a copy of the migrated empty database at `database` (made once per Prefect
    version, `template_path`); whether it is there. A new database otherwise costs every
    temporary server Prefect's 200-odd migrations at its start: 12-15 s of a run on this
    machine (`bench/rerun.py`), against milliseconds for the copy. Any failure leaves it to
    Prefect, which migrates as before."""
    template = template_path()
    try:
        if not template.exists():
            _make_template(template)
        shutil.copyfile(template, database)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def _make_template(template: Path) -> None:
    """Migrate a new database to Prefect's head and register Prefect's block types in it,
    in a child process (what Prefect's server does at its start: `create_db` and
    `run_block_auto_registration`), then move it into place, so that runs started together
    never see half of one. A server started on a copy skips both (1-2 s of its start)."""
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_name(f"{template.name}.{os.getpid()}.partial")
    env = {**os.environ, DATABASE_KEYS[0]: f"sqlite+aiosqlite:///{partial}"}
    code = (
        "import asyncio\n"
        "from prefect.server.database import provide_database_interface\n"
        "from prefect.server.models.block_registration import run_block_auto_registration\n"
        "async def make():\n"
        "    db = provide_database_interface()\n"
        "    await db.create_db()\n"
        "    async with db.session_context() as session:\n"
        "        await run_block_auto_registration(session=session)\n"
        "        await session.commit()\n"
        "asyncio.run(make())\n"
    )
    try:
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=TEMPLATE_SECONDS,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        os.replace(partial, template)
    finally:
        for leftover in partial.parent.glob(f"{partial.name}*"):
            leftover.unlink(missing_ok=True)


# ------------------------------------------------------------------ the run's Prefect server


SERVER_STATE = "server.json"  # beside the template: where `lexnorm server` says where it listens
HEALTH_POLL = 0.05  # seconds between two looks at a starting server


class ServerFailed(RuntimeError):
    """The temporary server did not start (its exit status and last words are the message)."""


_server: subprocess.Popen | None = None


def begin_server() -> str | None:
    """Where this `lexnorm run` process's flow will report, decided before Prefect is
    imported (Prefect reads PREFECT_API_URL then); None when that is not ours to decide
    (PREFECT_API_URL set by the user, or Prefect imported already: a test harness's server).

    - A Prefect server started by `lexnorm server` and still answering: the run reports to
      it, so it shows in that server's UI, and no server has to start (`running_server`).
    - Otherwise Prefect's temporary server, started *now* rather than when the flow first
      calls its API (Prefect's own way): importing the server's code takes seconds, and it
      now does so while this process imports the flow and the worker processes warm up.
      It is Prefect's own server app started as Prefect starts it (`python -m uvicorn
      prefect.server.api.server:create_app`, ephemeral, no UI), on a socket this process
      has bound already (so its address is known at once and cannot be taken meanwhile),
      with this process's database (`use_template_database`). It dies with this process
      (PR_SET_PDEATHSIG, the reaper, and `stop_server` at exit). `wait_for_server` waits
      for it to answer before the flow starts."""
    global _server
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        return None
    if (url := running_server()) is not None:
        for key in TEMPORARY_SERVER_DEFAULTS:  # a real server records everything
            if key in _set_here and os.environ.get(key) == _set_here.pop(key):
                del os.environ[key]
        os.environ["PREFECT_API_URL"] = _set_here["PREFECT_API_URL"] = url
        return url
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    site = Path(importlib.util.find_spec("prefect").submodule_search_locations[0]).parent
    command = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(site), "--factory", "prefect.server.api.server:create_app",
        "--fd", str(listener.fileno()), "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip
    # Prefect's own marks for its temporary server: no UI, ephemeral services only
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    words = tempfile.TemporaryFile()  # what it says if it fails to start (a pipe could fill and stop it)
    _server = subprocess.Popen(
        command, env=env, pass_fds=(listener.fileno(),), preexec_fn=_die_with_parent,
        stdout=subprocess.DEVNULL, stderr=words,
    )  # fmt: skip
    _server.words = words
    listener.close()  # the server holds it now
    atexit.register(stop_server)
    url = f"http://127.0.0.1:{port}/api"
    # the run's own server: no UI to link to (Prefect's "View at ..." line would lead nowhere)
    for key, value in (("PREFECT_API_URL", url), ("PREFECT_UI_URL", "")):
        os.environ[key] = _set_here[key] = value
    return url


def _die_with_parent() -> None:
    """In the server's process before it starts: the kernel ends it when its parent ends."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def answers(url: str, timeout: float) -> bool:
    """Whether the Prefect API at `url` (on this machine) answers its health check within
    `timeout` seconds: one plain HTTP request straight to it (no proxy, no urllib)."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=timeout)
    try:
        connection.request("GET", where.path.rstrip("/") + "/health")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def wait_for_server(timeout: float | None = None) -> None:
    """Return when the run's temporary server (`begin_server`) answers; raise ServerFailed
    with its own words if it ends first or does not answer within `timeout` seconds (the
    same limit as Prefect's, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)."""
    import time

    if _server is None:
        return
    key = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
    limit = timeout if timeout is not None else float(os.environ.get(key, TEMPORARY_SERVER_DEFAULTS[key]))
    deadline = time.monotonic() + limit
    url = os.environ["PREFECT_API_URL"]
    while time.monotonic() < deadline:
        if _server.poll() is not None:
            _server.words.seek(0)
            words = _server.words.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise ServerFailed(f"Prefect's temporary server ended at its start (exit status {_server.returncode})"
                               + (": " + " / ".join(words) if words else ""))  # fmt: skip
        if answers(url, max(0.1, min(5.0, deadline - time.monotonic()))):
            return
        time.sleep(HEALTH_POLL)
    stop_server()
    raise ServerFailed(f"Prefect's temporary server did not answer within {limit:.0f} s")


def stop_server() -> None:
    """End the run's temporary server now (at exit). Its database is the run's own and is
    removed next, so nothing it would still write matters: it is killed, not asked."""
    global _server
    server, _server = _server, None
    if server is not None and server.poll() is None:
        _drain_prefect()
        server.kill()
        server.wait()
    if server is not None:
        server.words.close()


def _drain_prefect() -> None:
    """Let Prefect send what its log and event workers still hold while the server is
    there to take it; at the end of the exit (`logging.shutdown`) the log worker would
    otherwise wait its full 5 s for a server that is gone."""
    try:
        if "prefect.logging.handlers" in sys.modules:
            from prefect.logging.handlers import APILogHandler

            APILogHandler().flush()
        if "prefect.events.worker" in sys.modules:
            from prefect.events.worker import EventsWorker

            EventsWorker.drain_all(timeout=5)
    except Exception:  # at exit, whatever Prefect's state: the server is stopped anyway
        pass


def state_path() -> Path:
    """Where `lexnorm server` records the server it started (pid, address)."""
    return template_path().with_name(SERVER_STATE)


def record_server(host: str, port: int) -> None:
    """`lexnorm server`, about to become the server (exec, same pid): say where it listens."""
    import json

    from lexnorm.atomic import write_atomically

    address = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    path = state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"pid": os.getpid(), "api_url": f"http://{address}:{port}/api"}
        write_atomically(path, json.dumps(state).encode("utf-8"), durable=False)
    except OSError:
        pass  # runs then use their temporary server, as without it


def running_server(timeout: float = 0.5) -> str | None:
    """The API address of a server started by `lexnorm server` that is still running and
    answering, else None (no record, its process gone, not answering within `timeout`)."""
    import json

    try:
        state = json.loads(state_path().read_text(encoding="utf-8"))
        pid, url = int(state["pid"]), str(state["api_url"])
        os.kill(pid, 0)
        return url if answers(url, timeout) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _database_folder() -> Path:
    """A new folder for this process's temporary-server database, removed when the process
    ends (or, if it is killed, by its reaper or by the next process that looks)."""
    _sweep()
    folder = Path(tempfile.mkdtemp(prefix=f"{DATABASE_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, True)  # runs after Prefect's atexit has stopped the server
    return folder


def _sweep() -> None:
    """Remove the database folders of processes that are gone (killed before their exit)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{DATABASE_PREFIX}*-*"):
        try:
            os.kill(int(folder.name[len(DATABASE_PREFIX) :].split("-")[0]), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, PermissionError):  # not ours, or another user's live process
            pass


def real_server_environ() -> dict[str, str]:
    """The environment for a real (long-lived) Prefect server, which this process is about
    to become (exec): without the defaults meant for the temporary one (its own database,
    now removed; its quiet log) and without PREFECT_API_URL."""
    if DATABASE_KEYS[0] in _set_here:
        shutil.rmtree(Path(_set_here[DATABASE_KEYS[0]].split("///", 1)[1]).parent, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not (k in _set_here and _set_here[k] == v)}
    env.pop("PREFECT_API_URL", None)
    return env


# ------------------------------------------------------------------------------ the reaper

REAP_INTERVAL = 0.5  # seconds between two looks at the run's processes (about 1% of a core, 15 MB)
REAP_GRACE = 3.0  # seconds between SIGTERM and SIGKILL for what is left


_reaper: subprocess.Popen | None = None


def start_reaper() -> subprocess.Popen:
    """Start the reaper of this process's runs (once): a small process that, when this one
    ends (normally, by a signal, by SIGKILL), ends every process this one started and is
    still there, and removes the temporary server's database. It knows this process has
    ended when the pipe it reads from closes, which the kernel does whatever the end."""
    global _reaper
    if _reaper is None or _reaper.poll() is not None:
        url = _set_here.get(DATABASE_KEYS[0])
        folder = str(Path(url.split("///", 1)[1]).parent) if url else ""
        _reaper = subprocess.Popen(
            [sys.executable, str(Path(__file__)), "reap", str(os.getpid()), folder],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    return _reaper


def reap(parent: int, folder: str) -> None:
    """The reaper's loop (see `start_reaper`): every REAP_INTERVAL, note the processes
    descended from `parent`; when its pipe closes, end them (SIGTERM, then SIGKILL after
    REAP_GRACE) and their own children, then remove `folder`. Signals meant for the run
    (Ctrl-C reaches the whole process group) leave it alone: it ends after the run."""
    import select

    import psutil  # a dependency of distributed, which prefect-dask brings

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    me = os.getpid()
    seen: dict[int, psutil.Process] = {}
    try:
        run = psutil.Process(parent)
        while True:
            for child in run.children(recursive=True):
                if child.pid != me:
                    seen.setdefault(child.pid, child)
            if select.select([sys.stdin], [], [], REAP_INTERVAL)[0] and not os.read(sys.stdin.fileno(), 1024):
                break  # the pipe closed: the run's main process has ended
    except psutil.NoSuchProcess:
        pass
    left = []
    for process in seen.values():
        try:
            left += [process, *process.children(recursive=True)]  # is_running() guards against a reused pid
        except psutil.NoSuchProcess:
            pass
    left = [p for p in left if p.pid != me and p.is_running()]
    for process in left:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(left, timeout=REAP_GRACE)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__" and sys.argv[1:2] == ["reap"]:
    reap(int(sys.argv[2]), sys.argv[3])

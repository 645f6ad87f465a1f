"""Prefect's defaults for lexnorm's temporary server: its database and its logging belong
to the run, and a real server (PREFECT_API_URL) gets none of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO

PROBE = """
import json, logging, os
import flows
from prefect.logging.configuration import setup_logging
setup_logging()
print(json.dumps({
    "settings": os.environ.get("PREFECT_LOGGING_SETTINGS_PATH"),
    "database": os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL"),
    "pool": logging.getLogger("sqlalchemy.pool").getEffectiveLevel(),
    "root": logging.getLogger().level,
    "prefect": logging.getLogger("prefect").getEffectiveLevel(),
}))
"""


def probe(**env) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env={**base, **env}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_temporary_server_keeps_sqlalchemys_shutdown_race_to_itself():
    """The server's cancelled pool resets at shutdown are logged by SQLAlchemy through the
    root logger; in a run's processes that logger is kept to critical messages, and
    nothing else changes (Prefect's own loggers, the root logger)."""
    found = probe()
    assert found["settings"] and found["settings"].endswith("logging.yml")
    assert found["database"].startswith("sqlite+aiosqlite:///") and "lexnorm-prefect-" in found["database"]
    assert found["pool"] == 50 and found["root"] == 30 and found["prefect"] == 20


def test_a_real_server_gets_prefects_own_defaults():
    found = probe(PREFECT_API_URL="http://127.0.0.1:4200/api")
    assert found["settings"] is None and found["database"] is None and found["pool"] == 30


TEMPLATE_PROBE = """
import json, os, sqlite3
import flows
from flows import prefect_env
prefect_env.use_template_database()
url = os.environ["PREFECT_API_DATABASE_CONNECTION_URL"]
path = url.split("///", 1)[1]
database = sqlite3.connect(path)
tables = {r[0] for r in database.execute("select name from sqlite_master where type = 'table'")}
blocks = database.execute("select count(*) from block_type").fetchone()[0] if "block_type" in tables else 0
print(json.dumps({
    "template": str(prefect_env.template_path()),
    "migrate": os.environ.get("PREFECT_API_DATABASE_MIGRATE_ON_START"),
    "register": os.environ.get("PREFECT_API_BLOCKS_REGISTER_ON_START"),
    "blocks": blocks,
    "tables": sorted(tables),
    "real": prefect_env.real_server_environ().get("PREFECT_API_DATABASE_MIGRATE_ON_START"),
}))
"""


def test_the_temporary_database_starts_as_a_copy_of_a_migrated_template(tmp_path):
    """Prefect migrates a new database at every temporary server's start; lexnorm migrates
    one once per Prefect version into the user's cache and copies it, so that no run waits
    for the migrations. Without a writable cache, Prefect migrates as before."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}

    def run(cache: str) -> dict:
        proc = subprocess.run([sys.executable, "-c", TEMPLATE_PROBE], cwd=REPO, env={**base, "XDG_CACHE_HOME": cache},
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.splitlines()[-1])

    first = run(str(tmp_path / "cache"))
    template = first["template"]
    assert template.startswith(str(tmp_path / "cache" / "lexnorm" / "prefect-")) and os.path.exists(template)
    assert {"alembic_version", "flow_run", "task_run"} <= set(first["tables"])  # at Prefect's head, empty
    assert first["blocks"] > 0 and first["register"] == "false"  # Prefect's block types registered once
    assert first["migrate"] == "false" and first["real"] is None  # a real server migrates its own database
    made = os.stat(template).st_mtime_ns
    assert run(str(tmp_path / "cache"))["migrate"] == "false" and os.stat(template).st_mtime_ns == made  # made once
    assert not [p for p in os.listdir(os.path.dirname(template)) if p.endswith(".partial")]
    unwritable = run("/proc")  # no cache: Prefect migrates the new database itself
    assert unwritable["migrate"] is None and unwritable["tables"] == []


# ------------------------------------------------------------------ the run's Prefect server


def _clean_env(tmp_path, **more) -> dict[str, str]:
    """No Prefect settings of the suite's; this test's own cache (with the migrated
    template copied in, when there is one, so that no test migrates again)."""
    import shutil

    from flows.prefect_env import template_path

    cache = tmp_path / "cache"
    (cache / "lexnorm").mkdir(parents=True, exist_ok=True)
    if template_path().exists():
        shutil.copy(template_path(), cache / "lexnorm" / template_path().name)
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {**base, "XDG_CACHE_HOME": str(cache), **more}


def _one_document(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("1. Parties. A and B.\n2. Term. One year.\n", encoding="utf-8")
    return raw


def test_a_run_starts_its_temporary_server_at_once_and_leaves_nothing(tmp_path):
    """`lexnorm run` starts Prefect's temporary server before it imports the flow (on a
    socket it bound itself), reports the flow run to it, prints no link to a UI that
    temporary server does not have, and ends it with the run."""
    import time

    import psutil

    raw = _one_document(tmp_path)
    env = _clean_env(tmp_path, PREFECT_HOME=str(tmp_path / "prefect-home"))
    proc = subprocess.Popen([sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(tmp_path / "out")],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    me = psutil.Process(proc.pid)
    seen, environ = set(), {}
    while proc.poll() is None:
        try:
            for child in me.children(recursive=True):
                seen.add((child.pid, " ".join(child.cmdline())))
                environ.setdefault(child.pid, child.environ())
        except psutil.Error:
            pass
        time.sleep(0.05)
    out = proc.stdout.read()
    assert proc.returncode == 0, out
    servers = [pid for pid, command in seen if "uvicorn" in command and "--fd" in command]
    assert len(servers) == 1  # the run's own, started by lexnorm on its socket
    # its database is a copy of the template with the block types in: nothing to register,
    # so no collection is loaded to hash them and no memo is written into PREFECT_HOME
    assert environ[servers[0]]["PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION"] == "false"
    assert not (tmp_path / "prefect-home" / "memo_store.toml").exists()
    workers = [pid for pid, command in seen if "multiprocessing.spawn" in command]
    assert workers and all(environ[pid]["ARROW_DEFAULT_MEMORY_POOL"] == "system" for pid in workers)
    assert "Finished in state Completed()" in out and "1 document(s) ok" in out
    assert "View at" not in out and "Traceback" not in out

    def alive() -> list[int]:
        found = []
        for pid, _ in seen:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    found.append(pid)
            except psutil.NoSuchProcess:
                pass
        return found

    deadline = time.monotonic() + 30  # the reaper and the workers end within moments of the run
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive()


def test_a_run_reports_to_the_server_lexnorm_server_started(tmp_path):
    """With `lexnorm server` up, `lexnorm run` starts no server of its own: its flow run,
    with each document's stages as task runs, is in that server (and so in its UI)."""
    import socket
    import time

    import psutil

    from flows.prefect_env import answers

    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    env = _clean_env(tmp_path, PREFECT_HOME=str(tmp_path / "prefect-home"))
    server = subprocess.Popen([sys.executable, "-m", "lexnorm", "server", "--port", str(port)], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 240
        while not answers(url, 1.0):
            assert server.poll() is None and time.monotonic() < deadline, "lexnorm server did not start"
            time.sleep(0.2)
        raw = _one_document(tmp_path)
        proc = subprocess.Popen([sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(tmp_path / "out")],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
        me, commands = psutil.Process(proc.pid), set()
        while proc.poll() is None:
            try:
                commands |= {" ".join(c.cmdline()) for c in me.children(recursive=True)}
            except psutil.Error:
                pass
            time.sleep(0.05)
        out = proc.stdout.read()
        assert proc.returncode == 0, out
        assert not [c for c in commands if "uvicorn" in c]  # no server of its own
        assert f"View at http://127.0.0.1:{port}/runs/flow-run/" in out
        query = (
            "import asyncio, json\n"
            "from prefect.client.orchestration import get_client\n"
            "async def main():\n"
            "    async with get_client() as client:\n"
            "        flows = await client.read_flow_runs()\n"
            "        tasks = await client.read_task_runs()\n"
            "        print(json.dumps({'flows': [f.state.type.value for f in flows], 'tasks': sorted(t.name for t in tasks)}))\n"
            "asyncio.run(main())\n"
        )
        found = subprocess.run([sys.executable, "-c", query], env={**env, "PREFECT_API_URL": url},
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        recorded = json.loads(found.stdout.splitlines()[-1])
        assert recorded["flows"] == ["COMPLETED"]
        assert {"ingest a.txt", "clauses a", "language a", "segment a", "translate a", "topics a"} <= set(recorded["tasks"])
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert not answers(url, 1.0)
    raw2 = tmp_path / "raw2"
    raw2.mkdir()
    (raw2 / "b.txt").write_text("1. One.\n", encoding="utf-8")
    again = subprocess.run([sys.executable, "-m", "lexnorm", "run", "--raw", str(raw2), "--out", str(tmp_path / "out2")],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert again.returncode == 0, again.stderr  # its record left behind: the run starts its own server


def test_a_temporary_server_that_fails_to_start_is_reported_with_its_words(tmp_path, monkeypatch):
    from flows import prefect_env

    words = open(tmp_path / "words", "w+b")  # noqa: SIM115 (closed by stop_server)
    failing = subprocess.Popen([sys.executable, "-c", "import sys; sys.stderr.write('address in use\\n'); sys.exit(3)"],
                               stderr=words)  # fmt: skip
    failing.words = words
    monkeypatch.setattr(prefect_env, "_server", failing)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    try:
        prefect_env.wait_for_server(timeout=60)
    except prefect_env.ServerFailed as exc:
        assert "exit status 3" in str(exc) and "address in use" in str(exc)
    else:
        raise AssertionError("no ServerFailed")
    prefect_env.stop_server()
    assert prefect_env._server is None and words.closed


def test_a_run_gives_arrow_the_system_allocator_unless_told_otherwise():
    check = "import lexnorm.cli as c; c.use_system_allocator(); import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    assert subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True).stdout.strip() == "system"
    chosen = subprocess.run([sys.executable, "-c", check], env={**env, "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"},
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert chosen.stdout.strip() == "mimalloc"


def test_the_command_exits_with_mains_status():
    """`lexnorm` ends its process right after its exit handlers: statuses and messages are
    those of `main`."""
    version = subprocess.run([sys.executable, "-m", "lexnorm", "--version"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("lexnorm ")
    usage = subprocess.run([sys.executable, "-m", "lexnorm", "run", "--bogus"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "unrecognized arguments: --bogus" in usage.stderr
    missing = subprocess.run([sys.executable, "-m", "lexnorm", "run", "--raw", "/nonexistent-folder"], cwd=REPO,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert missing.returncode == 2 and "does not exist" in missing.stderr

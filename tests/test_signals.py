"""A `lexnorm run` stopped by a signal: Ctrl-C (SIGINT) and SIGTERM stop it in order, with
a message and the shell's status, and no process of the run outlives it; after SIGKILL of
its main process no process of the run outlives it either (worker processes, Prefect's
temporary server). The temporary server's database is the run's own and goes with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from conftest import REPO, SEEDS

COPIES = 30  # 150 documents: the run is still busy when the signal comes


def _session(sid: int) -> list[psutil.Process]:
    """The live processes of session `sid` (zombies are already gone as far as memory goes)."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == sid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, PermissionError, psutil.NoSuchProcess):
            pass
    return found


def _wait_for(predicate, what: str, timeout: float = 300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture()
def busy_run(tmp_path):
    """A `lexnorm run` in a session of its own, once it is writing documents (its worker
    processes and the temporary server exist): (process, its descendants, log, home, tmp)."""
    raw, home, tmp = tmp_path / "raw", tmp_path / "home", tmp_path / "tmp"
    for folder in (raw, home, tmp):
        folder.mkdir()
    for i in range(COPIES):
        for seed in SEEDS.values():
            (raw / f"{i:03d}_{seed.name}").write_bytes(seed.read_bytes() + f"\ncopy {i}\n".encode())
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp)}
    env.pop("PREFECT_API_URL", None)
    log = tmp_path / "log.txt"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(tmp_path / "out"), "--workers", "2"],
            cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for(lambda: "[2/" in log.read_text(errors="replace") or proc.poll() is not None, "the run to write documents")
        assert proc.poll() is None, log.read_text()
        descendants = psutil.Process(proc.pid).children(recursive=True)
        commands = [" ".join(p.cmdline()) for p in descendants]
        assert any("uvicorn" in c for c in commands), commands  # Prefect's temporary server
        assert sum("multiprocessing.spawn" in c for c in commands) >= 2, commands  # the worker processes
        yield proc, descendants, log, home, tmp
    finally:
        for process in _session(proc.pid):
            process.kill()
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_a_stopped_run_leaves_no_process(busy_run, sig):
    proc, descendants, log, home, tmp = busy_run
    start = time.monotonic()
    proc.send_signal(sig)
    status = proc.wait(timeout=120)  # a hang fails the test
    stopped_after = time.monotonic() - start
    time.sleep(REAP_WAIT)
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    left += [p for p in _session(proc.pid) if p not in left]
    output = log.read_text(errors="replace")
    print(f"{sig.name}: stopped after {stopped_after:.1f} s, {len(left)} process(es) left")
    assert not left, [" ".join(p.cmdline())[:80] for p in left]
    assert not (home / ".prefect" / "prefect.db").exists()  # not Prefect's database in the home folder
    assert not list(tmp.glob("lexnorm-prefect-*"))  # and the run's own is gone with it
    if sig == signal.SIGKILL:
        assert status == -signal.SIGKILL
    else:
        assert status == 128 + sig, output[-2000:]
        assert f"lexnorm: run stopped ({sig.name})" in output
        assert "Traceback" not in output, output[-4000:]


REAP_WAIT = 6.0  # seconds after the main process ends: the reaper's SIGTERM grace and then some

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
tables = {r[0] for r in sqlite3.connect(path).execute("select name from sqlite_master where type = 'table'")}
print(json.dumps({
    "template": str(prefect_env.template_path()),
    "migrate": os.environ.get("PREFECT_API_DATABASE_MIGRATE_ON_START"),
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
    assert first["migrate"] == "false" and first["real"] is None  # a real server migrates its own database
    made = os.stat(template).st_mtime_ns
    assert run(str(tmp_path / "cache"))["migrate"] == "false" and os.stat(template).st_mtime_ns == made  # made once
    assert not [p for p in os.listdir(os.path.dirname(template)) if p.endswith(".partial")]
    unwritable = run("/proc")  # no cache: Prefect migrates the new database itself
    assert unwritable["migrate"] is None and unwritable["tables"] == []

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

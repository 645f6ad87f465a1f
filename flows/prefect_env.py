"""Prefect defaults for lexnorm: local, offline, quiet.

These are defaults only (`os.environ.setdefault`): a team that points PREFECT_API_URL at
its own Prefect server, or sets any of these variables, keeps its settings. They must be
in place before `prefect` is imported, which is why `flows/__init__.py` calls this.
"""

from __future__ import annotations

import os

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
TEMPORARY_SERVER_DEFAULTS = {"PREFECT_LOGGING_LOGGERS_PREFECT_SERVER_LEVEL": "CRITICAL"}


def use_local_prefect() -> None:
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if not os.environ.get("PREFECT_API_URL"):
        for key, value in TEMPORARY_SERVER_DEFAULTS.items():
            os.environ.setdefault(key, value)

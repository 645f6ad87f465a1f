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
}


def use_local_prefect() -> None:
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)

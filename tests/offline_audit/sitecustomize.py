"""Loaded by every Python process of a test run (via PYTHONPATH): records every network
look-up and connection attempt, through Python's audit hooks, into LEXNORM_AUDIT_LOG."""

import json
import os
import sys

_LOG = os.environ.get("LEXNORM_AUDIT_LOG")
_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto", "urllib.Request"}


def _hook(event, args):
    if event not in _EVENTS or not _LOG:
        return
    if event == "socket.connect":
        what = args[1]
    elif event == "urllib.Request":
        what = args[0]
    else:
        what = args[0]
    try:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"pid": os.getpid(), "event": event, "target": repr(what)}) + "\n")
    except OSError:
        pass


if _LOG:
    sys.addaudithook(_hook)
    with open(_LOG, "a", encoding="utf-8") as _fh:
        _fh.write(json.dumps({"pid": os.getpid(), "event": "audit-started", "target": " ".join(sys.argv)}) + "\n")

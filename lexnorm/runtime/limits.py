"""A run's time limit per stage and document, read before anything heavy is imported
(`lexnorm run` checks it before it starts Prefect's server)."""

from __future__ import annotations

import os

DEFAULT_TIMEOUT = 600.0  # seconds one stage may take on one document (LEXNORM_STAGE_TIMEOUT)


def default_timeout() -> float | None:
    """The per-document, per-stage time limit: LEXNORM_STAGE_TIMEOUT seconds (0: none),
    else DEFAULT_TIMEOUT. A value that is not a number is an error, not a silent default."""
    value = os.environ.get("LEXNORM_STAGE_TIMEOUT", "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"LEXNORM_STAGE_TIMEOUT={value!r} is not a number of seconds") from None
    return seconds if seconds > 0 else None

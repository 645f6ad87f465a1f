"""Prefect flows: thin wiring of the stages. Importing this package first makes Prefect
local and offline by default (see `flows.prefect_env`)."""

from flows.prefect_env import use_local_prefect

use_local_prefect()

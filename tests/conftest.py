"""Shared fixtures. Corpus tests need `../shared/corpus` (beside the repository, or
LEXNORM_SHARED); without it they are skipped with the reason printed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from stages.clauses import build_clauses
from stages.records import Clause

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
SHARED = Path(os.environ.get("LEXNORM_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"

SEEDS = {p.name[:3]: p for p in sorted(RAW.glob("*.txt"))}


def seed_folders(tmp_path_factory) -> tuple[Path, Path]:
    """(raw, out): a new input folder holding copies of the five seeds, and an empty output folder."""
    raw, out = tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("out")
    for path in SEEDS.values():
        shutil.copy(path, raw / path.name)
    return raw, out


def parse_text(text: str, doc_id: str = "doc") -> list[Clause]:
    clauses, _ = build_clauses(doc_id, text)
    return clauses


def by_id(clauses: list[Clause]) -> dict[str, Clause]:
    return {c.clause_id: c for c in clauses}


@pytest.fixture(scope="module")
def prefect_server():
    """A Prefect test server for the flow runs of one test module (generous start-up time:
    the machine may be busy)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def seed_clauses() -> dict[str, list[Clause]]:
    """Seed number ("000".."004") -> its clauses."""
    return {key: parse_text(path.read_text(encoding="utf-8"), path.stem) for key, path in SEEDS.items()}


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus file {name} not found: ../shared/corpus is absent on this machine (set LEXNORM_SHARED)")
    return path


@pytest.fixture(scope="session")
def corpus_clauses():
    cache: dict[str, list[Clause]] = {}

    def load(name: str) -> list[Clause]:
        if name not in cache:
            path = corpus_file(name)
            cache[name] = parse_text(path.read_text(encoding="utf-8"), path.stem)
        return cache[name]

    return load


# ------------------------------------------------------------------ translation fixtures


@pytest.fixture(scope="session")
def noise_archive(tmp_path_factory):
    """A real Argos package with a random-weight model (built here, never committed).
    Its output is noise: tests assert plumbing, never wording."""
    from lexnorm.testing import build_noise_package

    texts = [p.read_text(encoding="utf-8") for p in SEEDS.values()]
    return build_noise_package(tmp_path_factory.mktemp("noise"), texts)


@pytest.fixture()
def package_dir(tmp_path, noise_archive):
    """A package folder holding the installed noise zh->en package."""
    from stages.models import install

    target = tmp_path / "packages"
    install(noise_archive, target)
    return target


class NetworkBlocked(AssertionError):
    pass


@pytest.fixture()
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test (and is recorded)."""
    import socket

    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] if len(args) > 1 else args)
        raise NetworkBlocked(f"network access attempted: {args[1:]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts

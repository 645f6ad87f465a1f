"""The pipeline is declared once (`stages.pipeline.PIPELINE`): the flow's tasks, the
workers and the run summary all take it from there, so a stage added to the list runs as
a Prefect task of its own, in the worker processes, and is timed in the summary."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass

from conftest import SEEDS
from worker_helpers import count_words

import flows.normalize
from flows.normalize import default_settings, normalize, steps
from stages import ingest, pipeline
from stages.pipeline import PIPELINE, Stage


def test_the_pipeline_is_the_stages_in_order():
    assert pipeline.names() == ("clauses", "language", "segment", "translate", "topics")
    assert steps() == ("plan", "ingest", *pipeline.names(), "write", "alignment")
    translate = PIPELINE[3]
    assert translate.settings is not None and translate.resource is not None  # built from its settings


@dataclass(frozen=True)
class Increment:
    step: int = 1

    @classmethod
    def from_env(cls) -> "Increment":
        return cls(step=2)


class Counter:
    def __init__(self, settings: Increment) -> None:
        self.settings, self.n = settings, 0

    @contextmanager
    def counting(self):
        counts = {"seen": 0}
        yield counts
        counts["seen"] += self.settings.step


def counted(doc, counter: Counter):
    return doc


def test_a_resource_is_built_from_its_settings_and_its_counts_come_back():
    stage = Stage("counted", counted, Increment, Counter)
    doc = ingest.read_document(SEEDS["001"], SEEDS["001"].parent)
    done = pipeline.perform(stage, doc, {"counted": Increment(step=3)})
    assert done.error is None and done.counts == {"seen": 3} and done.doc is doc


def test_a_failing_resource_rejects_the_document_not_the_run():
    def broken(settings):
        raise OSError("no such model")

    doc = ingest.read_document(SEEDS["001"], SEEDS["001"].parent)
    done = pipeline.perform(Stage("broken", counted, Increment, broken), doc, {"broken": Increment()})
    assert done.error == "broken stage failed: OSError: no such model" and done.doc.status == "rejected"


def test_a_stage_added_to_the_list_runs_as_a_task_in_the_workers(prefect_server, tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(SEEDS["001"], raw / SEEDS["001"].name)
    monkeypatch.setattr(flows.normalize, "PIPELINE", (*PIPELINE, Stage("words", count_words)))  # the one line
    result = normalize(raw, out, default_settings(out, package_dirs=(tmp_path / "no-models",)), processes=1)
    (doc,) = result.documents
    words = len(ingest.read_document(SEEDS["001"], raw).text.split())
    assert doc.ok and f"{words} words" in doc.warnings
    assert [s for s, _ in result.stage_seconds()][2:8] == ["clauses", "language", "segment", "translate", "topics", "words"]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=[f"words {doc.doc_id}"])))
    assert [r.name for r in runs] == [f"words {doc.doc_id}"]


def test_may_hold_han_is_false_only_for_plain_text_that_starts_without_han(tmp_path):
    """What `lexnorm run` uses to decide whether its workers load jieba as they start."""
    def files(**texts: bytes) -> list:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        for name, data in texts.items():
            (folder / name.replace("_", ".")).write_bytes(data)
        return sorted(folder.iterdir())

    chinese = "第一条 为了保护民事主体的合法权益，制定本法。\n"
    boundary = pipeline.SNIFF_BYTES - 1  # "é" (two bytes in UTF-8) cut by the sniff
    assert not pipeline.may_hold_han(files(terms_txt=b"1. Scope.\n", conditions_md="1. Portée. Été.\n".encode()))
    assert not pipeline.may_hold_han(files(kana_txt="1. これは テスト です。\n".encode()))
    assert not pipeline.may_hold_han(files(cut_txt=b"a" * boundary + "é".encode() + b"\n"))
    assert not pipeline.may_hold_han(files(late_txt=b"a" * pipeline.SNIFF_BYTES + chinese.encode()))  # a guess: the start only
    assert pipeline.may_hold_han(files(a_txt=b"1. Scope.\n", b_txt=chinese.encode()))
    assert pipeline.may_hold_han(files(gb_txt=chinese.encode("gb18030")))  # not UTF-8: may be anything
    assert pipeline.may_hold_han(files(terms_pdf=b"%PDF-1.7\n"))  # other formats: may be anything
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert not pipeline.may_hold_han([fifo])  # not a regular file: not opened for reading, no wait
    assert not pipeline.may_hold_han([])

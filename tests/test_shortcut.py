"""An unchanged re-run decided before Prefect starts (lexnorm.runtime.shortcut): the same
decision and the same summary as the flow's, in a fraction of the time, and never taken
when anything is new, changed, removed or damaged. Real flow runs, real Parquet."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import SEEDS
from flows.normalize import default_settings, normalize
from lexnorm.cli import main as cli
from lexnorm.output import summary
from lexnorm.runtime import shortcut


@pytest.fixture
def done(prefect_server, tmp_path):
    """A folder of two seeds run once through the flow: (raw, out, settings, first result)."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in list(SEEDS.values())[:2]:
        shutil.copy(path, raw / path.name)
    settings = default_settings(out, package_dirs=(tmp_path / "no-models",))
    return raw, out, settings, normalize(raw, out, settings)


def _written(out):
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix in (".parquet", ".html")}


def test_the_shortcut_gives_the_flows_result_for_an_unchanged_folder(done):
    raw, out, settings, first = done
    before = _written(out)
    quick = shortcut.unchanged(raw, out, settings)
    flow = normalize(raw, out, settings)  # the flow's own decision, for comparison
    assert quick is not None and _written(out) == before
    assert quick.run_id == flow.run_id == first.run_id
    assert quick.changes == flow.changes and quick.outputs == flow.outputs
    assert summary.console(quick).splitlines()[:4] == summary.console(flow).splitlines()[:4]
    assert quick.alignment_counts == flow.alignment_counts


def test_the_shortcut_is_not_taken_when_anything_is_to_be_done(done):
    raw, out, settings, _ = done
    assert shortcut.unchanged(raw, out, settings) is not None
    assert shortcut.unchanged(raw, out / "elsewhere", settings) is None  # never run there
    names = sorted(p.name for p in raw.iterdir())
    (raw / "manifest.json").write_text(json.dumps({"parallel": [names]}), encoding="utf-8")
    assert shortcut.unchanged(raw, out, settings) is None  # an input besides the documents changed
    (raw / "manifest.json").unlink()
    (raw / "extra.txt").write_text("1. Scope\nA new agreement.\n", encoding="utf-8")
    assert shortcut.unchanged(raw, out, settings) is None  # a new document
    (raw / "extra.txt").unlink()
    (raw / names[0]).write_text("1. Scope\nChanged.\n", encoding="utf-8")
    assert shortcut.unchanged(raw, out, settings) is None  # a changed document
    shutil.copy(SEEDS[next(iter(SEEDS))], raw / names[0])
    assert shortcut.unchanged(raw, out, settings) is not None
    (out / "clauses.parquet").unlink()
    assert shortcut.unchanged(raw, out, settings) is None  # a table gone


def test_the_command_answers_an_unchanged_folder_without_starting_prefect(done, monkeypatch, capsys):
    raw, out, _, first = done
    import flows.normalize

    def no_flow(*args, **kwargs):
        raise AssertionError("the flow was started for an unchanged folder")

    monkeypatch.setattr(flows.normalize, "run", no_flow)
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(out.parent / "no-models"))
    before = _written(out)
    assert cli(["run", "--raw", str(raw), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "nothing changed since run" in captured.err and f"{len(first.documents)} document(s) ok" in captured.out
    assert _written(out) == before

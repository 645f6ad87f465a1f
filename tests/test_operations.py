"""For the people who schedule lexnorm: `lexnorm serve` as a real served deployment on a
Prefect server, `prefect.yaml` for `prefect deploy`, and the run summary table."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from prefect.testing.utilities import prefect_test_harness

from conftest import REPO, SEEDS
from lexnorm.output.summary import DocumentReport, RunResult, console, markdown

LEXNORM = [sys.executable, "-m", "lexnorm"]


def test_serve_without_a_server_explains_how_to_start_one():
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.run([*LEXNORM, "serve", "--cron", "0 2 * * *"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "lexnorm server" in proc.stderr and "PREFECT_API_URL=http://127.0.0.1:4200/api" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_served_deployment_has_the_schedule_and_its_runs_write_the_tables(tmp_path):
    """`lexnorm serve` against a real Prefect server: the deployment carries the cron
    schedule and the folders, and a run of it (triggered now, not at 02:00) writes the tables."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(SEEDS["003"], raw / SEEDS["003"].name)
    with prefect_test_harness(server_startup_timeout=120):
        env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
        serve = subprocess.Popen(
            [*LEXNORM, "serve", "--cron", "0 2 * * *", "--name", "nightly-test", "--raw", str(raw), "--out", str(out)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            deployment = None
            with get_client(sync_client=True) as client:
                for _ in range(240):
                    try:
                        deployment = client.read_deployment_by_name("lexnorm-normalize/nightly-test")
                        break
                    except Exception:
                        assert serve.poll() is None, serve.stdout.read()
                        time.sleep(0.5)
            assert deployment is not None, "the served deployment never appeared"
            assert [s.schedule.cron for s in deployment.schedules] == ["0 2 * * *"]
            assert deployment.parameters == {"raw_dir": str(raw), "out_dir": str(out)}
            flow_run = run_deployment("lexnorm-normalize/nightly-test", timeout=300)
            assert flow_run.state.is_completed(), flow_run.state
        finally:
            os.killpg(serve.pid, signal.SIGINT)
            try:
                output, _ = serve.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                output, _ = serve.communicate()
    clauses = pd.read_parquet(out / "clauses.parquet")
    assert len(clauses) == 47 and (out / "report.html").exists()
    assert "[1/1] 003_01bff3b96aa9af92 ok (47 clauses)" in output
    assert "Traceback" not in output


def test_prefect_yaml_deploys_the_flow_on_a_nightly_schedule():
    from prefect.flows import load_flow_from_entrypoint
    from prefect.schedules import Cron

    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    (deployment,) = config["deployments"]
    flow = load_flow_from_entrypoint(str(REPO / deployment["entrypoint"]))
    assert flow.name == "lexnorm-normalize"
    assert set(deployment["parameters"]) <= set(flow.parameters.properties)
    (schedule,) = deployment["schedules"]
    Cron(schedule["cron"], timezone=schedule["timezone"])  # a valid schedule
    assert config["prefect-version"] == __import__("prefect").__version__


def _result() -> RunResult:
    docs = [
        DocumentReport("contract_zh", "ok", None, "zh", "gb18030", 47, 2, (), ("gloss:cc-cedict",), "new"),
        DocumentReport("notes", "ok", None, "en", "utf-8", 1, 1, ("no numbering found",), (), "unchanged"),
        DocumentReport("scan", "rejected", "not a text file (binary content)", None, None, 0, 0, (), (), "new"),
    ]
    seconds = {"language": 1.5, "clauses": 0.25, "write": 0.125, "custom": 0.5}
    translation = {"translated": 0, "cached": 0, "glossed": 12}
    changes = {"new": ["contract_zh", "scan"], "changed": [], "unchanged": ["notes"], "removed": []}
    outputs = {"clauses": Path("out/clauses.parquet")}
    from flows.normalize import steps  # the run's steps, the pipeline's stages among them

    counts = {"translation": 3, "parallel": 0, "topic": 1}
    return RunResult(docs, counts, outputs, translation, changes, seconds, 2.5, "r1", steps())


def test_console_summary_says_what_happened_to_each_document():
    text = console(_result())
    lines = text.splitlines()
    assert lines[0].split() == ["document", "status", "lang", "encoding", "clauses", "anomalies", "note"]
    assert lines[2].split()[:6] == ["contract_zh", "ok", "zh", "gb18030", "47", "2"]
    assert lines[4].split()[:2] == ["scan", "rejected"] and lines[4].endswith("not a text file (binary content)")
    assert lines[3].endswith("no numbering found")
    assert "2 document(s) ok, 1 rejected, 48 clauses, 3 anomalies in 2.5 s" in text
    assert "gloss:cc-cedict (no model installed: a dictionary gloss, not a translation)" in text
    # stages in pipeline order, unknown ones last
    assert "time per stage: clauses 0.25 s, language 1.50 s, write 0.12 s, custom 0.50 s" in text


def test_markdown_summary_lists_rejections_and_warnings():
    text = markdown(_result())
    assert text.startswith("# lexnorm run `r1`")
    assert "| contract_zh | ok | zh | gb18030 | 47 | 2 | gloss:cc-cedict | new |" in text
    assert "## Rejected\n\n- `scan`: not a text file (binary content)" in text
    assert "## Warnings\n\n- `notes`: no numbering found" in text
    assert "| language | 1.50 |" in text


@pytest.mark.parametrize("text", ["a | b", "line\nbreak"])
def test_markdown_cells_stay_in_their_cell(text):
    result = _result()
    result.documents[0] = DocumentReport(text, "ok", None, "en", "utf-8", 1, 0, (), (), "new")
    row = next(line for line in markdown(result).splitlines() if line.startswith("| a") or line.startswith("| line"))
    assert row.count(" | ") == 7  # eight cells, the pipe escaped, the line break folded

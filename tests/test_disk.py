"""An output folder that cannot be written: a file in its place, a read-only mount, a disk
that fills up while the tables are written, a report that cannot be written. Each gives
a clear message (no traceback) and a non-zero exit; nothing is left behind; the previous
tables stay whole; a previous report is not left looking current.

A full disk and a read-only folder are real: a small tmpfs and a read-only bind mount in
a user and mount namespace of the test's own (`unshare`), which needs no root; the tests
that need one are skipped where user namespaces are not available."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO, SEEDS

from lexnorm.cli import OUTPUT_INCOMPLETE
from lexnorm.cli import main as cli
from lexnorm.output import report


def lexnorm_run(raw: Path, out: Path, prefix: list[str] = ()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "lexnorm", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def seeds(folder: Path, *keys: str, copies: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for key in keys:
            (folder / f"{i}_{SEEDS[key].name}").write_bytes(SEEDS[key].read_bytes() + f"\ncopy {i}\n".encode())
    return folder


NAMESPACE = ["unshare", "--user", "--map-root-user", "--mount"]


@pytest.fixture(scope="module")
def namespace():
    if shutil.which("unshare") is None or subprocess.run([*NAMESPACE, "true"], capture_output=True).returncode:
        pytest.skip("user and mount namespaces are not available here: no tmpfs or read-only mount without root")
    return NAMESPACE


def test_a_file_where_the_output_folder_should_be(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder")
    proc = lexnorm_run(seeds(tmp_path / "raw", "001"), out)
    assert proc.returncode == OUTPUT_INCOMPLETE, proc.stderr
    assert f"lexnorm: cannot write to the output folder {out}" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert out.read_text() == "not a folder"


def test_a_read_only_output_folder(tmp_path, namespace):
    out = tmp_path / "out"
    out.mkdir()
    raw = seeds(tmp_path / "raw", "001")
    script = f'mount --bind -o ro "{out}" "{out}" && exec "$@"'
    proc = lexnorm_run(raw, out, [*namespace, "sh", "-c", script, "sh"])
    assert proc.returncode == OUTPUT_INCOMPLETE, proc.stdout + proc.stderr
    assert f"lexnorm: cannot write to the output folder {out}: Read-only file system" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not list(out.iterdir())


FILL = """
import os, sys
free = os.statvfs(sys.argv[1]).f_bavail * os.statvfs(sys.argv[1]).f_frsize
with open(os.path.join(sys.argv[1], "filler"), "wb") as fh:
    fh.write(bytes(max(0, free - int(sys.argv[2]))))
"""

LOOK = """
import json, sys
from pathlib import Path
import pyarrow.parquet as pq
out = Path(sys.argv[1])
tables = {}
for name in ("clauses", "documents", "alignments"):
    t = pq.read_table(out / f"{name}.parquet")
    tables[name] = [t.schema.metadata[b"lexnorm.run_id"].decode(), t.num_rows]
temps = [str(p.relative_to(out)) for p in out.rglob("*") if ".tmp" in p.name]
print(json.dumps({"tables": tables, "temps": temps, "report": (out / "report.html").exists()}))
"""


def test_a_disk_that_fills_up_while_the_tables_are_written(tmp_path, namespace):
    """A first run writes its tables on a small tmpfs; the disk is then filled up to the
    last 256 KiB, and a second run with more documents cannot write its tables."""
    disk, small, large = tmp_path / "disk", seeds(tmp_path / "small", "000", "001"), seeds(tmp_path / "large", *SEEDS, copies=4)
    disk.mkdir()
    out = disk / "out"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    python, run = sys.executable, f'"{sys.executable}" -m lexnorm run --out "{out}" --raw'
    script = f"""
        mount -t tmpfs -o size=16m tmpfs "{disk}" || exit 90
        {run} "{small}" > /dev/null 2>&1 || exit 91
        "{python}" -c '{LOOK}' "{out}" || exit 92
        "{python}" -c '{FILL}' "{disk}" 262144 || exit 93
        {run} "{large}" > "{tmp_path}/second.out" 2> "{tmp_path}/second.err"
        echo "status $?"
        "{python}" -c '{LOOK}' "{out}"
    """
    proc = subprocess.run([*namespace, "sh", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    before, status, after = proc.stdout.strip().splitlines()[-3:]
    before, after = json.loads(before), json.loads(after)
    second = (tmp_path / "second.out").read_text() + (tmp_path / "second.err").read_text()
    assert status == f"status {OUTPUT_INCOMPLETE}", second
    assert "No space left on device" in second and "the previous tables are unchanged" in second
    assert "Traceback" not in second
    assert after["tables"] == before["tables"]  # the first run's tables, whole and of one run
    assert len({run_id for run_id, _ in after["tables"].values()}) == 1
    assert after["temps"] == [], after["temps"]  # nothing left behind
    assert after["report"]  # the first run's report, which still describes these tables


def test_a_report_that_cannot_be_written_is_not_left_from_the_last_run(prefect_server, tmp_path, monkeypatch, capsys):
    """The tables are written, the report is not (the disk is full by then): the previous
    report, which describes the previous tables, is removed, and the exit says so."""
    raw, out = seeds(tmp_path / "raw", "001"), tmp_path / "out"
    assert cli(["run", "--raw", str(raw), "--out", str(out)]) == 0
    first = pq.read_schema(out / "documents.parquet").metadata[b"lexnorm.run_id"]
    assert (out / report.REPORT_NAME).exists()
    seeds(raw, "003")

    def disk_full(out_dir):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(out_dir) / report.REPORT_NAME))

    monkeypatch.setattr(report, "write_report", disk_full)
    capsys.readouterr()
    assert cli(["run", "--raw", str(raw), "--out", str(out)]) == OUTPUT_INCOMPLETE
    err = capsys.readouterr().err
    assert "the HTML report was not" in err
    assert not (out / report.REPORT_NAME).exists()
    assert pq.read_schema(out / "documents.parquet").metadata[b"lexnorm.run_id"] != first  # new tables
    assert len(pq.read_table(out / "documents.parquet")) == 2

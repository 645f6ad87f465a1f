"""An unchanged re-run, decided before Prefect, its server or the worker processes start.

A scheduled run mostly finds its input folder as the last run left it. The flow finds that
out too, but only once Prefect is imported, its temporary server started (a new database
each time) and the worker processes warmed up: 15-20 s on this machine to learn that there
is nothing to do (`bench/rerun.py`). The decision itself needs none of them: the input
files' hashes against the results store's record, the parallel manifest and the tables on
disk (`incremental.unchanged_run`). `unchanged` makes it here, in about a second, with the
same pieces the flow uses (`decide`, `fingerprint`, `unchanged_result`), so the two cannot
disagree: when it finds anything new, changed, removed or damaged, it returns None and the
run goes through the flow as before.

An unchanged run decided here is not a Prefect flow run (there are no stages to show); its
summary is the one the flow would have printed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from lexnorm.output import report, tables
from lexnorm.output.summary import DocumentReport, RunResult, Tally
from lexnorm.runtime import incremental
from stages import ingest, translate
from stages.models import fingerprint as package_fingerprint
from stages.translate import TranslationSettings

log = logging.getLogger("lexnorm.shortcut")


def fingerprint(settings: TranslationSettings) -> str:
    """What besides a document's bytes decides its rows: the decoding settings, whether a
    model is required, the installed models."""
    translator = translate.translator_for(settings)
    models = sorted(package_fingerprint(p) for p in translator.packages)
    return incremental.run_fingerprint(settings.decoding_key(), settings.require_model, models)


@dataclass(frozen=True)
class Decision:
    """What planning found: the input folder's entries, the plan, the usable parallel
    pairs, what the run's record must equal (`inputs`), and the last run's record when
    this run would write exactly what it wrote (`last`), else None."""

    paths: list[Path]
    plan: incremental.Plan
    manifest: list[tuple[str, str]]
    warnings: tuple[str, ...]
    changes: dict[str, list[str]]
    inputs: dict
    last: dict | None


def decide(raw_dir: Path, out_dir: Path, plan: incremental.Plan, paths: list[Path], store: incremental.ResultStore) -> Decision:
    """The decision after planning: the manifest read for the documents to be read, the
    changes, and whether the tables on disk are already this run's (what `store` finds
    damaged on the way, it keeps for its `damage_report`)."""
    parallel = ingest.parallel_manifest(raw_dir, [p.doc_id for p in plan.planned if p.cached is None])
    manifest = list(parallel.pairs)
    changes = {state: [p.doc_id for p in plan.planned if p.state == state] for state in ("new", "changed", "unchanged")}
    changes["removed"] = plan.removed
    inputs = {"parallel_manifest": [list(pair) for pair in manifest], "tables": tables.table_run_ids(out_dir)}
    last = incremental.unchanged_run(plan.planned, plan.removed, store, inputs)
    return Decision(paths, plan, manifest, (*plan.warnings, *parallel.warnings), changes, inputs, last)


def unchanged_result(last: dict, changes: dict, out_dir: Path, tally: Tally, logger) -> RunResult:
    """The result of a run that finds every input as the last run left it: its tables stay."""
    tally.reports.extend(DocumentReport.from_stored(r, "unchanged") for r in last["reports"])
    stored = last.get("outputs", {})
    outputs = {name: Path(stored[name]) for name in (*tables.TABLE_NAMES, "report") if name in stored}
    if "report" not in outputs or not outputs["report"].exists():
        outputs["report"] = report.write_report(out_dir)
    logger.info("nothing changed since run %s: its tables in %s are current, nothing rewritten", last.get("run_id"), out_dir)
    tally.links.update({kind: last.get("alignment_counts", {}).get(kind, 0) for kind in tally.links})
    return tally.result(outputs, changes, last.get("run_id"))


def unchanged(raw_dir: Path, out_dir: Path, settings: TranslationSettings, order: tuple[str, ...] = ()) -> RunResult | None:
    """The run's result when nothing changed since the last run (decided without Prefect),
    else None: anything to read, a warning to give (a damaged store, a bad manifest), or
    no last run at all sends the run through the flow."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not (out_dir / incremental.CACHE_DIR).is_dir():
        return None  # never run into this folder
    tally = Tally(translation=dict.fromkeys(translate.COUNTS, 0), order=order)
    with tally.timed("plan"):
        paths = ingest.discover(raw_dir)
        store = incremental.ResultStore(out_dir)
        plan = incremental.plan(paths, raw_dir, store, fingerprint(settings))
        decision = decide(raw_dir, out_dir, plan, paths, store)
    if decision.last is None or decision.warnings or store.damage_report():
        return None
    counts = ", ".join(f"{len(v)} {k}" for k, v in decision.changes.items())
    log.info("%d input file(s) in %s: %s", len(paths), raw_dir, counts)
    return unchanged_result(decision.last, decision.changes, out_dir, tally, log)

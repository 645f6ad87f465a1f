"""Stage functions that fail on purpose, for tests of the stage workers. A module of its
own so that a spawned worker process can import them by name."""

from __future__ import annotations

import os

from stages.records import Document

CRASH_MARK = "CRASH-THE-WORKER"


def die_on_mark(doc: Document) -> Document:
    """Kill the process (as a crash in native code would) when the text holds the mark."""
    if CRASH_MARK in doc.text:
        os._exit(70)
    return doc


def raise_value_error(doc: Document) -> Document:
    raise ValueError(f"cannot handle {doc.doc_id}")



def parse_or_raise(doc: Document) -> Document:
    """The clause stage, except that it raises on seed 003."""
    from stages import clauses

    if doc.doc_id.startswith("003"):
        raise RuntimeError("boom in the parser")
    return clauses.parse_document(doc)


def count_words(doc: Document) -> Document:
    """A stage added to the pipeline by a test: a warning with the document's word count."""
    from dataclasses import replace

    return replace(doc, warnings=(*doc.warnings, f"{len(doc.text.split())} words"))


def note_jieba_loaded(doc: Document) -> Document:
    """A stage that notes whether this process has loaded jieba yet."""
    import sys
    from dataclasses import replace

    return replace(doc, warnings=(*doc.warnings, f"jieba loaded: {'jieba' in sys.modules}"))

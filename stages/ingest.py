"""Ingest stage: find the input files, read each one safely, decode it.

Decoding policy, in order:
1. a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32);
2. bytes that are valid UTF-8 are UTF-8;
3. otherwise charset-normalizer proposes an encoding: CJK encodings are accepted (GBK and
   GB2312 are read as GB18030, their superset), single-byte Western text is read as
   cp1252 when that decodes it;
4. text that mixes valid UTF-8 sequences with invalid bytes is corrupted UTF-8, and what
   nothing explains (binary, NUL bytes, control characters) is rejected with a clear error.

The decoded text is then normalised once (BOM removed, CRLF and CR to LF, Unicode NFC);
that text is the reference for all clause offsets. The file itself is never changed.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import charset_normalizer

from lexnorm import PIPELINE_VERSION
from stages.records import Document

INPUT_SUFFIXES = (".txt", ".md")
MANIFEST = "manifest.json"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MULTIBYTE_ENCODINGS = {
    "gb18030": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "hz": "hz", "big5": "big5", "cp950": "cp950",
    "big5hkscs": "big5hkscs", "shift_jis": "shift_jis", "cp932": "cp932", "euc_jp": "euc_jp", "euc_kr": "euc_kr",
    "cp949": "cp949", "utf_16": "utf-16", "utf_32": "utf-32",
}  # fmt: skip
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}
MAX_CONTROL_RATIO = 0.01  # more than this share of control characters: not a text file
MIN_CONTROLS_TO_REJECT = 16  # ... unless there are only a few (a stray BEL or ESC is kept, with a warning)


class DecodeError(ValueError):
    """The bytes are not text in any encoding lexnorm reads; the message says why."""


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


def discover(raw_dir: Path) -> list[Path]:
    """Input files directly in `raw_dir` (`*.txt`, `*.md`, not hidden), sorted by name."""
    return sorted(
        p for p in Path(raw_dir).iterdir()
        if p.suffix.lower() in INPUT_SUFFIXES and not p.name.startswith(".") and (p.is_file() or p.is_symlink())
    )  # fmt: skip


def doc_id_for(path: Path) -> str:
    return path.stem


def read_manifest(raw_dir: Path) -> list[tuple[str, str]]:
    """Pairs of documents that are language versions of one agreement, from the optional
    `manifest.json` in the input folder: {"parallel": [["contract_zh.txt", "contract_en.txt"], ...]}
    (file names or doc ids). Raises ValueError with a clear message when it is malformed."""
    path = Path(raw_dir) / MANIFEST
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pairs = [(Path(a).stem, Path(b).stem) for a, b in data.get("parallel", [])]
    except (json.JSONDecodeError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{path}: expected {{\"parallel\": [[\"a.txt\", \"b.txt\"], ...]}} ({exc})") from None
    return pairs


def decode(data: bytes) -> Decoded:
    """Bytes -> normalised text and the encoding it was read with, or DecodeError."""
    if not data:
        raise DecodeError("empty file (0 bytes)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _normalised(data[len(bom) :].decode(encoding.replace("-sig", "")), encoding)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"starts with a {encoding} byte-order mark but is not valid {encoding}: {exc.reason} at byte {exc.start + len(bom)}") from None
    try:
        return _normalised(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _looks_like_utf8(data):
        raise DecodeError(
            f"not valid UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) although it contains UTF-8 text: "
            "the file looks corrupted; re-save it as UTF-8"
        )
    guess = charset_normalizer.from_bytes(data).best()
    if guess is None:
        what = "contains NUL bytes" if b"\x00" in data else "no text encoding fits its bytes"
        raise DecodeError(f"not a text file ({what}); expected UTF-8, UTF-16 with BOM or GB18030 text")
    name = guess.encoding.lower()
    if name in _MULTIBYTE_ENCODINGS:
        encoding = _MULTIBYTE_ENCODINGS[name]
    else:
        encoding = "cp1252" if _decodes(data, "cp1252") else name
    try:
        return _normalised(data.decode(encoding), encoding)
    except (UnicodeDecodeError, LookupError):
        raise DecodeError(f"not valid UTF-8 and not valid {encoding} either: the encoding cannot be determined") from None


def _looks_like_utf8(data: bytes) -> bool:
    """True if most non-ASCII bytes form valid UTF-8: a UTF-8 file with some corruption.

    (A GB18030 or cp1252 file read as UTF-8 is mostly invalid sequences.)
    """
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = sum(1 for ch in text if ord(ch) > 0x7F) - invalid
    return valid > 0 and valid >= invalid


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def normalise_text(text: str) -> str:
    """The reference text: no BOM, LF line endings, Unicode NFC."""
    text = text.lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _normalised(text: str, encoding: str) -> Decoded:
    text = normalise_text(text)
    if not text.strip():
        raise DecodeError("contains only white space")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS)
    if controls > max(MIN_CONTROLS_TO_REJECT, MAX_CONTROL_RATIO * len(text)):
        raise DecodeError(f"not a text file ({controls} control characters in {len(text)} characters)")
    warnings = (f"contains {controls} control character(s), kept as they are",) if controls else ()
    return Decoded(text, encoding, warnings)


def rejected_document(path: Path, error: str, data: bytes = b"", size: int | None = None) -> Document:
    """A `documents` row for a file that could not be taken in, saying why."""
    path = Path(path)
    return Document(
        doc_id=doc_id_for(path),
        source_path=str(path),
        sha256=hashlib.sha256(data).hexdigest() if data else "",
        size_bytes=len(data) if size is None else size,
        encoding=None,
        status="rejected",
        error=error,
        pipeline_version=PIPELINE_VERSION,
        processed_at=datetime.now(UTC),
    )


def refusal(path: Path, raw_dir: Path | None) -> str | None:
    """Why a path must not be read at all (a link leading out of the input folder), or None."""
    path = Path(path)
    if raw_dir is not None and path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(Path(raw_dir).resolve()):
            return f"refused: symbolic link pointing outside the input folder ({target})"
    return None


def read_document(path: Path, raw_dir: Path | None = None) -> Document:
    """Read and decode one input file. A bad file gives a `rejected` Document whose `error`
    says what is wrong. Only an unexpected I/O error (one a retry may cure) is raised."""
    path = Path(path)
    refused = refusal(path, raw_dir)
    if refused:
        return rejected_document(path, refused)
    try:
        size = os.stat(path).st_size
        data = path.read_bytes()
    except PermissionError:
        return rejected_document(path, "cannot read the file: permission denied")
    except FileNotFoundError:
        return rejected_document(path, "cannot read the file: it does not exist (broken link or removed during the run)")
    except IsADirectoryError:
        return rejected_document(path, "cannot read: it is a directory")
    try:
        decoded = decode(data)
    except DecodeError as exc:
        return rejected_document(path, str(exc), data, size)
    return Document(
        doc_id=doc_id_for(path),
        source_path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        encoding=decoded.encoding,
        status="ok",
        error=None,
        pipeline_version=PIPELINE_VERSION,
        processed_at=datetime.now(UTC),
        text=decoded.text,
        warnings=decoded.warnings,
    )

"""Ingest stage: find the input files, read each one safely, decode it.

Decoding policy, in order:
1. a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32);
2. bytes that are valid UTF-8 are UTF-8;
3. bytes that are UTF-8 once UTF-16 surrogates may be encoded (CESU-8, Java's "modified
   UTF-8") are read as that, the surrogate pairs joined;
4. text that mixes valid UTF-8 sequences with invalid bytes is corrupted UTF-8 (rejected);
5. otherwise charset-normalizer's best guess is trusted (GBK and GB2312 are read as
   GB18030, their superset), with two corrections: where the guess is a Latin-script
   single-byte encoding, cp1252 (the usual Western legacy encoding, which
   charset-normalizer cannot tell from cp1250 & co. when their readings are equally
   coherent: Spanish "ñ" would become "ń") is read unless the guess reads the text more
   coherently; and where there are too few non-ASCII bytes for a guess to mean anything
   (MIN_EVIDENCE_BYTES), cp1252 is read only if it gives plausible Western text, else the
   file is rejected as ambiguous rather than read as mojibake;
6. what nothing explains (binary, NUL bytes, control characters) is rejected.

The decoded text is then normalised once (BOM removed, CRLF and CR to LF, Unicode NFC);
that text is the reference for all clause offsets. The file itself is never changed.

PDF, Word (.docx) and HTML files are read by their format's reader (`stages.formats`),
which gives the reference text and what it knows of the layout (pages, page furniture,
wrapped lines); a run calls the readers in a bounded child process
(`lexnorm.runtime.sandbox`), passed here as `extract`.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import charset_normalizer

from lexnorm import PIPELINE_VERSION
from stages import formats
from stages.records import Document

TEXT_SUFFIXES = {".txt": "text", ".md": "markdown"}
INPUT_SUFFIXES = (*TEXT_SUFFIXES, *formats.SUFFIXES)
Extract = Callable[[str, bytes], formats.Extracted]  # (format, bytes) -> what its reader read
MANIFEST = "manifest.json"
BOMS = (  # byte-order marks and what they say, longest first (UTF-32 LE begins like UTF-16 LE)
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "utf_16": "utf-16", "utf_32": "utf-32"}
# Single-byte encodings of Latin-script text: where charset-normalizer guesses one of these,
# cp1252 is usually what was meant (see `_encoding`).
_LATIN_SINGLE_BYTE = {
    "cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "latin_1", "iso8859_2", "iso8859_3", "iso8859_4",
    "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "cp437", "cp850",
    "cp852", "cp858", "cp775", "mac_roman", "mac_latin2", "mac_iceland", "mac_turkish",
}  # fmt: skip
MIN_EVIDENCE_BYTES = 32  # fewer non-ASCII bytes than this: charset-normalizer's guess is a coin toss
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}
# the other control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F), one
# character class, so that counting them is one scan in C rather than a Python loop
_CONTROL = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in _ALLOWED_CONTROLS) + "]"
)
MAX_CONTROL_RATIO = 0.01  # more than this share of control characters: not a text file
MIN_CONTROLS_TO_REJECT = 16  # ... unless there are only a few (a stray BEL or ESC is kept, with a warning)
_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
)  # fmt: skip


class DecodeError(ValueError):
    """The bytes are not text in any encoding lexnorm reads; the message says why."""


class NotRegularFile(OSError):
    """The path is not a regular file (a FIFO, a device, a socket, a folder): never read."""


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParallelManifest:
    """The pairs of the input folder's `manifest.json` that can be used, and what is wrong
    with the rest (one message each; the run logs them and goes on)."""

    pairs: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()


def discover(raw_dir: Path) -> list[Path]:
    """Every entry directly in `raw_dir` that is meant as a document, sorted by name: all but
    hidden ones (dot files) and the parallel-versions `manifest.json`. Files lexnorm does not
    read (`reads(path)` is False: a .doc, an image, a folder) are listed too, so that each gets a
    `skipped` row instead of vanishing. Nothing is opened or followed here."""
    return sorted(
        (p for p in Path(raw_dir).iterdir() if not p.name.startswith(".") and p.name != MANIFEST),
        key=lambda p: os.fsencode(p.name),
    )


def reads(path: Path) -> bool:
    """Whether lexnorm reads this kind of file (by its suffix, in any case: `.TXT` too)."""
    return Path(path).suffix.lower() in INPUT_SUFFIXES


def printable(text: str) -> str:
    """`text` as valid UTF-8: a file name that is not UTF-8 on disk (Python holds its bytes
    as lone surrogates, `caf\udce9`) gets those bytes escaped (`caf\\xe9`), which is stable and
    tells the bytes apart; any other lone surrogate is escaped as `\\udXXX`. Other text is
    returned as it is. Needed wherever a name goes into Parquet, JSON or a log."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def doc_id_for(path: Path) -> str:
    """A read document's id: its file name without the extension, as valid UTF-8 (`printable`)."""
    return printable(Path(path).stem)


def source_path(path: Path) -> str:
    return printable(str(path))


def read_manifest(raw_dir: Path) -> list[tuple[str, str]]:
    """The pairs of the optional `manifest.json` (see `parallel_manifest`); raises ValueError
    with a clear message when anything in it is wrong (for tools; a run uses
    `parallel_manifest`, which warns and goes on)."""
    manifest = parallel_manifest(raw_dir)
    if manifest.warnings:
        raise ValueError(manifest.warnings[0])
    return list(manifest.pairs)


def parallel_manifest(raw_dir: Path, doc_ids: Iterable[str] | None = None) -> ParallelManifest:
    """Pairs of documents that are language versions of one agreement, from the optional
    `manifest.json` in the input folder: {"parallel": [["contract_zh.txt", "contract_en.txt"], ...]}
    (file names or doc ids). A manifest that cannot be read is ignored and a pair that
    cannot be used (malformed, a document paired with itself, naming a document that is not
    among `doc_ids` when given) is left out, each with a warning: a bad manifest never stops
    a run."""
    path = Path(raw_dir) / MANIFEST
    shape = '{"parallel": [["a.txt", "b.txt"], ...]}'
    try:
        if not path.exists():
            return ParallelManifest()
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: 100k nested brackets
        why = "nested too deeply" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
        return ParallelManifest((), (f"{MANIFEST} ignored: it is not readable JSON ({why}); expected {shape}",))
    entries = data.get("parallel") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return ParallelManifest((), (f"{MANIFEST} ignored: expected {shape}, found no \"parallel\" list",))
    known = None if doc_ids is None else set(doc_ids)
    pairs: list[tuple[str, str]] = []
    warnings: list[str] = []
    for n, entry in enumerate(entries, 1):
        problem = None
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) and x for x in entry)):
            problem = f"expected two file names, found {json.dumps(entry, ensure_ascii=False)[:80]}"
        else:
            a, b = (doc_id_for(Path(x)) for x in entry)
            missing = [x for x, i in zip(entry, (a, b)) if known is not None and i not in known]
            if a == b:
                problem = f"pairs {printable(entry[0])} with itself"
            elif missing:
                problem = f"no input document {', '.join(printable(x) for x in missing)}"
            else:
                pairs.append((a, b))
        if problem:
            warnings.append(f"{MANIFEST}: pair {n} left out: {problem}")
    return ParallelManifest(tuple(pairs), tuple(warnings))


def decode(data: bytes) -> Decoded:
    """Bytes -> normalised text and the encoding it was read with, or DecodeError."""
    if not data:
        raise DecodeError("empty file (0 bytes)")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return _normalised(data[len(bom) :].decode(encoding.replace("-sig", "")), encoding)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"starts with a {encoding} byte-order mark but is not valid {encoding}: {exc.reason} at byte {exc.start + len(bom)}") from None
    try:
        return _normalised(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    cesu = _cesu8(data)
    if cesu is not None:
        return _normalised(cesu, "cesu-8")
    if _looks_like_utf8(data):
        raise DecodeError(
            f"not valid UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) although it contains UTF-8 text: "
            "the file looks corrupted; re-save it as UTF-8"
        )
    encoding = _encoding(data)
    try:
        return _normalised(data.decode(encoding), encoding)
    except (UnicodeDecodeError, LookupError):
        raise DecodeError(f"not valid UTF-8 and not valid {encoding} either: the encoding cannot be determined") from None


def _cesu8(data: bytes) -> str | None:
    """The text of CESU-8 bytes (UTF-8 in which characters beyond U+FFFF are written as two
    encoded UTF-16 surrogates), or None when the bytes are not that. Surrogates that do not
    pair up are rejected: they are not characters and cannot be written to the tables."""
    try:
        units = data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    try:
        return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            "not valid UTF-8: it contains UTF-16 surrogates encoded as UTF-8 (CESU-8) that do not pair up "
            f"(at character {exc.start // 2}); re-save it as UTF-8"
        ) from None


def _encoding(data: bytes) -> str:
    """The encoding of bytes that are not UTF-8, per the policy in the module docstring."""
    guess = charset_normalizer.from_bytes(data).best()
    if guess is None:
        what = "contains NUL bytes" if b"\x00" in data else "no text encoding fits its bytes"
        raise DecodeError(f"not a text file ({what}); expected UTF-8, UTF-16 with BOM or GB18030 text")
    name = _SUPERSETS.get(guess.encoding, guess.encoding)
    western = _decoded(data, "cp1252")
    if western is not None and "cp1252" in guess.could_be_from_charset:
        return "cp1252"  # the same text either way
    evidence = sum(1 for byte in data if byte > 0x7F)
    latin = name in _LATIN_SINGLE_BYTE
    if evidence >= MIN_EVIDENCE_BYTES and not latin:
        return name
    if western is None:
        choice = name if latin else None
    else:  # Polish in cp1250, Turkish in cp1254: a language reads better in the guess
        choice = name if latin and _more_coherent(data, guess) else "cp1252"
    if choice and (evidence >= MIN_EVIDENCE_BYTES or _plausible_western(data.decode(choice, "replace"))):
        return choice
    raise DecodeError(
        f"not UTF-8, and its {evidence} non-ASCII byte(s) are too few to tell which encoding it is in "
        f"(it could be {guess.encoding}, or cp1252, or another); re-save it as UTF-8"
    )


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _more_coherent(data: bytes, guess) -> bool:
    """Whether charset-normalizer finds its guess's reading of `data` more coherent (letter
    frequencies of a language) than cp1252's: Polish is, in cp1250; Spanish is not, in cp1250."""
    western = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
    return western is None or guess.coherence > western.coherence


def _plausible_western(text: str) -> bool:
    """Whether a cp1252 reading looks like Western European text: in words that have
    accented letters, most letters are still ASCII ("Vergütung", "été"); a word of three or
    more letters with none ("Äîãîâîð", Russian read as cp1252) is mojibake."""
    words = "".join(ch if ch.isalpha() else " " for ch in text).split()
    accented = [w for w in words if len(w) >= 3 and not w.isascii()]
    garbled = sum(1 for w in accented if not any(ch.isascii() for ch in w))
    return 3 * garbled <= len(accented)


def _looks_like_utf8(data: bytes) -> bool:
    """True if most non-ASCII bytes form valid UTF-8: a UTF-8 file with some corruption.

    (A GB18030 or cp1252 file read as UTF-8 is mostly invalid sequences.)
    """
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - invalid  # non-ASCII characters, counted in C
    return valid > 0 and valid >= invalid


def normalise_text(text: str) -> str:
    """The reference text: no BOM, LF line endings, Unicode NFC."""
    text = text.lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _normalised(text: str, encoding: str) -> Decoded:
    text = normalise_text(text)
    if not text.strip():
        raise DecodeError("contains only white space")
    controls = len(_CONTROL.findall(text))
    if controls > max(MIN_CONTROLS_TO_REJECT, MAX_CONTROL_RATIO * len(text)):
        raise DecodeError(f"not a text file ({controls} control characters in {len(text)} characters)")
    warnings = (f"contains {controls} control character(s), kept as they are",) if controls else ()
    return Decoded(text, encoding, warnings)


def _row(path: Path, status: str, error: str, doc_id: str | None, data: bytes = b"", size: int | None = None) -> Document:
    path = Path(path)
    return Document(
        doc_id=doc_id_for(path) if doc_id is None else doc_id,
        source_path=source_path(path),
        sha256=hashlib.sha256(data).hexdigest() if data else "",
        size_bytes=len(data) if size is None else size,
        encoding=None,
        status=status,
        error=error,
        pipeline_version=PIPELINE_VERSION,
        processed_at=datetime.now(UTC),
    )


def rejected_document(path: Path, error: str, data: bytes = b"", size: int | None = None, doc_id: str | None = None) -> Document:
    """A `documents` row for a file that could not be taken in, saying why."""
    return _row(path, "rejected", error, doc_id, data, size)


def skipped_document(path: Path, doc_id: str | None = None) -> Document:
    """A `documents` row for an entry of the input folder that lexnorm does not read (a .doc,
    an image, a folder): it is listed, so that nothing in the folder goes unmentioned, and no stage
    touches it. Its id is its whole name (`contract.doc`), which a .txt beside it does not take."""
    path = Path(path)
    if path.is_dir():
        why = "not read: a folder (lexnorm reads only the files directly in the input folder)"
    elif path.suffix.lower() in formats.CONVERT_FIRST:
        what = formats.CONVERT_FIRST[path.suffix.lower()]
        why = f"not read: {what}; convert it to .docx (soffice --headless --convert-to docx) or .pdf"
    else:
        kind = f"{path.suffix.lower()} files are" if path.suffix else "files without an extension are"
        why = f"not read: {printable(kind)} not supported (lexnorm reads {', '.join(INPUT_SUFFIXES)})"
    return _row(path, "skipped", why, printable(path.name) if doc_id is None else doc_id)


def refusal(path: Path, raw_dir: Path | None) -> str | None:
    """Why a path must not be read at all, or None: a link leading out of the input folder,
    a link that leads nowhere or in a loop, anything but a regular file (reading a FIFO
    waits for a writer forever; a device may never end). Only metadata is looked at."""
    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "refused: symbolic link loop (the link leads back to itself)"
        if exc.errno == errno.ENOENT:
            return "cannot read the file: it does not exist (broken link or removed during the run)"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "cannot read the file: permission denied"
        return f"cannot read the file: {printable(exc.strerror or str(exc))}"
    if raw_dir is not None and path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(raw_dir))):
            return f"refused: symbolic link pointing outside the input folder ({printable(str(target))})"
    return _irregular(info.st_mode)


def _irregular(mode: int) -> str | None:
    for test, what in _NOT_REGULAR:
        if test(mode):
            return f"refused: not a regular file but {what}; lexnorm reads only regular files"
    return None if stat.S_ISREG(mode) else "refused: not a regular file"


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, which must be a regular file (checked on the open
    descriptor, so a file swapped for a FIFO after `refusal` looked is not read either;
    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        why = _irregular(os.fstat(fd).st_mode)
        if why:
            raise NotRegularFile(why)
        os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file (`open_regular`)."""
    with os.fdopen(open_regular(path), "rb") as fh:
        return fh.read()


def read_document(path: Path, raw_dir: Path | None = None, extract: Extract = formats.extract) -> Document:
    """Read and decode one input file. A bad file gives a `rejected` Document whose `error`
    says what is wrong, a file lexnorm does not read a `skipped` one. Only an unexpected I/O
    error (one a retry may cure) is raised. A PDF, Word or HTML file is read by
    `extract(format, data)` (in this process by default)."""
    path = Path(path)
    if not reads(path):
        return skipped_document(path)
    refused = refusal(path, raw_dir)
    if refused:
        return rejected_document(path, refused)
    try:
        data = read_bytes(path)
    except NotRegularFile as exc:
        return rejected_document(path, str(exc))
    except PermissionError:
        return rejected_document(path, "cannot read the file: permission denied")
    except FileNotFoundError:
        return rejected_document(path, "cannot read the file: it does not exist (broken link or removed during the run)")
    except IsADirectoryError:
        return rejected_document(path, "cannot read: it is a directory")
    fmt = formats.SUFFIXES.get(path.suffix.lower())
    if fmt is not None:
        return _read_format(path, data, fmt, extract)
    try:
        decoded = decode(data)
    except DecodeError as exc:
        return rejected_document(path, str(exc), data)
    return _accepted(path, data, decoded.text, TEXT_SUFFIXES[path.suffix.lower()], decoded.encoding, decoded.warnings)


def _read_format(path: Path, data: bytes, fmt: str, extract: Extract) -> Document:
    if not data:
        return rejected_document(path, "empty file (0 bytes)", data)
    try:
        got = extract(fmt, data)
    except formats.FormatError as exc:
        return rejected_document(path, str(exc), data)
    if not got.text.strip():
        return rejected_document(path, f"no text in this {fmt} file", data)
    pages = got.page_starts
    return _accepted(
        path, data, got.text, fmt, got.encoding, got.warnings,
        page_count=None if pages is None else len(pages), page_starts=pages, furniture=got.furniture, joins=got.joins,
    )  # fmt: skip


def _accepted(path: Path, data: bytes, text: str, fmt: str, encoding: str | None, warnings: tuple[str, ...], **layout) -> Document:
    return Document(
        doc_id=doc_id_for(path),
        source_path=source_path(path),
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        encoding=encoding,
        status="ok",
        error=None,
        pipeline_version=PIPELINE_VERSION,
        processed_at=datetime.now(UTC),
        text=text,
        warnings=tuple(warnings),
        format=fmt,
        **layout,
    )

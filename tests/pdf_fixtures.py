"""Small PDF files written object by object for the PDF reader's tests.

Each page is a list of lines placed where a word processor would put them: `Line(x, y,
text)` in points from the page's bottom left, set in Helvetica (one of the fonts every PDF
reader knows without embedding it). Helvetica's advance widths are taken from its metrics,
so the reader's geometry tests (a line reaching the right margin, the first word that would
not have fitted) see what they would see in a real file.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

PAGE = (612.0, 792.0)  # US Letter
SIZE = 10.0
LEFT, RIGHT, TOP, BOTTOM = 72.0, 540.0, 720.0, 72.0
PITCH = 12.0  # line pitch inside a paragraph; a paragraph gap is twice that

# Helvetica advance widths (1/1000 em) of the ASCII characters, from its AFM metrics.
_WIDTHS = {
    " ": 278, "!": 278, '"': 355, "#": 556, "$": 556, "%": 889, "&": 667, "'": 191, "(": 333, ")": 333, "*": 389,
    "+": 584, ",": 278, "-": 333, ".": 278, "/": 278, ":": 278, ";": 278, "<": 584, "=": 584, ">": 584, "?": 556,
    "@": 1015, "[": 278, "\\": 278, "]": 278, "^": 469, "_": 556, "`": 333, "{": 334, "|": 260, "}": 334, "~": 584,
    **dict.fromkeys("0123456789", 556),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
                                                 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611))),
    **dict(zip("abcdefghijklmnopqrstuvwxyz", (556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
                                                 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500))),
}  # fmt: skip


def width(text: str, size: float = SIZE) -> float:
    return sum(_WIDTHS.get(ch, 556) for ch in text) * size / 1000


@dataclass(frozen=True)
class Line:
    x: float
    y: float
    text: str
    size: float = SIZE


def paragraph(text: str, y: float, x: float = LEFT, right: float = RIGHT, first_x: float | None = None) -> list[Line]:
    """`text` broken into lines the way a word processor breaks them (greedy, ragged right)
    between `x` and `right`, the first line starting at `first_x`, from `y` down."""
    lines: list[Line] = []
    words = text.split()
    current: list[str] = []
    start = first_x if first_x is not None else x
    for word in words:
        trial = " ".join([*current, word])
        if current and start + width(trial) > right:
            lines.append(Line(start, y - PITCH * len(lines), " ".join(current)))
            current, start = [word], x
        else:
            current.append(word)
    if current:
        lines.append(Line(start, y - PITCH * len(lines), " ".join(current)))
    return lines


def centred(text: str, y: float) -> Line:
    return Line(LEFT + (RIGHT - LEFT - width(text)) / 2, y, text)


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")  # WinAnsiEncoding


def _content(lines: list[Line]) -> bytes:
    out = [b"BT"]
    for line in lines:
        out.append(b"/F1 %.1f Tf 1 0 0 1 %.2f %.2f Tm (%s) Tj" % (line.size, line.x, line.y, _escape(line.text)))
    out.append(b"ET")
    return b"\n".join(out)


def build(pages: list[list[Line]], *, page_count: int | None = None, raw_streams: dict[int, bytes] | None = None) -> bytes:
    """A PDF of `pages`. `page_count` overrides the page tree's /Count (a file that claims a
    million pages); `raw_streams` replaces page i's content stream with given (compressed)
    bytes, for a stream that inflates to more than the memory a reader may use."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for index, lines in enumerate(pages):
        if raw_streams and index in raw_streams:
            data = raw_streams[index]
        else:
            data = zlib.compress(_content(lines))
        stream = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data))
        kids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (tree, PAGE[0], PAGE[1], font, stream)
        ))  # fmt: skip
    count = len(kids) if page_count is None else page_count
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), count)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)

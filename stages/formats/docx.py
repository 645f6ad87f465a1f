"""Word (.docx) files: the paragraphs in document order, their automatic numbering printed.

A contract written in Word keeps most of its clause numbers outside its text: `1.1`,
`(a)` and `(iv)` are drawn from the numbering part (numbering.xml) when the page is laid
out, so a reader that only collects the runs of text loses every label the clause parser
needs. This reader renders each numbered paragraph's label the way Word prints it and puts
it before the paragraph's text (`1.1 The Supplier shall`): the numbering instance (`w:num`)
and its abstract definition, a paragraph's own `w:numPr` or its style's (through the
`basedOn` chain), the level's start, format, text (`%1.%2`), legal style (`isLgl`), restart
rule (`lvlRestart`) and suffix; the counters are kept per abstract definition, as Word
keeps them, so instances that share one continue each other's count, and an instance's
`startOverride` restarts the count where that instance is first used.

Tracked changes are read as accepted (insertions and moves kept, deletions and the text
moved away dropped), field codes dropped and their results kept. A table row is one line,
its cells apart by a tab (by a space after a first cell that is only a label, `1.`, `(a)`:
a clause numbered in a table is still a clause). Headers and footers, each distinct one
once, come before and after the body and are `Extracted.furniture`; footnotes and endnotes
come after the body as `[n] text`.

A tab in a paragraph is written as a space: in Word it moves the text to the next tab stop,
which is layout, not content (after a label, in a signature line), and the plain-text
twins of the corpus collapse whitespace the same way; a tab in the text therefore only ever
parts the cells of a table row.

Nothing of the file is trusted: the archive's declared sizes are checked against
MAX_UNPACKED_BYTES and MAX_RATIO before anything is inflated, each part is read with a hard
cap (declared sizes can lie), XML is parsed without entities, DTDs, network or huge-tree
mode (libxml2 then refuses nesting deeper than 256 and entity amplification), and a part
that declares a DTD is refused: Word never writes one.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cache, lru_cache

import roman
from lxml import etree

from stages import lang
from stages.formats import MAX_RATIO, MAX_TEXT_CHARS, MAX_UNPACKED_BYTES, Extracted, FormatError

_TRANSITIONAL = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_MATH_T = "{http://schemas.openxmlformats.org/officeDocument/2006/math}t"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")

# A part this small cannot be a bomb whatever its ratio (repetitive XML deflates 100x and
# more: a long generated document.xml may), so the ratio is checked above it only.
_RATIO_FLOOR = 1 << 20
_READ_CHUNK = 1 << 20

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2007\u202f]+")
_PLACEHOLDER = re.compile(r"%([1-9])")
# A first cell that is only a label: `1.`, `1.1`, `12)`, `(a)`, `a.`, `(iv)`, `IV.`.
_CELL_LABEL = re.compile(r"\(?\d+(?:\.\d+)*[.)]?|\(?(?:[A-Za-z]{1,2}|[ivxlcdmIVXLCDM]{1,7})[.)]|\([A-Za-z]{1,7}\)")

# Symbol-font glyphs that Word bullets are drawn with (private use code points) and the
# characters they print as; any other private use glyph prints as a plain bullet.
_GLYPHS = {"\uf0b7": "•", "\uf0a7": "▪", "\uf06e": "■", "\uf0d8": "➢", "\uf0fc": "✓", "\uf076": "❖", "\uf0a8": "◆"}
_HOLLOW = {"o": "◦"}  # `o` in Courier New: the hollow bullet of a second level
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_IDEOGRAPH_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_LETTER_REPEATS = 10  # `aa`, `aaa`: past ten repetitions (260 items) the number is printed


# --- the package -------------------------------------------------------------------------


def _not_docx(data: bytes) -> str:
    """What a file that is no zip archive looks like, for the message."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return "it is a PDF file"
    if head.startswith(b"{\\rtf"):
        return "it is an RTF file (save it as .docx in Word)"
    if head[:1] == b"<":
        return "it is an XML or HTML file, not a zip archive"
    return "it is not a zip archive, which every .docx is"


class _Package:
    """The zip archive, read within the limits: every part inflated at most once, with a cap."""

    def __init__(self, data: bytes) -> None:
        if not data:
            raise FormatError("not a Word .docx file: the file is empty")
        if data.startswith(_OLE_MAGIC):
            if _ENCRYPTED_STREAM in data:
                raise FormatError("this .docx is password-protected (encrypted): remove the password in Word and save it again")
            raise FormatError("not a Word .docx file: it is a legacy Word 97-2003 .doc (or another OLE file); save it as .docx in Word")
        if not data.startswith(b"PK"):
            raise FormatError(f"not a Word .docx file: {_not_docx(data)}")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, IndexError, NotImplementedError,
                struct.error) as exc:
            raise FormatError(f"damaged or truncated .docx: its zip directory cannot be read ({exc})") from None
        total = sum(info.file_size for info in infos)
        if total > MAX_UNPACKED_BYTES:
            raise FormatError(
                f"rejected .docx: its parts would inflate to {total:,} bytes, over the limit of "
                f"{MAX_UNPACKED_BYTES:,} (a decompression bomb, or a document far too big to read)"
            )
        for info in infos:
            if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise FormatError(
                    f"rejected .docx: its part {info.filename!r} would inflate {info.file_size // max(info.compress_size, 1):,} "
                    f"times (limit {MAX_RATIO}): a decompression bomb"
                )
        self.names = {info.filename: info for info in infos}
        self.budget = MAX_UNPACKED_BYTES

    def read(self, name: str) -> bytes | None:
        """A part's bytes, None when absent; never more than it declares nor than the budget left."""
        info = self.names.get(name)
        if info is None or info.is_dir():
            return None
        cap = min(info.file_size, self.budget)
        chunks, size = [], 0
        try:
            with self.zip.open(info) as member:
                while size <= cap:
                    chunk = member.read(min(_READ_CHUNK, cap + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError, struct.error) as exc:
            raise FormatError(f"damaged .docx: its part {name!r} cannot be unpacked ({exc})") from None
        if size > cap:
            raise FormatError(f"rejected .docx: its part {name!r} inflates to more than it declares (a decompression bomb)")
        self.budget -= size
        return b"".join(chunks)

    def xml(self, name: str) -> etree._Element | None:
        data = self.read(name)
        return None if data is None else _parse(data, name)

    def relations(self, source: str) -> list[tuple[str, str, str]]:
        """(id, type's last word, part name) of the internal relationships of part `source`."""
        folder, base = posixpath.split(source)
        root = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        out = []
        for rel in () if root is None else root.iter(_PACKAGE_RELS):
            target = rel.get("Target") or ""
            if rel.get("TargetMode") == "External" or not target:
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out.append((rel.get("Id") or "", (rel.get("Type") or "").rsplit("/", 1)[-1], path))
        return out


def _parse(data: bytes, name: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"damaged .docx: its part {name!r} is not well-formed XML ({exc})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise FormatError(f"rejected .docx: its part {name!r} declares a DTD (entities), which Word never writes")
    return root


def _main_part(package: _Package) -> str:
    for _, kind, path in package.relations(""):
        if kind == "officeDocument" and path in package.names:
            return path
    if "word/document.xml" in package.names:
        return "word/document.xml"
    if (package.read("mimetype") or b"").startswith(b"application/vnd.oasis.opendocument"):
        raise FormatError("not a Word .docx file: it is an OpenDocument file (.odt); save it as .docx")
    if "xl/workbook.xml" in package.names or "ppt/presentation.xml" in package.names:
        raise FormatError("not a Word .docx file: it is an Excel or PowerPoint file")
    raise FormatError("not a Word .docx file: a zip archive without a Word document in it (no word/document.xml)")


# --- numbering ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Level:
    """One level of a numbering definition (`w:lvl`)."""

    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    legal: bool = False  # isLgl: every number in the label printed in decimal
    restart: int | None = None  # lvlRestart: the (1-based) level whose use restarts this one; 0 never
    suffix: str = " "  # tab and space print as one space, `nothing` as nothing
    style: str | None = None  # the paragraph style this level is linked to


@dataclass(frozen=True, slots=True)
class _Num:
    """A numbering instance (`w:num`): its abstract definition, levels and restarts."""

    abstract: str
    levels: dict[int, _Level]
    starts: dict[int, int]  # startOverride per level: the count restarts where the instance is first used


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _on(el: etree._Element | None, val: str) -> bool:
    """A toggle property (`<w:isLgl/>`, `<w:vanish w:val="false"/>`) that is present and on."""
    return el is not None and el.get(val) not in ("0", "false", "off")


class _Numbering:
    """numbering.xml and styles.xml, read into what labels need; counters as Word keeps them."""

    def __init__(self, numbering: etree._Element | None, styles: etree._Element | None, w: str) -> None:
        self.w = w
        self.val = w + "val"
        self.p_style, self.num_pr, self.num_id, self.ilvl = w + "pStyle", w + "numPr", w + "numId", w + "ilvl"
        self.styles: dict[str, tuple[str | None, str | None, int | None]] = {}  # id -> (basedOn, numId, ilvl)
        self.default_style: str | None = None
        for style in () if styles is None else styles.iterfind(w + "style"):
            sid = style.get(w + "styleId")
            if sid is None:
                continue
            based = style.find(w + "basedOn")
            num_pr = style.find(f"{w}pPr/{w}numPr")
            num_id = ilvl = None
            if num_pr is not None:
                num_id = self._child_val(num_pr, "numId")
                ilvl = _int(self._child_val(num_pr, "ilvl"))
            self.styles[sid] = (None if based is None else based.get(self.val), num_id, ilvl)
            if style.get(w + "type") == "paragraph" and style.get(w + "default") in ("1", "true", "on"):
                self.default_style = sid
        abstracts: dict[str, dict[int, _Level]] = {}
        links: dict[str, str] = {}  # abstractNumId -> numStyleLink
        self.nums: dict[str, _Num] = {}
        if numbering is None:
            return
        for node in numbering.iterfind(w + "abstractNum"):
            aid = node.get(w + "abstractNumId") or ""
            levels = abstracts[aid] = {}
            for el in node.iterfind(w + "lvl"):
                if (lvl := _int(el.get(w + "ilvl"), 0)) is not None and 0 <= lvl <= 8:
                    levels[lvl] = self._level(el)
            if (link := self._child_val(node, "numStyleLink")) is not None:
                links[aid] = link
        raw: dict[str, tuple[str, dict[int, _Level], dict[int, int]]] = {}
        for node in numbering.iterfind(w + "num"):
            overrides: dict[int, _Level] = {}
            starts: dict[int, int] = {}
            for over in node.iterfind(w + "lvlOverride"):
                lvl = _int(over.get(w + "ilvl"), 0)
                if lvl is None or not 0 <= lvl <= 8:
                    continue
                if (start := _int(self._child_val(over, "startOverride"))) is not None:
                    starts[lvl] = start
                if (el := over.find(w + "lvl")) is not None:
                    overrides[lvl] = self._level(el)
            raw[node.get(w + "numId") or ""] = (self._child_val(node, "abstractNumId") or "", overrides, starts)
        for num_id, (aid, overrides, starts) in raw.items():
            # numStyleLink: the definition is the one of the numbering style's own instance
            seen = {aid}
            while aid in links and (style := self.styles.get(links[aid])) and style[1] in raw and raw[style[1]][0] not in seen:
                aid = raw[style[1]][0]
                seen.add(aid)
            self.nums[num_id] = _Num(aid, {**abstracts.get(aid, {}), **overrides}, starts)
        self.counters: dict[str, list[int | None]] = {}
        self.used: set[str] = set()

    def _child_val(self, el: etree._Element, name: str) -> str | None:
        child = el.find(self.w + name)
        return None if child is None else child.get(self.val)

    def _level(self, el: etree._Element) -> _Level:
        text = el.find(self.w + "lvlText")
        suffix = self._child_val(el, "suff")
        restart = self._child_val(el, "lvlRestart")
        return _Level(
            start=_int(self._child_val(el, "start"), 1) or 0,
            fmt=self._child_val(el, "numFmt") or "decimal",
            text="" if text is None else text.get(self.val) or "",
            legal=_on(el.find(self.w + "isLgl"), self.val),
            restart=_int(restart),
            suffix="" if suffix == "nothing" else " ",
            style=self._child_val(el, "pStyle"),
        )

    def _style_numbering(self, sid: str | None) -> tuple[str | None, int | None]:
        num_id = ilvl = None
        seen: set[str] = set()
        while sid is not None and sid not in seen and sid in self.styles:
            seen.add(sid)
            based, sid_num, sid_ilvl = self.styles[sid]
            num_id = sid_num if num_id is None else num_id
            ilvl = sid_ilvl if ilvl is None else ilvl
            sid = based
        return num_id, ilvl

    def label(self, p_pr: etree._Element | None) -> str:
        """The label Word prints before the paragraph with properties `p_pr` (with its
        suffix), counting it; "" for a paragraph that is not numbered."""
        style = num_id = ilvl = None
        for prop in () if p_pr is None else p_pr:  # a loop over the few children: cheaper than find()
            if prop.tag == self.p_style:
                style = prop.get(self.val)
            elif prop.tag == self.num_pr:
                for item in prop:
                    if item.tag == self.num_id:
                        num_id = item.get(self.val)
                    elif item.tag == self.ilvl:
                        ilvl = _int(item.get(self.val))
        style = style if style is not None else self.default_style
        from_style = num_id is None
        if num_id is None or ilvl is None:
            style_num, style_ilvl = self._style_numbering(style)
            num_id = style_num if num_id is None else num_id
            ilvl = style_ilvl if ilvl is None else ilvl
        num = self.nums.get(num_id or "")
        if num is None:  # numId 0 (or an unknown one): not numbered
            return ""
        if ilvl is None:
            linked = [k for k, level in num.levels.items() if from_style and level.style == style]
            ilvl = linked[0] if linked else 0
        ilvl = min(max(ilvl, 0), 8)
        level = num.levels.get(ilvl)
        if level is None:
            return ""
        counters = self.counters.setdefault(num.abstract, [None] * 9)
        if num_id not in self.used:
            self.used.add(num_id)
            for lvl in num.starts:
                counters[lvl] = None
        counters[ilvl] = self._start(num, ilvl) if counters[ilvl] is None else counters[ilvl] + 1
        for deeper in range(ilvl + 1, 9):
            rule = num.levels.get(deeper)
            restart = deeper if rule is None or rule.restart is None else rule.restart
            if restart and ilvl < restart:
                counters[deeper] = None
        if level.fmt == "bullet":
            printed = "".join(_GLYPHS.get(ch, "•" if "\ue000" <= ch <= "\uf8ff" else ch) for ch in level.text)
            printed = _HOLLOW.get(printed, printed)
        else:
            printed = _PLACEHOLDER.sub(lambda m: self._number(num, counters, int(m.group(1)) - 1, level.legal), level.text)
        printed = _SPACES.sub(" ", printed).strip()
        return printed + level.suffix if printed else ""

    def _start(self, num: _Num, lvl: int) -> int:
        if lvl in num.starts:
            return num.starts[lvl]
        level = num.levels.get(lvl)
        return 1 if level is None else level.start

    def _number(self, num: _Num, counters: list[int | None], lvl: int, legal: bool) -> str:
        value = counters[lvl]
        value = self._start(num, lvl) if value is None else value
        level = num.levels.get(lvl)
        fmt = "decimal" if level is None or (legal and level.fmt not in ("none", "decimalZero")) else level.fmt
        return format_number(value, fmt)


@cache
def _words(ordinal: bool) -> dict[int, str]:
    english = lang.get("en")
    table = english.ordinal_words if ordinal else english.number_words
    return {n: word for word, n in table.items() if " " not in word}


@lru_cache(maxsize=4096)
def format_number(n: int, fmt: str) -> str:
    """`n` as a level of numbering format `fmt` prints it (ECMA-376 ST_NumberFormat); formats
    this reader does not know print as decimal numbers."""
    if fmt == "none":
        return ""
    if fmt == "decimalZero":
        return f"{n:02d}" if 0 <= n < 10 else str(n)
    if fmt in ("lowerLetter", "upperLetter") and 0 < n <= 26 * _LETTER_REPEATS:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 0 < n < 4000:
        numeral = roman.toRoman(n)
        return numeral.lower() if fmt == "lowerRoman" else numeral
    if fmt == "ordinal":
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    if fmt in ("cardinalText", "ordinalText") and (word := _words(fmt == "ordinalText").get(n)):
        return word[:1].upper() + word[1:]
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting", "chineseLegalSimplified") and 0 <= n < 10**12:
        import cn2an  # imported on first use: a quarter of a second

        return cn2an.an2cn(n, "up" if fmt == "chineseLegalSimplified" else "low")
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return str(n).translate(_IDEOGRAPH_DIGITS)
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return str(n).translate(_FULL_WIDTH)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt in ("ideographTraditional", "ideographZodiac"):
        cycle = _STEMS if fmt == "ideographTraditional" else _BRANCHES
        if 1 <= n <= len(cycle):
            return cycle[n - 1]
    return str(n)


# --- text --------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """One block's text: spaces collapsed, each line stripped, no empty line inside it."""
    text = text.replace("\u00ad", "")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return unicodedata.normalize("NFC", "\n".join(line for line in lines if line))


@dataclass
class _Notes:
    """The footnote or endnote ids in the order the body refers to them (their printed numbers)."""

    order: dict[str, int] = field(default_factory=dict)

    def refer(self, note_id: str | None) -> None:
        if note_id is not None and note_id not in self.order:
            self.order[note_id] = len(self.order) + 1


class _Reader:
    """Walks the parts of one document; block containers give lines, paragraphs their text."""

    def __init__(self, w: str, numbering: _Numbering) -> None:
        self.numbering = numbering
        self.footnotes, self.endnotes = _Notes(), _Notes()
        q = lambda name: w + name  # noqa: E731
        self.P, self.TBL, self.TR, self.TC, self.R = q("p"), q("tbl"), q("tr"), q("tc"), q("r")
        self.PPR, self.RPR, self.TRPR = q("pPr"), q("rPr"), q("trPr")
        self.T, self.TXBX, self.SYM = q("t"), q("txbxContent"), q("sym")
        self.DEL, self.CHAR, self.ID = q("del"), q("char"), q("id")
        self.FOOTNOTE_REF, self.ENDNOTE_REF, self.VANISH = q("footnoteReference"), q("endnoteReference"), q("vanish")
        self.VAL = q("val")
        self.text_of = {q("t"): None, _MATH_T: None}
        self.char_of = {q("tab"): " ", q("ptab"): " ", q("br"): "\n", q("cr"): "\n", q("noBreakHyphen"): "-", q("softHyphen"): ""}
        # deleted and moved-away text, field codes, properties and the fallback copy of
        # alternate content: none of it is printed
        self.skipped = {q(n) for n in ("del", "moveFrom", "delText", "instrText", "delInstrText", "pPr", "rPr", "sectPr",
                                      "sdtPr", "sdtEndPr", "tblPr", "tblGrid", "trPr", "tcPr", "fldChar", "footnoteRef",
                                      "endnoteRef", "annotationRef", "commentReference")} | {_MC + "Fallback"}
        self.carry = ""  # text of paragraphs whose mark is deleted: it joins the next paragraph

    def blocks(self, container: etree._Element, out: list[str]) -> list[str]:
        """Append the blocks (paragraphs, table rows) of `container` to `out`."""
        for child in container:
            tag = child.tag
            if tag == self.P:
                self._paragraph(child, out)
            elif tag == self.TBL:
                self._table(child, out)
            elif isinstance(tag, str) and tag not in self.skipped:
                self.blocks(child, out)  # sdt, sdtContent, customXml, ins, moveTo, body
        if self.carry:
            out.append(_clean(self.carry))
            self.carry = ""
        return out

    def _paragraph(self, p: etree._Element, out: list[str]) -> None:
        p_pr = p[0] if len(p) and p[0].tag == self.PPR else None  # the schema puts it first
        boxes: list[etree._Element] = []
        pieces: list[str] = []
        self._inline(p, pieces, boxes)
        text = "".join(pieces)
        mark = None if p_pr is None else next((child for child in p_pr if child.tag == self.RPR), None)
        if mark is not None and any(child.tag == self.DEL for child in mark):  # its mark deleted: joins the next paragraph
            self.carry += text
        else:
            text, self.carry = self.carry + text, ""
            body = _clean(text)
            label = self.numbering.label(p_pr)
            block = (label + body if body else label.strip()) if label else body
            if block:
                out.append(unicodedata.normalize("NFC", block))
        for box in boxes:  # text boxes anchored in the paragraph: their paragraphs after it
            self.blocks(box, out)

    def _inline(self, el: etree._Element, pieces: list[str], boxes: list[etree._Element]) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in self.skipped:
                continue
            if tag in self.text_of:
                pieces.append(child.text or "")
            elif tag in self.char_of:
                pieces.append(self.char_of[tag])
            elif tag == self.R:
                props = child.find(self.RPR)
                if props is None or not _on(props.find(self.VANISH), self.VAL):  # hidden text is not printed
                    self._inline(child, pieces, boxes)
            elif tag == self.TXBX:
                boxes.append(child)
            elif tag == self.SYM:
                try:
                    ch = chr(int(child.get(self.CHAR) or "", 16))
                except (ValueError, OverflowError):
                    continue
                pieces.append(_GLYPHS.get(ch, "" if "\ue000" <= ch <= "\uf8ff" else ch))
            elif tag == self.FOOTNOTE_REF:
                self.footnotes.refer(child.get(self.ID))
            elif tag == self.ENDNOTE_REF:
                self.endnotes.refer(child.get(self.ID))
            elif tag != self.P and tag != self.TBL:
                self._inline(child, pieces, boxes)  # ins, moveTo, hyperlink, smartTag, sdt, fldSimple, drawing, ...

    def _table(self, tbl: etree._Element, out: list[str]) -> None:
        for row in self._children(tbl, self.TR):
            props = row.find(self.TRPR)
            if props is not None and props.find(self.DEL) is not None:  # a deleted row
                continue
            cells = [self.blocks(cell, []) for cell in self._children(row, self.TC)]
            if len(cells) == 1:  # a one-cell row lays text out: its paragraphs stay blocks
                out.extend(cells[0])
                continue
            texts = [" ".join(block.replace("\n", " ").replace("\t", " ") for block in cell) for cell in cells]
            texts = [text for text in texts if text]
            if not texts:
                continue
            if len(texts) > 1 and _CELL_LABEL.fullmatch(texts[0]):
                texts[:2] = [f"{texts[0]} {texts[1]}"]
            out.append("\t".join(texts))

    def _children(self, el: etree._Element, tag: str):
        """The `tag` children of `el`, also those wrapped in a content control or custom XML."""
        for child in el:
            if child.tag == tag:
                yield child
            elif isinstance(child.tag, str) and child.tag not in self.skipped and child.tag not in (self.P, self.TBL):
                yield from self._children(child, tag)


def _notes(root: etree._Element | None, w: str, kind: str, notes: _Notes, reader: _Reader, fmt: str) -> list[str]:
    """`[n] text` for each note the body refers to, in the order of its references."""
    if root is None or not notes.order:
        return []
    found = {}
    for note in root.iterfind(w + kind):
        if note.get(w + "type") in (None, "normal"):
            found[note.get(w + "id")] = note
    out = []
    for note_id, n in notes.order.items():
        if (note := found.get(note_id)) is not None:
            text = " ".join(block.replace("\n", " ") for block in reader.blocks(note, []))
            out.append(f"[{format_number(n, fmt)}] {text}".rstrip())
    return out


def read(data: bytes) -> Extracted:
    """The text of a Word .docx file: see the module docstring. Raises FormatError when the
    file is not a .docx, is damaged, encrypted, a bomb, or has too much text, and never
    anything else for bad bytes."""
    try:
        return _read(data)
    except FormatError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, IndexError, OverflowError,
            NotImplementedError, RuntimeError, struct.error, etree.LxmlError) as exc:
        raise FormatError(f"damaged .docx: it cannot be read ({type(exc).__name__}: {exc})") from None


def _read(data: bytes) -> Extracted:
    package = _Package(data)
    main = _main_part(package)
    document = package.xml(main)
    if document is None:
        raise FormatError("damaged .docx: its main document part is missing")
    ns = etree.QName(document).namespace
    if ns not in (_TRANSITIONAL, _STRICT):
        raise FormatError("not a Word .docx file: its main part is not a WordprocessingML document")
    w = f"{{{ns}}}"
    rels = package.relations(main)
    parts = {kind: path for _, kind, path in reversed(rels)}  # the first of each kind
    numbering = _Numbering(package.xml(parts["numbering"]) if "numbering" in parts else None,
                           package.xml(parts["styles"]) if "styles" in parts else None, w)
    reader = _Reader(w, numbering)
    body_el = document.find(w + "body")
    body = reader.blocks(body_el, []) if body_el is not None else []
    by_id = {rid: path for rid, _, path in rels}
    furniture_parts: dict[str, list[str]] = {"header": [], "footer": []}  # their blocks
    for kind in furniture_parts:  # in the order the sections refer to them, each part once
        referred = [by_id.get(ref.get(f"{{{_relationship_ns(ns)}}}id")) for ref in document.iter(f"{w}{kind}Reference")]
        paths = dict.fromkeys([path for path in referred if path] + [path for _, k, path in rels if k == kind])
        seen: set[str] = set()
        for path in paths:
            root = package.xml(path)
            part_blocks = reader.blocks(root, []) if root is not None else []
            if part_blocks and (text := "\n".join(part_blocks)) not in seen:
                seen.add(text)
                furniture_parts[kind].extend(part_blocks)
    notes = _notes(package.xml(parts["footnotes"]) if "footnotes" in parts else None, w, "footnote", reader.footnotes, reader, "decimal")
    notes += _notes(package.xml(parts["endnotes"]) if "endnotes" in parts else None, w, "endnote", reader.endnotes, reader, "lowerRoman")
    blocks = [(block, True) for block in furniture_parts["header"]] + [(block, False) for block in body + notes]
    blocks += [(block, True) for block in furniture_parts["footer"]]
    if not body and not notes:
        raise FormatError("this .docx has no text in its body (a scan pasted as images, or an empty document)")
    pieces: list[str] = []
    furniture: list[tuple[int, int]] = []
    offset = 0
    for i, (block, is_furniture) in enumerate(blocks):
        if i:
            pieces.append("\n\n")
            offset += 2
        if is_furniture:
            start = offset
            for line in block.split("\n"):
                furniture.append((start, start + len(line)))
                start += len(line) + 1
        pieces.append(block)
        offset += len(block)
        if offset > MAX_TEXT_CHARS:
            raise FormatError(f"rejected .docx: its text is longer than {MAX_TEXT_CHARS:,} characters")
    return Extracted(text="".join(pieces), format="docx", furniture=tuple(furniture))


def _relationship_ns(ns: str) -> str:
    if ns == _STRICT:
        return "http://purl.oclc.org/ooxml/officeDocument/relationships"
    return "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

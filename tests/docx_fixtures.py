"""Small .docx files built part by part for the Word reader's tests.

Word's own files are zip archives of XML parts; these helpers write the parts a test needs
(document, numbering, styles, headers, footers, notes) with the relationships that tie
them together, so each test states its numbering definitions in the XML Word writes.
"""

from __future__ import annotations

import io
import struct
import zipfile
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = f'xmlns:w="{W_NS}" xmlns:r="{R_NS}"'
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def run(text: str, extra: str = "") -> str:
    return f'<w:r>{extra}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def para(text: str = "", num: int | None = None, ilvl: int | None = None, style: str | None = None, inner: str = "") -> str:
    """A paragraph: its text as one run (or `inner` runs), numbered by `num`/`ilvl` or its style."""
    props = f'<w:pStyle w:val="{style}"/>' if style else ""
    if num is not None or ilvl is not None:
        props += "<w:numPr>" + (f'<w:ilvl w:val="{ilvl}"/>' if ilvl is not None else "")
        props += (f'<w:numId w:val="{num}"/>' if num is not None else "") + "</w:numPr>"
    return f"<w:p><w:pPr>{props}</w:pPr>{run(text) if text else ''}{inner}</w:p>"


def level(ilvl: int, fmt: str, text: str, start: int = 1, legal: bool = False, restart: int | None = None,
          suff: str | None = None, style: str | None = None) -> str:
    out = f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
    out += f'<w:lvlRestart w:val="{restart}"/>' if restart is not None else ""
    out += f'<w:pStyle w:val="{style}"/>' if style else ""
    out += "<w:isLgl/>" if legal else ""
    out += f'<w:suff w:val="{suff}"/>' if suff else ""
    return out + f'<w:lvlText w:val="{escape(text, {chr(34): "&quot;"})}"/></w:lvl>'


def abstract(aid: int, *levels: str) -> str:
    return f'<w:abstractNum w:abstractNumId="{aid}">{"".join(levels)}</w:abstractNum>'


def num(nid: int, aid: int, starts: dict[int, int] | None = None) -> str:
    overrides = "".join(f'<w:lvlOverride w:ilvl="{k}"><w:startOverride w:val="{v}"/></w:lvlOverride>' for k, v in (starts or {}).items())
    return f'<w:num w:numId="{nid}"><w:abstractNumId w:val="{aid}"/>{overrides}</w:num>'


def contract_levels(aid: int) -> str:
    """`1.`, `1.1`, `(a)`, `(i)`: the outline of most English contracts."""
    return abstract(aid, level(0, "decimal", "%1."), level(1, "decimal", "%1.%2"),
                    level(2, "lowerLetter", "(%3)"), level(3, "lowerRoman", "(%4)"))


def style(sid: str, based_on: str | None = None, num: int | None = None, ilvl: int | None = None) -> str:
    props = ""
    if num is not None or ilvl is not None:
        props = "<w:pPr><w:numPr>" + (f'<w:ilvl w:val="{ilvl}"/>' if ilvl is not None else "")
        props += (f'<w:numId w:val="{num}"/>' if num is not None else "") + "</w:numPr></w:pPr>"
    based = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    return f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{sid}"/>{based}{props}</w:style>'


def build(body: str, numbering: str = "", styles: str = "", headers: tuple[str, ...] = (), footers: tuple[str, ...] = (),
          footnotes: str = "", endnotes: str = "", sections: str | None = None) -> bytes:
    """A .docx whose body is `body` (XML of paragraphs and tables); headers and footers are
    the XML of their paragraphs; every section refers to every header and footer unless
    `sections` (the body's closing sectPr) is given."""
    parts: dict[str, str] = {}
    rels: list[tuple[str, str, str]] = []
    if numbering:
        parts["word/numbering.xml"] = f"<w:numbering {NS}>{numbering}</w:numbering>"
        rels.append(("rNum", "numbering", "numbering.xml"))
    if styles:
        parts["word/styles.xml"] = f"<w:styles {NS}>{styles}</w:styles>"
        rels.append(("rStyles", "styles", "styles.xml"))
    refs = ""
    for kind, items in (("header", headers), ("footer", footers)):
        for i, xml in enumerate(items, 1):
            tag = "hdr" if kind == "header" else "ftr"
            parts[f"word/{kind}{i}.xml"] = f"<w:{tag} {NS}>{xml}</w:{tag}>"
            rels.append((f"r{kind}{i}", kind, f"{kind}{i}.xml"))
            refs += f'<w:{kind}Reference w:type="default" r:id="r{kind}{i}"/>'
    for kind, xml in (("footnotes", footnotes), ("endnotes", endnotes)):
        if xml:
            parts[f"word/{kind}.xml"] = f"<w:{kind} {NS}>{xml}</w:{kind}>"
            rels.append((f"r{kind}", kind, f"{kind}.xml"))
    sect = sections if sections is not None else f"<w:sectPr>{refs}</w:sectPr>"
    parts["word/document.xml"] = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {NS}><w:body>{body}{sect}</w:body></w:document>'
    parts["word/_rels/document.xml.rels"] = _rels(rels)
    parts["_rels/.rels"] = _rels([("rDoc", "officeDocument", "word/document.xml")])
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>'
    )
    return zip_parts(parts)


def _rels(rels: list[tuple[str, str, str]]) -> str:
    items = "".join(f'<Relationship Id="{rid}" Type="{REL_TYPE}{kind}" Target="{target}"/>' for rid, kind, target in rels)
    return f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>'


def zip_parts(parts: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def with_declared_size(data: bytes, name: str, size: int) -> bytes:
    """`data` (a zip) whose central directory declares `size` unpacked bytes for member
    `name`: a lying header, as a crafted bomb has."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        if out[pos + 46:pos + 46 + name_len] == name.encode():
            struct.pack_into("<I", out, pos + 24, size)
        pos = out.find(b"PK\x01\x02", pos + 46)
    return bytes(out)

"""What tests and benchmarks build and measure: a noise translation model, hostile inputs,
and the yardstick of the clause tree against the dev corpus's ground truth.

`build_noise_package()` makes a genuine Argos package: a SentencePiece model trained on
the texts you give, and a small CTranslate2 Transformer built with `ctranslate2.specs`
whose weights are random. Everything that handles packages and models (install,
discovery, tokenisation, batching through CTranslate2, caching, settings, quality flags)
runs for real on it. Its output is noise: tests may assert on plumbing, never on wording,
and its name (`noise-fixture`) says so wherever it is recorded.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NOISE_CODE = "noise-fixture"


def _train_sentencepiece(texts: Iterable[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    lines = [line.strip() for text in texts for line in text.splitlines() if line.strip()]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=0.9995,
        model_type="unigram",
        shuffle_input_sentence=False,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def _transformer(vocab: list[str], d_model: int, layers: int, heads: int, ffn: int, seed: int, eos_bias: float):
    from ctranslate2.specs import transformer_spec

    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)

    def norm(layer) -> None:
        layer.gamma = np.ones(d_model, np.float32)
        layer.beta = np.zeros(d_model, np.float32)

    def linear(layer, out_dim: int, in_dim: int) -> None:
        layer.weight = w(out_dim, in_dim)
        layer.bias = np.zeros(out_dim, np.float32)

    spec = transformer_spec.TransformerSpec.from_config(num_layers=layers, num_heads=heads)
    n = len(vocab)
    spec.encoder.embeddings[0].weight = w(n, d_model)
    spec.decoder.embeddings.weight = w(n, d_model)
    norm(spec.encoder.layer_norm)
    norm(spec.decoder.layer_norm)
    for layer in spec.encoder.layer:
        norm(layer.self_attention.layer_norm)
        linear(layer.self_attention.linear[0], 3 * d_model, d_model)
        linear(layer.self_attention.linear[1], d_model, d_model)
        norm(layer.ffn.layer_norm)
        linear(layer.ffn.linear_0, ffn, d_model)
        linear(layer.ffn.linear_1, d_model, ffn)
    for layer in spec.decoder.layer:
        norm(layer.self_attention.layer_norm)
        linear(layer.self_attention.linear[0], 3 * d_model, d_model)
        linear(layer.self_attention.linear[1], d_model, d_model)
        norm(layer.attention.layer_norm)
        linear(layer.attention.linear[0], d_model, d_model)
        linear(layer.attention.linear[1], 2 * d_model, d_model)
        linear(layer.attention.linear[2], d_model, d_model)
        norm(layer.ffn.layer_norm)
        linear(layer.ffn.linear_0, ffn, d_model)
        linear(layer.ffn.linear_1, d_model, ffn)
    linear(spec.decoder.projection, n, d_model)
    spec.decoder.projection.bias[vocab.index("</s>")] = eos_bias  # how soon noise sentences end
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    return spec


def build_noise_package(
    dest: Path,
    texts: Iterable[str],
    from_code: str = "zh",
    to_code: str = "en",
    *,
    vocab_size: int = 800,
    d_model: int = 32,
    layers: int = 1,
    heads: int = 2,
    ffn: int = 64,
    seed: int = 0,
    eos_bias: float = 0.0,
    version: str = "0.0",
) -> Path:
    """Write `translate-{from}_{to}-noise-fixture.argosmodel` into `dest` and return its path."""
    import sentencepiece as spm

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    sp_bytes = _train_sentencepiece(texts, vocab_size)
    sp = spm.SentencePieceProcessor(model_proto=sp_bytes)
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    folder = f"translate-{from_code}_{to_code}-{NOISE_CODE}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / folder
        spec = _transformer(vocab, d_model, layers, heads, ffn, seed, eos_bias)
        (root / "model").mkdir(parents=True)
        spec.save(str(root / "model"))
        (root / "sentencepiece.model").write_bytes(sp_bytes)
        metadata = {
            "package_version": version,
            "argos_version": "1.0",
            "code": f"translate-{from_code}_{to_code}-{NOISE_CODE}",
            "from_code": from_code,
            "from_name": from_code,
            "to_code": to_code,
            "to_name": to_code,
            "type": "translate",
        }
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (root / "README.md").write_text("Random-weight test model made by lexnorm.testing. Output is noise.\n")
        archive = dest / f"{folder}.argosmodel"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(root.rglob("*")):
                zf.write(path, path.relative_to(tmp).as_posix())
    return archive


# ------------------------------------------------------------------ hostile input folder

# Real sentences in the single-byte and legacy encodings that look alike as bytes.
_ENCODED_SENTENCES = {
    "ru_cp1251": ("cp1251", "1. Общие положения\n1.1 Настоящее соглашение регулирует отношения между сторонами.\n"
                            "1.2 Оператор обрабатывает персональные данные только с согласия пользователя.\n"),
    "ru_koi8r": ("koi8-r", "1. Предмет договора\n1.1 Исполнитель обязуется оказать услуги в срок, указанный в заявке.\n"
                           "1.2 Заказчик обязуется оплатить услуги в течение десяти дней.\n"),
    "el_cp1253": ("cp1253", "1. Γενικοί όροι\n1.1 Η παρούσα σύμβαση διέπεται από το ελληνικό δίκαιο.\n"
                            "1.2 Τα προσωπικά δεδομένα επεξεργάζονται μόνο με τη συγκατάθεση του χρήστη.\n"),
    "he_cp1255": ("cp1255", "1. הוראות כלליות\n1.1 הסכם זה כפוף לדיני מדינת ישראל.\n"
                            "1.2 המידע האישי של המשתמש יישמר בסודיות ולא יועבר לצד שלישי.\n"),
    "ja_eucjp": ("euc_jp", "第一条　この法律は、個人情報の適正な取扱いに関し、基本理念を定めるものとする。\n"
                           "第二条　この法律において「個人情報」とは、生存する個人に関する情報をいう。\n"),
}


def write_hostile_inputs(raw: Path) -> dict[str, str]:
    """Fill `raw` with the inputs that once stopped, hung or silently damaged a run, and
    return {file name: the outcomes allowed for it} ("ok", "rejected", "skipped", or
    several joined by "|"). Names that are not valid UTF-8 are given as `repr` of bytes.

    Each case is built here from a few lines of text or bytes (no third-party text)."""
    import os

    raw = Path(raw)
    raw.mkdir(parents=True, exist_ok=True)
    cases: dict[str, str] = {}

    def write(name: str, data: bytes | str, outcome: str) -> None:
        (raw / name).write_bytes(data.encode() if isinstance(data, str) else data)
        cases[name] = outcome

    # planning: a symlink loop, a FIFO behind a link and under its own name, a name that is not UTF-8
    (raw / "self.txt").symlink_to("self.txt")
    cases["self.txt"] = "rejected"
    os.mkfifo(raw / "fifo.txt")
    cases["fifo.txt"] = "rejected|skipped"
    os.mkfifo(raw / "pipe")
    (raw / "to_fifo.txt").symlink_to("pipe")
    cases["to_fifo.txt"] = "rejected"
    with open(os.path.join(os.fsencode(raw), b"caf\xe9.txt"), "wb") as fh:
        fh.write(b"1. Scope\nThis agreement covers the cafe's services.\n2. Term\nIt runs for one year.\n")
    cases[repr(b"caf\xe9.txt")] = "ok"
    # a manifest nested past any recursion limit
    (raw / "manifest.json").write_text('{"parallel": ' + "[" * 100_000 + "]" * 100_000 + "}")
    # numerals: valid classical and Japanese forms, and forms that are no numerals
    write("numerals_valid.txt", "第百十八号\n第一条 本法适用于百二十一人以上的单位。\n第二条 见第千三百二十六条。\n", "ok")
    write("numerals_invalid.txt", "第一条 总则\n第十十条 本条无效。\n（十十）一项\n附件十十\n", "ok")
    # pathological text: one long line, glued headings, a list that restarts forever, label 1000
    write("long_line.txt", "Fee 1.5 " * 40_000, "ok")
    write("glued.txt", "".join(f"The clause {n} ends. {n}. Termination of the clause goes on. " for n in range(1, 4001)), "ok")
    write("repeated_items.txt", "(a) item\n" * 20_000, "ok")
    write("thousand.txt", "".join(f"{n}. Item number {n} of the schedule.\n" for n in range(1, 1003)), "ok")
    write("nfkc_label.txt", "⑴ｶﾞｶﾞ の規定\n⑵ 次の規定\n", "ok")
    # encodings that once decoded as another script's mojibake, and CESU-8 surrogates
    for name, (encoding, text) in _ENCODED_SENTENCES.items():
        write(f"{name}.txt", text.encode(encoding), "ok|rejected")
    write("cesu8.txt", b"1. Terms\nThe emoji \xed\xa0\xbd\xed\xb8\x80 is here.\n", "ok|rejected")
    # two files with one doc_id, Traditional Chinese, German without a model
    write("UP.TXT", "1. Upper\nThe upper-case file.\n", "ok|rejected")
    write("UP.md", "1. Markdown\nThe Markdown file.\n", "ok|rejected")
    write(
        "hk_ordinance.txt",
        "第1條 簡稱\n本條例可引稱為《個人資料(私隱)條例》。\n第2條 釋義\n在本條例中，除文意另有所指外，"
        "資料使用者就個人資料而言，指獨自或聯同其他人或與其他人共同控制該資料的收集、持有、處理或使用的人。\n",
        "ok",
    )
    write("de_vertrag.txt", "1. Gegenstand\nDieser Vertrag regelt die Nutzung der Dienste durch den Kunden.\n", "ok")
    # formats read by their readers, damaged; and formats lexnorm does not read
    write("contract.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "rejected")
    write("contract.docx", b"PK\x03\x04", "rejected")
    write("page.html", b"\x00\x01\x02" * 100, "rejected")
    write("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "skipped")
    return cases


# ------------------------------------------------------------------ dev corpus yardstick
#
# Issue 14's measure: the clause tree of a real document against the verified ground truth in
# ../shared/corpus/dev/expected/<name>.json. Everything is read from the tree (ids, parents,
# labels, the document's warnings), never from the text, so a count here is a count the
# parser made. The rules behind the ids are docs/clause-ids.md (cited as R0-R17).

_DUP = re.compile(r"#\d+$")
_DIVISION = re.compile(r"(?:^|\.)(book|part|title|ch|sec|div|sub|art)([0-9A-Za-z]+(?:-[0-9A-Za-z]+|\.\d+)*)$")
_ATTACHMENT = re.compile(r"^(exh|sch|annex|app)([0-9A-Za-z-]*)$")
_SUPP = re.compile(r"^supp\d*$")
_RECITAL = re.compile(r"^rec(?:[0-9A-Za-z]+|\[\d+\])$")
_RANGE_WORDS = ("から", "及び", "至", " to ", " and ")  # words of a printed range of numbers (R10)
_BARE_NUMBER = re.compile(r"^\d+[A-Z]*(?:\.\d+)*(?:-\d+[A-Z]*(?:\.\d+)*)?$")  # 35A, 4.01, a range 52-57
_DECIMAL = re.compile(r"^\d+(?:\.\d+)+$")
_SECTION_WORD = re.compile(r"^(?:section|§)", re.IGNORECASE)
_HAN_ITEM = re.compile(r"^[（(][〇零一二三四五六七八九十百]+[）)]$")
_VALID_ROMAN = re.compile(r"^M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")
_ENGLISH_NUMBERS = {
    w: i + 1
    for i, w in enumerate(
        "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN FIFTEEN "
        "SIXTEEN SEVENTEEN EIGHTEEN NINETEEN TWENTY".split()
    )
}
_ATTACHMENT_WORDS = {
    "exhibit": "exh", "schedule": "sch", "別表": "sch", "附表": "sch", "annex": "annex", "anhang": "annex",
    "annexe": "annex", "附件": "annex", "appendix": "app", "附录": "app",
}  # fmt: skip
# Keys of an expected JSON that describe the file, not its structure.
DESCRIPTIVE_KEYS = frozenset({"lang", "family", "notes", "parallel_with"})
# Keys compared as ordered id lists (the rest are counts, booleans or label lists).
_ID_LISTS = (
    "article_ids", "inserted_article_ids", "chapter_ids", "section_ids", "part_ids", "division_ids",
    "top_level", "second_level", "third_level", "schedules",
)  # fmt: skip
_COUNTS = ("articles", "chapters", "sections", "parts", "divisions", "subdivisions", "books", "recitals",
           "supplementary_provisions", "items_paren")  # fmt: skip


def _segment(clause_id: str) -> tuple[str, str] | None:
    """(kind, number) of a division id's last piece: `book1.ch2.sec1` -> ("sec", "1")."""
    m = _DIVISION.search(_DUP.sub("", clause_id))
    return (m.group(1), m.group(2)) if m else None


def _in_attachment_or_supp(clause_id: str) -> bool:
    """Ids scoped by an attachment or a numbered supplementary block (`sch2.1`, `supp1.art1`)."""
    first = clause_id.split(".", 1)[0]
    return "." in clause_id and bool(_ATTACHMENT.match(_DUP.sub("", first)) or _SUPP.match(first))


def canonical(token: str, roman: bool = True) -> str:
    """An id or printed number in one comparable form: each `.` component loses leading zeros
    (`1.01` -> `1.1`, R1), upper-case Roman numerals (unless `roman` is false: `EXHIBIT C` is a
    letter) and spelled-out English numbers become arabic (`III.1` -> `3.1`, `IIIA` -> `3A`,
    `ONE` -> `1`); inserted suffixes (`17-1`, `44a`, `6AA`) and duplicate markers (`#2`) are
    kept as written."""
    from stages.numbering import roman_to_int

    base, hash_, dup = token.partition("#")
    base = re.sub(r"(?<=\w) (?:to|and) (?=\d)", "-", base)  # a printed range `52 to 57` is id `52-57` (R10)
    parts = []
    for piece in base.split("."):
        if piece in _ENGLISH_NUMBERS:
            piece = str(_ENGLISH_NUMBERS[piece])
        elif roman and re.fullmatch(r"[IVXLCDM]+[A-Z]*", piece):
            for cut in range(len(piece), 0, -1):
                if _VALID_ROMAN.match(piece[:cut]):
                    piece = f"{roman_to_int(piece[:cut])}{piece[cut:]}"
                    break
        m = re.fullmatch(r"0*(\d+)(.*)", piece)
        parts.append(f"{m.group(1)}{m.group(2)}" if m else piece)
    return ".".join(parts) + hash_ + dup


def attachment_key(label: str) -> str:
    """A printed attachment heading in id form (R13): `ANNEX III` -> `annex3`, `Schedule 1` ->
    `sch1`, `EXHIBIT A` -> `exhA`, `附件一` -> `annex1`, `別表` -> `sch`. A heading with no
    attachment word (`AMENDMENTS NOT IN FORCE`) gives `*`: any attachment id matches it."""
    from stages.numbering import han_to_int

    m = re.fullmatch(r"\s*([^\W\d_]+?)\s*([0-9A-Za-z-]*|[〇零一二三四五六七八九十百]+)\s*", label)
    if not m or m.group(1).lower() not in _ATTACHMENT_WORDS:
        return "*"
    number = m.group(2)
    if number and re.fullmatch(r"[〇零一二三四五六七八九十百]+", number):
        number = str(han_to_int(number))
    prefix = _ATTACHMENT_WORDS[m.group(1).lower()]
    return prefix + canonical(number, roman=prefix == "annex")


def _attachment_form(clause_id: str) -> str:
    """An attachment id with its number in canonical form (`annexIII` -> `annex3`)."""
    base = _DUP.sub("", clause_id)
    m = _ATTACHMENT.match(base)
    return m.group(1) + canonical(m.group(2), roman=m.group(1) == "annex") + clause_id[len(base):] if m else clause_id


def measure_tree(doc) -> dict:
    """The structure of a parsed `stages.records.Document`, under the keys of the dev corpus's
    expected JSON. Ids without their `#k` are the *base*; `#k` clauses count wherever their base
    counts and keep `#k` in id lists, so a duplicate always shows as a mismatch. Clauses scoped
    by an attachment or a numbered supplementary block (`sch2.1`, `supp1.art1`) belong to that
    block, not to the body, and count only as that block.

    articles / article_ids: clauses whose id is `art<N>` (R6, R9, R10), in document order;
        ids given as the JSON writes them, without `art`: `17-1`, `44a`, `1#2`.
    inserted_article_ids: the article ids with a `-` insertion (`17-1`, R10).
    chapters / chapter_ids: clauses whose last id piece is `ch<N>` (`book1.ch2`, `ch3-2`).
    sections / section_ids: (a) divisions `sec<N>` (`ch3.sec2`, id given as `3.2`: the holding
        chapter's number and the section's), (b) clauses whose printed label starts with
        `Section` / `§` (contracts: `Section 2.01` -> `2.1`) and, in a document that prints
        second-level numbers with two digits (`1.01`), two-level decimals printed `N.NN` (the
        same sections without the word), and (c) in a document with Parts,
        body clauses whose id is a bare number (`35A`, `4.01`) directly under a part, division,
        subdivision or at the top (R11: sections numbered through the Act).
    parts / part_ids: clauses whose last id piece is `part<N>`; in a document with books and no
        parts, the books (the ground truth counts Chinese 编 as parts and as books).
    divisions / division_ids, subdivisions, books: last id piece `div<N>`, `sub<X>`, `book<N>`.
    top_level: ids of the body's top-level clauses (no parent) other than the preamble,
        recitals, attachments, supplementary provisions, chapters, books and titles, as numbers
        (`art1` -> `1`, `part3A` -> `3A`); a body divided into chapters has none.
    second_level / third_level: body decimal ids with two / three components (`2.1`, `7.1.1`).
    schedules: top-level attachment clauses (`exhA`, `sch2`, `annex3`, `app1`, R13), in order.
    recitals: clauses `rec<N>`, `recA`, `rec[k]` (R12).
    supp / supplementary_provisions: whether a `supp` / `supp<N>` clause exists, and how many.
    items_paren: clauses whose printed label is a Chinese numeral in brackets (`（一）`).
    toc: True when the parser marks a recognised contents block; it has no marker today
        (R14), so the value is None and `toc_duplicates` stands in for it.
    toc_duplicates / duplicates: the ids with `#k` (a contents block that made clauses turns
        the real ones into `#2`; every document with a contents block has none in its truth).
    warnings: the document's warnings; max_depth: the deepest clause level.
    """
    clauses = list(doc.clauses)
    measured: dict = {key: [] for key in ("article_ids", "chapter_ids", "section_ids", "part_ids",
                                          "division_ids", "top_level", "second_level", "third_level",
                                          "schedules", "duplicates")}  # fmt: skip
    counts = dict.fromkeys(("subdivisions", "books", "recitals", "supplementary_provisions", "items_paren"), 0)
    kinds = {c.clause_id: _segment(c.clause_id) for c in clauses}
    padded = any(c.label and re.fullmatch(r"\s*\d+\.0\d\.?\s*", c.label) for c in clauses)
    has_parts = any(k and k[0] == "part" and not _in_attachment_or_supp(i) for i, k in kinds.items())
    for c in clauses:
        cid, base = c.clause_id, _DUP.sub("", c.clause_id)
        dup = cid[len(base):]
        if dup:
            measured["duplicates"].append(cid)
        if c.label and _HAN_ITEM.match(c.label.strip()):
            counts["items_paren"] += 1
        if c.parent_id is None and _ATTACHMENT.match(base):
            measured["schedules"].append(cid)
        if _RECITAL.match(base):
            counts["recitals"] += 1
        if _SUPP.match(base):
            counts["supplementary_provisions"] += 1
        if _in_attachment_or_supp(cid) or _ATTACHMENT.match(base) or _SUPP.match(base) or _RECITAL.match(base):
            continue
        kind = kinds[cid]
        number = kind[1] + dup if kind else None
        if kind and kind[0] == "art" and "." not in base:
            # a range of articles (第五十五条から第六十三条まで, art55-63) is named by its first number
            ranged = c.label and any(w in c.label for w in _RANGE_WORDS)
            measured["article_ids"].append(number.split("-")[0] + dup if ranged else number)
        elif kind and kind[0] == "ch":
            measured["chapter_ids"].append(number)
        elif kind and kind[0] == "part":
            measured["part_ids"].append(number)
        elif kind and kind[0] == "div":
            measured["division_ids"].append(number)
        elif kind and kind[0] == "sub":
            counts["subdivisions"] += 1
        elif kind and kind[0] == "book":
            counts["books"] += 1
        parent_kind = kinds.get(c.parent_id) if c.parent_id else None
        if kind and kind[0] == "sec":
            holder = _segment(base.rpartition(".")[0]) if "." in base else None
            measured["section_ids"].append((f"{holder[1]}." if holder else "") + number)
        elif (c.label and _SECTION_WORD.match(c.label.strip()) and not kind) or (
            padded and c.label and re.fullmatch(r"\s*\d+\.\d\d\.?\s*", c.label) and base.count(".") == 1
        ) or (
            has_parts
            and _BARE_NUMBER.match(base)
            and (c.parent_id is None or (parent_kind and parent_kind[0] in ("part", "div", "sub")))
        ):
            measured["section_ids"].append(cid)
        if _DECIMAL.match(base):
            depth = base.count(".") + 1
            if depth in (2, 3):
                measured[("second_level", "third_level")[depth - 2]].append(cid)
        section = has_parts and not kind and _BARE_NUMBER.match(base)  # a section before the first Part (R11)
        if c.parent_id is None and c.clause_id != "preamble" and not (kind and kind[0] in ("ch", "book", "title")) and not section:
            measured["top_level"].append(number if kind else cid)
    measured["articles"] = len(measured["article_ids"])
    measured["inserted_article_ids"] = [a for a in measured["article_ids"] if "-" in a]
    measured["chapters"] = len(measured["chapter_ids"])
    measured["sections"] = len(measured["section_ids"])
    measured["divisions"] = len(measured["division_ids"])
    measured.update(counts)
    measured["parts"] = len(measured["part_ids"]) or counts["books"]
    # a chapter headed 附则 / 附則 (第八章 附则) is the supplementary provisions too
    supp_chapter = any(
        kinds.get(c.clause_id) and kinds[c.clause_id][0] == "ch" and re.sub(r"\s", "", c.heading or "") in ("附则", "附則")
        for c in clauses
    )
    measured["supp"] = counts["supplementary_provisions"] > 0 or supp_chapter
    measured["toc"] = None
    measured["toc_duplicates"] = list(measured["duplicates"])
    measured["warnings"] = list(doc.warnings)
    measured["max_depth"] = max((c.level for c in clauses), default=0)
    return measured


def unmeasured(expected: dict) -> list[str]:
    """Keys of an expected JSON that the clause tree cannot answer (label spellings, counts of
    paragraphs, blanks or checkboxes, quoted text, the parts of one schedule ...): reported as
    not measured, never as failures. The descriptive keys (lang, family, notes) are left out."""
    known = set(_ID_LISTS) | set(_COUNTS) | {"toc", "supp"}
    return sorted(k for k in expected if k not in known and k not in DESCRIPTIVE_KEYS)


def _list_mismatch(key: str, want: list[str], got: list[str]) -> str | None:
    if want == got:
        return None
    missing = [x for x in want if x not in got]
    extra = [x for x in got if x not in want]
    parts = [f"{key}: expected {len(want)}, got {len(got)}"]
    if missing:
        parts.append(f"{len(missing)} missing ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})")
    if extra:
        parts.append(f"{len(extra)} extra ({', '.join(extra[:5])}{', ...' if len(extra) > 5 else ''})")
    if not missing and not extra:
        first = next(i for i, (a, b) in enumerate(zip(want, got)) if a != b)
        parts.append(f"order differs at {first + 1}: expected {want[first]}, got {got[first]}")
    return "; ".join(parts)


# ------------------------------------------------------------------ errata of the ground truth
#
# The truth in ../shared/corpus/dev/expected is third-party and read-only. Where a reading of the
# text shows it wrong, the correction lives in tests/dev_corpus_errata.json (beside the tests that
# use the yardstick, reviewed with them): per document (the JSON's stem) and key, the value the
# truth has (`was`), the corrected one (`now`) and a `reason` that cites the text's lines. An
# erratum applies only while the truth still says `was`: once the truth changes, the erratum is
# stale and the comparison fails until someone removes or updates it.

DEV_ERRATA = Path(__file__).resolve().parents[1] / "tests" / "dev_corpus_errata.json"


@dataclass(frozen=True, slots=True)
class Erratum:
    """One corrected value of one key of one document's truth."""

    key: str
    was: object
    now: object
    reason: str


def load_errata(path: Path = DEV_ERRATA) -> dict[str, tuple[Erratum, ...]]:
    """{document stem: its errata} from `path` (none if the file is absent). Keys starting with
    `_` at the top are comments. An erratum of a key the yardstick does not measure, or without
    its reason, is refused: it would correct nothing, or nobody could check it."""
    path = Path(path)
    if not path.is_file():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    measured = set(_ID_LISTS) | set(_COUNTS) | {"toc", "supp"}
    errata: dict[str, tuple[Erratum, ...]] = {}
    for stem, keys in raw.items():
        if stem.startswith("_"):
            continue
        entries = []
        for key, entry in keys.items():
            if key not in measured:
                raise ValueError(f"{path.name}: {stem}: {key!r} is not a key the yardstick measures")
            if not {"was", "now", "reason"} <= set(entry) or not str(entry["reason"]).strip():
                raise ValueError(f"{path.name}: {stem}: {key!r} needs `was`, `now` and a `reason`")
            entries.append(Erratum(key, entry["was"], entry["now"], entry["reason"]))
        errata[stem] = tuple(entries)
    return errata


def apply_errata(expected: dict, errata: Iterable[Erratum]) -> tuple[dict, list[str]]:
    """The truth with its errata applied, and one line per erratum that could not apply (the
    truth no longer says what the erratum corrects: stale)."""
    corrected, stale = dict(expected), []
    for e in errata:
        if expected.get(e.key) != e.was:
            stale.append(f"{e.key}: stale erratum: the truth no longer says what tests/dev_corpus_errata.json corrects; update or remove it")
            continue
        corrected[e.key] = e.now
    return corrected, stale


def describe_erratum(e: Erratum) -> str:
    """`second_level: corrected by an erratum (13 -> 15 ids; added 2.2, 4.6): <reason>`."""
    if isinstance(e.was, list) and isinstance(e.now, list):
        added = [x for x in e.now if x not in e.was]
        removed = [x for x in e.was if x not in e.now]
        change = f"{len(e.was)} -> {len(e.now)} ids" + (f"; added {', '.join(map(str, added))}" if added else "")
        change += f"; removed {', '.join(map(str, removed))}" if removed else ""
    else:
        change = f"{e.was!r} -> {e.now!r}"
    return f"{e.key}: corrected by an erratum ({change}): {e.reason}"


def compare_with_expected(expected: dict, measured: dict, errata: Iterable[Erratum] = ()) -> list[str]:
    """One line per key where the tree differs from the ground truth (empty: the document is
    parsed exactly). Strict by design, since this is the yardstick of issue 14:

    - counts (`articles`, `chapters`, `sections`, `parts`, `divisions`, `subdivisions`, `books`,
      `recitals`, `supplementary_provisions`, `items_paren`) must be equal; `null` in the JSON
      (a document without articles) means 0;
    - id lists (`article_ids`, `inserted_article_ids`, `chapter_ids`, `section_ids`,
      `part_ids`, `division_ids`, `top_level`, `second_level`, `third_level`) must be equal
      element by element and in order, after `canonical()` on both sides (printed `1.01`,
      `III`, `ONE` and the ids `1.1`, `3`, `1` meet); a `#k` duplicate never matches;
    - `schedules`: the attachment ids in order against the printed headings put in id form by
      `attachment_key()` (`ANNEX III` -> `annex3`); a heading with no attachment word matches
      any attachment id, but still counts;
    - `supp`: whether supplementary provisions exist;
    - `toc`: if the tree marks contents (`measured["toc"]` not None) it must equal the JSON;
      until the parser can say so (R14), a document whose truth has a contents block must have
      no `#k` duplicate ids (what a contents block read as clauses produces), and one without is
      not checked.
    - `errata` (`load_errata()[stem]`): corrections of the truth, applied first; a stale one
      (the truth no longer says what it corrects) is a mismatch line of its own.
    See `measure_tree()` for what each measured key counts; `unmeasured()` lists the rest."""
    expected, lines = apply_errata(expected, errata)
    for key in _COUNTS:
        if key in expected and key in measured:
            want = expected[key] or 0
            if want != measured[key]:
                lines.append(f"{key}: expected {want}, got {measured[key]}")
    for key in _ID_LISTS:
        if key not in expected or key not in measured:
            continue
        if key == "schedules":
            got = [_attachment_form(g) for g in measured[key]]
            want = [attachment_key(label) for label in expected[key]]
            want = [got[i] if w == "*" and i < len(got) else w for i, w in enumerate(want)]
        else:
            want = [canonical(str(x)) for x in expected[key]]
            got = [canonical(str(x)) for x in measured[key]]
        line = _list_mismatch(key, want, got)
        if line:
            lines.append(line)
    if "supp" in expected and bool(expected["supp"]) != measured["supp"]:
        lines.append(f"supp: expected {bool(expected['supp'])}, got {measured['supp']}")
    if "toc" in expected:
        if measured["toc"] is not None:
            if bool(expected["toc"]) != measured["toc"]:
                lines.append(f"toc: expected {bool(expected['toc'])}, got {measured['toc']}")
        elif expected["toc"] and measured["toc_duplicates"]:
            dups = measured["toc_duplicates"]
            lines.append(
                f"toc: the contents block is not recognised: {len(dups)} duplicate ids "
                f"({', '.join(dups[:5])}{', ...' if len(dups) > 5 else ''})"
            )
    return lines

"""A noise translation model, for testing translation plumbing without a real model.

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
import tempfile
import zipfile
from collections.abc import Iterable
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
    # files lexnorm does not read yet
    write("contract.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "skipped")
    write("contract.docx", b"PK\x03\x04", "skipped")
    return cases

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

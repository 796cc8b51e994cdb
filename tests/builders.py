"""Random-weight Marian models built on the spot, for the tests (tiny) and the benchmarks (OPUS-MT sized).

The architecture, not the weights, decides the cost of a model, and the real transformers loading and
generation path runs on them with no model hub. The SentencePiece vocabulary is trained on the given
lines; filler entries pad vocab.json to the real model's size, so the embedding and output matrices
(a large part of a Marian model's parameters and of each decoding step) have their real shape.
"""
from __future__ import annotations

import json
from pathlib import Path

from harness.data.lines import split_lines

TINY = {"d_model": 16, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2,
        "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32, "max_position_embeddings": 128}
# Helsinki-NLP/opus-mt-fr-en's published config.json (transformer-base, shared 59,514-entry vocabulary)
OPUS_MT_BASE = {"d_model": 512, "encoder_layers": 6, "decoder_layers": 6, "encoder_attention_heads": 8,
                "decoder_attention_heads": 8, "encoder_ffn_dim": 2048, "decoder_ffn_dim": 2048,
                "max_position_embeddings": 512, "activation_function": "swish", "scale_embedding": True}
OPUS_MT_VOCAB = 59514
REPO = Path(__file__).resolve().parents[1]


def seed_texts(repo: Path = REPO) -> list[str]:
    """The non-empty lines of the seed documents and references: a corpus for the vocabulary."""
    files = sorted((repo / "seeds").glob("*.txt")) + sorted((repo / "references").glob("*.txt"))
    return [line for path in files for line in split_lines(path.read_text(encoding="utf-8")) if line.strip()]


def train_vocabulary(folder: Path, lines: list[str], pieces: int) -> dict[str, int]:
    """A SentencePiece model (folder/spm.model) trained on lines, and its piece -> id map."""
    import sentencepiece as spm

    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(folder / "spm"), vocab_size=pieces,
                                   character_coverage=1.0, model_type="unigram", bos_id=-1, eos_id=0, unk_id=1,
                                   pad_id=-1, hard_vocab_limit=False, minloglevel=2)
    processor = spm.SentencePieceProcessor(model_file=str(folder / "spm.model"))
    return {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}


def build_marian(folder: Path, lines: list[str], architecture: dict = TINY, pieces: int = 400,
                 vocab_size: int = 0, max_length: int = 128, seed: int = 0) -> Path:
    """Save a random-weight Marian model and its tokenizer in folder/model; a vocab_size above the trained
    pieces (plus <pad>) adds filler entries up to that size; seed draws the weights."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = train_vocabulary(folder, lines, pieces)
    vocab.update({f"<filler_{i}>": i for i in range(len(vocab), vocab_size - 1)})
    vocab["<pad>"] = len(vocab)   # last, as in OPUS-MT (CTranslate2's Marian converter drops it)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes((folder / "spm.model").read_bytes())
    tokenizer = MarianTokenizer(source_spm=str(folder / "source.spm"), target_spm=str(folder / "target.spm"),
                                vocab=str(folder / "vocab.json"), model_max_length=max_length)
    torch.manual_seed(seed)
    config = MarianConfig(vocab_size=len(vocab), pad_token_id=vocab["<pad>"], eos_token_id=vocab["</s>"],
                          decoder_start_token_id=vocab["<pad>"], forced_eos_token_id=vocab["</s>"], **architecture)
    MarianMTModel(config).save_pretrained(folder / "model")
    tokenizer.save_pretrained(folder / "model")
    return folder / "model"

"""Tiny COMET checkpoints built on the spot (needs the comet extra): a random XLM-R-shaped encoder (2 layers,
hidden size 32) in a local folder -- config.json, model.safetensors and the committed sentencepiece.bpe.model --
and, for each metric, the layout comet.load_from_checkpoint reads: hparams.yaml and checkpoints/model.ckpt,
whose hyper_parameters entry names the encoder folder. The real unbabel-comet code path runs on them; the
scores mean nothing.

    python tests/comet_fixtures.py /tmp/tiny-comet     # builds encoder/, comet/, cometkiwi/, xcomet/ there
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

SENTENCEPIECE = Path(__file__).resolve().parent / "fixtures" / "comet" / "sentencepiece.bpe.model"
MAX_POSITIONS = 64   # tokens the tiny encoder accepts (XLM-R: 512), so that a long segment is scored in pieces
COMMON = {"encoder_model": "XLM-RoBERTa", "hidden_sizes": [16], "layer_transformation": "softmax",
          "activations": "Tanh", "dropout": 0.0}
KINDS = {   # metric name -> (class_identifier, hyperparameters)
    "comet": ("regression_metric", {"layer": "mix", "pool": "avg"}),
    "cometkiwi": ("unified_metric", {"sent_layer": "mix", "input_segments": ["mt", "src"],
                                     "word_level_training": False}),
    "xcomet": ("xcomet_metric", {"sent_layer": "mix", "word_layer": 2, "word_level_training": True,
                                 "error_labels": ["minor", "major", "critical"]}),
}


def build_encoder(folder: Path) -> Path:
    """A random 2-layer XLM-R encoder with the committed SentencePiece vocabulary."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SENTENCEPIECE, folder / "sentencepiece.bpe.model")
    vocabulary = len(XLMRobertaTokenizerFast.from_pretrained(str(folder)))
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=vocabulary, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                              intermediate_size=64, max_position_embeddings=MAX_POSITIONS + 2, type_vocab_size=1,
                              pad_token_id=1, bos_token_id=0, eos_token_id=2)
    XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(folder)
    return folder


def build_checkpoint(folder: Path, encoder: Path, metric: str) -> Path:
    """A COMET checkpoint folder for `metric` (random estimator) on the given encoder folder."""
    import pytorch_lightning
    import torch
    import yaml
    from comet.models import str2model

    identifier, extra = KINDS[metric]
    hparams = {**COMMON, **extra, "pretrained_model": str(encoder)}
    torch.manual_seed(1)
    model = str2model[identifier](**hparams, load_pretrained_weights=True)
    (folder / "checkpoints").mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams),
                "pytorch-lightning_version": pytorch_lightning.__version__}, folder / "checkpoints" / "model.ckpt")
    (folder / "hparams.yaml").write_text(yaml.safe_dump({"class_identifier": identifier, **hparams}), encoding="utf-8")
    return folder


def build_all(root: Path) -> dict[str, Path]:
    """The encoder and one checkpoint folder per COMET metric under root."""
    encoder = build_encoder(root / "encoder")
    return {metric: build_checkpoint(root / metric, encoder, metric) for metric in KINDS}


if __name__ == "__main__":
    for name, path in build_all(Path(sys.argv[1]).resolve()).items():
        print(f"{name}: {path}")

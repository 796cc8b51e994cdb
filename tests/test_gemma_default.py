"""The embedded default model end to end: Gemma 3 270M from the PyPI GGUF package, two segments per document.

Slow (dequantizing the GGUF takes about a minute on 2 cores), but CI runs it.
"""
import logging

import pytest

from harness import run
from harness.config import compose_config
from tests.conftest import SEEDS


@pytest.mark.slow
def test_default_model_translates_two_segments_per_document(tmp_path, isolated_cache, caplog):
    cfg = compose_config([f"data.root={SEEDS}", "data.max_segments=2", "generation.max_new_tokens=48"])
    assert cfg.model.name == "gemma3_270m"
    with caplog.at_level(logging.INFO):
        result = run(cfg, tmp_path / "run")
    said = [record.getMessage() for record in caplog.records]
    assert any(line.startswith("one-time conversion of gemma-3-270m-q4_k_m.gguf (2") for line in said), said
    assert any(line.startswith("converted once: 1.") for line in said), said   # about 1.1 GB
    assert result["model"]["sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert [d["source_segments"] for d in result["documents"]] == [2, 2, 2, 2]
    for document in result["documents"]:
        text = (tmp_path / "run" / "hypotheses" / f"{document['id']}.txt").read_text(encoding="utf-8")
        assert text.strip(), f"empty translation for {document['id']}"
        assert "\n\n" not in text     # each output was cut at its first line break
    assert (isolated_cache / "converted" / result["model"]["sha256"] / "config.json").is_file()
    again = run(cfg, tmp_path / "again")
    assert again["backend_stats"].get("model_loads", 0) == 0

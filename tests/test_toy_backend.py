"""A toy runtime for the prompted-LM base, and the proof that a backend is one file plus one config.

LexiconLM "generates" the way a decoder-only LM continues a few-shot prompt: it reads the last source
line of the prompt, translates it word by word with the lexicon in its model folder (model.model_id,
lexicon.tsv: source word<TAB>English word), and keeps writing the next turn, which the base cuts off.
Its config is tests/toy_conf/model/toy_lexicon.yaml, found through hydra.searchpath; nothing else in the
harness knows about it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from harness.translate.backends.prompted import PromptedLMBackend
from harness.config import compose_config
from tests.adversarial import run_cli
from tests.conftest import SEEDS

TOY_CONF = Path(__file__).parent / "toy_conf"
NEXT_TURN = "French: ..."   # what a few-shot LM writes after its answer


class LexiconLM(PromptedLMBackend):
    name = "toy_lexicon"

    def load_model(self) -> None:
        lines = (Path(self.model.model_id) / "lexicon.tsv").read_text(encoding="utf-8").splitlines()
        self.lexicon = dict(line.split("\t") for line in lines if line.strip())

    def generate(self, prompts: list[str], chat: bool) -> list[str]:
        return [f" {self.continue_prompt(prompt)}\n{NEXT_TURN}" for prompt in prompts]

    def continue_prompt(self, prompt: str) -> str:
        source = prompt.splitlines()[-2].split(": ", 1)[1]
        return " ".join(self.lexicon.get(word.lower(), word) for word in source.split())


def write_lexicon_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    pairs = {"le": "the", "la": "the", "et": "and", "de": "of", "du": "of the", "des": "of the", "ministre": "minister",
             "ve": "and", "japonya": "Japan", "kanada": "Canada", "bakanı": "minister"}
    (folder / "lexicon.tsv").write_text("".join(f"{w}\t{e}\n" for w, e in pairs.items()), encoding="utf-8")
    return folder


def test_a_toy_prompted_backend_runs_through_harness_run_and_harness_compare(tmp_path):
    env = {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    common = [f"data.root={SEEDS}", "metrics=[bleu,chrf]", "data.documents=[000,002]"]
    model = write_lexicon_model(tmp_path / "lexicon_model")
    toy = run_cli("run", [*common, f"hydra.searchpath=[file://{TOY_CONF}]", "model=toy_lexicon",
                          f"model.model_id={model}", f"hydra.run.dir={tmp_path / 'toy'}"], tmp_path, env)
    assert toy.code == 0, toy.stderr[-2000:]
    identity = run_cli("run", [*common, "model=identity", f"hydra.run.dir={tmp_path / 'identity'}"], tmp_path, env)
    assert identity.code == 0, identity.stderr[-2000:]
    compared = run_cli("compare", [str(tmp_path / "identity"), str(tmp_path / "toy"), "--resamples", "200",
                                   "--out", str(tmp_path / "report")], tmp_path, env)
    assert compared.code == 0, compared.stderr[-2000:]
    assert re.search(r"^002 .* toy_lexicon .* \d\.\d{3} +\d\.\d{3}$", compared.stdout, re.M), compared.stdout
    assert json.loads((tmp_path / "toy" / "result.json").read_text())["backend_stats"]["model_loads"] == 1
    hypothesis = (tmp_path / "toy" / "hypotheses" / "000.txt").read_text(encoding="utf-8")
    assert hypothesis.startswith("the Canada and the Japon") and NEXT_TURN not in hypothesis


def test_an_extension_is_one_file_plus_one_experiment_file():
    """tests/toy_conf/experiment/toy_lexicon.yaml picks the toy backend's model config and adds the toy metric;
    the command line still overrides what an experiment sets, and the shipped experiment=smoke composes too."""
    toy = compose_config([f"hydra.searchpath=[file://{TOY_CONF}]", "experiment=toy_lexicon", "model.model_id=/m"])
    assert (toy.model.name, toy.backend._target_) == ("toy_lexicon", "tests.test_toy_backend.LexiconLM")
    assert list(toy.metrics) == ["bleu", "chrf", "tests.toy_metric.SourceCopyRate"]
    overridden = compose_config([f"hydra.searchpath=[file://{TOY_CONF}]", "experiment=toy_lexicon", "metrics=[chrf]"])
    assert list(overridden.metrics) == ["chrf"]
    smoke = compose_config(["experiment=smoke"])
    assert (smoke.model.name, smoke.data.max_segments) == ("identity", 2)

import subprocess
import sys

import pytest

from harness.errors import UserError
from harness.score.metrics import available_metrics, select_metrics


@pytest.mark.parametrize("name, higher_is_better", [("bleu", True), ("chrf", True), ("chrf++", True), ("ter", False)])
def test_metric_direction_is_declared_once_and_right(name, higher_is_better):
    assert available_metrics()[name].higher_is_better is higher_is_better


@pytest.mark.parametrize("hyp, ref, name, expected", [
    ("the cat sat on the mat", "the cat sat on the mat", "bleu", 100.0),
    ("the cat sat on the mat", "the cat sat on the mat", "chrf", 100.0),
    ("the cat sat on the mat", "the cat sat on the mat", "ter", 0.0),
    ("", "the cat sat on the mat", "bleu", 0.0),
])
def test_hand_checked_scores(hyp, ref, name, expected):
    assert select_metrics([name])[0].corpus_score([hyp], [ref]).score == pytest.approx(expected)


def test_signature_names_the_metric_and_its_settings():
    score = select_metrics(["bleu"])[0].corpus_score(["a b c d"], ["a b c d e"])
    assert score.signature.startswith("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")


def test_unknown_metric_lists_the_available_ones():
    with pytest.raises(UserError, match=r"unknown metric 'blue'. Did you mean 'bleu'\?"):
        select_metrics(["blue"])


@pytest.mark.parametrize("name, cli_args", [
    ("bleu", ["-m", "bleu"]), ("chrf", ["-m", "chrf"]), ("chrf++", ["-m", "chrf", "--chrf-word-order", "2"]),
])
def test_scores_equal_the_sacrebleu_command_line(tmp_path, name, cli_args):
    hyp = "Canada and Japan began talks on sharing military intelligence on Tuesday."
    ref = "Canada and Japan have launched talks aimed at sharing military intelligence."
    (tmp_path / "hyp.txt").write_text(hyp + "\n")
    (tmp_path / "ref.txt").write_text(ref + "\n")
    cli = subprocess.run([sys.executable, "-m", "sacrebleu", str(tmp_path / "ref.txt"), "-i",
                          str(tmp_path / "hyp.txt"), *cli_args, "-b"], capture_output=True, text=True, check=True)
    ours = select_metrics([name])[0].corpus_score([hyp], [ref]).score
    assert round(ours, 1) == float(cli.stdout.strip())


@pytest.mark.parametrize("name", ["bleu", "chrf", "chrf++", "ter"])
def test_sentence_and_corpus_scores_from_one_pass_equal_the_separate_scores(name):
    metric = select_metrics([name])[0]
    hyps = ["the cat sat on the mat", "a quick brown fox", "", "completely different words here"]
    refs = ["the cat sat on a mat", "the quick brown fox jumps", "an empty hypothesis", "nothing in common"]
    sentences, corpus = metric.sentence_and_corpus_scores(hyps, refs)
    assert sentences == [metric.sentence_score(h, r) for h, r in zip(hyps, refs)]
    assert corpus == metric.corpus_score(hyps, refs)

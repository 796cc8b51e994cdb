"""Adversarial round 5 on the truth of scores and verdicts, as a reviewer with sacrebleu at hand tests them: the
headline is what `sacrebleu REF -i HYP -l SRC-TGT -m bleu chrf ter` prints for the same files (chrF++ with
--chrf-word-order 2), computed here with sacrebleu's Python API and the command line's settings for that language
pair, and the table's columns and notes say what was measured, for a target language other than English too."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli
from tests.test_adversarial_round3_scores import REFERENCE, SOURCE, cli_metrics

CHINESE_REFERENCE = ["市议会昨晚对预算进行了投票。", "居民们抱怨施工的噪音。", "市长承诺在三月举行一次公开会议。",
                     "新学校将于九月开学。"]
CHINESE_HYPOTHESIS = ["市议会昨天晚上投票通过了预算。", "居民抱怨工程的噪音。", "市长答应三月召开公开会议。",
                      "新学校九月开门。"]
GERMAN_REFERENCE = ["Der Stadtrat hat gestern Abend über den Haushalt abgestimmt.",
                    "Die Anwohner beklagen sich über den Baulärm.",
                    "Der Bürgermeister versprach eine öffentliche Versammlung im März.",
                    "Die neue Schule öffnet im September ihre Türen."]
GERMAN_HYPOTHESIS = ["Der Gemeinderat stimmte gestern Abend über das Budget ab.",
                     "Die Einwohner beschweren sich über den Lärm der Arbeiten.",
                     "Der Bürgermeister hat eine öffentliche Sitzung im März versprochen.",
                     "Die neue Schule wird im September eröffnet."]


def write_lines(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def score(tmp_path: Path, target_lang: str, reference: list[str], hypothesis: list[str]):
    """harness-score in a child process, as a user runs it, on one system's file."""
    write_lines(tmp_path / "src.txt", SOURCE)
    write_lines(tmp_path / "ref.txt", reference)
    write_lines(tmp_path / "sys.txt", hypothesis)
    return run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "--tgt-lang", target_lang,
                             "--out", str(tmp_path / "out"), "sys.txt"], cwd=tmp_path,
                   env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})


def test_a_chinese_target_is_scored_with_the_tokenizer_sacrebleu_takes_for_it(tmp_path):
    """`sacrebleu ref.txt -i sys.txt -l fr-zh` tokenizes BLEU with tok:zh (28.6 here); the harness took 13a for
    every target, so a Chinese line was one 'word' and BLEU read 0.0, with a signature saying tok:13a."""
    outcome = score(tmp_path, "zh", CHINESE_REFERENCE, CHINESE_HYPOTHESIS)
    assert outcome.code == 0, outcome.stderr[-2000:]
    document = json.loads((tmp_path / "out" / "sys" / "result.json").read_text(encoding="utf-8"))["documents"][0]
    for name, metric in cli_metrics("zh").items():
        expected = metric.corpus_score(CHINESE_HYPOTHESIS, [CHINESE_REFERENCE])
        assert document["aligned"][name]["score"] == pytest.approx(expected.score, abs=0.01), name
        assert document["aligned"][name]["signature"].startswith(f"{expected.name}|{metric.get_signature()}"), name
    assert document["metrics"]["bleu"] == document["aligned"]["bleu"]
    assert "tok:zh" in outcome.stdout and "tok:13a" not in outcome.stdout


@pytest.mark.skipif(importlib.util.find_spec("MeCab") is not None, reason="sacrebleu's ja extra is installed here")
def test_a_japanese_target_without_sacrebleus_tokenizer_is_refused_as_sacrebleu_refuses_it(tmp_path):
    """`sacrebleu -l fr-ja` needs ja-mecab (pip install "sacrebleu[ja]"); the harness scored 13a BLEU instead."""
    outcome = score(tmp_path, "ja", CHINESE_REFERENCE, CHINESE_HYPOTHESIS)
    assert_one_line_error(outcome, "ja-mecab", 'pip install "sacrebleu[ja]"')
    assert not (tmp_path / "out").exists()


def test_the_output_language_column_is_named_after_the_target_language(tmp_path):
    """A German output against a German reference read 'English 100%'; the column is the share of output lines in
    the target language, so it is called German, and the adequacy note reads it by that name."""
    outcome = score(tmp_path, "de", GERMAN_REFERENCE, GERMAN_HYPOTHESIS)
    assert outcome.code == 0, outcome.stderr[-2000:]
    header = outcome.stdout.splitlines()[0].split()
    assert header[-2:] == ["German", "degraded"] and "English" not in outcome.stdout
    assert "read it with German, the share of output sentences in the target language" in outcome.stdout


def test_lines_without_letters_do_not_make_the_reference_itself_off_target(tmp_path):
    """A test set with lines of numbers and punctuation only ('(2)', '2024', '—', '10.5%'), as news sets have: the
    reference handed in as the output scores 100 / 100 / 0, and read 'English 33%!', off-target, because language
    ID labelled each letterless line Serbian, Malagasy or Swedish. Such a line has no language, as a sentence of
    one has none in a searched document (glued to the sentence before): it is left out of the share."""
    source = [SOURCE[0], "(2)", "2024", SOURCE[2], "—", "10,5 %"]
    reference = [REFERENCE[0], "(2)", "2024", REFERENCE[2], "—", "10.5%"]
    write_lines(tmp_path / "src.txt", source)
    write_lines(tmp_path / "ref.txt", reference)
    write_lines(tmp_path / "sys.txt", reference)
    outcome = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "--out", str(tmp_path / "out"),
                                "sys.txt"], cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert outcome.code == 0, outcome.stderr[-2000:]
    document = json.loads((tmp_path / "out" / "sys" / "result.json").read_text(encoding="utf-8"))["documents"][0]
    assert {name: document["aligned"][name]["score"] for name in ("bleu", "chrf", "chrf++", "ter")} == \
        {"bleu": 100.0, "chrf": 100.0, "chrf++": 100.0, "ter": 0.0}
    assert document["diagnostics"]["output_language"]["verdict"] == "on_target"
    row = outcome.stdout.splitlines()[2].split()
    assert row[-1] == "100%" and "output not in en" not in outcome.stdout


def test_the_comparison_shows_which_systems_output_is_off_target_or_empty(tmp_path):
    """harness-score of several files prints the comparison only: a system that handed in the untranslated source
    and one that handed in empty lines were ranked with no word of it, while each one's run table marks the first
    '0%!' (output not in en) and the second '4/4 empty'. The comparison's notes now say both, per system."""
    write_lines(tmp_path / "src.txt", SOURCE)
    write_lines(tmp_path / "ref.txt", REFERENCE)
    write_lines(tmp_path / "good.txt", REFERENCE)
    write_lines(tmp_path / "copy.txt", SOURCE)
    write_lines(tmp_path / "blank.txt", [""] * len(SOURCE))
    outcome = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "--out", str(tmp_path / "out"),
                                "good.txt", "copy.txt", "blank.txt"], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert outcome.code == 0, outcome.stderr[-2000:]
    notes = [line for line in outcome.stdout.splitlines() if line.startswith("degraded: ")]
    assert notes == ["degraded: good: output is the reference word for word (its scores of 100 measure no "
                     "translation): src",
                     "degraded: copy: output not in en (off-target: untranslated or another language): src",
                     "degraded: blank: empty outputs: src 4/4"]
    assert all(note in (tmp_path / "out" / "comparison" / "leaderboard.md").read_text(encoding="utf-8")
               for note in notes)

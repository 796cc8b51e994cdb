"""Round 9: a line-aligned test set's headline scores equal the sacrebleu CLI's on the same files, however nasty.

Each case writes a small French-English test set whose reference or hypothesis file has one thing a file from
another tool may have (Windows line ends, no line break after the last line, trailing white space, decomposed
accents, zero-width characters, empty lines on one side, a no-break space, a tab, a byte-order mark, a second
reference), scores it with harness-score in a child process, and compares BLEU, chrF, chrF++ (the document's
headline) and TER (over the lines) with `sacrebleu REF... -i HYP` on the very files, signature included. The same
files reached through a manifest (harness-run model=files) score the same, and a Chinese target is tokenized as `-l
fr-zh` (and `-tok zh`) tokenizes it. Sentences that py3langid 1.x and 0.2 both identify (the command checks the
languages of the source and references)."""
from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from harness.score.metrics.base import SCORE_DIGITS
from tests.adversarial import run_cli

SOURCE = ["Le maire a inauguré une nouvelle ligne de tramway lundi matin dans le centre de la ville.",
          "Le trajet entre la gare et l'université dure maintenant vingt-cinq minutes.",
          "Les travaux ont coûté trois cent quarante millions d'euros à la région.",
          "Les habitants du quartier se disent très contents du résultat final."]
REFERENCE = ["The mayor opened a new tram line on Monday morning in the city centre.",
             "The journey between the station and the university now takes twenty-five minutes.",
             "The works cost the region three hundred and forty million euros.",
             "The residents of the neighbourhood say they are very happy with the café's final result."]
HYPOTHESIS = ["The mayor opened a tram line on Monday morning in the centre of the city.",
              "The trip from the station to the university now lasts twenty-five minutes.",
              "The work cost the region 340 million euros.",
              "Residents of the district say they are very pleased with the café's final outcome."]
CLI_METRICS = {("bleu", "chrf", "ter"): ["-m", "bleu", "chrf", "ter"], ("chrf++",): ["-m", "chrf", "--chrf-word-order",
                                                                                    "2"]}


def text(lines: list[str], end: str = "\n", last: bool = True) -> bytes:
    return (end.join(lines) + (end if last else "")).encode("utf-8")


def nfd(lines: list[str]) -> list[str]:
    return [unicodedata.normalize("NFD", line) for line in lines]


def zero_width(lines: list[str]) -> list[str]:
    return [line.replace("mayor", "ma\u200byor").replace("minutes", "min\u200dutes").replace("final", "\ufefffinal")
            for line in lines]


# case -> (reference files' bytes, hypothesis file's bytes)
CASES = {
    "hypothesis with Windows line ends": ([text(REFERENCE)], text(HYPOTHESIS, "\r\n")),
    "reference with Windows line ends": ([text(REFERENCE, "\r\n")], text(HYPOTHESIS)),
    "no line break after the last line": ([text(REFERENCE, last=False)], text(HYPOTHESIS, last=False)),
    "trailing white space": ([text([line + " \t " for line in REFERENCE])], text([line + "  " for line in HYPOTHESIS])),
    "leading white space": ([text(REFERENCE)], text(["  " + line for line in HYPOTHESIS])),
    "hypothesis decomposed (NFD)": ([text(REFERENCE)], text(nfd(HYPOTHESIS))),
    "reference decomposed (NFD)": ([text(nfd(REFERENCE))], text(HYPOTHESIS)),
    "zero-width characters in the hypothesis": ([text(REFERENCE)], text(zero_width(HYPOTHESIS))),
    "zero-width characters in the reference": ([text(zero_width(REFERENCE))], text(HYPOTHESIS)),
    "empty hypothesis lines": ([text(REFERENCE)], text([HYPOTHESIS[0], "", HYPOTHESIS[2], ""])),
    "an empty reference line": ([text([REFERENCE[0], "", REFERENCE[2], REFERENCE[3]])], text(HYPOTHESIS)),
    "no-break spaces and a tab": ([text(REFERENCE)], text([line.replace(" ", "\u00a0", 2).replace(" ", "\t", 1)
                                                           for line in HYPOTHESIS])),
    "byte-order mark in the hypothesis": ([text(REFERENCE)], b"\xef\xbb\xbf" + text(HYPOTHESIS)),
    "two references, one with Windows line ends": ([text(REFERENCE), text([line.replace("The ", "A ")
                                                                           for line in REFERENCE], "\r\n")],
                                                   text(HYPOTHESIS)),
}


def write_case(folder: Path, references: list[bytes], hypothesis: bytes) -> tuple[list[Path], Path]:
    folder.mkdir(parents=True)
    (folder / "src.txt").write_bytes(text(SOURCE))
    paths = [folder / f"ref{n}.txt" for n in range(1, len(references) + 1)]
    for path, data in zip(paths, references):
        path.write_bytes(data)
    (folder / "hyp.txt").write_bytes(hypothesis)
    return paths, folder / "hyp.txt"


def harness_score(folder: Path, references: list[Path], hypothesis: Path, tgt_lang: str = "en") -> dict:
    """The document of harness-score's run folder for the hypothesis file."""
    options = [a for path in references for a in ("-r", str(path))]
    outcome = run_cli("score", [*options, "-s", str(folder / "src.txt"), "--src-lang", "fr", "--tgt-lang", tgt_lang,
                                "-q", "--out", str(folder / "out"), str(hypothesis)], cwd=folder,
                      env={"HARNESS_CACHE_DIR": str(folder.parent / "cache")})
    assert outcome.code == 0, outcome.stderr[-3000:]
    return json.loads((folder / "out" / "hyp" / "result.json").read_text(encoding="utf-8"))["documents"][0]


def sacrebleu_cli(references: list[Path], hypothesis: Path, *options: str) -> dict[str, dict]:
    """The sacrebleu command line's scores on the files, by harness metric name."""
    scores = {}
    for names, metrics in CLI_METRICS.items():
        done = subprocess.run([sys.executable, "-m", "sacrebleu", *map(str, references), "-i", str(hypothesis),
                               *metrics, *options, "-w", str(SCORE_DIGITS), "-f", "json"], capture_output=True, text=True, check=True)
        found = json.loads(done.stdout)
        scores |= dict(zip(names, found if isinstance(found, list) else [found]))
    return scores


def assert_the_cli_scores(document: dict, cli: dict[str, dict]) -> None:
    """BLEU, chrF and chrF++: the document's headline and its score over the lines; TER over the lines (no document
    TER): each the CLI's score under the CLI's signature."""
    for name, expected in cli.items():
        for place in ("metrics", "aligned"):
            if name == "ter" and place == "metrics":
                continue
            score = document[place][name]
            assert abs(score["score"] - expected["score"]) < 1e-4, (place, name, score["score"], expected["score"])
            assert f"|{expected['signature']}|" in score["signature"], (place, name, score["signature"])


@pytest.mark.parametrize("case", CASES)
def test_the_headline_scores_are_the_sacrebleu_clis_on_the_same_files(tmp_path, case):
    references, hypothesis = write_case(tmp_path / "set", *CASES[case])
    document = harness_score(tmp_path / "set", references, hypothesis)
    assert_the_cli_scores(document, sacrebleu_cli(references, hypothesis))


def test_the_same_files_through_a_manifest_score_as_through_harness_score(tmp_path):
    """A decomposed reference with Windows line ends and a hypothesis with zero-width characters and no final line
    break: harness-run model=files on a manifest naming them gives harness-score's scores, which are the CLI's."""
    references, hypothesis = write_case(tmp_path / "set", [text(nfd(REFERENCE), "\r\n")],
                                        text(zero_width(HYPOTHESIS), last=False))
    scored = harness_score(tmp_path / "set", references, hypothesis)
    data, outputs = tmp_path / "set", tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "src.txt").write_bytes(hypothesis.read_bytes())
    (data / "manifest.yaml").write_text(yaml.safe_dump({"target_lang": "en", "alignment": "lines", "documents": [
        {"id": "src", "lang": "fr", "file": "src.txt", "reference": "ref1.txt", "relation": "parallel"}]}))
    outcome = run_cli("run", ["model=files", f"model.path={outputs}", f"data.root={data}", "-q",
                              f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert outcome.code == 0, outcome.stderr[-3000:]
    run = json.loads((tmp_path / "run" / "result.json").read_text(encoding="utf-8"))["documents"][0]
    assert (run["metrics"], run["aligned"]) == (scored["metrics"], scored["aligned"])
    assert_the_cli_scores(run, sacrebleu_cli(references, hypothesis))


CHINESE_REFERENCE = ["市长周一上午在市中心开通了一条新的有轨电车线路。", "从车站到大学的路程现在需要二十五分钟。",
                     "这项工程花费了该地区三亿四千万欧元。", "该街区的居民表示对咖啡馆的最终结果非常满意。"]
CHINESE_HYPOTHESIS = ["市长周一上午在市中心开通了新的电车线路。", "从车站到大学现在要二十五分钟",
                      "工程花了该地区三亿四千万欧元。", "街区居民说他们对咖啡馆的最终结果很满意。"]


@pytest.mark.parametrize("options", [("-l", "fr-zh"), ("-tok", "zh")])
def test_a_chinese_target_scores_as_the_cli_tokenizing_chinese(tmp_path, options):
    """--tgt-lang zh: BLEU signed tok:zh, as the CLI with -l fr-zh, or -tok zh, scores it (13a would read each
    sentence as one word)."""
    references, hypothesis = write_case(tmp_path / "set", [text(CHINESE_REFERENCE, "\r\n")],
                                        text(CHINESE_HYPOTHESIS, last=False))
    document = harness_score(tmp_path / "set", references, hypothesis, tgt_lang="zh")
    assert "tok:zh" in document["metrics"]["bleu"]["signature"]
    assert_the_cli_scores(document, sacrebleu_cli(references, hypothesis, *options))

"""Adversarial round 6 on scores: hostile and unusual inputs handed to harness-score, each scored beside what
`sacrebleu REF -i HYP -l fr-TGT -m bleu chrf ter` (chrF++: --chrf-word-order 2) reads from the very same files
(round 3's cli_metrics, on the lines its command line reads), and what the tests and notes built on those scores
say. Rounds 3 and 5 hold the cases they covered (line ends, separators inside lines, empty outputs, zh, ja)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.score.metrics.base import SCORE_DIGITS
from harness.compare.significance import compare_systems
from harness.score.metrics.sacrebleu_metrics import sacrebleu_metrics
from harness.score_files import ScoreRequest, score_systems
from tests.test_adversarial_round3_scores import HYPOTHESIS, REFERENCE, SOURCE, cli_lines, cli_metrics, lines, write


def cli_scores(references: list[Path], hypothesis: Path, target_lang: str = "en") -> dict[str, float]:
    """sacrebleu's corpus scores of the files with the command line's settings for -l fr-TGT, to the decimals the harness stores."""
    hypotheses, streams = cli_lines(hypothesis), [cli_lines(path) for path in references]
    return {name: round(metric.corpus_score(hypotheses, streams).score, SCORE_DIGITS)
            for name, metric in cli_metrics(target_lang).items()}


def scored(folder: Path, references: list[str], hypothesis: str, target_lang: str = "en",
           source: list[str] = SOURCE, source_text: str | None = None) -> tuple[dict, dict[str, float]]:
    """harness-score of one system's file: its stored document, and sacrebleu's scores of the same files."""
    write(folder / "src.txt", lines(source) if source_text is None else source_text)
    paths = [write(folder / f"ref{k}.txt", text) for k, text in enumerate(references)]
    hypothesis_path = write(folder / "sys.txt", hypothesis)
    [run_folder] = score_systems(ScoreRequest(folder / "src.txt", paths, [hypothesis_path], "fr", target_lang),
                                 folder / "out")
    document = json.loads((run_folder / "result.json").read_text(encoding="utf-8"))["documents"][0]
    return document, cli_scores(paths, hypothesis_path, target_lang)


def stored_scores(document: dict) -> dict[str, float]:
    return {name: document["aligned"][name]["score"] for name in cli_metrics()}


# ---------------------------------------------------------------- significance on a tiny set

@pytest.mark.parametrize("name", ["bleu", "chrf", "chrf++", "ter"])
def test_approximate_randomization_on_three_lines_counts_the_observed_split_itself(name):
    """Three lines: approximate randomization has 8 ways to swap the two systems' outputs, and the observed split
    and its mirror are at least as extreme as themselves, so p >= 2/8 whatever the systems. The harness read
    chrF++ 'p (AR) <= 0.004' (starred significant, with the bootstrap) for a system against the reference itself:
    the observed difference came from the scalar formula, the trials' from the vectorized one, 1e-14 apart, so
    no trial tied it. sacrebleu computes both with one formula, as the harness now does."""
    metric = sacrebleu_metrics()[name]()
    system = metric.segment_statistics(HYPOTHESIS[:3], REFERENCE[:3])
    perfect = metric.segment_statistics(REFERENCE[:3], REFERENCE[:3])
    _, tested = compare_systems(metric, [system, perfect])
    assert tested.p_randomization > 0.15


# ---------------------------------------------------------------- the output language of the same words

WORD_SPACES = {"no-break space": "\u00a0", "narrow no-break space": "\u202f", "thin space": "\u2009",
               "ideographic space": "\u3000", "tab": "\t"}


@pytest.mark.parametrize("space", WORD_SPACES.values(), ids=WORD_SPACES.keys())
def test_words_joined_by_another_space_are_in_the_language_they_are_in(space, tmp_path):
    """The same English words joined by U+00A0 (as some APIs and word processors write them): sacrebleu scores
    them as it scores spaced words (every metric splits on any whitespace), but the output-language check read
    every line unsure, so the output was 'not_identified' ('-') where the spaced output reads English."""
    spaced, _ = scored(tmp_path / "spaced", [lines(REFERENCE)], lines(HYPOTHESIS))
    joined_lines = [line.replace(" ", space) for line in HYPOTHESIS]
    joined, expected = scored(tmp_path / "joined", [lines(REFERENCE)], lines(joined_lines))
    assert stored_scores(joined) == expected
    assert joined["diagnostics"]["output_language"] == spaced["diagnostics"]["output_language"]
    assert joined["diagnostics"]["output_language"]["verdict"] == "on_target"


# ---------------------------------------------------------------- checked in this round and found equal

TURKISH_REFERENCE = ["Belediye meclisi dün akşam bütçeyi oyladı.", "Sakinler inşaat gürültüsünden şikayet ediyor.",
                     "Belediye başkanı mart ayında halka açık bir toplantı sözü verdi.",
                     "Yeni okul eylülde kapılarını açacak."]
TURKISH_HYPOTHESIS = ["Şehir meclisi dün akşam bütçeyi onayladı.", "Sakinler gürültüden şikâyet ediyor.",
                      "Başkan martta halka açık bir toplantı vaat etti.", "Yeni okul eylülde açılacak."]
ARABIC_REFERENCE = ["صوت مجلس المدينة على الميزانية مساء أمس.", "يشتكي السكان من ضجيج الأشغال.",
                    "وعد رئيس البلدية بعقد اجتماع عام في مارس.", "ستفتح المدرسة الجديدة أبوابها في سبتمبر."]
ARABIC_HYPOTHESIS = ["صوت المجلس البلدي على الميزانية أمس مساء.", "يشتكي السكان من الضجيج.",
                     "وعد العمدة باجتماع عام في مارس.", "ستفتح المدرسة الجديدة في سبتمبر."]
GERMAN_HYPOTHESIS = ["Der Gemeinderat stimmte gestern Abend über das Budget ab.",
                     "Die Einwohner beschweren sich über den Lärm der Arbeiten.",
                     "Der Bürgermeister hat eine öffentliche Sitzung im März versprochen.",
                     "Die neue Schule wird im September eröffnet."]

EQUAL = {   # references, hypothesis, target language, output-language verdict
    "Turkish target (13a)": ([lines(TURKISH_REFERENCE)], lines(TURKISH_HYPOTHESIS), "tr", "on_target"),
    "Arabic target (13a)": ([lines(ARABIC_REFERENCE)], lines(ARABIC_HYPOTHESIS), "ar", "on_target"),
    "lines of spaces, a tab, U+3000": ([lines(REFERENCE)], lines([" \t ", HYPOTHESIS[1], "\u3000", HYPOTHESIS[3]]),
                                       "en", "on_target"),
    "one line four times": ([lines(REFERENCE)], lines([HYPOTHESIS[0]] * 4), "en", "on_target"),
    "numbers only": ([lines(REFERENCE)], lines(["2024", "10", "3.5", "42"]), "en", "not_identified"),
    "German output for an English target": ([lines(REFERENCE)], lines(GERMAN_HYPOTHESIS), "en", "off_target"),
    "the source handed back": ([lines(REFERENCE)], lines(SOURCE), "en", "off_target"),
    "one reference given twice": ([lines(REFERENCE), lines(REFERENCE)], lines(HYPOTHESIS), "en", "on_target"),
    "a second reference with CRLF": ([lines(REFERENCE), lines(HYPOTHESIS, "\r\n")], lines(HYPOTHESIS), "en",
                                     "on_target"),
}


@pytest.mark.parametrize("references, hypothesis, target_lang, verdict", EQUAL.values(), ids=EQUAL.keys())
def test_unusual_inputs_score_as_the_sacrebleu_cli_scores_them(references, hypothesis, target_lang, verdict, tmp_path):
    """Found equal in this round; kept so that they stay so: the stored scores are sacrebleu's of the same files,
    the document's headline is the same corpus score, and the output-language verdict says what the output is."""
    document, expected = scored(tmp_path, references, hypothesis, target_lang)
    assert stored_scores(document) == expected
    assert all(document["metrics"][name] == document["aligned"][name] for name in document["metrics"])
    assert document["diagnostics"]["output_language"]["verdict"] == verdict


# ---------------------------------------------------------------- a byte-order mark, as sacrebleu reads it

BOM = "\ufeff"
MARKED = {   # references, hypothesis, the files the note names
    "hypothesis": ([lines(REFERENCE)], BOM + lines(HYPOTHESIS), ["hypothesis"]),
    "reference": ([BOM + lines(REFERENCE)], lines(HYPOTHESIS), ["reference ref0.txt"]),
    "second reference, CRLF": ([lines(REFERENCE), BOM + lines(HYPOTHESIS, "\r\n")], lines(HYPOTHESIS),
                               ["reference ref1.txt"]),
    "both": ([BOM + lines(REFERENCE)], BOM + lines(HYPOTHESIS), ["hypothesis", "reference ref0.txt"]),
}


@pytest.mark.parametrize("references, hypothesis, named", MARKED.values(), ids=MARKED.keys())
def test_a_byte_order_mark_scores_as_sacrebleu_reads_it_and_is_named(references, hypothesis, named, tmp_path):
    """A file saved with a UTF-8 byte-order mark (Windows editors): sacrebleu's CLI reads the mark as a character of
    line 1 (BLEU 44.90 against 45.31 without it), the harness dropped it, so its stored scores were not the CLI's.
    A line-aligned reference or hypothesis file is now read as sacrebleu reads it, and a note names each such file."""
    document, expected = scored(tmp_path, references, hypothesis)
    assert stored_scores(document) == expected
    marked = [note for note in document["notes"] if "byte-order mark" in note]
    assert [next(what for what in named if f"the {what} file" in note) for note in marked] == named


def test_a_byte_order_mark_in_the_source_alone_changes_nothing(tmp_path):
    """sacrebleu never reads the source: its mark is no text (the model is not handed it) and no score moves."""
    plain, expected = scored(tmp_path / "plain", [lines(REFERENCE)], lines(HYPOTHESIS))
    marked, _ = scored(tmp_path / "marked", [lines(REFERENCE)], lines(HYPOTHESIS), source_text=BOM + lines(SOURCE))
    assert stored_scores(marked) == stored_scores(plain) == expected
    assert not [note for note in marked["notes"] if "byte-order mark" in note]

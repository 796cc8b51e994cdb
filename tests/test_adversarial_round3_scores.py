"""Adversarial round 3 on scores: the same text gets the same headline BLEU, chrF, chrF++ and TER whichever way it
reaches the harness (a model=files run of a line-aligned data set, harness-score, model=identity on a source equal
to the hypothesis), and that headline is sacrebleu's, computed here with its Python API and the command line's
defaults on the lines its command line reads from the same files (sacrebleu.utils.smart_open, line.rstrip())."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.utils import smart_open

from harness.score.metrics.base import SCORE_DIGITS
from harness import run
from harness.config import compose_config
from harness.errors import UserError
from harness.score_files import ScoreRequest, score_systems

SOURCE = ["Le conseil municipal a voté le budget hier soir.", "Les habitants se plaignent du bruit des travaux.",
          "Le maire a promis une réunion publique en mars.", "La nouvelle école ouvrira ses portes en septembre."]
REFERENCE = ["The city council voted on the budget last night.", "Residents complain about the noise of the works.",
             "The mayor promised a public meeting in March.", "The new school will open its doors in September."]
HYPOTHESIS = ["The town council voted the budget yesterday evening.", "Inhabitants complain about the noise.",
              "The mayor has promised a public meeting in March.", "The new school will open in September."]


def cli_metrics(target_lang: str = "en") -> dict:
    """The sacrebleu command line's metrics with its defaults for `-l fr-TGT` (-m bleu chrf ter; chrF++:
    --chrf-word-order 2; BLEU's tokenizer follows the target language: 13a for English)."""
    return {"bleu": BLEU(trg_lang=target_lang), "chrf": CHRF(), "chrf++": CHRF(word_order=2), "ter": TER()}


def cli_lines(path: Path) -> list[str]:
    """A file's lines as `sacrebleu REF -i HYP` reads them."""
    with smart_open(str(path)) as handle:
        return [line.rstrip() for line in handle]


def sacrebleu_scores(references: list[Path], hypothesis: Path) -> dict[str, float]:
    """sacrebleu's corpus scores of the files, to the decimals the harness stores."""
    hypotheses, streams = cli_lines(hypothesis), [cli_lines(path) for path in references]
    return {name: round(metric.corpus_score(hypotheses, streams).score, SCORE_DIGITS)
            for name, metric in cli_metrics().items()}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def lines(rows: list[str], end: str = "\n") -> str:
    return "".join(row + end for row in rows)


def data_set(folder: Path, source: str, reference: str, lang: str = "fr", alignment: str = "lines") -> Path:
    write(folder / "src.txt", source)
    write(folder / "ref.txt", reference)
    document = {"id": "doc", "lang": lang, "file": "src.txt", "reference": "ref.txt", "relation": "parallel"}
    write(folder / "manifest.yaml", yaml.safe_dump({"target_lang": "en", "alignment": alignment, "documents": [document]}))
    return folder


def headline(record: dict) -> dict[str, float]:
    """A line-aligned document's scores (the run table's aln columns and, where it has them, its headline)."""
    document = record["documents"][0]
    for name, score in document["metrics"].items():
        assert score == document["aligned"][name], name
    return {name: document["aligned"][name]["score"] for name in cli_metrics()}


def files_run(data: Path, hypothesis: str, folder: Path) -> dict:
    outputs = write(folder.parent / f"{folder.name}_outputs" / "doc.txt", hypothesis).parent
    return run(compose_config([f"data.root={data}", "model=files", f"model.path={outputs}"]), folder)


def harness_score(source: Path, reference: Path, hypothesis: Path, out: Path) -> dict:
    [folder] = score_systems(ScoreRequest(source, [reference], [hypothesis], "fr"), out)
    from harness.results.results import read_record
    return {name: score.score for name, score in read_record(folder).documents[0].aligned.items()
            if name in cli_metrics()}


# ---------------------------------------------------------------- a system whose every output line is empty

EMPTY_OUTPUTS = {
    "empty lines": "\n" * 4,
    "Windows empty lines": "\r\n" * 4,
    "lines of spaces, a tab and NBSP": "   \n\t\n\u00a0\n\n",
    "zero-width characters only": "\u200b\n\n\u2060\n\n",
}


@pytest.mark.parametrize("hypothesis", EMPTY_OUTPUTS.values(), ids=EMPTY_OUTPUTS.keys())
def test_a_line_aligned_hypothesis_file_of_empty_lines_is_scored_as_sacrebleu_scores_it(hypothesis, tmp_path):
    """One line per source line, each an empty output: `sacrebleu REF -i HYP` scores it (BLEU 0, TER 100), and so
    does a model run whose outputs are all empty; the harness scored it neither in model=files nor in harness-score,
    refusing the file as 'empty (no visible character)'."""
    data = data_set(tmp_path / "data", lines(SOURCE), lines(REFERENCE))
    path = write(tmp_path / "sys.txt", hypothesis)
    expected = sacrebleu_scores([data / "ref.txt"], path)
    record = files_run(data, hypothesis, tmp_path / "run")
    assert headline(record) == expected
    assert record["documents"][0]["empty_outputs"] == sum(not line.strip() for line in cli_lines(path))
    assert harness_score(data / "src.txt", data / "ref.txt", path, tmp_path / "out") == expected


def test_a_model_run_with_no_output_and_its_own_hypothesis_file_score_alike(tmp_path):
    """A model that outputs nothing for every line (here: a line with a digit gets an empty output) is scored; its
    hypotheses/doc.txt, handed back as a model=files output, gets the same scores, sacrebleu's."""
    source = [f"{line[:-1]} ({number})." for number, line in enumerate(SOURCE)]
    data = data_set(tmp_path / "data", lines(source), lines(REFERENCE))
    model = run(compose_config([f"data.root={data}", "model=identity",
                                "backend._target_=tests.backends_for_tests.SometimesEmptyBackend"]), tmp_path / "model")
    written = tmp_path / "model" / "hypotheses" / "doc.txt"
    expected = sacrebleu_scores([data / "ref.txt"], written)
    assert model["documents"][0]["empty_outputs"] == len(SOURCE) and headline(model) == expected
    assert headline(files_run(data, written.read_text(encoding="utf-8"), tmp_path / "files")) == expected


def test_a_hypothesis_file_with_no_visible_text_for_a_searched_document_is_refused_as_a_hypothesis_file(tmp_path):
    """Without alignment: lines there is no line count to check a file against; an output file with no visible
    text is refused, and the message calls it a hypothesis file (not a document to remove from the manifest)."""
    data = data_set(tmp_path / "data", lines(SOURCE), lines(REFERENCE), alignment="search")
    with pytest.raises(UserError, match="doc.txt: hypothesis file is empty") as refused:
        files_run(data, "\n\n", tmp_path / "run")
    assert "manifest" not in str(refused.value)


# ---------------------------------------------------------------- the same text by every way in, as sacrebleu reads it

FEATURES = {
    "CRLF line ends": (lines(REFERENCE, "\r\n"), lines(HYPOTHESIS, "\r\n")),
    "no final newline": (lines(REFERENCE), lines(HYPOTHESIS)[:-1]),
    "a lone CR inside a line": (lines(REFERENCE), lines(["The town council\rvoted the budget.", *HYPOTHESIS[1:]])),
    "empty output for a reference line, and the reverse": (lines(["", *REFERENCE[1:]]), lines([*HYPOTHESIS[:3], ""])),
    "tabs, NBSP and other Unicode spaces": (lines(["The city\tcouncil voted on the budget\u00a0last night.", *REFERENCE[1:]]),
                                            lines(["The\u2009town council\u3000voted\tthe budget.\u00a0", *HYPOTHESIS[1:]])),
    "U+2028, U+2029, U+0085, form feed, vertical tab": (
        lines(["The city council\u2028voted on the budget\x0blast night.", *REFERENCE[1:]]),
        lines(["The town\u2029council\u0085voted\x0cthe budget.", *HYPOTHESIS[1:]])),
    "zero-width characters and leading spaces": (lines(REFERENCE),
                                                 lines(["  The town\u200b council voted the bud\u200cget.", *HYPOTHESIS[1:]])),
    "decomposed accents against precomposed": (lines(["Élise a reçu un prix à Montréal.", *REFERENCE[1:]]),
                                               lines(["E\u0301lise a rec\u0327u un prix a\u0300 Montre\u0301al.", *HYPOTHESIS[1:]])),
    "emoji, numbers, punctuation only, mixed case": (lines(["Prices rose by 10.5% in 2024 👍.", "...", *REFERENCE[2:]]),
                                                    lines(["PRICES ROSE 10,5 % IN 2024 👍🏽.", "…", *HYPOTHESIS[2:]])),
}


@pytest.mark.parametrize("reference, hypothesis", FEATURES.values(), ids=FEATURES.keys())
def test_unusual_text_scores_as_sacrebleu_scores_it_through_files_and_identity(reference, hypothesis, tmp_path):
    """Checked in this round and found equal; kept so that they stay so: a model=files run, and model=identity on a
    source equal to the hypothesis (its outputs are the source's lines), against sacrebleu on the same files."""
    data = data_set(tmp_path / "data", lines(SOURCE), reference)
    hyp_path = write(tmp_path / "sys.txt", hypothesis)
    expected = sacrebleu_scores([data / "ref.txt"], hyp_path)
    assert headline(files_run(data, hypothesis, tmp_path / "run")) == expected
    identity = data_set(tmp_path / "identity", hypothesis, reference, lang="en")
    assert headline(run(compose_config([f"data.root={identity}", "model=identity"]), tmp_path / "identity_run")) == expected

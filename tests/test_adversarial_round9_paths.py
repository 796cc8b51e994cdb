"""Adversarial round 9 on paths: the same output text gets the same scores (headline, aligned, segment), the same
output-language verdict, adequacy and empty-output count whichever way it reaches the harness: from a model (a test
backend that returns fixed text, tests.backends_for_tests.FixedTextBackend), from model=files reading that model's
own hypotheses/<id>.txt (as it is, or laid out as users lay out documents: blank lines between paragraphs, Windows
line ends), from a cached re-run, from harness-score and the CLI, and as harness-compare recomputes it. Rounds 3, 5
and 6 hold the line-aligned cases they covered (line ends, separators inside lines, empty outputs, zh, ja, BOM)."""
from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.score.metrics.base import SCORE_DIGITS
from harness import run
from harness.compare.compare import compare_runs, load_runs
from harness.config import compose_config
from harness.data.segment import split_sentences
from harness.score_files import ScoreRequest, score_systems
from tests.adversarial import run_cli
from tests.test_adversarial_round3_scores import HYPOTHESIS, REFERENCE, SOURCE, cli_lines, cli_metrics, lines, write
from tests.test_adversarial_round5_scores import (CHINESE_HYPOTHESIS, CHINESE_REFERENCE, GERMAN_HYPOTHESIS,
                                                  GERMAN_REFERENCE)
from tests.test_shared_segments import ENGLISH, FINNISH, FRENCH

FIXED_TEXT = "tests.backends_for_tests.FixedTextBackend"
FIRST, SECOND = [" ".join(FRENCH[:3]), " ".join(FRENCH[3:])], [" ".join(ENGLISH[:3]), " ".join(ENGLISH[3:])]
TRANSLATED = dict(zip(FRENCH, ENGLISH))


def data_set(folder: Path, source: list[str], reference: list[str], target_lang: str = "en",
             alignment: str = "search", references: tuple[list[str], ...] = ()) -> Path:
    """One document fr -> target_lang: a line per paragraph (alignment: search) or a segment per line (lines)."""
    write(folder / "src.txt", lines(source))
    names = [write(folder / f"ref{k}.txt", lines(text)).name for k, text in enumerate([reference, *references])]
    document = {"id": "doc", "lang": "fr", "file": "src.txt", "reference": names if references else names[0],
                "relation": "parallel"}
    write(folder / "manifest.yaml", yaml.safe_dump({"target_lang": target_lang, "alignment": alignment,
                                                   "documents": [document]}))
    return folder


def model_run(data: Path, outputs: dict[str, str], folder: Path, cache: Path) -> dict:
    """A model whose output for each source segment is outputs[segment] (a segment not named is copied); its
    table is kept beside the data set, so that a re-run is the same model (model.path is in the cache key)."""
    table = write(data.parent / "model_outputs.json", json.dumps(outputs, ensure_ascii=False))
    return run(compose_config([f"data.root={data}", f"cache.dir={cache}", "model=identity",
                               f"backend._target_={FIXED_TEXT}", f"model.path={table}"]), folder)


def files_run(data: Path, text: str, folder: Path, cache: Path) -> dict:
    outputs = write(folder.parent / f"{folder.name}_files" / "doc.txt", text).parent
    return run(compose_config([f"data.root={data}", f"cache.dir={cache}", "model=files", f"model.path={outputs}"]),
               folder)


def hypothesis_file(folder: Path) -> str:
    return (folder / "hypotheses" / "doc.txt").read_bytes().decode("utf-8")


def what_is_scored(record: dict) -> dict:
    """Everything a path must not change: the headline, the aligned scores, each segment's output and scores, the
    output language, adequacy and the empty outputs."""
    document = record["documents"][0]
    language = document["diagnostics"]["output_language"]
    return {"headline": {name: score["score"] for name, score in document["metrics"].items()},
            "aligned": {name: score["score"] for name, score in document["aligned"].items()},
            "segments": [(s["ref_index"], " ".join(s["hyp"].split()), s["scores"]) for s in document["segments"]],
            "language": (language["verdict"], language["english"], language["empty"]),
            "adequacy": document["diagnostics"].get("adequacy"), "empty": document["empty_outputs"]}


def model_and_files(tmp_path: Path, source: list[str], reference: list[str], outputs: dict[str, str],
                    layout: Callable[[str], str] = lambda text: text, target_lang: str = "en") -> tuple[dict, dict]:
    """A model run, and a model=files run of the model's own hypotheses/doc.txt laid out by `layout`."""
    data = data_set(tmp_path / "data", source, reference, target_lang)
    model = model_run(data, outputs, tmp_path / "model", tmp_path / "cache")
    files = files_run(data, layout(hypothesis_file(tmp_path / "model")), tmp_path / "files", tmp_path / "cache")
    return model, files


# ---------------------------------------------------------------- a model's output with a line break in it

def test_a_model_output_with_a_line_break_stays_on_its_paragraphs_line(tmp_path):
    """A model wrote its output for the last sentence of paragraph 1 on two lines (the second a sentence of
    paragraph 2 said again). hypotheses/doc.txt then had three lines for two paragraphs, so model=files of that very
    file lost the paragraph-by-paragraph partition and gave the repeated sentence to paragraph 2's first sentence:
    segment 3 read BLEU 48.1 from files against 100.0 from the model (segment 2: 100.0 against 37.2)."""
    outputs = {**TRANSLATED, FRENCH[2]: f"{ENGLISH[2]}\n{ENGLISH[3]}"}
    model, files = model_and_files(tmp_path, FIRST, SECOND, outputs)
    assert len(hypothesis_file(tmp_path / "model").splitlines()) == len(FIRST)
    assert what_is_scored(files) == what_is_scored(model)


# ---------------------------------------------------------------- a document laid out with blank lines

PARAGRAPH_BREAKS = {"blank line": "\n\n", "Windows blank line": "\r\n\r\n", "line of spaces": "\n \t\n",
                    "two blank lines": "\n\n\n"}


@pytest.mark.parametrize("separator", PARAGRAPH_BREAKS.values(), ids=PARAGRAPH_BREAKS.keys())
def test_an_output_with_blank_lines_between_paragraphs_is_partitioned_paragraph_by_paragraph(separator, tmp_path):
    """The model's own output, each paragraph on its line, handed in with a blank line between paragraphs (as most
    documents are written): the blank lines made the file's lines differ in number from the source's paragraphs,
    so the output was partitioned as one run of sentences and paragraph 1's extra sentence went to paragraph 2
    (segment 3: BLEU 48.1, against 100.0 from the model and from the file without blank lines)."""
    outputs = {**TRANSLATED, FRENCH[2]: f"{ENGLISH[2]} {ENGLISH[3]}"}
    model, files = model_and_files(tmp_path, FIRST, SECOND, outputs,
                                   lambda text: separator.join(text.splitlines()) + separator[-1])
    assert what_is_scored(files) == what_is_scored(model)


# ---------------------------------------------------------------- sentence ends the splitter missed

def test_an_ellipsis_character_ends_a_sentence_as_three_dots_do():
    """'…' (U+2026) ends a sentence where '...' does (before a capital, or in Chinese): sentencex cut at '...' and
    never at '…'."""
    assert split_sentences("It took an hour by bus... The works cost a lot.", "en") == \
        ["It took an hour by bus...", "The works cost a lot."]
    assert split_sentences("It took an hour by bus… The works cost a lot.", "en") == \
        ["It took an hour by bus…", "The works cost a lot."]
    assert split_sentences("Le bus a mis une heure… Les travaux ont coûté cher.", "fr") == \
        ["Le bus a mis une heure…", "Les travaux ont coûté cher."]
    assert split_sentences("It took twenty-five minutes… compared with an hour.", "en") == \
        ["It took twenty-five minutes… compared with an hour."]
    assert split_sentences("他走了……她哭了。", "zh") == ["他走了……", "她哭了。"]


def test_a_model_output_ending_in_an_ellipsis_scores_the_same_from_files(tmp_path):
    """A model's output for sentence 2 ended in '…': re-read from its own hypotheses file, the splitter ran it into
    sentence 3's output, so source sentence 2 got no output: aligned BLEU 93.99 (model) -> 82.44 (files), chrF
    98.8 -> 83.3, and the files run said '1 source sentences have no output (they score 0)'."""
    outputs = {**TRANSLATED, FRENCH[1]: "The journey now takes twenty-five minutes... compared with almost an hour "
                                        "by bus…"}
    model, files = model_and_files(tmp_path, FIRST, SECOND, outputs)
    assert what_is_scored(files) == what_is_scored(model)
    assert files["documents"][0]["empty_outputs"] == 0


DUPONT = "M. Dupont a inauguré lundi une nouvelle ligne de tramway reliant la gare à l'aéroport."


@pytest.mark.parametrize("lang, text, expected", [
    ("fr", f"{DUPONT} {FRENCH[1]}", [DUPONT, FRENCH[1]]),
    ("fr", "Le maire, M. Dupont, a promis une réunion. Les habitants se plaignent.",
     ["Le maire, M. Dupont, a promis une réunion.", "Les habitants se plaignent."]),
    ("fr", "Il a vu M. Dupont hier. Le bus arrive.", ["Il a vu M. Dupont hier.", "Le bus arrive."]),
    ("en", "He served in World War I. Then he left.", ["He served in World War I.", "Then he left."]),
], ids=["at a sentence start", "after a comma", "inside a sentence", "a numeral after a name ends a sentence"])
def test_an_initial_stays_with_the_name_it_begins(lang, text, expected):
    """sentencex cut French 'M. Dupont' (Monsieur) after 'M.' ('Le maire, M.' | 'Dupont, a promis ...'): a
    one-letter abbreviation before a capital is an initial or a title, not a sentence end; after a capitalised word
    it is a numeral or a name's letter ('World War I.') and ends the sentence as sentencex ends it."""
    assert split_sentences(text, lang) == expected


def test_a_source_sentence_that_begins_with_a_title_is_one_segment_from_a_model_and_from_files(tmp_path):
    """'M. Dupont a inauguré ...' was two source sentences, 'M.' and the rest: a model was handed 'M.' alone, the
    alignment left it out of the segment (the model's 'Mr.' was dropped: BLEU 93.9 against 89.2 from files), and
    model=files gave 'M.' no output: 'empty 1/4', a note that '1 source sentences have no output (they score 0)'."""
    source = [f"{DUPONT} {FRENCH[1]}"]
    dupont = "Mr. Dupont on Monday opened a new tram line linking the railway station to the airport."
    reference, outputs = [f"{dupont} {ENGLISH[1]}"], {DUPONT: dupont, FRENCH[1]: ENGLISH[1]}
    model, files = model_and_files(tmp_path, source, reference, outputs)
    assert what_is_scored(files) == what_is_scored(model)
    assert model["documents"][0]["hypothesis_units"] == 2 and files["documents"][0]["empty_outputs"] == 0


# ---------------------------------------------------------------- checked in this round and found equal: searched

def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text.replace("The ", "Thé "))


SEARCHED = {   # outputs (source sentence -> output), the files layout of the model's hypotheses/doc.txt
    "decomposed accents (NFD)": ({k: nfd(v) for k, v in TRANSLATED.items()}, None),
    "words joined by U+00A0": ({k: v.replace(" ", "\u00a0") for k, v in TRANSLATED.items()}, None),
    "tabs between words": ({k: v.replace(" ", "\t", 2) for k, v in TRANSLATED.items()}, None),
    "Windows line ends": (TRANSLATED, lambda text: text.replace("\n", "\r\n")),
    "a UTF-8 byte-order mark": (TRANSLATED, lambda text: "\ufeff" + text),
    "the whole document on one line": (TRANSLATED, lambda text: " ".join(text.splitlines()) + "\n"),
    "an empty output for one sentence": ({**TRANSLATED, FRENCH[4]: ""}, None),
    "abbreviations: Mr., U.S., Dept.": ({**TRANSLATED, FRENCH[3]: "Mr. Dupont of the U.S. Dept. of Transport said "
                                         "fares would stay at the price of an ordinary ticket."}, None),
    "quotes around two sentences": ({**TRANSLATED, FRENCH[1]: "« The journey now takes twenty-five minutes, » he "
                                     "said. « It took almost an hour by bus. »"}, None),
    "one sentence translated as two": ({**TRANSLATED, FRENCH[2]: "The works cost 340 million euros. The European "
                                        "Union paid part of it."}, None),
    "no output for a whole paragraph": ({**TRANSLATED, **dict.fromkeys(FRENCH[:3], "")}, None),
    "an output longer than limits.max_segment_chars": ({**TRANSLATED, FRENCH[2]: "The works cost 340 million euros "
                                                        + " and the European Union paid part of it" * 60 + "."}, None),
    "a line break and CRLF inside an output": ({**TRANSLATED, FRENCH[4]: f"Residents' associations,\r\nhowever, "
                                                "complain about the noise at night."}, None),
}


@pytest.mark.parametrize("outputs, layout", SEARCHED.values(), ids=SEARCHED.keys())
def test_the_same_output_scores_the_same_from_a_model_and_from_files(outputs, layout, tmp_path):
    """Found equal in this round; kept so that they stay so: model=files of the model's own hypotheses/doc.txt (as
    it is, or laid out another way) reproduces the model's headline, aligned and segment scores, verdicts."""
    model, files = model_and_files(tmp_path, FIRST, SECOND, outputs, layout or (lambda text: text))
    assert what_is_scored(files) == what_is_scored(model)


def test_headings_and_bullets_score_the_same_from_a_model_and_from_files(tmp_path):
    """A source with a heading line and bullet points, translated line for line with the marks kept."""
    source = ["Nouvelle ligne de tramway à Lyon", f"- {FRENCH[0]}", f"- {FRENCH[1]}", " ".join(FRENCH[2:4])]
    reference = ["New tram line in Lyon", f"- {ENGLISH[0]}", f"- {ENGLISH[1]}", " ".join(ENGLISH[2:4])]
    outputs = {"Nouvelle ligne de tramway à Lyon": "New tram line in Lyon", f"- {FRENCH[0]}": f"- {ENGLISH[0]}",
               f"- {FRENCH[1]}": f"- {ENGLISH[1]}", **TRANSLATED}
    model, files = model_and_files(tmp_path, source, reference, outputs)
    assert what_is_scored(files) == what_is_scored(model)


def test_a_paragraph_given_twice_scores_the_same_from_a_model_and_from_files(tmp_path):
    """The same source paragraph twice (a duplicated block): the model's second output comes from the cache."""
    model, files = model_and_files(tmp_path, [FIRST[0], FIRST[0]], [SECOND[0].replace("Lyon", "Paris"), SECOND[0]],
                                   TRANSLATED)
    assert what_is_scored(files) == what_is_scored(model)


@pytest.mark.parametrize("target_lang, reference, hypothesis, joint", [
    ("de", GERMAN_REFERENCE,
     ["Der Gemeinderat stimmte z. B. gestern Abend über das Budget ab.", *GERMAN_HYPOTHESIS[1:]], " "),
    ("zh", CHINESE_REFERENCE, CHINESE_HYPOTHESIS, ""),
], ids=["German, with z. B.", "Chinese, no spaces"])
def test_a_target_other_than_english_scores_the_same_from_a_model_and_from_files(target_lang, reference, hypothesis,
                                                                                joint, tmp_path):
    """The document-level files run re-splits the output in the target language (German abbreviations, Chinese
    sentence ends without spaces, written here as one line) and scores it with the target's tokenizer."""
    model, files = model_and_files(tmp_path, [" ".join(SOURCE)], [joint.join(reference)], dict(zip(SOURCE, hypothesis)),
                                   lambda text: joint.join(hypothesis) + "\n", target_lang)
    assert what_is_scored(files) == what_is_scored(model)
    comparison = compare_runs(load_runs([str(tmp_path / "model"), str(tmp_path / "files")]), n_resamples=50)
    for row in comparison.rows:   # harness-compare prints what each run stored, and no difference between them
        stored = model if row.system == "identity" else files
        assert row.score == stored["documents"][0]["aligned"][row.metric]["score"]
        assert row.system == "identity" or (row.delta == 0 and row.significant is False)


def test_a_cached_re_run_scores_what_the_cold_run_scored(tmp_path):
    """Cold, then with every output, alignment and partition read from the cache: the same, for both paths."""
    outputs = {**TRANSLATED, FRENCH[4]: "", FRENCH[2]: f"{ENGLISH[2]}\n{ENGLISH[3]}"}
    model, files = model_and_files(tmp_path, FIRST, SECOND, outputs, lambda text: text.replace("\n", "\r\n\r\n"))
    data = tmp_path / "data"
    again = model_run(data, outputs, tmp_path / "model_again", tmp_path / "cache")
    files_again = files_run(data, hypothesis_file(tmp_path / "files"), tmp_path / "files_again", tmp_path / "cache")
    assert again["documents"][0]["cache_hits"] == len(FRENCH)
    assert what_is_scored(again) == what_is_scored(model) == what_is_scored(files) == what_is_scored(files_again)


# ---------------------------------------------------------------- checked in this round and found equal: lines

LINE_ALIGNED = {   # model outputs, target language, reference, further references
    "a line break inside an output": ([HYPOTHESIS[0].replace(" voted", "\nvoted"), *HYPOTHESIS[1:]], "en", REFERENCE,
                                      ()),
    "a lone CR inside an output": ([HYPOTHESIS[0].replace(" voted", "\rvoted"), *HYPOTHESIS[1:]], "en", REFERENCE,
                                   ()),
    "leading U+00A0, a tab, trailing U+00A0": (["\u00a0 " + HYPOTHESIS[0], HYPOTHESIS[1] + "\u00a0",
                                                "\t" + HYPOTHESIS[2], HYPOTHESIS[3]], "en", REFERENCE, ()),
    "an empty output": ([HYPOTHESIS[0], "", *HYPOTHESIS[2:]], "en", REFERENCE, ()),
    "a German target": (GERMAN_HYPOTHESIS, "de", GERMAN_REFERENCE, ()),
    "a Chinese target (tok:zh)": (CHINESE_HYPOTHESIS, "zh", CHINESE_REFERENCE, ()),
    "two references": (HYPOTHESIS, "en", REFERENCE, (HYPOTHESIS[::-1],)),
}


@pytest.mark.parametrize("hypothesis, target_lang, reference, references", LINE_ALIGNED.values(),
                         ids=LINE_ALIGNED.keys())
def test_a_line_aligned_output_scores_the_same_by_every_way_in(hypothesis, target_lang, reference, references,
                                                               tmp_path):
    """A model, its cached re-run, model=files of its hypotheses/doc.txt and harness-score of that file: the same
    scores and verdicts, each the sacrebleu CLI's score of the files; harness-compare prints what the runs stored."""
    data = data_set(tmp_path / "data", SOURCE, reference, target_lang, "lines", references)
    outputs = dict(zip(SOURCE, hypothesis))
    model = model_run(data, outputs, tmp_path / "model", tmp_path / "cache")
    again = model_run(data, outputs, tmp_path / "again", tmp_path / "cache")
    written = tmp_path / "model" / "hypotheses" / "doc.txt"
    files = files_run(data, hypothesis_file(tmp_path / "model"), tmp_path / "files", tmp_path / "cache")
    paths = sorted(data.glob("ref*.txt"))
    [scored] = score_systems(ScoreRequest(data / "src.txt", paths, [written], "fr", target_lang), tmp_path / "out")
    harness_score = json.loads((scored / "result.json").read_text(encoding="utf-8"))
    streams = [cli_lines(path) for path in paths]
    expected = {name: round(metric.corpus_score(cli_lines(written), streams).score, SCORE_DIGITS)
                for name, metric in cli_metrics(target_lang).items()}
    for record in (model, again, files, harness_score):
        assert what_is_scored(record) == what_is_scored(model)
        assert what_is_scored(record)["aligned"] == expected
    comparison = compare_runs(load_runs([str(tmp_path / "model"), str(tmp_path / "files")]), n_resamples=50)
    assert {row.score for row in comparison.rows if row.metric == "bleu"} == {expected["bleu"]}


def test_a_line_longer_than_the_limit_is_left_out_of_ter_alike_by_every_way_in(tmp_path):
    """A 2,600-character output line: TER leaves it out (limits.max_segment_chars, said in a note and signed 'not
    sacrebleu REF -i HYP's score of the files'), the same from the model, from files and from harness-score."""
    hypothesis = [" ".join(["The town council voted the budget yesterday evening"] * 50) + ".", *HYPOTHESIS[1:]]
    data = data_set(tmp_path / "data", SOURCE, REFERENCE, alignment="lines")
    model = model_run(data, dict(zip(SOURCE, hypothesis)), tmp_path / "model", tmp_path / "cache")
    files = files_run(data, hypothesis_file(tmp_path / "model"), tmp_path / "files", tmp_path / "cache")
    request = ScoreRequest(data / "src.txt", [data / "ref0.txt"], [tmp_path / "model" / "hypotheses" / "doc.txt"], "fr",
                           "en")
    [scored] = score_systems(request, tmp_path / "out")
    harness_score = json.loads((scored / "result.json").read_text(encoding="utf-8"))
    said = [(record["documents"][0]["notes"], record["documents"][0]["aligned"]["ter"]["signature"])
            for record in (model, files, harness_score)]
    assert what_is_scored(files) == what_is_scored(harness_score) == what_is_scored(model)
    assert said[0] == said[1] == said[2] and "left out of ter" in said[0][0][0] and "3 of the 4 lines" in said[0][1]


def test_harness_run_on_the_command_line_scores_what_the_api_scores(tmp_path):
    """harness-run model=files in a child process, as a user runs it, against the same run through the API."""
    data = data_set(tmp_path / "data", FIRST, SECOND)
    outputs = write(tmp_path / "outputs" / "doc.txt", "\n\n".join(SECOND).replace("\n", "\r\n") + "\r\n").parent
    api = run(compose_config([f"data.root={data}", f"cache.dir={tmp_path / 'cache'}", "model=files",
                              f"model.path={outputs}"]), tmp_path / "api")
    outcome = run_cli("run", [f"data.root={data}", "model=files", f"model.path={outputs}",
                              f"hydra.run.dir={tmp_path / 'cli'}"], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cli_cache")})
    assert outcome.code == 0, outcome.stderr[-2000:]
    cli = json.loads((tmp_path / "cli" / "result.json").read_text(encoding="utf-8"))
    assert what_is_scored(cli) == what_is_scored(api)
    row = next(line for line in outcome.stdout.splitlines() if line.startswith("doc "))
    assert f"{api['documents'][0]['metrics']['bleu']['score']:.1f}" in row.split()


# ---------------------------------------------------------------- what stands between two sentences of one output

@pytest.mark.parametrize("second", ["居民抱怨。工程的噪音很大。", "居民抱怨工程的噪音……"],
                         ids=["two sentences, no space between", "ending in ……"])
def test_two_chinese_sentences_of_one_output_score_the_same_from_files(second, tmp_path):
    """A model translated one French sentence as two Chinese sentences, written as Chinese is, with no space
    between them. model=files re-split its hypotheses file and joined the two with a space: that segment's TER
    read 200.0 from files against 100.0 from the model (aligned TER 125.0 against 100.0). An output ending in '……'
    ran into the next output (sentencex ends a sentence at '......', not at '……'), whose source got none."""
    hypothesis = [CHINESE_HYPOTHESIS[0], second, *CHINESE_HYPOTHESIS[2:]]
    model, files = model_and_files(tmp_path, [" ".join(SOURCE)], ["".join(CHINESE_REFERENCE)],
                                   dict(zip(SOURCE, hypothesis)), target_lang="zh")
    assert what_is_scored(files) == what_is_scored(model)
    assert files["documents"][0]["segments"][1]["hyp"] == hypothesis[1]


@pytest.mark.parametrize("sentence, output", [
    (1, 'The journey now takes twenty-five minutes..."Compared with almost an hour by bus," he said.'),
    (2, "The works cost 340 million euros (partly financed by the European Union.)"),
], ids=["no space after a sentence end", "a closing bracket at a paragraph's end"])
def test_an_output_keeps_what_stands_between_its_sentences_when_read_from_files(sentence, output, tmp_path):
    """An output of two sentences with no space between them ('minutes..."Compared'): model=files joined the two
    with a space, so the headline chrF++ read 96.93 from files against 97.07 from the model. A paragraph's last
    output ending in a closing bracket ('Union.)') was found equal (sentencex keeps it whole there; alone, 'He
    left.)' was cut and joined 'He left. )')."""
    model, files = model_and_files(tmp_path, FIRST, SECOND, {**TRANSLATED, FRENCH[sentence]: output})
    assert what_is_scored(files) == what_is_scored(model)
    assert files["documents"][0]["segments"][sentence]["hyp"] == output


@pytest.mark.parametrize("end", ["(by bus.)", "(by bus!)", "[by bus.]", "(by bus…)"],
                         ids=["full stop", "exclamation mark", "square bracket", "ellipsis"])
def test_a_sentence_that_ends_in_a_bracket_ends_before_a_capital(end):
    """sentencex ended a sentence at 'bus."' before a capital but not at 'bus.)': a model's output that ends so ran
    into the next output, and its source sentence got none from files."""
    assert split_sentences(f"It took an hour {end} The works cost a lot.", "en") == \
        [f"It took an hour {end}", "The works cost a lot."]


def test_a_model_output_ending_in_a_bracket_scores_the_same_from_files(tmp_path):
    """The same output from the model and from its hypotheses file: aligned BLEU 95.98 (model) -> 82.44 (files), and
    '1 source sentences have no output (they score 0)'."""
    output = "The journey now takes twenty-five minutes (compared with almost an hour by bus.)"
    model, files = model_and_files(tmp_path, FIRST, SECOND, {**TRANSLATED, FRENCH[1]: output})
    assert what_is_scored(files) == what_is_scored(model)
    assert files["documents"][0]["empty_outputs"] == 0


def test_an_output_in_a_language_the_encoder_does_not_cover_keeps_its_headline_from_files(tmp_path):
    """A Finnish source (the encoder does not cover Finnish: the output is aligned to the reference, not partitioned):
    the headline was the output's sentences joined with a space, so 'Monday..."It is new,"' read chrF++ 90.84 from
    files against 91.44 from the model. The headline is now the document as written, by either way."""
    english = ["The city of Helsinki opened a new tram line on Monday.", "The journey now takes twenty minutes."]
    outputs = dict(zip(FINNISH, [f'{english[0][:-1]}..."It is new," he said.', english[1]]))
    data = data_set(tmp_path / "data", [" ".join(FINNISH)], [" ".join(english)])
    manifest = yaml.safe_load((data / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["documents"][0]["lang"] = "fi"
    write(data / "manifest.yaml", yaml.safe_dump(manifest))
    model = model_run(data, outputs, tmp_path / "model", tmp_path / "cache")
    files = files_run(data, hypothesis_file(tmp_path / "model"), tmp_path / "files", tmp_path / "cache")
    assert what_is_scored(files) == what_is_scored(model)


# ---------------------------------------------------------------- a text the splitter crashed on

@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u3000", "\u2009", "\u2028", "\u0085"],
                         ids=["U+00A0", "U+202F", "U+3000", "U+2009", "U+2028", "U+0085"])
def test_a_capital_a_wide_space_and_a_full_stop_are_split_not_crashed_on(space):
    """'plan A\u00a0.': a capital, a white space of several bytes in UTF-8 and a full stop made sentencex panic (a
    Rust PanicException, a BaseException, with a Rust backtrace), in every language."""
    text = f"He chose plan A{space}. Then he left."
    for lang in ("en", "fr", "de", "zh"):
        assert " ".join(split_sentences(text, lang)) == text


def test_an_output_the_splitter_crashed_on_scores_the_same_from_a_model_and_from_files(tmp_path):
    """A model's output 'The works cost 340 million euros for plan A\u00a0.' ended the run with a Rust backtrace
    (the output language is judged on its sentences) and left the folder FAILED; model=files of it likewise."""
    outputs = {**TRANSLATED, FRENCH[2]: "The works cost 340 million euros for plan A\u00a0."}
    model, files = model_and_files(tmp_path, FIRST, SECOND, outputs)
    assert what_is_scored(files) == what_is_scored(model)

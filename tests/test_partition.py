"""A document-level output is partitioned over the source sentences (harness.align.partition): every output sentence
in exactly one source sentence's run, in order; the same text scores the same from files as from a model; an
omission counts. Real encoder, real seeds, a real model's outputs (tests/fixtures, replayed)."""
import json
import random

import pytest

from harness import run
from harness.config import compose_config
from harness.score.diagnostics import output_language
from harness.cache import TranslationCache
from harness.align.partition import cached_partition, follows_lines, partition, translated_together
from tests.backends_for_tests import GEMMA_SEED_OUTPUTS
from tests.conftest import SEEDS
from tests.test_shared_segments import ENGLISH, FRENCH, files_run, write_dataset

STRAY = "Subscribe to our newsletter to receive the latest news."


def assert_partition(runs: list[tuple[int, int]], sources: int, outputs: int) -> None:
    """One run per source sentence, contiguous and in order, covering every output sentence exactly once."""
    assert len(runs) == sources
    assert runs[0][0] == 0 and runs[-1][1] == outputs
    assert all(start <= end for start, end in runs)
    assert all(left[1] == right[0] for left, right in zip(runs, runs[1:]))


def own(*sizes: int) -> list[tuple[int, int]]:
    """The runs of source sentences that take sizes[i] output sentences each, in order."""
    runs, start = [], 0
    for size in sizes:
        runs.append((start, start + size))
        start += size
    return runs


@pytest.mark.parametrize("outputs, expected", [
    (ENGLISH, own(1, 1, 1, 1, 1, 1)),                                              # follows the source
    (ENGLISH[:2] + ["The works cost 340 million euros.", "The European Union paid part of it."] + ENGLISH[3:],
     own(1, 1, 2, 1, 1, 1)),                                                      # one sentence translated as two
    (ENGLISH[:1] + ENGLISH[2:4] + ENGLISH[5:], own(1, 0, 1, 1, 0, 1)),            # two sentences omitted
    (ENGLISH[:1] + ENGLISH[4:], own(1, 0, 0, 0, 1, 1)),                           # a block omitted
    ([], own(0, 0, 0, 0, 0, 0)),
])
def test_each_source_sentence_gets_the_output_sentences_that_translate_it(outputs, expected):
    runs = partition(FRENCH, outputs)
    assert_partition(runs, len(FRENCH), len(outputs))
    assert runs == expected


def test_an_output_with_one_line_per_source_paragraph_is_partitioned_line_by_line():
    """Lines paired with paragraphs (as a model's hypotheses/<id>.txt): line 1 holds a sentence of paragraph 2
    here, and stays in paragraph 1, as a model's outputs for paragraph 1 would."""
    assert partition(FRENCH, ENGLISH, paragraphs=[(2, 3), (4, 3)]) == own(1, 2, 0, 1, 1, 1)
    assert partition(FRENCH, ENGLISH) == own(1, 1, 1, 1, 1, 1)
    assert partition(FRENCH, ENGLISH, paragraphs=[(1, 6), (5, 0)]) == own(6, 0, 0, 0, 0, 0)
    assert partition(FRENCH, ENGLISH * 2, paragraphs=[(1, 9), (5, 3)])[0] != (0, 9)   # 9 > MAX_RUN: not paired


def test_lines_are_followed_only_where_they_read_as_their_paragraphs():
    footer = "Translated with DeepL (www.deepl.com/translator)."
    assert follows_lines(FRENCH, ENGLISH, [(1, 1)] * 6) and follows_lines(FRENCH, ENGLISH, [(2, 3), (4, 3)])
    assert not follows_lines(FRENCH, ENGLISH[:2] + ENGLISH[3:] + [footer], [(1, 1)] * 6)   # shifted by one


def test_an_omission_with_a_line_added_elsewhere_is_still_an_omission(tmp_path):
    """As many lines as source paragraphs, but not theirs: sentence 3 omitted and a translator's footer added
    (adversarial round 13: every line after the omission was scored against the next paragraph's reference, and
    no omission was shown)."""
    data = write_dataset(tmp_path / "data", FRENCH, ENGLISH)
    output = ENGLISH[:2] + ENGLISH[3:] + ["Translated with DeepL (www.deepl.com/translator)."]
    document = files_run(data, "\n".join(output), tmp_path / "footer")["documents"][0]
    assert document["empty_outputs"] == 1
    hypotheses = [s["hyp"] for s in document["segments"]]
    assert hypotheses[2] == "" and all(hypotheses[k].startswith(ENGLISH[k]) for k in (0, 1, 3, 4, 5))
    assert "each paragraph over its own line" not in " ".join(document["alignment"]["notes"])


@pytest.mark.parametrize("where", [0, 3, 6])
def test_an_output_sentence_that_translates_nothing_joins_a_neighbour_and_is_not_dropped(where):
    outputs = ENGLISH[:where] + [STRAY] + ENGLISH[where:]
    runs = partition(FRENCH, outputs)
    assert_partition(runs, len(FRENCH), len(outputs))
    for k, (start, end) in enumerate(runs):
        assert ENGLISH[k] in outputs[start:end] and end - start <= 2


def test_an_output_with_many_sentences_a_source_sentence_is_cut_between_groups_of_them():
    assert partition(FRENCH[:1], ENGLISH * 2) == [(0, 12)]
    outputs = [ENGLISH[0]] * 10 + [ENGLISH[1]] * 10                   # 10 a source sentence: more than MAX_RUN (8)
    assert partition(FRENCH[:2], outputs) == [(0, 10), (10, 20)]


def test_a_long_document_searched_in_a_band_gets_the_full_search_partition():
    rng = random.Random(0)
    order = [i for _ in range(10) for i in rng.sample(range(6), 6)]
    sources = [FRENCH[i] for i in order]
    outputs = [ENGLISH[i] for k, i in enumerate(order) if k % 7]                 # every seventh sentence omitted
    full, banded = partition(sources, outputs, band=10_000), partition(sources, outputs, band=1)
    assert_partition(banded, len(sources), len(outputs))
    assert banded == full
    assert [end - start for start, end in full] == [int(k % 7 != 0) for k in range(len(sources))]


def test_a_partition_is_cached_with_the_alignments(tmp_path):
    outputs = ENGLISH[:1] + ENGLISH[2:]
    cache = TranslationCache(tmp_path / "cache.sqlite")
    first = cached_partition(FRENCH, outputs, cache)
    (key, stored), = cache.connection.execute("SELECT key, output FROM alignments").fetchall()
    cache.put_many({key: json.dumps(own(0, 1, 1, 1, 1, 1))}, table="alignments")   # a stored one is used as it is
    assert first == [tuple(run) for run in json.loads(stored)] == own(1, 0, 1, 1, 1, 1)
    assert cached_partition(FRENCH, outputs, cache) == own(0, 1, 1, 1, 1, 1)


def gemma_seed_outputs() -> dict[str, str]:
    return json.loads(GEMMA_SEED_OUTPUTS.read_text(encoding="utf-8"))["outputs"]


@pytest.fixture(scope="module")
def seed_runs(tmp_path_factory) -> dict[str, dict]:
    """Gemma's outputs on the seeds through a model backend, the run folder's hypotheses/ through model=files, and
    the same files with three sentences of 002 removed; one cache, so the source <-> reference alignment is
    computed once."""
    folder = tmp_path_factory.mktemp("seed_runs")
    model = run(compose_config([f"data.root={SEEDS}", "model=identity", "model.name=gemma_replay",
                                "backend._target_=tests.backends_for_tests.GemmaReplayBackend"]), folder / "model")
    files = run(compose_config([f"data.root={SEEDS}", "model=files", f"model.path={folder / 'model' / 'hypotheses'}"]),
                folder / "files")
    dropped = folder / "dropped"
    dropped.mkdir()
    for path in (folder / "model" / "hypotheses").glob("*.txt"):
        lines = path.read_text(encoding="utf-8").split("\n")
        if path.stem == "002":
            lines = [line for k, line in enumerate(lines) if k not in DROPPED_002_LINES]
        (dropped / path.name).write_text("\n".join(lines), encoding="utf-8")
    files_dropped = run(compose_config([f"data.root={SEEDS}", "model=files", f"model.path={dropped}"]),
                        folder / "files_dropped")
    return {"model": model, "files": files, "dropped": files_dropped,
            "dropped_lines": [(folder / "model" / "hypotheses" / "002.txt").read_text(encoding="utf-8").split("\n")[k]
                              for k in DROPPED_002_LINES]}


DROPPED_002_LINES = (1, 6, 11)   # lines of hypotheses/002.txt, each one output sentence of one source sentence
SAME = ("segments", "aligned", "metrics", "unmatched_source", "unmatched_reference", "unaligned_hypotheses",
        "diagnostics", "hypothesis_units", "empty_outputs")


def test_gemma_outputs_from_files_score_exactly_as_from_the_model(seed_runs):
    for from_model, from_files in zip(seed_runs["model"]["documents"], seed_runs["files"]["documents"], strict=True):
        assert {key: from_files[key] for key in SAME} == {key: from_model[key] for key in SAME}, from_model["id"]
        assert from_files["aligned"]["chrf"]["score"] > 0
    assert seed_runs["files"]["documents"][0]["unaligned_hypotheses"] == []


def test_a_system_with_omissions_scores_the_same_from_files(tmp_path):
    """A degraded system (empty outputs, whole empty lines in its hypotheses/) through files: the partition
    leaves exactly its empty outputs empty."""
    degraded = [f"data.root={SEEDS}", "model=identity", "model.name=degraded",
                "backend._target_=tests.backends_for_tests.SometimesEmptyBackend"]
    model = run(compose_config(degraded), tmp_path / "model")
    hypotheses = tmp_path / "model" / "hypotheses"
    files = run(compose_config([f"data.root={SEEDS}", "model=files", f"model.path={hypotheses}"]), tmp_path / "files")
    assert sum(d["empty_outputs"] for d in model["documents"]) > 0
    for from_model, from_files in zip(model["documents"], files["documents"], strict=True):
        assert {key: from_files[key] for key in SAME} == {key: from_model[key] for key in SAME}, from_model["id"]


def test_dropped_output_sentences_leave_exactly_their_source_sentences_without_output(seed_runs):
    """Every other segment keeps its output: no "(nothing aligned)" beside output that is still there."""
    by_output = {output: source for source, output in gemma_seed_outputs().items()}
    omitted = {by_output[line] for line in seed_runs["dropped_lines"]}
    [full] = [d for d in seed_runs["files"]["documents"] if d["id"] == "002"]
    [document] = [d for d in seed_runs["dropped"]["documents"] if d["id"] == "002"]
    assert document["empty_outputs"] == 3 and document["unaligned_hypotheses"] == []
    kept = ["" if s["src"] in omitted else s["hyp"] for s in full["segments"]]
    assert [s["hyp"] for s in document["segments"]] == kept
    assert len([s for s in document["segments"] if s["src"] in omitted]) == 3


def test_an_omission_lowers_the_document_adequacy(seed_runs):
    [full] = [d for d in seed_runs["files"]["documents"] if d["id"] == "002"]
    [dropped] = [d for d in seed_runs["dropped"]["documents"] if d["id"] == "002"]
    assert dropped["diagnostics"]["adequacy"] < full["diagnostics"]["adequacy"]
    assert dropped["aligned"]["chrf"]["score"] < full["aligned"]["chrf"]["score"]


def test_an_omitted_sentence_scores_adequacy_zero_and_counts(tmp_path):
    data = write_dataset(tmp_path / "data", FRENCH, ENGLISH)
    whole = files_run(data, "\n".join(ENGLISH), tmp_path / "whole")["documents"][0]
    omitted = files_run(data, "\n".join(ENGLISH[:2] + ENGLISH[3:]), tmp_path / "omitted")["documents"][0]
    assert omitted["empty_outputs"] == 1 and omitted["hypothesis_units"] == len(FRENCH)
    assert [s["hyp"] for s in omitted["segments"]] == ENGLISH[:2] + [""] + ENGLISH[3:]
    cosines = [s["adequacy"] for s in omitted["segments"]]                     # one source sentence each here
    assert cosines[2] == 0.0
    assert omitted["diagnostics"]["adequacy"] == pytest.approx(sum(cosines) / len(FRENCH), abs=1e-4)
    assert omitted["diagnostics"]["adequacy"] < whole["diagnostics"]["adequacy"]


def test_the_english_share_is_over_the_output_sentences_and_omissions_are_counted_apart():
    shares = output_language(["The river overflowed its banks on Sunday morning after days of rain. Schools in the "
                              "northern districts will stay closed until Wednesday.", "", ""], "en", "fr")
    assert (shares["english"], shares["empty"]) == (1.0, 0.6667)
    assert shares["per_segment"] == ["en", "en"]


# Sentences 2 and 3 of FRENCH in one English sentence, as a translator or a model may write them
TWO_IN_ONE = ("The journey now takes twenty-five minutes, compared with almost an hour by bus, and the works cost "
              "340 million euros, partly financed by the European Union.")


@pytest.mark.parametrize("outputs, together", [
    (ENGLISH[:1] + [TWO_IN_ONE, ""] + ENGLISH[3:], [(1, 2)]),            # the output stands at the first sentence
    (ENGLISH[:1] + ["", TWO_IN_ONE] + ENGLISH[3:], [(1, 2)]),            # ... or at the second
    (ENGLISH[:2] + [""] + ENGLISH[3:], []),                              # an omission
    (ENGLISH[:1] + ["", ""] + ENGLISH[3:], []),                          # two
    (ENGLISH[:1] + [STRAY, ""] + ENGLISH[3:], []),                       # beside an output that translates nothing
    (ENGLISH, []),
    # three sentences in one output: the third moves the joined text less, and needs less gain; in a document of
    # six, the output:source length ratio is taken from the outputs with no empty output beside them
    (ENGLISH[:1] + [" ".join(ENGLISH[1:4]), "", ""] + ENGLISH[4:], [(1, 2, 3)]),
    ([" ".join(ENGLISH[:3]), "", ""] + ENGLISH[3:], [(0, 1, 2)]),
    (ENGLISH[:1] + [" ".join(ENGLISH[1:3]), "", ""] + ENGLISH[4:], [(1, 2)]),   # two together, the third omitted
])
def test_source_sentences_one_output_translates_together_are_told_from_omissions(outputs, together):
    assert translated_together(FRENCH, outputs) == together


def test_two_sentences_in_one_output_are_one_unit_and_no_omission(tmp_path):
    data = write_dataset(tmp_path / "data", FRENCH, ENGLISH)
    merged = files_run(data, "\n".join(ENGLISH[:1] + [TWO_IN_ONE] + ENGLISH[3:]), tmp_path / "merged")["documents"][0]
    omitted = files_run(data, "\n".join(ENGLISH[:2] + ENGLISH[3:]), tmp_path / "omitted")["documents"][0]
    assert (merged["empty_outputs"], merged["hypothesis_units"]) == (0, len(FRENCH) - 1)
    assert (omitted["empty_outputs"], omitted["hypothesis_units"]) == (1, len(FRENCH))
    assert "source sentences translated together by one output: 2-3 (each run one unit for adequacy and " \
           "reference-free scores; no omission)" in merged["alignment"]["notes"]
    assert merged["diagnostics"]["output_language"]["empty"] == 0.0 < omitted["diagnostics"]["output_language"]["empty"]
    assert merged["diagnostics"]["adequacy"] > omitted["diagnostics"]["adequacy"]
    # scored once, cut over the two reference sentences as a 1-2 bead's output is: a faithful merge scores above an
    # omission (adversarial round 13: whole against the first reference sentence, the second's segment empty, it
    # scored below)
    hypotheses = [s["hyp"] for s in merged["segments"]]
    assert " ".join(hypotheses[1:3]) == TWO_IN_ONE and all(hypotheses[1:3])
    assert merged["aligned"]["chrf"]["score"] > omitted["aligned"]["chrf"]["score"]
    assert merged["aligned"]["bleu"]["score"] > omitted["aligned"]["bleu"]["score"]


def test_a_merge_scores_the_same_whichever_of_its_sentences_the_output_stands_at(tmp_path):
    data = write_dataset(tmp_path / "data", FRENCH, ENGLISH)
    results = []
    for where, (first, second) in enumerate([(TWO_IN_ONE, ""), ("", TWO_IN_ONE)]):
        table = tmp_path / f"outputs{where}.json"
        table.write_text(json.dumps({**dict(zip(FRENCH, ENGLISH)), FRENCH[1]: first, FRENCH[2]: second}),
                         encoding="utf-8")
        results.append(run(compose_config([f"data.root={data}", "model=identity", f"model.name=at{where}",
                                           "backend._target_=tests.backends_for_tests.FixedTextBackend",
                                           f"model.path={table}"]), tmp_path / f"at{where}")["documents"][0])
    assert results[0]["empty_outputs"] == results[1]["empty_outputs"] == 0
    assert results[0]["aligned"] == results[1]["aligned"]
    assert [s["hyp"] for s in results[0]["segments"]] == [s["hyp"] for s in results[1]["segments"]]


def test_two_sentences_in_one_output_score_the_same_from_a_model_and_from_files(tmp_path):
    data = write_dataset(tmp_path / "data", FRENCH, ENGLISH)
    table = tmp_path / "outputs.json"
    table.write_text(json.dumps({**dict(zip(FRENCH, ENGLISH)), FRENCH[1]: TWO_IN_ONE, FRENCH[2]: ""}), encoding="utf-8")
    model = run(compose_config([f"data.root={data}", "model=identity", "model.name=fixed",
                                "backend._target_=tests.backends_for_tests.FixedTextBackend", f"model.path={table}"]),
                tmp_path / "model")["documents"][0]
    files = run(compose_config([f"data.root={data}", "model=files", f"model.path={tmp_path / 'model' / 'hypotheses'}"]),
                tmp_path / "files")["documents"][0]
    assert model["empty_outputs"] == 0 and model["hypothesis_units"] == len(FRENCH) - 1
    assert {key: files[key] for key in SAME} == {key: model[key] for key in SAME}

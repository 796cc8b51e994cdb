"""Line-aligned test sets (`alignment: lines`): taken line by line on every side, lines cut as sacrebleu reads
its files, and scored as the sacrebleu CLI scores the same files. Real sacrebleu (its reader, its CLI in a
child process), the real encoder, files in tmp_path."""
from __future__ import annotations

import pytest
import yaml
from sacrebleu.utils import smart_open

from benchmarks.line_scoring import (DAMAGE, INNER_SEPARATORS, cli_scores, damaged, parallel_lines, write_data_set,
                                     write_hypotheses, write_lines)
from harness import run
from harness.config import compose_config
from harness.cores import available_cores
from harness.errors import UserError
from harness.data.lines import split_lines
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum

METRICS = ("bleu", "chrf", "chrf++", "ter")
LINES = 2000


@pytest.mark.parametrize("text", [
    "one\ntwo\n", "one\ntwo", "", "\n", "one\n\n", "\n\nthree\n", "a\r\nb\r\n", "a\rb\n", "trailing  \t\n",
    *[f"left{separator}right\nnext\n" for separator in INNER_SEPARATORS], "a\x0bb\n", "a\x1fb\n",
    "  leading kept\n", "end\u2028\n",
])
def test_lines_are_cut_as_sacrebleu_reads_a_file(text, tmp_path):
    path = tmp_path / "text.txt"
    path.write_bytes(text.encode("utf-8"))
    with smart_open(str(path)) as handle:
        assert split_lines(text) == [line.rstrip() for line in handle]


def files_run(data, hypotheses, folder, *overrides):
    return run(compose_config([f"data.root={data}", "model=files", f"model.path={hypotheses}", *overrides]), folder)


@pytest.fixture(scope="module")
def test_set(tmp_path_factory):
    """The 2,000-line set with one reference (data), and with a second one (data_2refs)."""
    folder = tmp_path_factory.mktemp("line_aligned")
    return write_data_set(folder / "data", LINES), write_data_set(folder / "data_2refs", LINES, references=2)


def assert_equal_to_the_cli(record: dict, cli: dict[str, dict], nrefs: int) -> None:
    for name in METRICS:
        assert abs(record["aligned"][name]["score"] - cli[name]["score"]) <= 0.01, (name, record["aligned"][name],
                                                                                 cli[name]["score"])
        assert cli[name]["signature"] in record["aligned"][name]["signature"], name
        assert f"nrefs:{nrefs}|" in record["aligned"][name]["signature"]
        if name in record["metrics"]:   # the document's headline: the same corpus score over the lines
            assert record["metrics"][name] == record["aligned"][name]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_line_aligned_files_run_scores_what_the_sacrebleu_cli_scores(test_set, damage, tmp_path):
    """2,000 lines, some of several sentences, U+2028 and other non-line-end separators inside lines; the
    hypothesis with words dropped, lines swapped, lines left empty or Windows line ends."""
    data = test_set[0]
    hypotheses = write_hypotheses(tmp_path / "hyps", data, damage)
    record = files_run(data, hypotheses, tmp_path / "run")["documents"][0]
    assert_equal_to_the_cli(record, cli_scores([data / "ref.txt"], hypotheses / "test.txt"), nrefs=1)
    assert record["alignment"]["method"] == "lines"
    assert len(record["segments"]) == LINES and record["unaligned_hypotheses"] == []
    assert record["hypothesis_units"] == LINES
    assert record["diagnostics"]["output_language"]["english"] >= 0.9   # an English output, whatever its damage


def test_with_two_references_the_scores_are_the_cli_given_both_reference_files(test_set, tmp_path):
    data = test_set[1]
    hypotheses = write_hypotheses(tmp_path / "hyps", data, "all")
    record = files_run(data, hypotheses, tmp_path / "run")["documents"][0]
    cli = cli_scores([data / "ref.txt", data / "ref2.txt"], hypotheses / "test.txt")
    assert_equal_to_the_cli(record, cli, nrefs=2)
    single = cli_scores([data / "ref.txt"], hypotheses / "test.txt")
    assert record["aligned"]["bleu"]["score"] != single["bleu"]["score"]   # the second reference counts
    assert record["reference_files"] == ["ref.txt", "ref2.txt"]
    assert any("use the first reference (ref.txt)" in note for note in record["alignment"]["notes"])


# ---------------------------------------------------------------- small sets: pairing, counts, refusals

FRENCH = ["Le maire a inauguré\u2028une nouvelle ligne de tramway lundi.", "Le trajet dure vingt-cinq minutes.",
          "", "Les travaux ont coûté\x0c340 millions d'euros."]
ENGLISH = ["The mayor opened\u2028a new tram line on Monday.", "The journey takes twenty-five minutes.",
           "", "The works cost\x0c340 million euros."]


def small_set(folder, **document):
    write_lines(folder / "src.txt", FRENCH)
    write_lines(folder / "ref.txt", ENGLISH)
    entry = {"id": "doc", "lang": "fr", "file": "src.txt", "reference": "ref.txt", "relation": "parallel", **document}
    (folder / "manifest.yaml").write_text(yaml.safe_dump({"target_lang": "en", "alignment": "lines",
                                                          "documents": [entry]}), encoding="utf-8")
    return folder


def test_a_separator_inside_a_line_keeps_every_line_paired_with_its_reference(tmp_path):
    data = small_set(tmp_path / "data")
    record = run(compose_config([f"data.root={data}", "model=identity"]), tmp_path / "run")["documents"][0]
    assert [(s["src"], s["ref"]) for s in record["segments"]] == list(zip(FRENCH, ENGLISH))
    hypotheses = tmp_path / "hyps"
    write_lines(hypotheses / "doc.txt", ENGLISH)
    record = files_run(data, hypotheses, tmp_path / "files_run")["documents"][0]
    assert [(s["hyp"], s["ref"]) for s in record["segments"]] == list(zip(ENGLISH, ENGLISH))
    assert record["aligned"]["chrf"]["score"] == 100.0


def test_an_empty_source_line_is_a_segment_and_is_not_sent_to_the_model(tmp_path):
    data = small_set(tmp_path / "data")
    record = run(compose_config([f"data.root={data}", "model=identity"]), tmp_path / "run")["documents"][0]
    assert record["source_segments"] == 4
    assert record["segments"][2]["hyp"] == "" and record["segments"][2]["ref"] == ""
    assert (tmp_path / "run" / "hypotheses" / "doc.txt").read_text(encoding="utf-8").split("\n")[:-1] == FRENCH


@pytest.mark.parametrize("lines", [3, 5])
def test_a_hypothesis_file_with_another_number_of_lines_is_refused_naming_both_counts_and_the_file(lines, tmp_path):
    data = small_set(tmp_path / "data")
    write_lines(tmp_path / "hyps" / "doc.txt", (ENGLISH * 2)[:lines])
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [f"data.root={data}", "model=files", f"model.path={tmp_path / 'hyps'}",
                              f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, {"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, f"{tmp_path / 'hyps' / 'doc.txt'}", f"{lines} lines", "4")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_cleaning_rules_on_a_line_aligned_document_are_refused(tmp_path):
    data = small_set(tmp_path / "data", clean={"drop_lines": ["^The"]})
    with pytest.raises(UserError, match="alignment: lines.*clean"):
        run(compose_config([f"data.root={data}", "model=identity"]), tmp_path / "run")


def test_several_references_must_each_have_the_source_number_of_lines(tmp_path):
    data = small_set(tmp_path / "data", reference=["ref.txt", "ref2.txt"])
    write_lines(data / "ref2.txt", ENGLISH[:3])
    with pytest.raises(UserError, match=r"ref2\.txt.*3 lines.*source.*4"):
        run(compose_config([f"data.root={data}", "model=identity"]), tmp_path / "run")


def test_several_references_are_refused_for_a_document_aligned_by_search(tmp_path):
    data = small_set(tmp_path / "data", reference=["ref.txt", "ref.txt"], alignment="search")
    with pytest.raises(UserError, match="several references.*alignment: lines"):
        run(compose_config([f"data.root={data}", "model=identity"]), tmp_path / "run")


def test_the_damage_patterns_do_what_they_say():
    _, reference = parallel_lines(200)
    assert sum(not line for line in damaged(reference, "empty_lines")) == 4
    assert damaged(reference, "swapped_lines")[10] == reference[11]
    assert damaged(reference, "dropped_words")[3] != reference[3] and damaged(reference, "dropped_words")[1] == reference[1]


def test_a_slow_metric_computed_in_side_processes_gives_the_same_statistics_and_scores(monkeypatch):
    """TER of a long test set runs in forked processes (a run of segments each) while the other metrics run
    here: the same numbers, in the segments' order."""
    from harness.score.aligned_scoring import AlignedMetrics, score_segments
    from harness.score.metrics import side_process
    source, reference = parallel_lines(300)
    hypotheses = damaged(reference, "all")
    segments = [{"ref_index": k, "ref": r, "hyp": h, "src": s} for k, (s, r, h) in enumerate(zip(source, reference,
                                                                                                    hypotheses))]
    metrics = AlignedMetrics.build(compose_config().alignment)
    ter = next(m for m in metrics.segment if m.name == "ter")
    work = side_process.edit_work(hypotheses, reference)
    assert work >= side_process.MIN_WORK
    assert side_process.slow(ter) and not any(side_process.slow(m) for m in metrics.segment if m.name != "ter")
    assert side_process.worth_processes(hypotheses, reference) == (available_cores() > 1)
    with side_process.side_statistics([ter], hypotheses, reference, []) as pending:
        assert set(pending) == ({"ter"} if available_cores() > 1 else set())
        if pending:
            assert len(pending["ter"].parts) == len(side_process.runs_of(len(segments), available_cores()))
            assert (pending["ter"].result() == ter.statistics(hypotheses, reference, None)).all()
    copies = [dict(s) for s in segments]
    together = score_segments(copies, metrics)
    monkeypatch.setattr(side_process, "MIN_WORK", work + 1)   # everything in this process
    assert score_segments(segments, metrics) == together
    assert [s["scores"] for s in segments] == [s["scores"] for s in copies]


def test_this_process_computes_the_runs_no_side_process_has_started():
    """SharedStatistics: runs still waiting for a process when the result is asked for are computed here, from
    the back, and every row lands in its segment's place (a pool whose processes never start anything)."""
    from concurrent.futures import Future
    from harness.score.aligned_scoring import AlignedMetrics
    from harness.score.metrics.side_process import SharedStatistics, runs_of
    source, reference = parallel_lines(40)
    hypotheses = damaged(reference, "all")
    ter = next(m for m in AlignedMetrics.build(compose_config().alignment).segment if m.name == "ter")

    class IdlePool:
        def submit(self, *args) -> Future:
            return Future()

    shared = SharedStatistics(ter, (hypotheses, reference, []), IdlePool(), runs_of(len(hypotheses), 2))
    assert len(shared.parts) > 2
    assert (shared.result() == ter.statistics(hypotheses, reference, None)).all()
    assert all(part.cancelled() for part in shared.parts)


def test_the_side_processes_take_short_runs_of_segments_in_turn():
    from harness.score.metrics.side_process import RUNS_PER_WORKER, runs_of
    for count, workers in ((2000, 2), (17, 2), (1, 2), (300, 3)):
        runs = runs_of(count, workers)
        assert [k for run in runs for k in range(count)[run]] == list(range(count))   # all, once, in order
        assert len(runs) >= min(count, workers * RUNS_PER_WORKER)   # enough runs for the workers to share
    assert max(run.stop - run.start for run in runs_of(2000, 2)) == 2000 // (2 * RUNS_PER_WORKER)
    assert runs_of(17, 2) == [slice(k, k + 1) for k in range(17)]   # the seeds' documents: a segment at a time


def test_a_language_the_encoder_does_not_cover_is_still_paired_line_by_line(tmp_path):
    """Finnish: no hypothesis-side search, the declared pairing, no cosine (relation cannot_judge, adequacy none)."""
    finnish = ["Helsingin kaupunki avasi maanantaina uuden raitiolinjan.", "Matka kestää nyt kaksikymmentä minuuttia.",
               "Työt maksoivat\u2028340 miljoonaa euroa."]
    english = ["The city of Helsinki opened a new tram line on Monday.", "The journey now takes twenty minutes.",
               "The works cost\u2028340 million euros."]
    data = tmp_path / "data"
    write_lines(data / "src.txt", finnish)
    write_lines(data / "ref.txt", english)
    entry = {"id": "doc", "lang": "fi", "file": "src.txt", "reference": "ref.txt", "relation": "parallel"}
    (data / "manifest.yaml").write_text(yaml.safe_dump({"target_lang": "en", "alignment": "lines",
                                                        "documents": [entry]}), encoding="utf-8")
    write_lines(tmp_path / "hyps" / "doc.txt", [english[0], "", english[1]])
    record = files_run(data, tmp_path / "hyps", tmp_path / "run")["documents"][0]
    assert record["alignment"]["method"] == "lines"
    assert [(s["hyp"], s["ref"]) for s in record["segments"]] == list(zip([english[0], "", english[1]], english))
    assert record["diagnostics"]["relation"]["measured"] == "cannot_judge"
    assert any("fi is not covered" in note for note in record["alignment"]["notes"])

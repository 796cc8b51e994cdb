"""COMET, CometKiwi and xCOMET end to end on tiny random checkpoints (tests/comet_fixtures.py), through the real
unbabel-comet code path, harness-run's pipeline and harness-compare. The scores of a random model mean nothing;
what is tested is where they come from, what they are attached to, and that nothing is recomputed or hidden."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("comet", reason="unbabel-comet is not installed: the comet extra (pip install -e \".[comet]\")")

from harness import run  # noqa: E402
from harness.compare.compare import compare_runs, load_runs  # noqa: E402
from harness.config import compose_config  # noqa: E402
from harness.errors import UserError  # noqa: E402
from harness.score.metrics import select_metrics  # noqa: E402
from harness.score.metrics.comet import CometMetric, comet_version  # noqa: E402
from harness.compare.reports.tables import results_table  # noqa: E402
from harness.compare.reports.page import write_comparison  # noqa: E402
from harness.results.results import read_record, read_result  # noqa: E402
from tests.comet_fixtures import build_all  # noqa: E402
from tests.compare_fixtures import cleaned_reference_folder  # noqa: E402
from tests.conftest import SEEDS  # noqa: E402

METRICS = "metrics=[bleu,chrf,comet,cometkiwi,xcomet]"


@pytest.fixture(scope="module")
def tiny_comet(tmp_path_factory) -> dict:
    return build_all(tmp_path_factory.mktemp("tiny_comet"))


def model_overrides(tiny_comet: dict) -> list[str]:
    return [f"metric_settings.{name}.model_id={path}" for name, path in tiny_comet.items()]


def comet_run(folder, tiny_comet, *overrides: str):
    run(compose_config([f"data.root={SEEDS}", METRICS, *model_overrides(tiny_comet), *overrides]), folder)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_comet) -> list:
    """Two systems on the seeds, sharing one cache: the identity baseline and the cleaned reference itself."""
    base = tmp_path_factory.mktemp("comet_runs")
    cache = f"cache.dir={base / 'cache'}"
    hypotheses = cleaned_reference_folder(base / "reference_hypotheses")
    return [comet_run(base / "identity", tiny_comet, "model=identity", cache),
            comet_run(base / "reference", tiny_comet, "model=files", f"model.path={hypotheses}",
                      "model.name=reference", cache)]


@pytest.fixture
def no_model_load(monkeypatch):
    """Any attempt to load a COMET model fails the test: what must come from the cache or the stored result."""
    def refuse(self):
        raise AssertionError(f"{self.name}: the COMET model was loaded")
    monkeypatch.setattr(CometMetric, "model", property(refuse))


def test_run_writes_segment_document_and_system_scores_with_signatures(runs, tiny_comet):
    record = read_record(runs[0])
    for name in ("comet", "cometkiwi", "xcomet"):
        signature = record.system[name].signature
        assert f"model:{tiny_comet[name].name}|sha256:" in signature and f"unbabel-comet {comet_version()}" in signature
        for document in record.documents:
            assert document.metrics[name].signature.startswith(name)
    parallel = next(d for d in record.documents if d.id == "002")
    comet_scores = [s.scores["comet"] for s in parallel.segments]
    assert len(comet_scores) > 3
    # a reference-based document score is the mean of its aligned segments' scores, never a whole-document input
    assert parallel.metrics["comet"].score == pytest.approx(sum(comet_scores) / len(comet_scores), abs=1e-3)
    assert parallel.metrics["comet"].score == parallel.aligned["comet"].score


def test_system_scores_leave_out_documents_whose_reference_is_no_translation(runs):
    """Seeds 000 and 003 are not translations of their reference: a reference-based system score averages only
    the other documents' segments; the reference-free CometKiwi averages every document's source units, as its
    document scores do."""
    record = read_record(runs[0])
    def segment_scores(name, documents):
        return [s.scores[name] for d in documents for s in d.segments if name in s.scores]
    parallel = [d for d in record.documents if d.id in ("002", "004")]
    every = segment_scores("comet", record.documents)
    assert len(every) > len(segment_scores("comet", parallel))
    for name in ("comet", "xcomet"):
        scores = segment_scores(name, parallel)
        assert record.system[name].score == pytest.approx(sum(scores) / len(scores), abs=1e-3), name
    units = [(d["reference_free"]["cometkiwi"]["score"], d["source_units"]) for d in read_result(runs[0])["documents"]]
    assert len(units) == 4 and all(count > 0 for _, count in units)
    expected = sum(score * count for score, count in units) / sum(count for _, count in units)
    assert record.system["cometkiwi"].score == pytest.approx(expected, abs=1e-3)
    assert "every source sentence and its output" in record.system["cometkiwi"].signature


def test_cometkiwi_is_reference_free_and_scores_documents_whose_reference_is_no_translation(runs):
    record = read_record(runs[0])
    unrelated = next(d for d in record.documents if d.id == "003")
    kiwi = unrelated.metrics["cometkiwi"]
    assert "reference-free" in kiwi.signature and "over every source sentence and its output" in kiwi.signature
    raw = next(d for d in read_result(runs[0])["documents"] if d["id"] == "003")
    assert raw["reference_free"]["cometkiwi"]["score"] == kiwi.score


def test_the_run_table_marks_reference_based_scores_of_a_non_translation_but_not_cometkiwi(runs):
    record = read_record(runs[0])
    lines = results_table(record).splitlines()
    header = lines[0].split("  ")
    row = next(line for line in lines if line.startswith("003"))
    comet, kiwi = (record.documents[2].metrics[name].score for name in ("comet", "cometkiwi"))
    assert f"{comet:.1f}*" in row and f"{kiwi:.1f}*" not in row and f"{kiwi:.1f}" in row
    assert any("CometKiwi" in cell for cell in header)


def test_long_segment_is_scored_in_pieces_with_the_scores_comet_gives_them(tiny_comet, tmp_path):
    settings = {"comet": {"model_id": str(tiny_comet["comet"]), "cache_path": str(tmp_path / "scores.sqlite")}}
    metric = select_metrics(["comet"], settings=settings)[0]
    source, hypothesis, reference = ("Le chat dort sur le tapis. " * 20, "The cat sleeps on the mat. " * 20,
                                     "The cat is asleep on the rug. " * 20)
    [score] = metric.segment_scores([hypothesis], [reference], [source])
    [details] = metric.segment_details([hypothesis], [reference], [source])
    pieces = metric.split_sample(metric.sample(source, hypothesis, reference))
    assert details["pieces"] == len(pieces) > 1
    prediction = metric.model.predict(pieces, batch_size=4, gpus=0, accelerator="cpu", progress_bar=False,
                                      num_workers=0)   # unbabel-comet itself, on the same pieces
    assert score == pytest.approx(100 * sum(prediction.scores) / len(pieces), abs=1e-4)


def comet_inputs(model, sample: dict) -> list[list[int]]:
    """The token ids that unbabel-comet's own prepare_sample builds from one sample, for every input of the model."""
    prepared = model.prepare_sample([sample], stage="predict")
    parts = prepared if isinstance(prepared, tuple) else (prepared,)
    return [ids.tolist() for part in parts for key, ids in part.items() if key.endswith("input_ids")]


def truncated_by_comet(model, sample: dict, monkeypatch) -> bool:
    """Whether COMET cuts this sample: its inputs differ from those it builds once its encoder accepts any length."""
    as_given = comet_inputs(model, sample)
    with monkeypatch.context() as patch:
        patch.setattr(model.encoder.model.config, "max_position_embeddings", 10 ** 6)
        unbounded = comet_inputs(model, sample)
    return as_given != unbounded


def test_no_piece_given_to_comet_is_longer_than_the_model_accepts(tiny_comet, tmp_path, monkeypatch):
    """Issue 21: on the seeds, 7 of 94 COMET pieces, 41 of 152 CometKiwi and 98 of 211 xCOMET ones were still
    longer than the 64-token checkpoints accept, and COMET truncated them in silence."""
    given: dict[str, tuple[object, list[dict]]] = {}
    predict = CometMetric.predict

    def recording(self, samples):
        given.setdefault(self.name, (self.model, []))[1].extend(samples)
        return predict(self, samples)

    monkeypatch.setattr(CometMetric, "predict", recording)
    comet_run(tmp_path / "run", tiny_comet, "model=identity", f"cache.dir={tmp_path / 'cache'}")
    assert set(given) == {"comet", "cometkiwi", "xcomet"}
    cut = {name: sum(truncated_by_comet(model, sample, monkeypatch) for sample in samples)
           for name, (model, samples) in given.items()}
    assert all(count == 0 for count in cut.values()), {name: f"{cut[name]} of {len(given[name][1])} pieces truncated"
                                                         for name in cut}


def test_xcomet_error_spans_are_stored_per_segment_and_shown_in_the_report(runs, tmp_path, no_model_load):
    record = read_record(runs[0])
    spans = [span for d in record.documents for s in d.segments for span in s.details["xcomet"]["error_spans"]
             if "xcomet" in s.details]
    assert spans and all({"start", "end", "severity"} <= set(span) for span in spans)
    for segment in (s for d in record.documents for s in d.segments if "xcomet" in s.details):
        for span in segment.details["xcomet"]["error_spans"]:   # the text it marks, never '<s>' or nothing
            assert span["end"] > span["start"] and span["text"] == segment.hyp[span["start"]:span["end"]], span
    html = write_comparison(compare_runs(load_runs([str(r) for r in runs])), tmp_path / "report").read_text()
    assert "Error spans (xCOMET)" in html and "<mark class=\"span-" in html


def test_compare_shows_comet_with_intervals_and_paired_tests_without_the_model(runs, no_model_load):
    comparison = compare_runs(load_runs([str(r) for r in runs]), metrics=["comet", "cometkiwi"])
    rows = [r for r in comparison.rows if r.metric == "comet" and r.system == "reference"]
    assert rows and all(r.ci[0] <= r.score <= r.ci[1] for r in rows)
    assert all(0 < r.p_bootstrap <= 1 and 0 < r.p_randomization <= 1 for r in rows)
    assert {m.name: m.higher_is_better for m in comparison.metrics} == {"comet": True, "cometkiwi": True}


def test_compare_shows_each_document_cometkiwi_score_of_the_run_under_its_label(runs, no_model_load):
    """Issue 21: harness-compare showed CometKiwi as the mean over the aligned segments, under the same label as
    the run's score, the mean over every source sentence and its output."""
    comparison = compare_runs(load_runs([str(r) for r in runs]), metrics=["comet", "cometkiwi"])
    [label] = [m.signature for m in comparison.metrics if m.name == "cometkiwi"]
    assert "over every source sentence and its output" in label
    for run_folder in runs:
        record = read_record(run_folder)
        shown = {r.document: r.score for r in comparison.rows + comparison.not_parallel_rows
                 if r.metric == "cometkiwi" and r.system == record.model_name}
        assert shown == {d.id: d.metrics["cometkiwi"].score for d in record.documents}


def test_cached_rescore_loads_no_comet_model(runs, tiny_comet, tmp_path, no_model_load):
    first = read_record(runs[0])
    again = read_record(comet_run(tmp_path / "again", tiny_comet, "model=identity",
                                  f"cache.dir={runs[0].parent / 'cache'}"))
    for before, after in zip(first.documents, again.documents):
        assert after.metrics["comet"] == before.metrics["comet"]
        assert [s.scores for s in after.segments] == [s.scores for s in before.segments]


def test_offline_default_model_stops_before_translating(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty_hf_home"))   # HF_HUB_OFFLINE=1 comes from conftest
    cache = tmp_path / "cache"
    with pytest.raises(UserError, match=r"cannot load model 'Unbabel/wmt22-comet-da'.*"
                                        r"metric_settings\.comet\.model_id=/path/to/model") as raised:
        run(compose_config([f"data.root={SEEDS}", "model=identity", "metrics=[bleu,comet]",
                            f"cache.dir={cache}"]), tmp_path / "run")
    assert "\n" not in str(raised.value) and not (tmp_path / "run").exists()
    assert not (cache / "translations.sqlite").exists()   # the translation cache opens when translating starts


def test_a_device_that_is_not_there_is_refused_before_translating(tiny_comet, tmp_path):
    with pytest.raises(UserError, match=r"metric_settings\.comet\.device=cuda:7"):
        run(compose_config([f"data.root={SEEDS}", "model=identity", "metrics=[comet]",
                            f"metric_settings.comet.model_id={tiny_comet['comet']}", "metric_settings.comet.device=cuda:7",
                            f"cache.dir={tmp_path / 'cache'}"]), tmp_path / "run")


def test_result_json_holds_no_nan_and_reads_back(runs):
    text = (runs[1] / "result.json").read_text(encoding="utf-8")
    assert "NaN" not in text and json.loads(text)["schema_version"] == 3

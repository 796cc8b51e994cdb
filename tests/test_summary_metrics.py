"""Summary metrics on tiny cases worked by hand (values in comments), and the evaluate adapter offline."""
import pytest

from harness.errors import UserError
from harness.score.metrics import select_metrics
from harness.score.metrics.summary import SummaryMetrics, extractive_fragments, reference_free, words

ROUGE = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


@pytest.mark.parametrize("summary, reference, expected", [
    # unigrams: the x2, cat, on, mat shared of 6 and 6 -> 5/6; bigrams: the cat, on the, the mat -> 3/5;
    # LCS "the cat on the mat" = 5 -> 5/6
    (["the cat sat on the mat"], ["the cat lay on the mat"], [83.3333, 60.0, 83.3333, 83.3333]),
    # Porter stemming (words over 3 characters): cats -> cat, running/runs -> run
    (["cats running"], ["cat runs"], [100.0, 100.0, 100.0, 100.0]),
    # sentences swapped: one LCS over the whole text is 3 of 6 tokens, while ROUGE-Lsum takes the union
    # LCS per reference sentence: 3 + 3 of 6
    (["the cat sat", "a dog ran"], ["a dog ran", "the cat sat"], [100.0, 80.0, 50.0, 100.0]),
    (["alpha beta"], ["gamma delta"], [0.0, 0.0, 0.0, 0.0]),
])
def test_rouge_against_hand_counts(summary, reference, expected):
    scores = SummaryMetrics(ROUGE).similarity(summary, reference)
    assert [scores[name] for name in ROUGE] == pytest.approx(expected, abs=1e-4)


def test_chrf_is_sacrebleus_and_embedding_cosine_ranks_paraphrases_first():
    metrics = SummaryMetrics(["chrf", "embedding_cosine"])
    same = metrics.similarity(["Japan and Canada start talks."], ["Japan and Canada start talks."])
    assert same == pytest.approx({"chrf": 100.0, "embedding_cosine": 1.0}, abs=1e-3)
    summary = ["Canada and Japan open talks on sharing military intelligence."]
    close = metrics.similarity(summary, ["Japan and Canada began negotiations on an intelligence pact."])
    far = metrics.similarity(summary, ["The bakery on the corner sells fresh bread."])
    sacrebleu_chrf = select_metrics(["chrf"])[0].sentence_score(summary[0], "The bakery on the corner sells fresh bread.")
    assert far["chrf"] == pytest.approx(sacrebleu_chrf, abs=1e-4)
    assert close["embedding_cosine"] > 0.6 > far["embedding_cosine"]


ARTICLE = "the quick brown fox jumps over the lazy dog"
SUMMARY = "the lazy fox jumps over a dog"


def test_fragments_follow_grusky_algorithm_1():
    # i=0 "the": the longest match starts at article position 6 ("the lazy"); i=2 "fox jumps over";
    # i=5 "a" is in no fragment; i=6 "dog"
    assert extractive_fragments(words(ARTICLE), words(SUMMARY)) == [["the", "lazy"], ["fox", "jumps", "over"],
                                                                     ["dog"]]


def test_reference_free_scores_of_the_worked_example():
    # |A| = 9, |S| = 7, fragments of 2, 3 and 1 words: coverage 6/7, density (4 + 9 + 1)/7 = 2;
    # novel: unigram "a" (1/7); bigrams lazy fox, over a, a dog (3/6); trigrams all but "fox jumps over" (4/5)
    assert reference_free(SUMMARY, ARTICLE) == pytest.approx({
        "compression_ratio": 9 / 7, "coverage": 6 / 7, "density": 2.0,
        "novel_1grams": 1 / 7, "novel_2grams": 0.5, "novel_3grams": 0.8}, abs=1e-4)


def test_copied_sentences_have_no_novel_ngrams_across_their_seam():
    article = "Markets fell on Monday.\nThe weather was fine. Investors sold shares."
    scores = reference_free("Markets fell on Monday.\nInvestors sold shares.", article)
    assert (scores["coverage"], scores["novel_2grams"], scores["novel_3grams"]) == (1.0, 0.0, 0.0)


def test_unknown_summary_metric_suggests_the_closest_name():
    with pytest.raises(UserError, match="unknown summary metric 'rouge-1'.*Did you mean 'rouge1'"):
        SummaryMetrics(["rouge-1"])


@pytest.mark.parametrize("name", ["evaluate:bertscore", "evaluate:rouge@rougeL"])
def test_evaluate_metric_offline_is_a_user_error_naming_it(name):
    with pytest.raises(UserError, match=f"metric '{name}'.*local path to the metric script.*HF_HUB_OFFLINE=1"):
        SummaryMetrics(["rouge1", name])
    with pytest.raises(UserError, match=f"metric '{name}'"):
        select_metrics(["bleu", name])


METRIC_SCRIPT = '''
import datasets
import evaluate


class WordOverlap(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(description="share of reference words in the prediction", citation="",
                                   inputs_description="", features=datasets.Features(
                                       {"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}))

    def _compute(self, predictions, references):
        shares = [len(set(p.split()) & set(r.split())) / len(set(r.split()))
                  for p, r in zip(predictions, references)]
        return {"overlap": shares, "pairs": len(shares)}
'''


def test_a_local_evaluate_metric_script_scores_summaries_and_translations(tmp_path):
    script = tmp_path / "word_overlap" / "word_overlap.py"
    script.parent.mkdir()
    script.write_text(METRIC_SCRIPT, encoding="utf-8")
    name = f"evaluate:{script}@overlap"
    scores = SummaryMetrics(["rouge1", name]).similarity(["a b c d"], ["a b x y"])
    assert scores[name] == 0.5                                    # {a, b} of {a, b, x, y}
    translation = select_metrics([name])[0].corpus_score(["a b", "a"], ["a b", "a c"])
    assert translation.score == 0.75                              # mean of 1.0 and 0.5
    with pytest.raises(UserError, match="returns overlap, pairs; pick one with evaluate:.*@KEY"):
        select_metrics([f"evaluate:{script}"])[0].corpus_score(["a"], ["a"])

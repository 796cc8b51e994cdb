"""Diagnostics on small made-up documents: measured relation, name and number overlap, output language."""
import random

import pytest

from harness.aligned_scoring import score_alignment
from harness.config import compose_config
from harness.diagnostics import diagnose, names, numbers, output_language, overlap
from tests.alignment_cases import FLOOD_STORY, perturb, reference_sentences
from tests.test_align import alignment_of

# The same flood told independently: other facts in another order, the same days named.
FLOOD_RETOLD = [
    "Shops on the high street were still closed on Monday as owners cleared mud from their floors.",
    "Opposition politicians accused the government of cutting flood defence budgets for years.",
    "Several roads into the valley remain impassable, and a railway line has been suspended.",
    "Church halls opened their doors on Sunday night to families who could not return home.",
    "Engineers warned that the ageing dam upstream must be reinforced before the spring.",
    "Some residents said the warning sirens never sounded in their streets.",
    "Officials hope that classes can resume on Wednesday if the bridges are declared safe.",
    "The clean-up is expected to take several months and cost millions.",
]


@pytest.fixture(scope="module")
def config():
    return compose_config()


def diagnosis(hyp, ref, config, outputs=None, declared="parallel"):
    document = score_alignment(alignment_of(hyp, ref, config.alignment), list(hyp), config.alignment)
    return diagnose(document, outputs if outputs is not None else hyp, declared, "en", "fr", config.diagnostics)


def test_a_noisy_translation_is_measured_parallel(config):
    rng = random.Random(3)
    result = diagnosis([perturb(s, rng, 0.2) for s in FLOOD_STORY], FLOOD_STORY, config)
    assert result["relation"]["measured"] == "parallel" and result["relation"]["agrees"] is True
    assert result["relation"]["signals"]["coverage"] == 1.0


def test_an_abridged_translation_is_still_parallel(config):
    rng = random.Random(4)
    result = diagnosis([perturb(s, rng, 0.2) for s in FLOOD_STORY[::2]], FLOOD_STORY, config)
    signals = result["relation"]["signals"]
    assert result["relation"]["measured"] == "parallel", signals
    assert signals["reference_coverage"] == 0.5 and signals["hypothesis_coverage"] == 1.0


def test_another_story_on_another_subject_is_not_parallel(config):
    result = diagnosis(reference_sentences()[:12], FLOOD_STORY, config, declared="parallel")
    assert result["relation"]["measured"] == "unrelated"
    assert result["relation"]["agrees"] is False


def test_the_same_story_retold_is_comparable_not_parallel(config):
    result = diagnosis(FLOOD_RETOLD, FLOOD_STORY, config, declared="comparable")
    assert result["relation"]["measured"] == "comparable", result["relation"]["signals"]


FRENCH = ["La pluie a fait déborder la rivière dimanche matin.", "Les écoles resteront fermées jusqu'à mercredi."]


def test_untranslated_output_cannot_be_judged(config):
    result = diagnosis(FRENCH, FLOOD_STORY[:2], config)
    assert result["relation"]["measured"] == "cannot_judge" and result["relation"]["agrees"] is None
    assert result["output_language"]["english"] == 0.0
    assert result["output_language"]["source_language"] == 1.0


@pytest.mark.parametrize("outputs, shares", [
    (FLOOD_STORY[:2] + FRENCH, {"english": 0.5, "source_language": 0.5, "empty": 0.0, "other": 0.0}),
    ([FLOOD_STORY[0], "", ""], {"english": 0.3333, "source_language": 0.0, "empty": 0.6667, "other": 0.0}),
    (["Kanada ve Japonya askeri istihbarat paylaşımını amaçlayan müzakereler başlattı."],
     {"english": 0.0, "source_language": 0.0, "empty": 0.0, "other": 1.0}),
    ([], {"english": 0.0, "source_language": 0.0, "empty": 0.0, "other": 0.0}),
])
def test_output_language_shares(outputs, shares):
    result = output_language(outputs, "en", "fr")
    assert {k: result[k] for k in shares} == shares
    assert len(result["per_segment"]) == len([o for o in outputs for _ in (o.split(". ") if o else [""])])


@pytest.mark.parametrize("text, expected", [
    ("In 2011 and 2050, 40 billion", {2011, 2050, 40}),
    ("عام ٢٠١١", {2011}),                       # Arabic-Indic digits
    ("no numbers", set()),
])
def test_numbers_in_any_script(text, expected):
    assert numbers(text) == expected


def test_names_skip_the_sentence_opening_word():
    assert names(["The minister met Mélanie Joly in Tokyo.", "Japan agreed. Canada too."]) == {"mélanie", "joly", "tokyo"}


@pytest.mark.parametrize("left, right, expected", [({1, 2}, {2, 3}, 0.3333), (set(), set(), None), ({1}, set(), 0.0)])
def test_overlap_is_jaccard_or_none(left, right, expected):
    assert overlap(left, right) == expected


def test_empty_hypothesis_cannot_be_judged(config):
    result = diagnosis([], FLOOD_STORY[:3], config, outputs=["", ""])
    assert result["relation"]["measured"] == "cannot_judge"
    assert result["output_language"]["empty"] == 1.0


def table_document(doc_id, declared, measured, agrees):
    score = {"score": 10.0, "signature": "BLEU|test", "higher_is_better": True}
    return {"id": doc_id, "src_lang": "fr", "relation": declared, "metrics": {"bleu": score},
            "aligned": {"bleu": score}, "empty_outputs": 0, "hypothesis_units": 3,
            "diagnostics": {"relation": {"declared": declared, "measured": measured, "agrees": agrees},
                            "output_language": {"english": 1.0}}}


def test_table_shows_measured_relation_marks_and_warns():
    from harness.report import results_table
    result = {"model": {"name": "m", "backend": "b"}, "data": {"target_lang": "en"}, "documents": [
        table_document("001", "parallel", "parallel", True),
        table_document("002", "parallel", "unrelated", False),
        table_document("003", "comparable", "cannot_judge", None)]}
    table = results_table(result)
    rows = {line.split()[0]: line for line in table.splitlines() if line[:3].isdigit()}
    assert "parallel/parallel" in rows["001"] and "*" not in rows["001"]
    assert "parallel/unrelated!" in rows["002"] and "10.0*" in rows["002"]   # measured non-parallel is marked
    assert "10.0*" in rows["003"]                                          # declared comparable stays marked
    assert "! measured relation disagrees with the declared one: 002" in table
    assert "? relation cannot be judged (hypothesis not en, or too short): 003" in table

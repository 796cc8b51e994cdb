"""Round 31: languages and scripts through every route. Declared languages that do not match the text, codes written
another way, languages the encoder does not cover, scripts (Arabic marks, tatweel, presentation forms, RTL marks and
embeddings, zero-width joiners, NBSP before French punctuation, fullwidth forms, decomposed accents, Turkish capitals),
and BLEU's tokenizer per target language, through harness-run (model=files on a manifest, searched and line-aligned),
harness-score and the comparison, against `sacrebleu REF -i HYP -l SRC-TGT`. What did not hold:

- a searched document's output with decomposed accents (NFD) against a composed reference read BLEU 48.0 for the
  reference's own French words, as sacrebleu scores those strings, with no word: the note round 28 gave a line-aligned
  file was not given a searched document. It now is, for a decomposed reference too.
- a Turkish text written in capitals was lowered by str.lower, which reads the dotted capital İ as i and a combining dot
  and the dotless I as i: the seeds' Turkish 002 in capitals read a mean cosine of 0.48 with its English translation
  (0.75 as written), and its first half `cannot_judge` where it is a translation. Lowered as Turkish lowers it (İ to
  i, I to ı): 0.69, parallel (the encoder and language ID read it so: languages.capitals_lowered).
- an Urdu text declared Hindi (and a Hindi one declared Urdu) was kept as declared, with only a note ('a close
  relative'), and handed to a model as the other language: language ID is sure of it (1.00) and never confuses the
  two scripts. It is refused in one line, as any other language is; so is Tajik (Cyrillic) declared Persian.
- a Nynorsk translation into target_lang 'no' (the harness's one code for Norwegian) read 'Norwegian 0%!', off-target,
  and its relation `cannot_judge` ('hypothesis not no'): py3langid labels Nynorsk 'nn'. It is now Norwegian; 'nn' in
  a manifest is refused with 'write no', as 'nb' is.
- harness-score -l fr-zh-Hant was refused as '--tgt-lang: unknown language code ...', an option the user did not
  write; it now names -l fr-zh-Hant.

Held: a Chinese target's BLEU is signed tok:zh and equals `sacrebleu -l fr-zh` in harness-score, a searched document
(its scored/ files) and the comparison; a Japanese target without MeCab is refused before anything is written;
language codes 'no' (not YAML's false), '', null, ' fr', 'NO', 'zh-Hant', [fr] and 1 are refused or kept as they
should be; a Hindi source (not covered) is measured from the output with the note shown; Arabic with RLM marks, RLE
embeddings, NBSP, tatweel or presentation forms, and French in fullwidth letters, keep their relation; a transliterated
(romanized Hindi) reference declared English is refused.
"""
from __future__ import annotations

import pytest

from harness.align.encoder import encoder_text
from harness.data.languages import identifier_text
from tests.test_adversarial_round10_relation import note_lines, one_document
from tests.test_adversarial_round28_scoring import FRENCH_HYPOTHESIS, FRENCH_REFERENCE, FRENCH_SOURCE, decomposed
from tests.test_adversarial_round29_relation import judged, seed, sentences_of

# ---------------------------------------------------------------- decomposed accents in a searched document

def test_a_decomposed_output_of_a_searched_document_is_named_under_the_table(tmp_path):
    """model=files of a French output in NFD against its composed reference, not line-aligned: BLEU below the same
    words composed, with no word before."""
    (tmp_path / "nfc").mkdir()
    (tmp_path / "nfd").mkdir()
    composed, _ = one_document(tmp_path / "nfc", "en", FRENCH_SOURCE, FRENCH_REFERENCE, FRENCH_HYPOTHESIS, "fr")
    record, table = one_document(tmp_path / "nfd", "en", FRENCH_SOURCE, FRENCH_REFERENCE,
                                 decomposed(FRENCH_HYPOTHESIS), "fr")
    assert record["metrics"]["bleu"]["score"] < composed["metrics"]["bleu"]["score"]
    [line] = [line for line in note_lines(table, "note: doc: ") if "decomposed characters" in line]
    assert line.startswith("note: doc: the hypothesis file has decomposed characters (not Unicode NFC: a letter and a "
                           "combining accent) on 3 of its 4 lines, and the reference none") and "NFC" in line


def test_a_decomposed_reference_of_a_searched_document_is_named(tmp_path):
    record, table = one_document(tmp_path, "en", FRENCH_SOURCE, decomposed(FRENCH_REFERENCE), FRENCH_HYPOTHESIS, "fr")
    assert [line for line in note_lines(table, "note: doc: the reference ref.txt file has decomposed characters")]


def test_a_composed_searched_document_has_no_such_note(tmp_path):
    _, table = one_document(tmp_path, "en", FRENCH_SOURCE, FRENCH_REFERENCE, FRENCH_HYPOTHESIS, "fr")
    assert "decomposed characters" not in table


# ---------------------------------------------------------------- Turkish in capitals

def turkish_capitals(text: str) -> str:
    """Turkish written in capitals as Turkish writes them: i as İ, ı as I."""
    return text.replace("i", "İ").replace("ı", "I").upper()


@pytest.mark.parametrize("read", [encoder_text, identifier_text], ids=["encoder", "language-id"])
def test_turkish_capitals_are_read_lowered_as_turkish(read):
    """str.lower gave 'i̇stanbul'da işiklar yandi' (i and a combining dot, i for ı)."""
    assert read("İSTANBUL'DA IŞIKLAR YANDI") == "istanbul'da ışıklar yandı"
    assert read("THE LIGHTS IN PARIS WENT OUT") == "the lights in paris went out"   # no İ: lowered as before


def test_half_a_turkish_translation_in_capitals_is_parallel():
    """The first half of the seeds' Turkish 002 in capitals against the whole English reference: cannot_judge before
    (gap 0.35, mean cosine 0.41), parallel as written (gap 0.56)."""
    lang, source, reference = seed("002")
    turkish = sentences_of(source, lang)
    measured, _, signals = judged([turkish_capitals(s) for s in turkish[: len(turkish) // 2]],
                                  sentences_of(reference, "en"))
    assert measured == "parallel", signals

"""Round 10: data sets, manifests and documents as users bring them.

Each case builds a data set in tmp_path (tests.test_adversarial_run.make_setup: one French document and its English
reference), breaks it as a user would and runs the real CLI in a child process, or the API where the record is what
is checked. A refused input gets one line naming the input and its fix, exit code 2, and nothing around it changes;
a run that goes on says what it could not do, and a score over a part of a document says so, in result.json and under
the run table."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_run import ARABIC, DOCUMENT, ENGLISH, FRENCH, Setup, base_args, make_setup

LINES_FRENCH = ["Le maire a inauguré une ligne de tramway lundi.", "Le conseil a voté un budget important.",
                "Le trajet dure vingt-cinq minutes.", "Les travaux ont coûté 340 millions d'euros."]
LINES_ENGLISH = ["The mayor opened a tram line on Monday.", "The council voted a large budget.",
                 "The journey takes twenty-five minutes.", "The works cost 340 million euros."]


def outcome_of(t: Setup, *extra: str):
    return run_cli("run", [*base_args(t), *extra], cwd=t.root, env={"HARNESS_CACHE_DIR": str(t.root / "cache")})


def result_of(t: Setup) -> dict:
    return json.loads((t.run_dir / "result.json").read_text(encoding="utf-8"))


def ran(tmp_path: Path, files: dict[str, str], documents: list[dict] | None = None, *extra: str):
    """A data set of these files (and documents, else the one French document) run to its end: (setup, outcome)."""
    setup = make_setup(tmp_path)
    for name, text in files.items():
        setup.write(name, text)
    if documents is not None:
        setup.manifest(documents)
    outcome = outcome_of(setup, *extra)
    assert outcome.code == 0, outcome.stderr[-2000:]
    return setup, outcome


def hypothesis_of(t: Setup, doc_id: str = "a") -> str:
    return (t.run_dir / "hypotheses" / f"{doc_id}.txt").read_text(encoding="utf-8")


def with_lines(t: Setup) -> None:
    """A line-aligned document 'l' beside the searched document 'a'."""
    t.write("l.fr", "\n".join(LINES_FRENCH) + "\n")
    t.write("l.en", "\n".join(LINES_ENGLISH) + "\n")
    t.manifest([DOCUMENT, {"id": "l", "lang": "fr", "file": "l.fr", "reference": "l.en", "relation": "parallel",
                           "alignment": "lines"}])


# ---------------------------------------------------------------- refused in one line, nothing touched

def manifest_text(text: str | bytes):
    def case(t: Setup) -> list[str]:
        t.write("manifest.yaml", text)
        return []
    return case


def documents_of(*entries: dict):
    def case(t: Setup) -> list[str]:
        t.manifest(list(entries))
        return []
    return case


def reference_is_the_source(t: Setup) -> list[str]:
    """The source file named as its own reference: scored against itself, a copy would read BLEU 100."""
    t.manifest([{**DOCUMENT, "reference": "a.txt"}])
    return []


def reference_in_german(t: Setup) -> list[str]:
    t.write("ref.txt", "Der Stadtrat von Lyon hat am Montagabend ein Budget von zwölf Millionen Euro für die "
                       "Renovierung der Schulen der Stadt beschlossen. Die Arbeiten beginnen im nächsten Frühjahr "
                       "in sechs Stadtvierteln. Die Bürgermeisterin begrüßte eine Einigung nach drei Monaten "
                       "Gesprächen mit den Eltern.\n")
    return []


def overrides(*values: str):
    def case(t: Setup) -> list[str]:
        return list(values)
    return case


def two_target_languages(t: Setup) -> list[str]:
    t.manifest(target_lang=["en", "de"])
    return []


def document_target_lang(t: Setup) -> list[str]:
    t.manifest([{**DOCUMENT, "target_lang": "de"}])
    return []


def utf16_manifest(t: Setup) -> list[str]:
    text = (t.data / "manifest.yaml").read_text(encoding="utf-8")
    t.write("manifest.yaml", text.encode("utf-16"))
    return []


def unknown_document_case(t: Setup) -> list[str]:
    """data.documents=[A] for the id 'a': named, with the ids there are."""
    return ["data.documents=[A]"]


def rules_for_a_misspelt_reference(t: Setup) -> list[str]:
    """`references:` rules under 'ref.text' for the reference ref.txt: the rules were never applied, with no word."""
    t.manifest(references={"ref.text": {"clean": {"drop_lines": ["^Posted at "]}}})
    return []


def fifty_thousand_sentences(t: Setup) -> list[str]:
    """A document of 50,001 sentences against the default data.max_sentences, in a smoke run of 2: refused whole
    (the search would read every reference sentence), never cut to the first 50,000."""
    t.write("a.txt", FRENCH + " ".join(f"Le conseil a voté le budget numéro {k}." for k in range(49_998)) + "\n")
    return ["data.max_segments=2"]


def id_read_as_a_number(t: Setup) -> list[str]:
    """Ids 1.10 and 1_000 (version-like names): data.documents=[1.10] reached the harness as '1.1', and the error named
    an id the user never wrote, with no fix."""
    t.manifest([{**DOCUMENT, "id": "1.10"}, {**DOCUMENT, "id": "1_000"}])
    return ["data.documents=[1.10]"]


REFUSED = [
    pytest.param(reference_is_the_source, ["a.txt", "declared 'en'", "but the text is 'fr'"],
                 id="reference-is-the-source-file"),
    pytest.param(reference_in_german, ["ref.txt", "but the text is 'de'"], id="reference-not-in-target-lang"),
    pytest.param(documents_of({**DOCUMENT, "segmentation": "words"}),
                 ["segmentation 'words' is not one of sentences, lines"], id="segmentation-other-word"),
    pytest.param(two_target_languages, ["target_lang ['en', 'de'] names several languages", "one target language"],
                 id="two-target-languages"),
    pytest.param(documents_of({**DOCUMENT, "lang": ["fr", "de"]}), ["document #1: lang: ['fr', 'de'] is not one "
                                                                    "language code"], id="document-in-two-languages"),
    pytest.param(document_target_lang, ["unknown document field 'target_lang'"], id="document-target-lang"),
    pytest.param(utf16_manifest, ["manifest.yaml: file is UTF-16", "iconv"], id="utf16-manifest"),
    pytest.param(unknown_document_case, ["data.documents: no document 'A'", "ids: a"], id="documents-unknown-id"),
    pytest.param(documents_of({**DOCUMENT, "relation": "Parallel"}), ["relation 'Parallel' is not one of",
                                                                      "parallel"], id="relation-capitalised"),
    pytest.param(documents_of({**DOCUMENT, "alignment": "Lines"}), ["alignment 'Lines' is not one of search, lines"],
                 id="alignment-capitalised"),
    pytest.param(documents_of({**DOCUMENT, "relation": "translation"}), ["relation 'translation' is not one of"],
                 id="relation-other-word"),
    pytest.param(overrides("data.documents=[a,a]"), ["data.documents", "'a' is named twice"],
                 id="documents-id-twice"),
    pytest.param(rules_for_a_misspelt_reference, ["references: unknown reference file 'ref.text'",
                                                  "Did you mean 'ref.txt'?", "would never apply"],
                 id="rules-for-a-misspelt-reference"),
    pytest.param(fifty_thousand_sentences, ["a.txt: 50001 sentences, more than data.max_sentences=50000"],
                 id="document-of-50001-sentences"),
    pytest.param(id_read_as_a_number, ["no document '1.1'", "Hydra reads an unquoted 1.10 as 1.1",
                                       "data.documents=[\"1.10\"]"], id="documents-id-read-as-a-number"),
    pytest.param(documents_of({**DOCUMENT, "id": "İstanbul"}), ["id 'İstanbul' is not a plain file name"],
                 id="turkish-dotted-capital-in-an-id"),
]


@pytest.mark.parametrize("case, fragments", REFUSED)
def test_a_data_set_the_harness_cannot_run_gets_one_line_and_changes_nothing(tmp_path, case, fragments):
    setup = make_setup(tmp_path)
    extra = case(setup)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = outcome_of(setup, *extra)
    assert_one_line_error(outcome, *fragments)
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


# ---------------------------------------------------------------- data.max_segments: what is cut is said

def test_max_segments_over_several_documents_says_what_each_lost(tmp_path):
    """data.max_segments=1 over two documents of three sentences: the table showed BLEU and chrF as if over each
    document, result.json said source_segments 1 and no note: nothing told that two thirds of the text were cut and
    the rest scored against the whole reference."""
    setup = make_setup(tmp_path)
    setup.write("b.txt", FRENCH + FRENCH)
    setup.manifest([DOCUMENT, {**DOCUMENT, "id": "b", "file": "b.txt"}])
    outcome = outcome_of(setup, "data.max_segments=1")
    assert outcome.code == 0, outcome.stderr[-2000:]
    documents = {d["id"]: d for d in result_of(setup)["documents"]}
    for doc_id, total in (("a", 3), ("b", 6)):
        expected = (f"data.max_segments=1: the first 1 of {total} source sentences translated and scored, against the "
                    "whole reference; every score and verdict of this document is over that part")
        assert any(note.startswith(expected) for note in documents[doc_id]["notes"]), documents[doc_id]["notes"]
        assert f"note: {doc_id}: {expected}" in outcome.stdout, outcome.stdout


def test_max_segments_above_a_document_length_notes_nothing(tmp_path):
    setup = make_setup(tmp_path)
    outcome = outcome_of(setup, "data.max_segments=5")
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert not any("data.max_segments" in note for note in result_of(setup)["documents"][0]["notes"])


def test_max_segments_on_a_line_aligned_document_is_no_sacrebleu_score_of_the_files(tmp_path):
    """A line-aligned document cut to its first 2 lines was signed 'corpus over the lines (alignment: lines), as
    sacrebleu REF -i HYP', which scores all 4 lines of the files and prints another score."""
    setup = make_setup(tmp_path)
    with_lines(setup)
    outcome = outcome_of(setup, "data.max_segments=2")
    assert outcome.code == 0, outcome.stderr[-2000:]
    lined = next(d for d in result_of(setup)["documents"] if d["id"] == "l")
    for name in ("bleu", "chrf"):
        for scores in (lined["metrics"], lined["aligned"]):
            assert scores[name]["signature"].endswith(
                "|corpus over 2 of the 4 lines (alignment: lines; data.max_segments), not sacrebleu REF -i HYP's "
                "score of the files"), scores[name]["signature"]
    assert any(note.startswith("data.max_segments=2: the first 2 of 4 source lines") for note in lined["notes"])
    assert "as sacrebleu REF -i HYP" not in outcome.stdout


# ---------------------------------------------------------------- data.max_sentences

def test_a_line_aligned_document_over_max_sentences_is_run_whole(tmp_path):
    """Only a search needs the bound: a line-aligned document of more lines is neither refused nor cut."""
    setup = make_setup(tmp_path)
    with_lines(setup)
    setup.manifest([{"id": "l", "lang": "fr", "file": "l.fr", "reference": "l.en", "relation": "parallel",
                     "alignment": "lines"}])
    outcome = outcome_of(setup, "data.max_sentences=2")
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert result_of(setup)["documents"][0]["source_segments"] == 4


def test_max_sentences_refuses_before_any_document_is_translated(tmp_path):
    """The second document over the bound: refused in one line naming it, nothing translated or written."""
    setup = make_setup(tmp_path)
    setup.write("b.txt", FRENCH + FRENCH)
    setup.manifest([DOCUMENT, {**DOCUMENT, "id": "b", "file": "b.txt"}])
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = outcome_of(setup, "data.max_sentences=4")
    assert_one_line_error(outcome, "b.txt: 6 sentences, more than data.max_sentences=4")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


# ---------------------------------------------------------------- manifests as files

def test_a_manifest_with_a_byte_order_mark_and_windows_line_ends_runs(tmp_path):
    setup = make_setup(tmp_path)
    written = (setup.data / "manifest.yaml").read_bytes().replace(b"\n", b"\r\n")
    setup.write("manifest.yaml", b"\xef\xbb\xbf" + written)
    outcome = outcome_of(setup)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert [d["id"] for d in result_of(setup)["documents"]] == ["a"]


def test_a_manifest_linked_from_another_data_set_reads_only_this_folder(tmp_path):
    """manifest.yaml a symbolic link to another data set's: its files are named inside data.root, the folder
    handed to the run; the other data set's files are never read (a file only there is 'not found' here)."""
    setup = make_setup(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "only-there.txt").write_text(FRENCH, encoding="utf-8")
    (other / "manifest.yaml").write_text(json.dumps({"target_lang": "en", "documents": [
        {**DOCUMENT, "file": "only-there.txt"}]}), encoding="utf-8")
    (setup.data / "manifest.yaml").unlink()
    os.symlink(other / "manifest.yaml", setup.data / "manifest.yaml")
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = outcome_of(setup)
    assert_one_line_error(outcome, str(setup.data / "only-there.txt"), "file not found")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


# ---------------------------------------------------------------- documents as users bring them

def test_one_file_as_the_source_of_two_documents_is_translated_once_and_scored_twice(tmp_path):
    setup, outcome = ran(tmp_path, {}, [DOCUMENT, {**DOCUMENT, "id": "b", "relation": "unrelated"}])
    documents = {d["id"]: d for d in result_of(setup)["documents"]}
    assert documents["a"]["metrics"]["bleu"]["score"] == documents["b"]["metrics"]["bleu"]["score"]
    assert "! measured relation disagrees with the declared one: b" in outcome.stdout


def test_a_document_of_one_title_line_runs_with_its_checks_noted(tmp_path):
    setup, _ = ran(tmp_path, {"a.txt": "Budget des écoles de Lyon\n", "ref.txt": "Lyon schools budget\n"})
    document = result_of(setup)["documents"][0]
    assert document["source_segments"] == 1
    assert any("too short to check" in note for note in document["notes"]), document["notes"]


def test_a_table_of_numbers_keeps_its_rows(tmp_path):
    setup, _ = ran(tmp_path, {"a.txt": FRENCH + "2019 2020 2021\n12,5 14,0 15,2\n",
                              "ref.txt": ENGLISH + "2019 2020 2021\n12.5 14.0 15.2\n"})
    assert "\n2019 2020 2021\n12,5 14,0 15,2\n" in hypothesis_of(setup)


BULLETS = ["- Le maire a inauguré une ligne de tramway lundi", "- Le conseil a voté un budget important",
           "- Le trajet dure vingt-cinq minutes"]


def test_bullet_points_are_one_segment_each_and_keep_their_text(tmp_path):
    reference = ENGLISH + "\n".join("- " + line.rstrip(".") for line in LINES_ENGLISH[:3]) + "\n"
    setup, _ = ran(tmp_path, {"a.txt": FRENCH + "\n".join(BULLETS) + "\n", "ref.txt": reference})
    assert result_of(setup)["documents"][0]["source_segments"] == 6
    assert all(bullet in hypothesis_of(setup) for bullet in BULLETS), hypothesis_of(setup)


def test_arabic_with_direction_marks_keeps_every_sentence(tmp_path):
    """Right-to-left and left-to-right marks around Arabic sentences and a Latin name, and a line of marks alone:
    no sentence merged or lost, and the line of marks is no segment."""
    marked = ARABIC.strip().replace(". ", ".\u200f ").replace("ليون", "\u200eLyon\u200e")
    setup, _ = ran(tmp_path, {"a.txt": "\u200f" + marked + "\n\u200e\u200f\n"}, [{**DOCUMENT, "lang": "ar"}])
    assert result_of(setup)["documents"][0]["source_segments"] == 3


TURKISH = ("İstanbul Belediye Meclisi pazartesi akşamı şehrin okullarını yenilemek için on iki milyon avroluk bir "
           "bütçeyi onayladı. Çalışmalar önümüzdeki ilkbaharda altı mahallede başlayacak. Belediye başkanı, "
           "velilerle üç ay süren görüşmelerin ardından varılan anlaşmayı memnuniyetle karşıladı.\n")


def test_turkish_dotted_and_dotless_i_keep_their_sentences_and_letters(tmp_path):
    setup, _ = ran(tmp_path, {"a.txt": TURKISH}, [{**DOCUMENT, "lang": "tr"}])
    assert result_of(setup)["documents"][0]["source_segments"] == 3
    assert hypothesis_of(setup).split() == TURKISH.split()


def test_a_line_aligned_and_a_searched_document_in_one_manifest_are_each_signed_as_what_they_are(tmp_path):
    setup = make_setup(tmp_path)
    with_lines(setup)
    outcome = outcome_of(setup)
    assert outcome.code == 0, outcome.stderr[-2000:]
    documents = {d["id"]: d for d in result_of(setup)["documents"]}
    assert documents["l"]["metrics"]["bleu"]["signature"].endswith("as sacrebleu REF -i HYP")
    assert "alignment: lines" not in documents["a"]["metrics"]["bleu"]["signature"]
    assert documents["l"]["source_segments"] == 4 and documents["a"]["source_segments"] == 3


def test_a_line_aligned_document_with_blank_lines_and_two_sentences_on_a_line_keeps_each_line_whole(tmp_path):
    """Pre-split text as it comes: a blank line is an empty segment, and a line of two sentences stays one."""
    source = [LINES_FRENCH[0], "", LINES_FRENCH[1] + " " + LINES_FRENCH[2], LINES_FRENCH[3]]
    reference = [LINES_ENGLISH[0], "", LINES_ENGLISH[1] + " " + LINES_ENGLISH[2], LINES_ENGLISH[3]]
    setup, _ = ran(tmp_path, {"l.fr": "\n".join(source) + "\n", "l.en": "\n".join(reference) + "\n"},
                   [{"id": "l", "lang": "fr", "file": "l.fr", "reference": "l.en", "relation": "parallel",
                     "alignment": "lines"}])
    assert hypothesis_of(setup, "l").split("\n")[:4] == source
    assert result_of(setup)["documents"][0]["source_segments"] == 4


def test_pre_split_lines_of_a_searched_document_are_never_merged(tmp_path):
    """One sentence per line without full stops (pre-split text, no `segmentation:` field declared): each line stays
    a sentence of its own, and a line of two sentences is split at its own sentence end."""
    lines = [line.rstrip(".") for line in LINES_FRENCH[:3]] + [LINES_FRENCH[3] + " " + LINES_FRENCH[0]]
    setup, _ = ran(tmp_path, {"a.txt": "\n".join(lines) + "\n",
                              "ref.txt": "\n".join(LINES_ENGLISH + LINES_ENGLISH[:1]) + "\n"})
    assert result_of(setup)["documents"][0]["source_segments"] == 5
    assert hypothesis_of(setup).splitlines() == lines


def test_a_byline_behind_a_direction_mark_is_dropped_by_its_rule(tmp_path):
    """'\u200eAgence QMI' (a left-to-right mark before the byline, as text copied from a web page carries) did
    not match drop_lines ^Agence QMI$: the line was translated and scored, and the record said nothing."""
    setup, _ = ran(tmp_path, {"a.txt": "\u200eAgence QMI\n" + FRENCH + "Agence QMI\u200f\n"},
                   [{**DOCUMENT, "clean": {"drop_lines": ["^Agence QMI$"]}}])
    dropped = result_of(setup)["documents"][0]["cleaning"]["source"]["dropped"]
    assert [d["line"] for d in dropped] == [1, 3], dropped
    assert "QMI" not in hypothesis_of(setup)


@pytest.mark.parametrize("where", ["manifest", "document"])
def test_segmentation_lines_takes_each_line_of_source_and_reference_as_one_sentence(tmp_path, where):
    """Issue 20's pre-split text (gold alignment corpora, subtitles): `segmentation: lines`, for the manifest or one
    document, makes each non-empty line of the source and of the reference one sentence, a line of two sentences
    included, and the search aligns those lines. The field was refused ('unknown manifest field'), so a gold
    corpus's own sentence split could not be kept."""
    lines = LINES_FRENCH[:3] + [LINES_FRENCH[3] + " " + LINES_FRENCH[0]]
    references = LINES_ENGLISH[:3] + [LINES_ENGLISH[3] + " " + LINES_ENGLISH[0]]
    setup = make_setup(tmp_path)
    setup.write("a.txt", "\n".join(lines) + "\n")
    setup.write("ref.txt", "\n".join(references) + "\n")
    if where == "manifest":
        setup.manifest(segmentation="lines")
    else:
        setup.manifest([{**DOCUMENT, "segmentation": "lines"}])
    outcome = outcome_of(setup)
    assert outcome.code == 0, outcome.stderr[-2000:]
    document = result_of(setup)["documents"][0]
    assert document["source_segments"] == 4
    assert hypothesis_of(setup).splitlines() == lines
    assert document["diagnostics"]["relation"]["signals"]["reference_sentences"] == 4, document["diagnostics"]
    assert document["alignment"]["beads"] == {"1-1": 4}
    assert [segment["ref"] for segment in document["segments"]] == references

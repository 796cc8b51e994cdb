"""benchmarks.mqm_ted (a gold corpus from the MQM ratings' human references, TED and WMT 2023) and
benchmarks.gold_alignment's --resegment (the true pairs split into sentences by the harness, not by the gold)."""
from __future__ import annotations

import random
import subprocess
import sys

from benchmarks import gold_alignment
from benchmarks.mqm_ted import reference_segments, write_corpus
from tests.builders import REPO

HEADER = "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\tcomment\n"
ROWS = [
    ("ref", "talk.1", "1", "2", "rater1", "Second  line.", "Zweite <v>Zeile</v>.", "Fluency", "Minor", ""),
    ("ref", "talk.1", "1", "1", "rater1", "First line.", "Erste Zeile.", "No-error", "no-error", ""),
    ("ref", "talk.1", "1", "2", "rater2", "Second  line.", "Zweite <v>Zeile</v>.", "Style", "Minor", ""),
    ("ref", "talk.1", "1", "3", "rater1", "Untranslated.", "", "Omission", "Major", ""),
    ("Online-W", "talk.1", "1", "1", "rater1", "First line.", "Erste Linie.", "No-error", "no-error", ""),
    ("ref", "talk.2", "2", "4", "rater1", "Other talk.", "Anderer Vortrag.", "No-error", "no-error", ""),
]


def write_tsv(path) -> None:
    path.write_text(HEADER + "".join("\t".join(row) + "\n" for row in ROWS), encoding="utf-8")


def test_the_corpus_holds_the_human_reference_in_segment_order_with_1_1_gold(tmp_path):
    tsv, out = tmp_path / "mqm_ted_ende.tsv", tmp_path / "corpus"
    write_tsv(tsv)
    write_corpus(reference_segments(tsv), ("en", "de"), out)
    assert (out / "talk1.en").read_text() == "First line.\nSecond line.\n"
    assert (out / "talk1.de").read_text() == "Erste Zeile.\nZweite Zeile.\n"   # no system output, no error marks
    assert (out / "gold" / "talk1.align").read_text() == "[0]:[0]\n[1]:[1]\n"   # the empty reference left out
    assert (out / "talk2.de").read_text() == "Anderer Vortrag.\n"
    documents = gold_alignment.corpus_documents(out)
    assert [(name, len(src), len(tgt), gold) for name, src, tgt, gold in documents] == [
        ("talk1", 2, 2, [((0,), (0,)), ((1,), (1,))]), ("talk2", 1, 1, [((0,), (0,))])]
    assert gold_alignment.corpus_languages(out) == ("de", "en")   # the English side is the target


def test_an_existing_output_folder_is_refused_and_left_as_it_was(tmp_path):
    tsv, out = tmp_path / "mqm_ted_zhen.tsv", tmp_path / "corpus"
    write_tsv(tsv)
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    done = subprocess.run([sys.executable, "-m", "benchmarks.mqm_ted", str(tsv), str(out)], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == f"{out}: already exists; name a new folder"
    assert [p.name for p in out.iterdir()] == ["mine.txt"] and (out / "mine.txt").read_text() == "keep"


WMT23_HEADER = "system\tdoc\tdocSegId\tglobalSegId\trater\tsource\ttarget\tcategory\tseverity\tmetadata\n"
WMT23_ROWS = [
    ("refA", "news_bbc.12:en-de", "2", "8", "rater1", "Second.", "<v>Zweiter</v>.", "Style", "Minor", "{}"),
    ("refA", "news_bbc.12:en-de", "1", "7", "rater2", "First.", "Erster.", "No-error", "no-error", '{"a": 1}'),
    ("ONLINE-A", "news_bbc.12:en-de", "1", "7", "rater2", "First.", "Erst.", "No-error", "no-error", "{}"),
]


def test_the_wmt_2023_ratings_give_translator_a_per_document_in_segment_order(tmp_path):
    tsv, out = tmp_path / "sxs_mqm_generalMT2023_ende.3ratingsPerSegment.tsv", tmp_path / "corpus"
    tsv.write_text(WMT23_HEADER + "".join("\t".join(row) + "\n" for row in WMT23_ROWS), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "benchmarks.mqm_ted", str(tsv), str(out)], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "news_bbc12.en").read_text() == "First.\nSecond.\n"
    assert (out / "news_bbc12.de").read_text() == "Erster.\nZweiter.\n"   # translator A's, no error marks
    assert gold_alignment.corpus_languages(out, "en") == ("en", "de")


def test_ratings_without_a_human_translation_are_refused_and_nothing_is_written(tmp_path):
    tsv, out = tmp_path / "sxs_mqm_generalMT2023_zhen.3ratingsPerSegment.tsv", tmp_path / "corpus"
    tsv.write_text(WMT23_HEADER + "\t".join(WMT23_ROWS[2]) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "benchmarks.mqm_ted", str(tsv), str(out)], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == f"{tsv}: no human translation in it (system ref or refA); name a file that has one"
    assert not out.exists()


def test_resegmenting_joins_each_side_and_splits_it_in_its_own_language(monkeypatch):
    seen = []
    monkeypatch.setattr(gold_alignment, "judged", lambda src, ref, cfg: seen.append((src, ref)) or ("parallel", {}))
    documents = [("doc", ["Il pleut. Il", "fait froid."], ["It rains.", "It is cold. Very."], [])]
    rows = gold_alignment.resegmented_relations(documents, ("fr", "en"), cfg=None)
    assert rows == [("true", "parallel", {})]
    assert seen == [(["Il pleut.", "Il fait froid."], ["It rains.", "It is cold.", "Very."])]


WMT_XML = """<?xml version='1.0' encoding='utf-8'?>
<dataset id="wmttest2022"><collection id="general">
{docs}
</collection></dataset>"""


def wmt_doc(doc_id: str, domain: str, origlang: str, lines: int) -> str:
    segs = lambda text: "".join(f'<seg id="{k}">{text} {k}.</seg>' for k in range(1, lines + 1))  # noqa: E731
    return (f'<doc origlang="{origlang}" id="{doc_id}" domain="{domain}"><src lang="fr"><p>{segs("Phrase")}</p></src>'
            f'<ref lang="de" translator="B"><p>{segs("Andere")}</p></ref>'
            f'<ref lang="de" translator="A"><p>{segs("Satz")}</p></ref>'
            f'<hyp system="X" lang="de"><p>{segs("System")}</p></hyp></doc>')


def test_a_wmt_corpus_takes_translator_a_of_source_original_documents_per_domain(tmp_path):
    from benchmarks.wmt_documents import documents
    xml = tmp_path / "wmttest2022.fr-de.all.xml"
    xml.write_text(WMT_XML.format(docs="".join([
        wmt_doc("n1", "news", "fr", 3), wmt_doc("n2", "news", "de", 3),   # written in German: left out
        wmt_doc("n3", "news", "fr", 1),                                   # too short: left out
        wmt_doc("n4", "news", "fr", 2), wmt_doc("n5", "news", "fr", 2), wmt_doc("s1", "social", "fr", 2)])))
    dev = documents(xml, "fr", per_domain=1, skip=0, min_segments=2)
    test = documents(xml, "fr", per_domain=1, skip=1, min_segments=2)
    assert list(dev) == ["news-n1", "social-s1"] and list(test) == ["news-n4"]
    assert dev["news-n1"] == {0: ("Phrase 1.", "Satz 1."), 1: ("Phrase 2.", "Satz 2."), 2: ("Phrase 3.", "Satz 3.")}


def ntrex_checkout(root, english, translated, ids):
    (root / "NTREX-128").mkdir(parents=True)
    (root / "NTREX-128" / "newstest2019-src.eng.txt").write_text("".join(f"{line}\n" for line in english))
    (root / "NTREX-128" / "newstest2019-ref.tur.txt").write_text("".join(f"{line}\n" for line in translated))
    (root / "DOCUMENT_IDS.tsv").write_text("".join(f"{name}\t{k}\n" for k, name in enumerate(ids)))
    return root


def test_an_ntrex_corpus_alternates_documents_between_dev_and_test_with_the_translation_as_source(tmp_path):
    from benchmarks.ntrex_documents import documents
    ntrex = ntrex_checkout(tmp_path / "ntrex", ["A one.", "A two.", "B one.", "C one.", "C two."],
                           ["A bir.", "A iki.", "B bir.", "C bir.", "C iki."], ["a.1", "a.1", "b.2", "c.3", "c.3"])
    assert documents(ntrex, "tur", "dev") == {"a_1": {0: ("A bir.", "A one."), 1: ("A iki.", "A two.")},
                                             "c_3": {0: ("C bir.", "C one."), 1: ("C iki.", "C two.")}}
    assert documents(ntrex, "tur", "test") == {"b_2": {0: ("B bir.", "B one.")}}


def test_an_ntrex_checkout_whose_files_do_not_line_up_is_refused_and_nothing_is_written(tmp_path):
    ntrex = ntrex_checkout(tmp_path / "ntrex", ["A one.", "A two."], ["A bir."], ["a.1", "a.1"])
    out = tmp_path / "corpus"
    done = subprocess.run([sys.executable, "-m", "benchmarks.ntrex_documents", str(ntrex), "tur", str(out),
                           "--split", "dev"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2 and "2 English lines, 1 in tur" in done.stderr and not out.exists()


def test_the_source_side_can_be_named_where_the_file_names_do_not_tell(tmp_path):
    (tmp_path / "gold").mkdir()
    (tmp_path / "d.fr").write_text("Phrase.\n")
    (tmp_path / "d.de").write_text("Satz.\n")
    (tmp_path / "gold" / "d.align").write_text("[0]:[0]\n")
    assert gold_alignment.corpus_languages(tmp_path) == ("de", "fr")   # without .en: the second name the target
    assert gold_alignment.corpus_languages(tmp_path, "fr") == ("fr", "de")
    [(_, source, target, _)] = gold_alignment.corpus_documents(tmp_path, "fr")
    assert (source, target) == (["Phrase."], ["Satz."])


def bertalign_layout(root, documents: dict[str, tuple[str, str, str]]):
    """bertalign's text+berg/ as it ships: de/<doc>, fr/<doc>, gold/<doc> (no .align)."""
    for folder in ("de", "fr", "gold"):
        (root / folder).mkdir(parents=True)
    for name, (german, french, gold) in documents.items():
        (root / "de" / name).write_text(german)
        (root / "fr" / name).write_text(french)
        (root / "gold" / name).write_text(gold)
    return root


def test_bertalign_s_folder_per_language_layout_is_read_as_it_ships(tmp_path):
    corpus = bertalign_layout(tmp_path / "text+berg", {
        "001": ("Ein Satz.\nZwei Sätze.\n", "Une phrase.\nDeux phrases.\n", "[0]:[0]\n[1]:[1]\n"),
        "002": ("Drei.\n", "Trois.\n", "[0]:[0]\n")})
    (corpus / "auto").mkdir()
    (corpus / "auto" / "001.align").write_text("[0]:[0]\n")   # another aligner's output beside the gold: not a side
    assert gold_alignment.corpus_languages(corpus) == ("de", "fr")
    assert gold_alignment.corpus_documents(corpus) == [
        ("001", ["Ein Satz.", "Zwei Sätze."], ["Une phrase.", "Deux phrases."], [((0,), (0,)), ((1,), (1,))]),
        ("002", ["Drei."], ["Trois."], [((0,), (0,))])]
    assert gold_alignment.corpus_languages(corpus, "fr") == ("fr", "de")


def test_a_last_line_without_a_line_feed_is_a_sentence(tmp_path):
    corpus = bertalign_layout(tmp_path / "c", {"001": ("Eins.\nZwei.", "Un.\nDeux.\n", "[0]:[0]\n[1]:[1]")})
    [(_, source, target, gold)] = gold_alignment.corpus_documents(corpus)
    assert source == ["Eins.", "Zwei."] and target == ["Un.", "Deux."] and gold == [((0,), (0,)), ((1,), (1,))]


def test_a_gold_bead_past_a_file_s_end_names_the_gold_file_and_both_counts(tmp_path):
    corpus = bertalign_layout(tmp_path / "c", {"001": ("Eins.\n", "Un.\nDeux.\n", "[0]:[0, 1]\n[1]:[]\n")})
    done = subprocess.run([sys.executable, "-m", "benchmarks.gold_alignment", "--corpus", str(corpus)], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 1   # SystemExit with a message
    assert done.stderr.strip() == (f"{corpus / 'gold' / '001'}: names source sentence 1 (from 0), but the source "
                                   f"side (de) has 1 line; if its first column is fr, give --source fr")


def test_a_corpus_without_gold_alignments_says_where_they_are_looked_for(tmp_path):
    (tmp_path / "de").mkdir()
    done = subprocess.run([sys.executable, "-m", "benchmarks.gold_alignment", "--corpus", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True)
    assert done.stderr.strip() == f"{tmp_path}: no gold alignments (gold/<doc>.align or gold/<doc>)"


def test_beads_are_put_in_the_order_an_aligner_writes_them():
    beads = [((2,), (3,)), ((0,), (0,)), ((), (2,)), ((1,), ()), ((), (4,)), ((), (1,))]
    assert gold_alignment.in_document_order(beads) == [
        ((0,), (0,)), ((1,), ()), ((), (1,)), ((), (2,)), ((2,), (3,)), ((), (4,))]


def test_beads_of_one_verse_are_joined_as_bertalign_s_bible_evaluation_joins_them():
    """bin/eval_bible.py of bertalign (commit 3c432d0): consecutive beads whose sides lie in one verse each, the
    same one (an empty side lies anywhere), are joined; a bead across verses is never joined."""
    source_verses = ["Gen:1:1", "Gen:1:2", "Gen:1:2", "Gen:1:3", "Gen:1:4"]
    target_verses = ["Gen:1:1", "Gen:1:2", "Gen:1:2", "Gen:1:2", "Gen:1:3", "Gen:1:4"]
    beads = [((0,), (0,)), ((1,), (1,)), ((2,), (2,)), ((), (3,)), ((3, 4), (4, 5))]
    assert gold_alignment.merged_by_verse(beads, source_verses, target_verses) == [
        ((0,), (0,)), ((1, 2), (1, 2, 3)), ((3, 4), (4, 5))]
    across = [((0, 1), (0,)), ((2,), (1,)), ((3,), (4,)), ((), (5,))]   # verse 1-2, then 2, 3, 4: none joined
    assert gold_alignment.merged_by_verse(across, source_verses, target_verses) == across


def test_verse_files_must_number_the_one_document_s_sentences(tmp_path):
    corpus = bertalign_layout(tmp_path / "c", {"001": ("Eins.\nZwei.\n", "Un.\n", "[0, 1]:[0]\n")})
    (tmp_path / "de.verse").write_text("A:1:1\nA:1:1\n")
    (tmp_path / "fr.verse").write_text("A:1:1\n")
    documents = gold_alignment.corpus_documents(corpus)
    assert gold_alignment.verses_of([tmp_path / "de.verse", tmp_path / "fr.verse"], documents) == (
        ["A:1:1", "A:1:1"], ["A:1:1"])
    done = subprocess.run([sys.executable, "-m", "benchmarks.gold_alignment", "--corpus", str(corpus), "--verses",
                           str(tmp_path / "fr.verse"), str(tmp_path / "de.verse")], cwd=REPO, capture_output=True,
                          text=True)
    assert done.stderr.strip() == f"{tmp_path / 'fr.verse'}: 1 verses for 2 sentences; give the source's verse file first"


def test_merges_and_omissions_are_made_from_one_system_s_own_outputs(tmp_path):
    """benchmarks.merged_outputs: a merge puts two segments' outputs at the first and leaves the second empty; an
    omission leaves the second's output out; the other outputs stay as the system wrote them."""
    from benchmarks.merged_outputs import cases
    xml = tmp_path / "wmttest2022.fr-de.all.xml"
    xml.write_text(WMT_XML.format(docs=wmt_doc("n1", "news", "fr", 8)))
    [merge, omission, merge_right, omission_right] = cases(xml, skip=0, per_domain=4, samples=1, rng=random.Random(0))
    drawn = random.Random(0)
    drawn.choice(["X"])
    k = drawn.randrange(6)
    source, outputs = [f"Phrase {n}." for n in range(1, 9)], [f"System {n}." for n in range(1, 9)]
    changed = lambda *texts: outputs[:k] + list(texts) + outputs[k + len(texts):]  # noqa: E731
    x, y, z = outputs[k:k + 3]
    assert merge == ("merge", ([k], k + 1, source, changed(f"{x} {y}", ""), 1.0))
    assert omission == ("omission", ([k], k + 1, source, changed(x, ""), 1.0))
    assert merge_right == ("merge", ([k + 2], k + 1, source, changed(x, "", f"{y} {z}"), 1.0))
    assert omission_right == ("omission", ([k + 2], k + 1, source, changed(x, "", z), 1.0))

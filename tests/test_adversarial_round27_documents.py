"""Round 27 on the documents a user hands to harness-run and harness-score: real-world files.

Line ends: a searched document (source, reference or model=files output) saved with lone CRs (old Mac files) was read
as one line, since only '\\n' ended one: a bulleted agenda, whose items have no full stop, became one sentence on each
side, its relation `cannot_judge` ("too few sentences: 1 in the reference, 1 in the source") and its aligned scores
those of one segment (BLEU 65.4 where the same text with '\\n' scored 48.6), with nothing naming the line ends.

Files joined with cat: each Windows-made part keeps its UTF-8 byte-order mark, which starts a line inside the joined
file. A searched document drops the mark at the file's start ("the mark is no text"), but one that started a later line
stayed, glued to its first word: a source, reference and model=files output each joined so scored chrF 69.4 where
the same text without the marks scored 69.6.

A manifest naming a file by its Windows path (`file: C:\\Users\\me\\src.txt`) was told to "write the path with forward
slashes (C:/Users/me/src.txt), as on every system"; written so, it read "file not found; check the file name".

Hard-wrapped text (an e-mail, a PDF or Project Gutenberg extract, cut every 60 characters): a searched document's
lines are never joined, so each piece of a sentence was read as a sentence; a true translation's relation read
cannot_judge ("every sentence aligned is a merge ...: a summary or a retelling"), and a model=files output that
translated every sentence was shown as `7/14 empty`, with no word of the line breaks. A note now names them.

Control characters: a hypothesis file captured from a coloured terminal (each line in ESC[32m ... ESC[0m) was scored
as sacrebleu scores it (BLEU 17.6 for the same text's 24.0) with no word of the codes; in a searched document the
ESC[0m pieces were read as sentences, and the only note was "the output gives '\\x1b[0m' 3 times ...: a model
repeating one sentence". The source, references and output now name them.

A model=files output named B.txt for document b (found on macOS and Windows, whose disks ignore case) read on Linux
"no hypothesis for document 'b'; add b.txt to model.path", beside the file; so did one saved as b or b.txt.txt.

A manifest naming café.txt (é typed as one character) where the file, copied from macOS, is named with e and a
combining accent: "file not found; check the file name", for a name that reads the same as the one on disk.

The reference handed in as a hypothesis: a single run's table says "the output is its reference word for word" (round
15), but a comparison of it with real systems (harness-score sysA.txt ref-copy.txt, harness-compare) ranked it first at
BLEU 100, and its notes said nothing of it.
"""
from __future__ import annotations

import textwrap
import unicodedata
from pathlib import Path

import pytest

from harness import run
from harness.config import compose_config
from harness.data.documents import load_dataset
from harness.errors import UserError
from tests.adversarial import run_cli
from tests.test_adversarial_compare import REFERENCES, write_dataset
from tests.test_adversarial_round3_scores import HYPOTHESIS, REFERENCE, SOURCE
from tests.test_adversarial_round8_languages import data_set, refusal

AGENDA = ["Ordre du jour :", "- ouverture de la séance", "- vote du budget de la ville",
          "- questions diverses des habitants", "- clôture de la réunion"]
AGENDA_REFERENCE = ["Agenda:", "- opening of the session", "- vote on the city budget",
                    "- various questions from residents", "- closing of the meeting"]
AGENDA_OUTPUT = ["Agenda:", "- opening of the session", "- vote of the city budget", "- various questions of residents",
                 "- closing the meeting"]
MANIFEST = "target_lang: en\ndocuments:\n  - {id: a, lang: fr, file: a.txt, reference: ref.txt, relation: parallel}\n"


def agenda_run(tmp_path: Path, name: str, line_end: str) -> dict:
    """The agenda, its reference and a system's output (model=files), every file's lines ended by line_end."""
    data, outputs = tmp_path / name / "data", tmp_path / name / "outputs"
    data.mkdir(parents=True)
    outputs.mkdir()
    (data / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    for path, lines in ((data / "a.txt", AGENDA), (data / "ref.txt", AGENDA_REFERENCE),
                        (outputs / "a.txt", AGENDA_OUTPUT)):
        path.write_bytes("".join(line + line_end for line in lines).encode("utf-8"))
    return run(compose_config([f"data.root={data}", f"cache.dir={tmp_path / 'cache'}", "model=files",
                               f"model.path={outputs}"]), tmp_path / name / "run")["documents"][0]


def test_a_searched_document_with_lone_cr_line_ends_reads_as_the_same_text_with_line_feeds(tmp_path):
    unix, mac = agenda_run(tmp_path, "unix", "\n"), agenda_run(tmp_path, "mac", "\r")
    assert unix["diagnostics"]["relation"]["measured"] == "parallel"
    assert mac["diagnostics"]["relation"] == unix["diagnostics"]["relation"]
    assert mac["source_segments"] == unix["source_segments"] == len(AGENDA)
    assert mac["aligned"] == unix["aligned"]
    assert mac["metrics"] == unix["metrics"]


def test_a_system_that_is_the_reference_is_named_in_the_comparison_it_tops(tmp_path):
    for name, lines in (("src.txt", SOURCE), ("ref.txt", REFERENCE), ("sysA.txt", HYPOTHESIS), ("ref-copy.txt", REFERENCE)):
        (tmp_path / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    done = run_cli("score", ["-s", "src.txt", "-r", "ref.txt", "--src-lang", "fr", "sysA.txt", "ref-copy.txt",
                             "--out", "out"], cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert done.code == 0, done.stderr[-2000:]
    degraded = [line for line in done.stdout.splitlines() if line.startswith("degraded:")]
    assert degraded == ["degraded: ref-copy: output is the reference word for word (its scores of 100 measure no "
                        "translation): src"], done.stdout[-3000:]


def joined_with_cat(lines: list[str]) -> bytes:
    """A file made by `cat part1.txt part2.txt`, each part saved with a UTF-8 byte-order mark."""
    return b"".join(b"\xef\xbb\xbf" + f"{line}\n".encode("utf-8") for line in lines)


def test_a_byte_order_mark_that_starts_a_line_of_a_searched_document_is_no_text(tmp_path):
    def document_scores(name: str, encode) -> dict:
        data, outputs = tmp_path / name / "data", tmp_path / name / "outputs"
        data.mkdir(parents=True)
        outputs.mkdir()
        (data / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
        for path, lines in ((data / "a.txt", SOURCE), (data / "ref.txt", REFERENCE), (outputs / "a.txt", HYPOTHESIS)):
            path.write_bytes(encode(lines))
        result = run(compose_config([f"data.root={data}", f"cache.dir={tmp_path / 'cache'}", "model=files",
                                     f"model.path={outputs}", "alignment.embeddings=false"]), tmp_path / name / "run")
        return result["documents"][0]["metrics"]

    plain = document_scores("plain", lambda lines: "".join(f"{line}\n" for line in lines).encode("utf-8"))
    assert document_scores("joined", joined_with_cat) == plain


@pytest.mark.parametrize("written", ["C:\\Users\\me\\src.txt", "C:/Users/me/src.txt", "\\\\server\\share\\src.txt"])
def test_a_windows_drive_or_network_path_in_the_manifest_is_refused_with_a_fix_that_works(tmp_path, written):
    message = refusal(data_set(tmp_path, file=written))
    assert f"no file '{written}'" in message and "a Windows drive or network path names no file here" in message
    assert "save the file into the data folder" in message and "forward slashes" not in message, message


WRAPPED = "hard-wrapped text? Each line is read as sentences of its own"
ARTICLE = ("Le maire a inauguré lundi une nouvelle ligne de tramway dans le centre-ville. Les travaux ont duré trois ans "
           "et ont coûté plus de deux cents millions d'euros. Selon la municipalité, la ligne transportera vingt mille "
           "voyageurs par jour. Les commerçants du quartier se plaignent encore du bruit des chantiers.")
ARTICLE_REFERENCE = ("The mayor opened a new tram line in the city centre on Monday. The works lasted three years and "
                     "cost more than two hundred million euros. According to the city, the line will carry twenty "
                     "thousand passengers a day. Shopkeepers in the area still complain about the noise of the works.")


def document_notes(folder: Path, source: str, reference: str) -> list[str]:
    folder.mkdir()
    (folder / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / "a.txt").write_text(source, encoding="utf-8")
    (folder / "ref.txt").write_text(reference, encoding="utf-8")
    return list(load_dataset(folder).documents[0].notes)


def test_hard_wrapped_text_is_said_and_a_list_or_a_paragraph_per_line_is_not(tmp_path):
    notes = document_notes(tmp_path / "wrapped", textwrap.fill(ARTICLE, 60) + "\n", ARTICLE_REFERENCE + "\n")
    assert [note.split(":")[0] for note in notes if WRAPPED in note] == ["the source a.txt"], notes
    assert not any(WRAPPED in note for note in document_notes(tmp_path / "agenda", "\n".join(AGENDA) + "\n",
                                                                   "\n".join(AGENDA_REFERENCE) + "\n"))
    assert not any(WRAPPED in note for note in document_notes(tmp_path / "article", ARTICLE.replace(". ", ".\n"),
                                                                   ARTICLE_REFERENCE.replace(". ", ".\n")))


def test_terminal_colour_codes_in_a_hypothesis_file_are_named(tmp_path):
    for name, lines in (("src.txt", SOURCE), ("ref.txt", REFERENCE),
                        ("coloured.txt", [f"\x1b[32m{line}\x1b[0m" for line in HYPOTHESIS])):
        (tmp_path / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    done = run_cli("score", ["-s", "src.txt", "-r", "ref.txt", "--src-lang", "fr", "coloured.txt", "--out", "out"],
                   cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert done.code == 0, done.stderr[-2000:]
    said = f"note: src: the output holds control characters on {len(HYPOTHESIS)} of its {len(HYPOTHESIS)} lines"
    assert said in done.stdout and "(the first U+001B; ESC, U+001B, starts a coloured terminal's colour codes)" \
        in done.stdout, done.stdout[-3000:]


@pytest.mark.parametrize("saved_as", ["B.txt", "b", "b.txt.txt"])
def test_an_output_file_named_all_but_right_is_named_in_the_error(tmp_path, saved_as):
    data, outputs = write_dataset(tmp_path / "data"), tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "a.txt").write_text(REFERENCES["a"], encoding="utf-8")
    (outputs / saved_as).write_text(REFERENCES["b"], encoding="utf-8")
    with pytest.raises(UserError) as refused:
        run(compose_config([f"data.root={data}", f"cache.dir={tmp_path / 'cache'}", "model=files",
                            f"model.path={outputs}", "alignment.embeddings=false"]), tmp_path / "run")
    assert str(refused.value).endswith(f"add b.txt to model.path ({saved_as} is there: rename it to b.txt, the name "
                                       "matched as written)"), refused.value
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("on_disk, written", [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_file_name_in_another_unicode_form_is_named_in_the_error(tmp_path, on_disk, written):
    data = data_set(tmp_path)
    name = "café.txt"
    (data / "src.txt").rename(data / unicodedata.normalize(on_disk, name))
    message = refusal(data_set(tmp_path, file=unicodedata.normalize(written, name)))
    assert f"the file there is named {ascii(unicodedata.normalize(on_disk, name))}, the same letters in another " \
           "Unicode form" in message, message

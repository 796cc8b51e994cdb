"""Round 12: the same text gets the same score, and bad input fails cleanly: line-aligned test sets and
harness-score inputs as users bring them, messy.

Attacked here (each case as a user runs it, in a child process, the user's folder checksummed before and after):

- files whose lines end in a lone CR (old Mac files: sacrebleu reads each as one line), a blank line after the last
  line, lines of only spaces, tabs, U+2028 or U+0085, a source handed in as its own hypothesis, the reference handed
  in as the hypothesis, a line of 60,000 characters, and file names with spaces, a script other than Latin, a
  leading dash, a name of 150 characters or the name of harness-score's own files (`references`,
  `manifest.yaml`): scored, and the scores are `sacrebleu REF -i HYP -m bleu chrf ter`'s on the same files;
- an empty hypothesis, reference or source, a reference of blank lines, NUL bytes, Latin-1, a hypothesis that is
  a folder or a link to one, a reference that is a named pipe, one hypothesis file named twice, two file names that
  differ only in Unicode normalization (NFC, NFD), a second reference one blank line longer, '-' for standard input
  (as sacrebleu reads it): refused in one line naming the file and the fix, exit code 2, nothing written; the hint
  on a line count is given only where the blank lines or lone CRs account for the whole difference;
- the same through `harness-run model=files` on a manifest (line-aligned), where the run's folder is left behind.

Covered by earlier rounds and not repeated: CRLF, a lone CR inside one line, no final newline, trailing and leading
white space, NFD text, zero-width characters, no-break spaces, a byte-order mark (rounds 3, 6, 9), U+2028 and the
other separators inside lines (round 3, test_line_aligned), empty hypothesis lines (round 3), a hypothesis one line
short and a reference one line long, a missing hypothesis, a named-pipe hypothesis and a link to a moved file,
UTF-16 and Latin-1 sources of a manifest (test_harness_score, test_adversarial_run), a reference named twice
(round 4)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from harness.score.metrics.base import SCORE_DIGITS
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_round9_scores import HYPOTHESIS, REFERENCE, SOURCE   # the tram line test set

SCORED = ("bleu", "chrf", "ter")


def text(lines: list[str], end: str = "\n") -> bytes:
    return "".join(line + end for line in lines).encode("utf-8")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def harness_score(user: Path, arguments: list[str], out: Path):
    return run_cli("score", ["-q", "--out", str(out), *arguments], cwd=user,
                   env={"HARNESS_CACHE_DIR": str(user.parent / "cache")})


def sacrebleu_cli(references: list[Path], hypothesis: Path) -> dict[str, float]:
    """`sacrebleu REF... -i HYP -m bleu chrf ter`, run as a user runs it, on the user's files."""
    done = subprocess.run([sys.executable, "-m", "sacrebleu", *map(str, references), "-i", str(hypothesis),
                           "-m", *SCORED, "-w", str(SCORE_DIGITS), "-f", "json"], capture_output=True, text=True, check=True)
    return {name: score["score"] for name, score in zip(SCORED, json.loads(done.stdout))}


def stored_scores(run_folder: Path) -> dict[str, float]:
    document = json.loads((run_folder / "result.json").read_text(encoding="utf-8"))["documents"][0]
    return {name: document["aligned"][name]["score"] for name in SCORED}


# ---------------------------------------------------------------- scored as the sacrebleu CLI scores the files

def plain(user: Path) -> dict[str, Path]:
    return {"source": write(user / "src.txt", text(SOURCE)), "references": [write(user / "ref.txt", text(REFERENCE))],
            "hypothesis": write(user / "hyp.txt", text(HYPOTHESIS))}


def old_mac_files(user: Path) -> dict:
    """Every file's lines end in a lone CR: sacrebleu reads each file as one line, and so does the harness."""
    return {"source": write(user / "src.txt", text(SOURCE, "\r")),
            "references": [write(user / "ref.txt", text(REFERENCE, "\r"))],
            "hypothesis": write(user / "hyp.txt", text(HYPOTHESIS, "\r"))}


def lines_of_white_space(user: Path) -> dict:
    """A reference line of spaces and a tab, hypothesis lines of U+2028 or U+0085 alone and a line ending in one:
    sacrebleu's line.rstrip() makes each empty (or drops the separator at the end), and so does the harness."""
    reference = [REFERENCE[0], " \t ", *REFERENCE[2:]]
    hypothesis = ["\u2028", HYPOTHESIS[1] + "\x85", "\x85", HYPOTHESIS[3]]
    return {"source": write(user / "src.txt", text(SOURCE)), "references": [write(user / "ref.txt", text(reference))],
            "hypothesis": write(user / "hyp.txt", text(hypothesis))}


def source_as_hypothesis(user: Path) -> dict:
    files = plain(user)
    return {**files, "hypothesis": files["source"]}


def reference_as_hypothesis(user: Path) -> dict:
    files = plain(user)
    return {**files, "hypothesis": files["references"][0]}


def named(source: str, reference: str, hypothesis: str):
    def case(user: Path) -> dict:
        return {"source": write(user / source, text(SOURCE)), "references": [write(user / reference, text(REFERENCE))],
                "hypothesis": write(user / hypothesis, text(HYPOTHESIS))}
    return case


SCORED_AS_THE_CLI = {
    "lone CR line ends in every file": old_mac_files,
    "lines of white space, U+2028 and U+0085 alone": lines_of_white_space,
    "the source handed in as the hypothesis": source_as_hypothesis,
    "the reference handed in as the hypothesis": reference_as_hypothesis,
    "names with spaces and a leading dash": named("my source.txt", "my ref.txt", "-my system.txt"),
    "a source named in Chinese": named("源文本.txt", "ref.txt", "hyp.txt"),
    "a source named in Cyrillic with an accent": named("источник é.txt", "ref.txt", "hyp.txt"),
    "a source name of 150 characters": named("s" * 150 + ".txt", "ref.txt", "hyp.txt"),
    "a source named references": named("references", "ref.txt", "hyp.txt"),
    "a source named manifest.yaml": named("manifest.yaml", "ref.txt", "hyp.txt"),
    "a reference named manifest.yaml": named("src.txt", "manifest.yaml", "hyp.txt"),
}


@pytest.mark.parametrize("case", SCORED_AS_THE_CLI)
def test_messy_files_score_as_the_sacrebleu_cli_scores_them(tmp_path, case):
    user = tmp_path / "user"
    files = SCORED_AS_THE_CLI[case](user)
    before = tree_checksum(user)
    out = tmp_path / "out"
    arguments = [a for path in files["references"] for a in ("-r", str(path))]
    outcome = harness_score(user, [*arguments, "-s", str(files["source"]), "--src-lang", "fr", "--",
                                   str(files["hypothesis"])], out)
    assert outcome.code == 0, outcome.stderr[-3000:]
    assert tree_checksum(user) == before
    [run_folder] = [path.parent for path in out.glob("*/result.json")]
    assert stored_scores(run_folder) == sacrebleu_cli(files["references"], files["hypothesis"])


def test_the_source_handed_in_as_the_hypothesis_is_shown_off_target(tmp_path):
    """Scored as sacrebleu scores it (above), and the table says the output is not English: never hidden."""
    user = tmp_path / "user"
    files = plain(user)
    outcome = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "src.txt", "--out",
                                str(tmp_path / "out")], cwd=user, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert outcome.code == 0, outcome.stderr[-3000:]
    assert "output not in en (off-target: untranslated or another language): src" in outcome.stdout
    assert files["hypothesis"].is_file()


def test_a_line_of_sixty_thousand_characters_is_scored_and_its_ter_left_out_is_said(tmp_path):
    """One line of 60,000 characters on every side: BLEU, chrF and chrF++ are sacrebleu's (its Python API: its CLI's
    TER on such a line ran out of memory here), TER leaves the line out and a note says so."""
    from sacrebleu.metrics import BLEU, CHRF
    user = tmp_path / "user"
    repeat = 400
    source = write(user / "src.txt", text([" ".join(SOURCE * repeat)]))
    reference = write(user / "ref.txt", text([" ".join(REFERENCE * repeat)]))
    hypothesis = write(user / "hyp.txt", text([" ".join(HYPOTHESIS * repeat)]))
    assert len(hypothesis.read_text(encoding="utf-8")) > 60_000
    outcome = harness_score(user, ["-r", str(reference), "-s", str(source), "--src-lang", "fr", str(hypothesis)],
                            tmp_path / "out")
    assert outcome.code == 0, outcome.stderr[-3000:]
    document = json.loads((tmp_path / "out" / "hyp" / "result.json").read_text(encoding="utf-8"))["documents"][0]
    hypotheses, references = [" ".join(HYPOTHESIS * repeat)], [[" ".join(REFERENCE * repeat)]]
    expected = {"bleu": BLEU(), "chrf": CHRF(), "chrf++": CHRF(word_order=2)}
    for name, metric in expected.items():
        expected_score = round(metric.corpus_score(hypotheses, references).score, SCORE_DIGITS)
        assert document["aligned"][name]["score"] == expected_score, name
    assert any("left out of ter" in note for note in document["notes"]), document["notes"]


def test_lone_cr_files_score_the_same_through_a_manifest_as_through_harness_score(tmp_path):
    """The same old-Mac files: harness-run model=files on a line-aligned manifest naming them, and harness-score."""
    user = tmp_path / "user"
    files = old_mac_files(user)
    outcome = harness_score(user, ["-r", str(files["references"][0]), "-s", str(files["source"]), "--src-lang", "fr",
                                   str(files["hypothesis"])], tmp_path / "out")
    assert outcome.code == 0, outcome.stderr[-3000:]
    data = line_aligned_set(tmp_path / "data", text(SOURCE, "\r"), text(REFERENCE, "\r"))
    outputs = write(tmp_path / "outputs" / "doc.txt", files["hypothesis"].read_bytes()).parent
    ran = files_run(tmp_path, data, outputs)
    assert ran.code == 0, ran.stderr[-3000:]
    assert stored_scores(tmp_path / "run") == stored_scores(tmp_path / "out" / "hyp") == \
        sacrebleu_cli(files["references"], files["hypothesis"])


# ---------------------------------------------------------------- harness-score refuses in one line, writes nothing

def user_folder(user: Path) -> None:
    plain(user)
    write(user / "ref2.txt", text(REFERENCE))
    write(user / "empty.txt", b"")
    write(user / "blank.txt", b"\n\n\n\n")
    write(user / "cr.txt", text(HYPOTHESIS, "\r"))
    write(user / "extra.txt", text(HYPOTHESIS) + b"\n")
    write(user / "extra-ref.txt", text(REFERENCE) + b"\r\n")
    write(user / "nul.txt", text(HYPOTHESIS).replace(b"tram", b"tr\x00am"))
    write(user / "latin.txt", "".join(line + "\n" for line in HYPOTHESIS).encode("cp1252"))
    (user / "folder.txt").mkdir()
    (user / "folder-link.txt").symlink_to(user / "folder.txt")
    os.mkfifo(user / "pipe.txt")
    write(user / unicodedata.normalize("NFC", "café.txt"), text(HYPOTHESIS))
    write(user / unicodedata.normalize("NFD", "café.txt"), text(HYPOTHESIS[::-1]))


SET = ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr"]
REFUSED = {   # arguments, what the line must say
    "an empty hypothesis file": ([*SET, "empty.txt"], ["empty.txt: 0 lines, but the source has 4"]),
    "a hypothesis with lone CR line ends": ([*SET, "cr.txt"], ["cr.txt: 1 line, but the source has 4",
                                                                "lone CR", "tr '\\r' '\\n'"]),
    "a hypothesis with a blank line after the last": ([*SET, "extra.txt"], ["extra.txt: 5 lines, but the source has 4",
                                                                           "its last line is empty"]),
    "a second reference with a blank line after the last": (
        ["-r", "ref.txt", "-r", "extra-ref.txt", "-s", "src.txt", "--src-lang", "fr", "hyp.txt"],
        ["reference extra-ref.txt has 5 lines and the source src.txt 4", "its last line is empty"]),
    "a hypothesis with a NUL byte": ([*SET, "nul.txt"], ["nul.txt", "NUL bytes"]),
    "a hypothesis in Windows-1252": ([*SET, "latin.txt"], ["latin.txt: not valid UTF-8", "iconv -f CP1252 -t UTF-8"]),
    "an empty reference": (["-r", "empty.txt", "-s", "src.txt", "--src-lang", "fr", "hyp.txt"],
                           ["empty.txt: reference is empty", "give a file with text"]),
    "a reference of blank lines": (["-r", "blank.txt", "-s", "src.txt", "--src-lang", "fr", "hyp.txt"],
                                   ["blank.txt: reference is empty"]),
    "an empty source": (["-r", "ref.txt", "-s", "empty.txt", "--src-lang", "fr", "hyp.txt"],
                        ["empty.txt: source is empty", "give a file with text"]),
    "a hypothesis that is a folder": ([*SET, "folder.txt"], ["folder.txt: is a folder, not a file"]),
    "a hypothesis that is a link to a folder": ([*SET, "folder-link.txt"], ["folder-link.txt: is a folder"]),
    "a reference that is a named pipe": (["-r", "pipe.txt", "-s", "src.txt", "--src-lang", "fr", "hyp.txt"],
                                         ["pipe.txt: is not a regular file"]),
    "standard input as the hypothesis (as sacrebleu reads '-')": ([*SET, "-"],
                                                                  ["-: standard input is not read", "save it to a file"]),
    "standard input as the reference": (["-r", "-", "-s", "src.txt", "--src-lang", "fr", "hyp.txt"],
                                        ["-: standard input is not read"]),
    "one hypothesis file named twice": ([*SET, "hyp.txt", "./hyp.txt"],
                                        ["hypothesis file hyp.txt is named twice", "name each"]),
    "two names that differ in normalization only": (
        [*SET, unicodedata.normalize("NFC", "café.txt"), unicodedata.normalize("NFD", "café.txt")],
        ["would both be the system 'café'", "give the files different names"]),
}


@pytest.mark.parametrize("case", REFUSED)
def test_bad_input_to_harness_score_is_one_line_and_writes_nothing(tmp_path, case):
    arguments, fragments = REFUSED[case]
    user = tmp_path / "user"
    user_folder(user)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = harness_score(user, arguments, tmp_path / "out")
    assert_one_line_error(outcome, *fragments)
    assert "manifest" not in outcome.error_lines[0]   # the user wrote none: a fix there is no fix
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


LINE_COUNT_HINTS = {   # a file's text, the line count expected, what the hint says ('' for none)
    "one blank line after the last": ("a\nb\n\n", 2, "its last line is empty"),
    "two blank lines after the last, Windows line ends": ("a\r\nb\r\n\r\n \r\n", 2, "its last 2 lines are empty"),
    "lone CR line ends": ("a\rb\rc\r", 3, "lone CR"),
    "lone CR line ends, no final one": ("a\rb\rc", 3, "lone CR"),
    "a blank last line, but too many lines before it": ("a\nb\nc\n\n", 2, ""),
    "a lone CR inside one line of a file a line short": ("a\rb\nc\n", 4, ""),
    "one line short, nothing to tell": ("a\nb\n", 3, ""),
}


@pytest.mark.parametrize("case", LINE_COUNT_HINTS)
def test_a_line_count_is_explained_only_where_the_text_explains_it(case):
    """A hint that did not account for the difference would send the user to fix what is not wrong."""
    from harness.data.lines import line_count_hint, split_lines
    file_text, expected, said = LINE_COUNT_HINTS[case]
    hint = line_count_hint(split_lines(file_text), expected)
    assert (said in hint) if said else hint == "", hint


# ---------------------------------------------------------------- harness-run model=files on a line-aligned manifest

def line_aligned_set(folder: Path, source: bytes, reference: bytes) -> Path:
    write(folder / "src.txt", source)
    write(folder / "ref.txt", reference)
    write(folder / "manifest.yaml", yaml.safe_dump({"target_lang": "en", "alignment": "lines", "documents": [
        {"id": "doc", "lang": "fr", "file": "src.txt", "reference": "ref.txt", "relation": "parallel"}]}).encode())
    return folder


def files_run(tmp_path: Path, data: Path, outputs: Path):
    return run_cli("run", ["model=files", f"model.path={outputs}", f"data.root={data}", "-q",
                           f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path,
                   env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})


def output_file(data: bytes):
    def place(outputs: Path) -> None:
        write(outputs / "doc.txt", data)
    return place


def output_folder(outputs: Path) -> None:
    (outputs / "doc.txt").mkdir(parents=True)


RUN_REFUSED = {   # the reference's bytes, how the output is placed, what the line must say
    "an output with lone CR line ends": (text(REFERENCE), output_file(text(HYPOTHESIS, "\r")),
                                         ["doc.txt: 1 line, but the source has 4", "lone CR"]),
    "an output with a blank line after the last": (text(REFERENCE), output_file(text(HYPOTHESIS) + b"\n"),
                                                   ["doc.txt: 5 lines", "its last line is empty"]),
    "an output that is a folder": (text(REFERENCE), output_folder, ["doc.txt: is a folder, not a file"]),
    "an empty reference": (b"", output_file(text(HYPOTHESIS)), ["reference is empty", "give a file with text"]),
}


@pytest.mark.parametrize("case", RUN_REFUSED)
def test_bad_input_to_a_files_run_is_one_line_and_leaves_no_run_folder(tmp_path, case):
    reference, place, fragments = RUN_REFUSED[case]
    data = line_aligned_set(tmp_path / "data", text(SOURCE), reference)
    place(tmp_path / "outputs")
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = files_run(tmp_path, data, tmp_path / "outputs")
    assert_one_line_error(outcome, *fragments)
    assert not (tmp_path / "run").exists()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before

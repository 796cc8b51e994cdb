"""Round 19 on harness-score as a practitioner runs it on a line-aligned test set: every option, several systems and
references, files in other encodings, 100,000 lines, names that collide, a re-run into its own --out.

- a hypothesis file that is a symbolic link to another one given beside it (sysLink.txt -> sysA.txt) was refused
  as 'hypothesis file sysLink.txt is named twice', though it was named once: the line now names the file it is.
- hypothesis files whose names differ only in case (A.txt and a.txt; data.txt and Data.txt, or Data.txt beside the
  command's own data/ folder) were scored into OUT/A and OUT/a: on a file system that ignores case (macOS, Windows)
  those are one folder, and the second system was taken for the first's finished run, with its scores.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import score_arguments, score_languages
from harness.errors import UserError
from harness.score_files import run_folder_name, system_names
from tests.adversarial import assert_one_line_error, tree_checksum
from tests.test_adversarial_round12_inputs import SET, harness_score, plain


def test_a_hypothesis_file_linked_to_another_names_the_file_it_is(tmp_path):
    plain(tmp_path / "user")
    (tmp_path / "user" / "hyp-link.txt").symlink_to("hyp.txt")
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = harness_score(tmp_path / "user", [*SET, "hyp.txt", "hyp-link.txt"], tmp_path / "out")
    assert_one_line_error(outcome, "hyp-link.txt is the file hyp.txt under another name",
                          "symbolic link", "name each hypothesis file once")
    assert "named twice" not in outcome.error_lines[0]
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


@pytest.mark.parametrize("names, system", [(["A.txt", "a.txt"], "'A'"), (["sysA.txt", "SYSA.en"], "'sysA'"),
                                           (["data.txt", "Data.txt"], "'data-system'")])
def test_systems_whose_names_differ_only_in_case_are_refused(names, system):
    with pytest.raises(UserError) as refused:
        system_names([Path(name) for name in names])
    assert f"{' and '.join(names)} would both be the system {system} (case ignored" in str(refused.value)


@pytest.mark.parametrize("names", [["a b.txt", "a_b.txt"], ["data.txt", "data-system.txt"]])
def test_names_alike_in_case_too_are_not_said_to_differ_in_case(names):
    with pytest.raises(UserError) as refused:
        system_names([Path(name) for name in names])
    assert "would both be the system" in str(refused.value) and "case ignored" not in str(refused.value)


def test_a_system_named_as_a_folder_of_the_command_in_another_case_gets_a_folder_of_its_own():
    """Data.txt in OUT/Data was OUT/data, the test set's folder, on macOS and Windows."""
    assert [run_folder_name(name) for name in ("Data", "INPUTS", "Comparison", "dataset")] == [
        "Data-system", "INPUTS-system", "Comparison-system", "dataset"]


def test_a_and_a_capital_a_are_refused_before_anything_is_written(tmp_path):
    files = plain(tmp_path / "user")
    (tmp_path / "user" / "A.txt").write_bytes(files["hypothesis"].read_bytes())
    (tmp_path / "user" / "a.txt").write_bytes(files["hypothesis"].read_bytes())
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = harness_score(tmp_path / "user", [*SET, "A.txt", "a.txt"], tmp_path / "out")
    assert_one_line_error(outcome, "A.txt and a.txt would both be the system 'A'", "give the files different names")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


@pytest.mark.parametrize("languages, said", [
    (["-l", "fr-en"], None),
    (["--language-pair", "fr-en", "--src-lang", "fr"], None),
    (["-l", "fren"], "-l fren: give the pair as SRC-TGT, e.g. -l fr-en"),
    (["-l", "fr-en", "--src-lang", "tr"], "-l fr-en disagrees with --src-lang tr"),
    ([], "the following arguments are required: --src-lang (or -l SRC-TGT"),
])
def test_sacrebleus_language_pair_option_is_taken(capsys, languages, said):
    """A sacrebleu user writes -l fr-en: it was 'the following arguments are required: --src-lang', and beside
    --src-lang 'unrecognized arguments: -l'."""
    parser = score_arguments()
    args = parser.parse_args(["-r", "ref.en", "-s", "src.fr", *languages, "sys.txt"])
    if said is None:
        assert score_languages(args, parser) == ("fr", "en")
        return
    with pytest.raises(SystemExit) as stopped:
        score_languages(args, parser)
    assert stopped.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {said}") and line.endswith("see harness-score --help"), line

"""Round 19 on harness-score as a practitioner runs it on a line-aligned test set: every option, several systems and
references, files in other encodings, 100,000 lines, names that collide, a re-run into its own --out.

- a hypothesis file that is a symbolic link to another one given beside it (sysLink.txt -> sysA.txt) was refused
  as 'hypothesis file sysLink.txt is named twice', though it was named once: the line now names the file it is.
"""
from __future__ import annotations

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

"""Issue 23: bead names are read by one parser (harness.align.beads.bead_shape) for both aligners' settings.

The same matrix as tests/test_adversarial_run.py: the real CLI in a child process, one line and exit 2, and a
checksum of the whole surrounding tree. Before, crosslingual.bead_penalty was checked by a regex of its own in
harness.config ('[1-9]-[1-9]'): a penalty named larger side first ('2-1') or for a bead the search never makes
('1-5') was accepted and silently never read; and alignment.beads was checked only once a sweep's job started.
"""
from __future__ import annotations

import pytest

from harness.align.beads import Bead, bead_shape, shape_counts
from harness.errors import UserError
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_run import base_args, make_setup

ERRORS = [
    pytest.param(["+crosslingual.bead_penalty={2-1:0.5}"],
                 ["crosslingual.bead_penalty: '2-1' is never read", "write the smaller side first, '1-2'"],
                 id="penalty-larger-first"),
    pytest.param(["+crosslingual.bead_penalty={1-6:0.1}"],
                 ["crosslingual.bead_penalty: '1-6' is not a bead", "source-reference counts from 1 to 5"],
                 id="penalty-too-large"),
    pytest.param(["+crosslingual.bead_penalty={0-1:0.1}"], ["crosslingual.bead_penalty: '0-1' is not a bead"],
                 id="penalty-skip"),   # refused before too (by the regex): the one parser keeps refusing it
    pytest.param(["-m", "alignment.beads=[1-1],[1-1,3-1]"],
                 ["alignment.beads: '3-1' is not a bead", "hyp-ref counts from 0 to 2"], id="sweep-second-job-beads"),
]


@pytest.mark.parametrize("extra, fragments", ERRORS)
def test_a_bad_bead_name_gets_one_line_exit_2_before_anything_runs(tmp_path, extra, fragments):
    setup = make_setup(tmp_path)
    sweep = ["-m", f"hydra.sweep.dir={tmp_path / 'runs' / 'sweep'}"] if "-m" in extra else []
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*sweep, *base_args(setup), *[e for e in extra if e != "-m"]], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, *fragments)
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


@pytest.mark.parametrize("name, setting, most, least, shape", [
    ("2-1", "alignment.beads", 2, 0, (2, 1)), (" 0-1 ", "alignment.beads", 2, 0, (0, 1)),
    ("1-4", "crosslingual.bead_penalty", 4, 1, (1, 4))])
def test_the_parser_reads_a_shape_within_the_searchs_limits(name, setting, most, least, shape):
    assert bead_shape(name, setting, "a-b", most, least) == shape


@pytest.mark.parametrize("name, most, least", [("0-0", 2, 0), ("3-1", 2, 0), ("1-0", 4, 1), ("one-one", 2, 0),
                                               ("1", 2, 0), ("1-1-1", 2, 0), ("-1-1", 2, 0)])
def test_the_parser_refuses_other_names_naming_the_setting(name, most, least):
    with pytest.raises(UserError, match=f"^the.setting: '{name}' is not a bead; use a-b counts from {least} to {most}"):
        bead_shape(name, "the.setting", "a-b", most, least)


def test_one_bead_type_names_its_shape_and_counts_keep_first_seen_order():
    beads = [Bead((0, 1), (0,), 0.5), Bead((2,), (1,), 0.7), Bead((), (2,), 0.0), Bead((3,), (3,), None)]
    assert [bead.kind for bead in beads] == ["2-1", "1-1", "0-1", "1-1"]
    assert list(shape_counts(bead.kind for bead in beads).items()) == [("2-1", 1), ("1-1", 2), ("0-1", 1)]

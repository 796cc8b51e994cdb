"""Round 17: the last of round 15's left breaks.

- a logging handler's setting for a handler the harness's logging does not have
  (+hydra.job_logging.handlers.file.filename=x.log: a handler with no class), or a log file in a folder that does not
  exist: Hydra made the run's folder, then logging raised a traceback (exit 1) and the empty folder was left. Refused
  in one line, exit 2, nothing made; a handler given its class and a file in a folder that exists runs.
- an override of the wrong type (limits.max_segment_chars=abc, metrics=bleu): OmegaConf's words ("Value 'abc' of type
  'str' could not be converted to Integer", "str is not a ListConfig") with no fix. Now what the setting takes.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, tree_checksum
from tests.test_adversarial_compare import write_dataset
from tests.test_adversarial_round15_inputs import harness_run


def user_with_data(tmp_path: Path) -> tuple[Path, Path]:
    user = tmp_path / "user"
    user.mkdir()
    return user, write_dataset(user / "data")


@pytest.mark.parametrize("overrides, said", [
    (["+hydra.job_logging.handlers.file.filename=x.log"], "hydra.job_logging.handlers.file is no handler"),
    (["+hydra.hydra_logging.handlers.file.filename=x.log"], "hydra.hydra_logging.handlers.file is no handler"),
    (["+hydra.job_logging.handlers.file.class=logging.FileHandler",
      "+hydra.job_logging.handlers.file.filename=missing/x.log"], "no folder"),
])
def test_a_log_handler_logging_cannot_set_up_is_refused_before_the_folder_is_made(tmp_path, overrides, said):
    user, data = user_with_data(tmp_path)
    before = tree_checksum(user)
    outcome = harness_run(user, ["model=identity", f"data.root={data}", "hydra.run.dir=run", *overrides])
    assert_one_line_error(outcome, overrides[-1].lstrip("+"), said)
    assert tree_checksum(user) == before


def test_a_log_handler_with_its_class_writes_its_file(tmp_path):
    user, data = user_with_data(tmp_path)
    handler = "hydra.job_logging.handlers.file"
    outcome = harness_run(user, ["model=identity", f"data.root={data}", "hydra.run.dir=run",
                                 f"+{handler}.class=logging.FileHandler", f"+{handler}.filename=mine.log",
                                 f"+{handler}.formatter=simple", "hydra.job_logging.root.handlers=[console,file]"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert "wrote" in (user / "mine.log").read_text()


@pytest.mark.parametrize("override, said", [
    ("limits.max_segment_chars=abc", "limits.max_segment_chars takes a whole number"),
    ("limits.max_segment_chars=1.5", "limits.max_segment_chars takes a whole number"),
    ("crosslingual.skip=abc", "crosslingual.skip takes a number"),
    ("alignment.embeddings=maybe", "alignment.embeddings takes true or false"),
    ("metrics=bleu", "metrics takes a list; give one, e.g. metrics=[bleu]"),
    ("crosslingual.bead_penalty=3", "crosslingual.bead_penalty takes a mapping"),
])
@pytest.mark.parametrize("sweep", [False, True])
def test_an_override_of_the_wrong_type_says_what_the_setting_takes(tmp_path, override, said, sweep):
    user, data = user_with_data(tmp_path)
    before = tree_checksum(user)
    folder = ["-m", "model.name=x,y", "hydra.sweep.dir=S"] if sweep else ["hydra.run.dir=run"]
    outcome = harness_run(user, ["model=identity", f"data.root={data}", *folder, override])
    assert_one_line_error(outcome, f"{override}: ", said)
    assert tree_checksum(user) == before

"""What a new user meets first (issue 24): `harness-run --help` leads with usage and examples that work, not
Hydra's banner and 150 lines of config."""
from __future__ import annotations

import shlex

import pytest

from harness.cli import expand_sweeps
from harness.config import compose_config
from tests.test_config import harness_run


@pytest.fixture(scope="module")
def help_text(tmp_path_factory) -> str:
    done = harness_run("--help", cwd=tmp_path_factory.mktemp("help"))
    assert done.returncode == 0, done.stderr
    return done.stdout


def examples(help_text: str) -> list[list[str]]:
    """The example command lines of the help: the arguments after harness-run, before the explanation."""
    lines = help_text.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [shlex.split(line.split("   ")[0].strip())[1:] for line in lines]


def test_run_help_opens_with_usage_and_examples_and_fits_a_screen(help_text):
    assert help_text.startswith("harness-run: translate a data set")
    assert help_text.splitlines()[2].startswith("Usage: harness-run [-m]")
    assert "powered by Hydra" not in help_text and "== Config ==" not in help_text
    assert len(help_text.splitlines()) <= 50
    assert "harness-run --cfg job" in help_text      # where the whole config is now


def test_every_example_of_the_run_help_composes(help_text):
    shown = examples(help_text)
    assert len(shown) >= 6 and any(arguments[:1] == ["-m"] for arguments in shown)
    for arguments in shown:
        for job in expand_sweeps(arguments):
            compose_config(job)   # an unknown key or option raises

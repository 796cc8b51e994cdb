"""Hydra entry points; the only place that turns errors into messages and exit codes.

User errors (bad input, unknown names, impossible settings) print one line and exit 2, with no
traceback; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import itertools
import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from harness.config import CONF_DIR, compose_config, register_schemas
from harness.errors import UserError, unknown_name
from harness.pipeline import run
from harness.report import results_table, run_summary_table
from harness.results import RESULT_FILE

EXIT_USER_ERROR = 2


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(EXIT_USER_ERROR)


def expand_sweeps(arguments: list[str]) -> list[list[str]]:
    """Every job's override list of a command line (one list without -m sweeps), hydra.* left out."""
    tokens = [a for a in arguments if "=" in a and not a.startswith("-") and not a.lstrip("+~").startswith("hydra")]
    choices = []
    for override in OverridesParser.create().parse_overrides(tokens):
        key = override.get_key_element()
        values = list(override.sweep_string_iterator()) if override.is_sweep_override() else [
            override.get_value_element_as_str()]
        choices.append([f"{key}={value}" for value in values])
    return [list(job) for job in itertools.product(*choices)]


def composition_message(err: Exception) -> str:
    if isinstance(err, MissingConfigException) and err.options and err.missing_cfg_file:
        group, _, name = err.missing_cfg_file.rpartition("/")
        return str(unknown_name(f"{group} config", name, err.options))
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if err.__cause__ is not None:   # e.g. "Value 'abc' of type 'str' could not be converted to Integer"
        lines.append(str(err.__cause__).splitlines()[0])
    return " ".join(lines)


def check_overrides(arguments: list[str]) -> None:
    """Compose every job of the command line before anything runs, so a typo fails fast with exit 2."""
    try:
        for job in expand_sweeps(arguments):
            compose_config(job)
    except (HydraException, OmegaConfBaseException) as err:
        fail(composition_message(err))


def discard_unfinished(output_dir: Path) -> None:
    """A user error leaves no half-written run folder behind."""
    if output_dir.is_dir() and not (output_dir / RESULT_FILE).exists():
        shutil.rmtree(output_dir)


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def hydra_run(cfg: DictConfig) -> None:
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        result = run(cfg, output_dir)
    except UserError as err:
        discard_unfinished(output_dir)
        fail(str(err))
    print(results_table(result))
    if run_summary_table(result):
        print("\n" + run_summary_table(result))
    print(f"\nrun folder: {output_dir}")


def run_main() -> None:
    """harness-run: translate and score with config overrides, e.g. `harness-run model=identity`."""
    register_schemas()
    check_overrides(sys.argv[1:])
    hydra_run()

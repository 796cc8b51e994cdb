"""The console scripts: harness.cli's commands, imported with the garbage collector paused (harness.entry)."""
import subprocess
import sys
import tomllib

from harness import cli, entry
from tests.conftest import REPO


def test_every_console_script_is_a_cli_command_through_the_entry_module():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == {"harness-run", "harness-compare", "harness-score"}
    for target in scripts.values():
        module, name = target.split(":")
        assert module == "harness.entry" and callable(getattr(cli, name)) and callable(getattr(entry, name))


def test_the_command_runs_with_the_collector_back_on_and_the_imports_frozen():
    """The collector is paused only while the command is imported: the run itself collects as usual, and what
    the imports made (tens of thousands of objects) is frozen, so collections skip it."""
    probe = ("import gc, sys; from harness import entry; sys.argv = ['harness-run', '--version']; entry.run_main(); "
             "print(gc.isenabled(), gc.get_freeze_count())")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    version, state = done.stdout.splitlines()
    assert version.startswith("mt-harness ")
    enabled, frozen = state.split()
    assert enabled == "True" and int(frozen) > 20_000

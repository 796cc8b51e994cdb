"""Progress bars where a person watches (a terminal), plain log lines elsewhere, and --quiet.

The terminal is a real pseudo-terminal (the pty module) with a real harness-run in it."""
import fcntl
import io
import logging
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from collections import Counter

import pytest

import harness.progress as progress_module
from harness.cli import QUIET_OVERRIDES, expand_quiet
from harness.progress import Progress, bars_wanted, progress
from tests.conftest import REPO, SEEDS

# SlowUpperBackend sleeps 0.25 s a batch: 6 batches of 2 keep 000's 12 segments on screen for over a second
SLOW_RUN = ["model=identity", "backend._target_=tests.backends_for_tests.SlowUpperBackend", "generation.batch_size=2",
            "data.documents=[000]", f"data.root={SEEDS}"]
BAR = "fr->en: "   # the bar's label, followed by its percentage
BAR_PIECES = ("%|", "/12 segments [")


def run_cli(args, cwd, stderr_terminal: bool) -> tuple[int, str, str]:
    """harness-run with stdout piped and stderr either piped or a pseudo-terminal 100 columns wide."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", "from harness.cli import run_main; run_main()", *args]
    if not stderr_terminal:
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
        return done.returncode, done.stdout, done.stderr
    reader, writer = pty.openpty()
    fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=writer, cwd=cwd, env=env)
    os.close(writer)
    screen = b""
    while True:
        try:
            chunk = os.read(reader, 4096)
        except OSError:   # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(reader)
    stdout = child.stdout.read().decode()
    return child.wait(), stdout, screen.decode(errors="replace")


def test_a_terminal_shows_a_live_bar_per_language_and_the_log_keeps_plain_lines(tmp_path):
    code, stdout, screen = run_cli([*SLOW_RUN, f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, stderr_terminal=True)
    assert code == 0, stdout
    assert BAR in screen and all(piece in screen for piece in BAR_PIECES), screen
    closing = screen.rindex("[20", 0, screen.index("fr->en: 12 segments in "))   # the stage's closing log line
    assert "12/12 segments" in screen[:closing] and screen[:closing].rstrip(" ").endswith("\r")   # then cleared
    assert "%|" not in stdout and "%|" not in (tmp_path / "run" / "run.log").read_text()
    assert stdout.startswith("document  lang")                                 # stdout: the table alone


def test_piped_stderr_gets_no_bar_and_the_results_table_is_unchanged(tmp_path):
    code, stdout, stderr = run_cli([*SLOW_RUN, f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, stderr_terminal=False)
    assert code == 0, stderr
    assert "%|" not in stderr and "fr->en: 12 segments in " in stderr   # plain log lines, on stderr
    assert stdout.startswith("document  lang") and "[INFO]" not in stdout
    assert stdout.splitlines()[2].startswith("000       fr") and "run folder: " in stdout


def test_a_transformers_model_loaded_with_piped_stderr_draws_no_library_bars(tmp_path, tiny_marian):
    """transformers draws its own "Loading weights" bar; where the harness draws none, it follows."""
    code, stdout, stderr = run_cli(["model=opus_mt", f"model.model_id={tiny_marian}", "data.documents=[002]",
                                    "data.max_segments=2", "generation.max_new_tokens=4", f"data.root={SEEDS}",
                                    f"hydra.run.dir={tmp_path / 'run'}"],
                                   tmp_path, stderr_terminal=False)
    assert code == 0, stderr
    assert "model_loads" in (tmp_path / "run" / "result.json").read_text()   # the model was really loaded
    assert "%|" not in stderr + stdout, stderr


@pytest.mark.parametrize("stderr_terminal", [False, True], ids=["piped", "terminal"])
def test_bars_drawn_by_plain_tqdm_inside_a_library_are_never_shown(tmp_path, stderr_terminal):
    """transformers converts a GGUF file under a plain tqdm bar; it would interleave with the harness's bar
    (issue 24), which names the conversion instead."""
    code, stdout, stderr = run_cli(["model=identity", "backend._target_=tests.backends_for_tests.LibraryBarBackend",
                                    "data.documents=[002]", f"data.root={SEEDS}", f"hydra.run.dir={tmp_path / 'run'}"],
                                   tmp_path, stderr_terminal)
    assert code == 0, stdout + stderr
    assert "library bar" not in stderr, stderr


def test_quiet_shows_warnings_and_errors_only_and_run_log_keeps_every_line(tmp_path):
    code, stdout, screen = run_cli(["--quiet", *SLOW_RUN, f"hydra.run.dir={tmp_path / 'run'}"], tmp_path,
                                   stderr_terminal=True)
    assert code == 0, stdout
    assert "[INFO]" not in stdout and BAR not in screen
    assert stdout.startswith("document  lang") and "run folder: " in stdout
    assert "fr->en: 12 segments in " in (tmp_path / "run" / "run.log").read_text()


@pytest.mark.parametrize("arguments, expanded", [
    (["model=identity"], ["model=identity"]),
    (["model=identity", "--quiet"], [*QUIET_OVERRIDES, "model=identity"]),
    (["-q", "-m", "model=a,b", "metrics=[bleu]"], ["-m", *QUIET_OVERRIDES, "model=a,b", "metrics=[bleu]"]),
    (["--cfg", "job", "--quiet"], ["--cfg", "job", *QUIET_OVERRIDES]),   # no override: after the options
])
def test_quiet_becomes_hydra_overrides_kept_in_one_run(arguments, expanded):
    """Hydra takes its overrides as one run of arguments; the quiet ones join it."""
    assert expand_quiet(arguments) == expanded


@pytest.fixture
def console_logging():
    """The root logger as Hydra's job logging leaves it (INFO, a console handler), restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    console = logging.StreamHandler(sys.stdout)
    root.handlers, root.level = [console], logging.INFO
    yield console
    root.handlers, root.level = handlers, level


def test_bars_are_wanted_on_a_terminal_that_shows_info_lines_only(console_logging):
    reader, writer = pty.openpty()
    with os.fdopen(writer, "w") as terminal:
        assert bars_wanted(terminal)
        assert not bars_wanted(io.StringIO())           # piped, CI, a file
        console_logging.setLevel(logging.WARNING)       # --quiet
        assert not bars_wanted(terminal)
    os.close(reader)


@pytest.mark.parametrize("before, after, speed", [
    ({}, {}, ""),                                                        # a backend that does not count
    ({"generated_tokens": 100, "generate_seconds": 10.0}, {"generated_tokens": 300, "generate_seconds": 14.0},
     "50 tokens/s"),                                                     # this stage only: 200 tokens in 4 s
    ({"generated_tokens": 100, "generate_seconds": 10.0}, {"generated_tokens": 100, "generate_seconds": 10.0}, ""),
])
def test_speed_counts_the_tokens_generated_in_this_stage_over_the_time_spent_generating(before, after, speed):
    counters = dict(before)
    tracker = Progress("fr->en", 27, "segments", counters)
    counters.update(after)
    assert tracker.speed() == speed


def test_without_a_terminal_a_long_stage_logs_periodic_lines_and_a_closing_line(monkeypatch, caplog):
    monkeypatch.setattr(progress_module, "PROGRESS_SECONDS", 0.05)
    monkeypatch.setattr(progress_module, "MOMENT_SECONDS", 0.0)
    counters = Counter()   # a backend's stats, empty until its first batch
    with caplog.at_level(logging.INFO, logger="harness.progress"):
        with progress("tr->en", 3, "segments", counters) as tracker:
            for _ in range(3):
                time.sleep(0.12)
                counters["generated_tokens"] += 40
                counters["generate_seconds"] += 0.5
                tracker.advance(1)
    lines = [record.getMessage() for record in caplog.records]
    assert any(line.startswith("tr->en: ") and " of 3 segments, " in line and "s so far" in line for line in lines)
    assert lines[-1].startswith("tr->en: 3 segments in ") and lines[-1].endswith("(80 tokens/s)")


def test_without_news_the_plain_log_waits_for_the_heartbeat(monkeypatch, caplog):
    """A model loading or one long batch: a line a minute, not one every PROGRESS_SECONDS."""
    monkeypatch.setattr(progress_module, "PROGRESS_SECONDS", 0.02)
    monkeypatch.setattr(progress_module, "HEARTBEAT_SECONDS", 0.5)
    with caplog.at_level(logging.INFO, logger="harness.progress"):
        with progress("ar->en", 10, "segments"):
            time.sleep(0.3)    # about 15 ticks with nothing done
        quiet = len(caplog.records)
        with progress("ar->en", 10, "segments"):
            time.sleep(1.3)    # past two heartbeats
    assert quiet == 0
    heartbeats = [r.getMessage() for r in caplog.records]
    assert 1 <= len(heartbeats) <= 3 and all(m.startswith("ar->en: 0 of 10 segments, ") for m in heartbeats)


def test_a_failed_stage_stops_its_ticker_and_logs_no_closing_line(caplog):
    with caplog.at_level(logging.INFO, logger="harness.progress"), pytest.raises(RuntimeError):
        with progress("ar->en", 5) as tracker:
            tracker.advance(2)
            raise RuntimeError("backend crashed")
    assert not tracker.ticker.is_alive() and not caplog.records

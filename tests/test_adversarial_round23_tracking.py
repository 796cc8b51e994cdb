"""Round 23 on tracking: a store that fails with an error MLflow does not wrap went past every check. Hydra turns an
error raised in a callback into a warning and goes on, so `tracking.uri=postgresql://...` without the psycopg driver
(ModuleNotFoundError) or `tracking.uri='http://[::1'` (ValueError: Invalid IPv6 URL) ran the whole job, printed two
UserWarnings, logged nothing and exited 0. Such a store is refused before the run now (exit 2, one line, no folder),
and any other error of the callbacks (a bug) is said with its traceback: before the run it stops the launch (exit 1),
after it the run counts as not logged (exit 1)."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from harness import cli
from harness.cli import TrackingCallback
from tests.adversarial import assert_one_line_error, run_cli
from tests.test_adversarial_compare import write_dataset


def tracked_run(tmp_path: Path, uri: str):
    return run_cli("run", [f"data.root={write_dataset(tmp_path / 'data')}", "model=identity", "tracking=mlflow",
                           f"tracking.uri='{uri}'", "hydra.run.dir=out/run"], cwd=tmp_path,
                   env={"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"})


def test_a_database_store_whose_driver_is_not_installed_is_refused_before_the_run(tmp_path: Path):
    pytest.importorskip("mlflow", reason="tracking=mlflow needs the tracking extra: pip install -e '.[tracking]'")
    driver = "pyodbc"   # SQLAlchemy's driver for mssql://; not a dependency of anything the harness installs
    try:
        __import__(driver)
        pytest.skip(f"{driver} is installed here, so the store's driver is not missing")
    except ImportError:
        pass
    done = tracked_run(tmp_path, "mssql://user@127.0.0.1:1/runs")
    assert_one_line_error(done, "tracking.uri=mssql://user@127.0.0.1:1/runs", f"No module named '{driver}'",
                          "install the database's driver", "tracking=none")
    assert "UserWarning" not in done.stderr and not (tmp_path / "out").exists()


def test_a_url_that_cannot_be_read_is_refused_before_the_run(tmp_path: Path):
    pytest.importorskip("mlflow", reason="tracking=mlflow needs the tracking extra: pip install -e '.[tracking]'")
    done = tracked_run(tmp_path, "http://[::1")
    assert_one_line_error(done, "tracking.uri=http://[::1", "Invalid IPv6 URL", "tracking=none")
    assert "UserWarning" not in done.stderr and not (tmp_path / "out").exists()


def failing() -> None:
    raise RuntimeError("a bug in the check")


def test_a_bug_in_the_check_before_the_run_stops_the_launch_with_its_traceback(tmp_path: Path, caplog):
    """Hydra would have turned the error into a warning and run the job unchecked. A folder the launch did not make
    (here the test's) is left as it is; the subprocess tests above show the launch's own going."""
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's\n")
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as stopped:
        TrackingCallback.refuse_unless(failing, folder)
    assert stopped.value.code == 1 and (folder / "notes.txt").read_text() == "the user's\n"
    assert "nothing ran: a bug in the check" in caplog.text
    assert any(record.exc_info and record.exc_info[0] is RuntimeError for record in caplog.records)


def test_a_bug_in_the_logging_after_the_run_counts_as_not_logged(caplog, monkeypatch):
    """harness-run exits 1 on any run not logged (run_main); Hydra's warning left it at 0."""
    monkeypatch.setattr(cli, "not_logged", [])
    with caplog.at_level(logging.ERROR):
        TrackingCallback.say_if_not_logged(failing)
    assert cli.not_logged == ["a bug in the check"]
    assert "MLflow logging failed: a bug in the check" in caplog.text

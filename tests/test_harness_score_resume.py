"""harness-score finishes what an earlier harness-score of the same files and options left in its --out: killed
outright (SIGKILL, the OOM killer) or stopped (Ctrl-C, SIGTERM), the same command scores the systems left, keeps
the finished ones, and writes the comparison, with the scores of an uninterrupted command. It never takes over an
--out that another harness-score is writing, or one made for other files or options (harness.score_files:
earlier_score_to_finish; the earlier command's lock, harness.writer_lock)."""
from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_round11_interrupted import STALLED, score_files_in, start, stop_when, wait_for
from tests.test_adversarial_round5_state import RESAMPLES
from tests.test_adversarial_round9_state import scores

STALLING_SCORE = ("from tests.backends_for_tests import stall_reading_files; stall_reading_files(); "
                  "from harness.cli import score_main; score_main()")


def options(out: Path, *systems: str) -> list[str]:
    return ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", *(systems or ("sysA.txt", "sysB.txt")),
            "--resamples", str(RESAMPLES), "--out", str(out)]


def user_folder(tmp_path: Path) -> tuple[Path, dict]:
    user = tmp_path / "user"
    user.mkdir()
    score_files_in(user)
    return user, {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}


def uninterrupted(tmp_path: Path, user: Path, env: dict) -> Path:
    clean = tmp_path / "clean"
    done = run_cli("score", options(clean), cwd=user, env=env)
    assert done.code == 0, done.stderr[-3000:]
    return clean


def killed_while_scoring(user: Path, out: Path, env: dict, signum: int) -> list[str]:
    child = start(STALLING_SCORE, options(out), user, env=env)
    lines = stop_when(user / STALLED, child, signum)
    (user / STALLED).unlink()
    return lines


def test_a_score_stopped_by_ctrl_c_is_finished_by_the_same_command_with_the_same_scores(tmp_path):
    user, env = user_folder(tmp_path)
    out = tmp_path / "out"
    assert killed_while_scoring(user, out, env, signal.SIGINT) == [
        f"interrupted: {out} keeps the systems scored so far; run the same command again to finish"]
    again = run_cli("score", options(out), cwd=user, env=env)
    assert again.code == 0, again.stderr[-3000:]
    clean = uninterrupted(tmp_path, user, env)
    for system in ("sysA", "sysB"):
        assert scores(out / system) == scores(clean / system)
        assert not (out / system / "FAILED").exists() and not (out / system / "RUNNING").exists()
    assert (json.loads((out / "comparison" / "comparison.json").read_text(encoding="utf-8"))["ranking"]
            == json.loads((clean / "comparison" / "comparison.json").read_text(encoding="utf-8"))["ranking"])


def test_the_same_command_while_the_first_still_works_is_refused_and_touches_nothing(tmp_path):
    user, env = user_folder(tmp_path)
    out = tmp_path / "out"
    child = start(STALLING_SCORE, options(out), user, env=env)
    try:
        wait_for(user / STALLED, child)
        before = tree_checksum(out)
        second = run_cli("score", options(out), cwd=user, env=env)
        assert_one_line_error(second, f"--out {out} is being written by another harness-score now")
        assert tree_checksum(out) == before
    finally:
        child.kill()
        child.communicate(timeout=120)
        (user / STALLED).unlink(missing_ok=True)


def test_an_out_of_other_files_or_options_is_refused_and_left_as_it_was(tmp_path):
    """The hypothesis file edited since the killed command copied it, another system list, another option: the
    earlier --out is not taken over (its finished runs would mix with the new files' scores)."""
    user, env = user_folder(tmp_path)
    out = tmp_path / "out"
    killed_while_scoring(user, out, env, signal.SIGKILL)
    before = tree_checksum(out)
    (user / "sysA.txt").write_text("An edited system output.\nSecond line.\nThird line.\n", encoding="utf-8")
    edited = run_cli("score", options(out), cwd=user, env=env)
    assert_one_line_error(edited, f"--out {out} holds an earlier harness-score of other files or settings",
                          "(sysA.txt differs)")
    fewer = run_cli("score", options(out, "sysB.txt"), cwd=user, env=env)
    assert_one_line_error(fewer, "other files or settings (the command line differs)")
    assert tree_checksum(out) == before


def test_a_finished_score_run_again_writes_the_same_comparison(tmp_path):
    """The same command over its own finished --out: nothing is scored again, the comparison is the same."""
    user, env = user_folder(tmp_path)
    out = uninterrupted(tmp_path, user, env)
    results = {system: (out / system / "result.json").read_bytes() for system in ("sysA", "sysB")}
    ranking = json.loads((out / "comparison" / "comparison.json").read_text(encoding="utf-8"))["ranking"]
    again = run_cli("score", options(out), cwd=user, env=env)
    assert again.code == 0, again.stderr[-3000:]
    assert {system: (out / system / "result.json").read_bytes() for system in results} == results
    assert json.loads((out / "comparison" / "comparison.json").read_text(encoding="utf-8"))["ranking"] == ranking


def test_a_users_folder_is_still_refused(tmp_path):
    user, env = user_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".harness-score.json").write_text("my own notes", encoding="utf-8")
    before = tree_checksum(out)
    outcome = run_cli("score", options(out), cwd=user, env=env)
    assert_one_line_error(outcome, "not an empty folder")
    assert tree_checksum(out) == before

"""Round 5: never lose or corrupt a user's data, and state that stays true.

Each case builds its input in tmp_path, runs the real CLI in a child process and checks the exit code, the one
error line, and a checksum of the surrounding tree (tests/adversarial.py). Earlier rounds covered run folders,
claims, sweeps, full disks and Ctrl-C; these are the cases they left: files of the user's that bear a report's
names, ..."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum

SOURCE = "Le chat est sur la table.\nIl fait beau aujourd'hui.\nNous allons au marché demain matin.\n"
REFERENCE = "The cat is on the table.\nThe weather is nice today.\nWe are going to the market tomorrow morning.\n"
SYSTEMS = {"sysA": "The cat is on the table.\nIt is nice today.\nWe go to the market tomorrow.\n",
           "sysB": "Cat on table.\nWeather nice.\nMarket tomorrow morning.\n"}


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """Two systems scored by harness-score into OUT: OUT/sysA and OUT/sysB, finished runs to compare."""
    root = tmp_path_factory.mktemp("scored")
    (root / "src.txt").write_text(SOURCE, encoding="utf-8")
    (root / "ref.txt").write_text(REFERENCE, encoding="utf-8")
    for name, text in SYSTEMS.items():
        (root / f"{name}.txt").write_text(text, encoding="utf-8")
    done = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                             "--resamples", "20", "--out", "out"], cwd=root,
                   env={"HARNESS_CACHE_DIR": str(root / "cache")})
    assert done.code == 0, done.stderr[-3000:]
    return root / "out"


def runs_here(scored: Path, tmp_path: Path) -> list[str]:
    """Copies of the two finished runs under tmp_path (a case may change what surrounds them)."""
    for name in SYSTEMS:
        shutil.copytree(scored / name, tmp_path / "runs" / name)
    return [str(tmp_path / "runs" / name) for name in SYSTEMS]


# ---------------------------------------------------------------- report folders that hold the user's files

def own_report_page(out: Path) -> None:
    out.mkdir()
    (out / "report.html").write_text("<html>my own report, written by hand</html>\n", encoding="utf-8")


def own_charts(out: Path) -> None:
    (out / "charts").mkdir(parents=True)
    (out / "charts" / "figure1.png").write_bytes(b"\x89PNG my figure")


def own_leaderboard_and_json(out: Path) -> None:
    out.mkdir()
    (out / "leaderboard.csv").write_text("system,score\nmine,1\n", encoding="utf-8")
    (out / "comparison.json").write_text('{"my": "notes"}\n', encoding="utf-8")


def own_group_folder(out: Path) -> None:
    (out / "comparison_1").mkdir(parents=True)
    (out / "comparison_1" / "report.html").write_text("<html>mine</html>\n", encoding="utf-8")


@pytest.mark.parametrize("make, named", [(own_report_page, "report.html"), (own_charts, "charts"),
                                         (own_leaderboard_and_json, "comparison.json"),
                                         (own_group_folder, "comparison_1")])
def test_files_of_the_users_that_bear_a_reports_names_are_not_replaced(scored, tmp_path, make, named):
    """A folder holding the user's own report.html, charts/ or leaderboard.csv was taken for an earlier report:
    "note: replaced the earlier report", exit 0, and the user's files deleted (names alone made a report)."""
    runs = runs_here(scored, tmp_path)
    make(tmp_path / "thesis")
    untouched = tree_checksum(tmp_path)
    outcome = run_cli("compare", [*runs, "--out", str(tmp_path / "thesis"), "--resamples", "20"], cwd=tmp_path)
    assert_one_line_error(outcome, f"--out {tmp_path / 'thesis'} already holds other files", named,
                          "name a new or empty folder")
    assert tree_checksum(tmp_path) == untouched

"""Round 4 of the adversarial matrix: what the first three rounds did not try, each found broken and fixed.

Each case runs the real CLI in a child process as a user would and checks the exit code, the one error line and a
checksum of the whole surrounding tree (tests/adversarial.py), or the numbers a comparison that goes ahead prints:
- harness-compare --metrics naming a metric twice ranked it twice and counted it twice in the Holm correction;
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_round3 import user_files


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """Two systems scored by harness-score: OUT/sysA and OUT/sysB, finished runs to compare."""
    base = tmp_path_factory.mktemp("scored")
    user = user_files(base)
    outcome = run_cli("score", ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                                "--out", str(base / "out"), "--resamples", "20"], cwd=user,
                      env={"HARNESS_CACHE_DIR": str(base / "cache")})
    assert outcome.code == 0, outcome.stderr[-2000:]
    return base / "out"


def compared(scored: Path, report: Path, *options: str) -> dict:
    outcome = run_cli("compare", [str(scored / "sysA"), str(scored / "sysB"), "--resamples", "50", "--out",
                                  str(report), *options], cwd=report.parent)
    assert outcome.code == 0, outcome.stderr[-2000:]
    return json.loads((report / "comparison.json").read_text(encoding="utf-8"))


def test_a_metric_named_twice_is_ranked_and_corrected_for_once(scored, tmp_path):
    twice = compared(scored, tmp_path / "twice", "--metrics", "bleu", "chrf", "bleu")
    once = compared(scored, tmp_path / "once", "--metrics", "bleu", "chrf")
    assert [m["name"] for m in twice["metrics"]] == ["bleu", "chrf"]
    assert twice["rows"] == once["rows"]

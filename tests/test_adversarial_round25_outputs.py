"""Round 25 on what a run says of its outputs: an empty output is an omission only where its source has text.

A line-aligned test set with a blank line between its documents (an empty source line, an empty reference line):
the harness gives such a line an empty output itself, asking no model (docs/datasets.md), and then counted it as an
empty output: the run table showed `1/4 empty` under `degraded` for a system that translated every line, and
harness-compare and harness-score listed every system under `degraded: ... empty outputs`, by a model's run and by
hypothesis files alike, so a real omission could not be told from the blank lines of the test set.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from harness import run
from harness.config import compose_config
from tests.adversarial import run_cli

SOURCE = ["Le maire a ouvert une ligne de tram lundi.", "", "Le conseil a voté un gros budget.",
          "Le trajet dure vingt-cinq minutes."]
REFERENCE = ["The mayor opened a tram line on Monday.", "", "The council voted a large budget.",
             "The journey takes twenty-five minutes."]
OMITTED = [REFERENCE[0], "", "", REFERENCE[3]]   # the third line's output left out: one omission


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def line_aligned_set(folder: Path) -> Path:
    folder.mkdir(parents=True)
    write_lines(folder / "src.txt", SOURCE)
    write_lines(folder / "ref.txt", REFERENCE)
    document = {"id": "a", "lang": "fr", "file": "src.txt", "reference": "ref.txt", "relation": "parallel"}
    (folder / "manifest.yaml").write_text(yaml.safe_dump({"target_lang": "en", "alignment": "lines",
                                                         "documents": [document]}), encoding="utf-8")
    return folder


def empty_outputs(run_folder: Path) -> int:
    return json.loads((run_folder / "result.json").read_text(encoding="utf-8"))["documents"][0]["empty_outputs"]


def test_a_blank_line_of_the_test_set_is_no_empty_output_of_a_model(tmp_path):
    data = line_aligned_set(tmp_path / "data")
    result = run(compose_config([f"data.root={data}", f"cache.dir={tmp_path / 'cache'}", "model=identity"]),
                 tmp_path / "run")
    assert result["documents"][0]["empty_outputs"] == 0
    assert empty_outputs(tmp_path / "run") == 0


def test_a_blank_line_is_no_empty_output_of_a_hypothesis_file_and_an_omission_still_is(tmp_path):
    write_lines(tmp_path / "src.txt", SOURCE)
    write_lines(tmp_path / "ref.txt", REFERENCE)
    write_lines(tmp_path / "whole.txt", REFERENCE)
    write_lines(tmp_path / "omits.txt", OMITTED)
    done = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "whole.txt", "omits.txt",
                             "--out", "out"], cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert done.code == 0, done.stderr[-2000:]
    assert empty_outputs(tmp_path / "out" / "whole") == 0
    assert empty_outputs(tmp_path / "out" / "omits") == 1
    degraded = [line for line in done.stdout.splitlines() if line.startswith("degraded:")]
    assert degraded == ["degraded: whole: output is the reference word for word (its scores of 100 measure no "
                        "translation): src", "degraded: omits: empty outputs: src 1/4"], done.stdout[-3000:]

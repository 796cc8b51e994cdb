"""End to end through the real configs with the identity and files backends."""
import json
import subprocess
import sys

import pytest

from harness import run
from harness.config import compose_config
from harness.errors import UserError
from harness.results.results import read_result
from tests.conftest import REPO, SEEDS

CLI_FLAGS = {"bleu": ["-m", "bleu"], "chrf": ["-m", "chrf"], "chrf++": ["-m", "chrf", "--chrf-word-order", "2"]}


def seeds_config(*overrides):
    return compose_config([f"data.root={SEEDS}", *overrides])


def sacrebleu_cli(run_dir, doc_id, metric):
    out = subprocess.run([sys.executable, "-m", "sacrebleu", str(run_dir / "scored" / f"{doc_id}.ref.txt"), "-i",
                          str(run_dir / "scored" / f"{doc_id}.hyp.txt"), *CLI_FLAGS[metric], "-b"],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def test_identity_run_writes_the_run_folder_and_scores_match_the_cli(tmp_path):
    result = run(seeds_config("model=identity"), tmp_path / "run")
    run_dir = tmp_path / "run"
    assert read_result(run_dir) == json.loads((run_dir / "result.json").read_text())
    assert {d["id"] for d in result["documents"]} == {"000", "002", "003", "004"}
    for document in result["documents"]:
        source = (SEEDS / document["source_file"]).read_text(encoding="utf-8")
        hypothesis = (run_dir / "hypotheses" / f"{document['id']}.txt").read_text(encoding="utf-8")
        assert hypothesis.split() == [w for line in source.splitlines() for w in line.split()
                                      if line.strip() not in {d["text"] for d in document["cleaning"]["source"]["dropped"]}]
        for metric in ("bleu", "chrf", "chrf++"):
            assert round(document["metrics"][metric]["score"], 1) == sacrebleu_cli(run_dir, document["id"], metric)
    assert result["model"] == {"name": "identity", "backend": "identity"}
    assert set(result["versions"]) >= {"python", "torch", "transformers", "sacrebleu", "harness", "git_commit"}
    assert result["config"]["model"]["name"] == "identity"


def test_files_backend_scoring_the_reference_itself_gives_100_bleu(tmp_path):
    hypotheses = tmp_path / "hyps"
    hypotheses.mkdir()
    reference = (REPO / "references" / "001_8dfe5badceb79477.txt").read_text(encoding="utf-8")
    cleaned = "\n".join(l for l in reference.splitlines() if not l.startswith(("Posted at", "With information")))
    for doc_id in ("000", "002", "003", "004"):
        (hypotheses / f"{doc_id}.txt").write_text(cleaned, encoding="utf-8")
    result = run(seeds_config("model=files", f"model.path={hypotheses}", "model.name=reference"), tmp_path / "run")
    assert [d["metrics"]["bleu"]["score"] for d in result["documents"]] == [100.0] * 4
    assert (tmp_path / "run" / "hypotheses" / "002.txt").read_text(encoding="utf-8") == cleaned


def test_files_backend_missing_hypothesis_is_a_user_error(tmp_path):
    (tmp_path / "hyps").mkdir()
    with pytest.raises(UserError, match="no hypothesis for document '000'"):
        run(seeds_config("model=files", f"model.path={tmp_path / 'hyps'}"), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_changing_only_the_metrics_rescoring_reuses_the_cache(tmp_path):
    first = run(seeds_config("model=identity", "metrics=[bleu]"), tmp_path / "a")
    second = run(seeds_config("model=identity", "metrics=[chrf]"), tmp_path / "b")
    assert all(d["cache_hits"] == 0 for d in first["documents"])
    assert all(d["cache_hits"] == d["source_segments"] for d in second["documents"])
    assert list(second["documents"][0]["metrics"]) == ["chrf"]


def test_max_segments_limits_each_document(tmp_path):
    result = run(seeds_config("model=identity", "data.max_segments=2"), tmp_path / "run")
    assert [d["source_segments"] for d in result["documents"]] == [2, 2, 2, 2]


def test_non_parallel_scores_are_marked_in_the_table(tmp_path):
    from harness.compare.reports.tables import results_table
    from harness.results.records import RunRecord
    from harness.results.results import read_record
    result = run(seeds_config("model=identity"), tmp_path / "run")
    table = results_table(result)
    # the in-memory result and result.json give the same typed record (one reader), so the same table
    assert RunRecord.from_dict(result) == read_record(tmp_path / "run") and results_table(read_record(tmp_path / "run")) == table
    rows = {line.split()[0]: line for line in table.splitlines() if line[:3].isdigit()}
    assert "*" in rows["000"] and "*" in rows["003"] and "*" not in rows["002"]
    assert "not a translation of this source" in table

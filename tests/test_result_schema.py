"""One result schema (issue 23): harness-run writes the frozen records that every reader gets back.

The records of harness/results/records.py are written by to_dict and read by from_dict; a written result.json
reads back to a record that writes the same bytes, results of schema_version 2 still read, the schema page is
made from the records, and the worked example of docs/extending.md (a new field of a document's result) changes
one class and reaches result.json, read_record and harness-compare's runs.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from harness.config import compose_config
from harness.pipeline import run
from harness.results.records import ABSENT, DocumentRecord, RunRecord, Segment, SummaryRecord, schema_markdown
from harness.results.results import read_record
from tests.conftest import REFERENCES, REPO, SEEDS

SCHEMA_PAGE = REPO / "docs" / "result-schema.md"
TABLES_MARK = "<!-- the tables below are schema_markdown()'s output -->\n\n"
EXAMPLE = re.compile(r"## A field of a document's result\n.*?```diff\n(.*?)```", re.S)
SMOKE = [f"data.root={SEEDS}", f"data.reference_root={REFERENCES}", "model=identity", "experiment=smoke"]


def written_text(result: dict) -> str:
    """result.json's text for a result (as harness.results.results.write_json_atomically writes it)."""
    return json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schema") / "run"
    return run(compose_config(SMOKE), folder), folder


def test_the_schema_page_is_made_from_the_records():
    page = SCHEMA_PAGE.read_text(encoding="utf-8")
    assert TABLES_MARK in page
    assert page.split(TABLES_MARK, 1)[1] == schema_markdown()


def test_a_written_result_reads_back_to_a_record_that_writes_the_same_bytes(smoke_run):
    result, folder = smoke_run
    record = read_record(folder)
    assert written_text(record.to_dict()) == (folder / "result.json").read_text(encoding="utf-8")
    assert RunRecord.from_dict(result) == record    # the in-memory result types the same
    assert all(isinstance(s, Segment) for d in record.documents for s in d.segments)


def test_a_schema_version_2_result_still_reads(smoke_run, tmp_path):
    result, _ = smoke_run
    old = json.loads(written_text(result))
    old["schema_version"] = 2
    for document in old["documents"]:   # what version 3 added
        for key in ("segment_statistics", "reference_free", "source_units"):
            document.pop(key, None)
        for segment in document["segments"]:
            segment.pop("statistics", None)
            segment.pop("details", None)
    (tmp_path / "result.json").write_text(written_text(old), encoding="utf-8")
    record = read_record(tmp_path)
    assert record.schema_version == 2 and [d.id for d in record.documents] == [d["id"] for d in result["documents"]]
    assert all(d.statistics_kinds == {} and d.reference_free == {} for d in record.documents)
    assert all(s.statistics == {} for d in record.documents for s in d.segments)
    assert record.documents[0].metrics["bleu"].score == result["documents"][0]["metrics"]["bleu"]["score"]


@pytest.mark.parametrize("written", [
    {"ref_index": 0, "ref": "A dog.", "hyp": "A dog.", "src": "Un chien.", "bead": "1-1", "similarity": 0.9,
     "adequacy": None, "scores": {}},                        # adequacy not measured: null
    {"ref_index": 3, "ref": "A dog.", "hyp": "A cat.", "src": None, "bead": "1-1", "similarity": 0.5,
     "scores": {"bleu": 0.0}, "statistics": {"bleu": [2, 2, 1]}},    # the hypothesis-side path: no adequacy key
    {"ref_index": 1, "ref": "Yes.", "hyp": "Yes.", "src": "Oui.", "bead": "1-1", "similarity": 0.8,
     "adequacy": 0.7, "extra_refs": ["Indeed."], "scores": {"comet": 0.8}, "statistics": {"comet": [0.8, 1]},
     "details": {"comet": {"pieces": 2}}},
])
def test_a_segment_writes_what_it_read_key_for_key(written):
    assert list(Segment.from_dict(written).to_dict().items()) == list(written.items())


def test_absent_and_null_adequacy_stay_apart():
    assert Segment.from_dict({"ref_index": 0, "ref": "a", "hyp": "b"}).adequacy is ABSENT
    assert Segment.from_dict({"ref_index": 0, "ref": "a", "hyp": "b", "adequacy": None}).adequacy is None


def test_a_summary_s_chunking_and_settings_are_not_scores():
    summary = SummaryRecord.from_dict({
        "reference_file": "ref.txt", "details": {"name": "hf_causal", "max_input_tokens": 512},
        "summarizer": "hf_causal", "input": "reference", "text_file": "summaries/references/ref.txt", "sentences": 2,
        "words": 30, "empty": False, "cache_hit": False, "reference_free": {"compression": 0.2},
        "chunking": {"input_limit": 512, "chunk_tokens": [400, 300], "combined": "concatenated",
                     "truncated_chunks": 0}})
    assert summary.flat_scores() == {"reference_free compression": 0.2}
    assert summary.details["max_input_tokens"] == 512 and summary.chunking["input_limit"] == 512


def test_required_keys_are_the_fields_without_a_default():
    assert DocumentRecord.required_keys() == ("id", "src_lang", "relation", "source_file", "reference_file",
                                              "source_segments", "cleaning", "metrics")
    assert Segment.required_keys() == ("ref_index", "ref", "hyp")
    assert RunRecord.required_keys() == ("schema_version", "config", "model", "data", "documents")


def top_level_sources(path) -> dict[str, str]:
    """Each top-level statement of a module (by name where it has one), as ast sees it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {getattr(node, "name", f"statement {k}"): ast.dump(node) for k, node in enumerate(tree.body)}


def changed_files(before, after) -> list[str]:
    names = sorted(p.relative_to(before).as_posix() for p in before.rglob("*.py"))
    return [n for n in names if (before / n).read_bytes() != (after / n).read_bytes()]


RUN_WITH_THE_FIELD = """
import json, sys
from pathlib import Path
from harness.config import compose_config
from harness.pipeline import run
from harness.compare.compare import load_runs
from harness.results.results import read_record
out = Path(sys.argv[1])
result = run(compose_config(sys.argv[2:]), out)
record, compared = read_record(out), load_runs([str(out)])[0].result
print(json.dumps({"last_key": list(result["documents"][0])[-1],
                  "written": [d["output_words"] for d in result["documents"]],
                  "read": [d.output_words for d in record.documents],
                  "compared": [d.output_words for d in compared.documents],
                  "counted": [len((out / "hypotheses" / f"{d.id}.txt").read_text(encoding="utf-8").split())
                              for d in record.documents]}))
"""


def test_the_worked_example_adds_a_document_field_by_changing_one_class(tmp_path):
    diff = EXAMPLE.search((REPO / "docs" / "extending.md").read_text(encoding="utf-8")).group(1)
    copy = tmp_path / "checkout"
    shutil.copytree(REPO / "harness", copy / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "conf", copy / "conf")
    subprocess.run(["git", "apply", "-"], input=diff, text=True, cwd=copy, check=True, capture_output=True)
    assert changed_files(REPO / "harness", copy / "harness") == ["results/records.py"]
    before, after = (top_level_sources(root / "harness" / "results" / "records.py") for root in (REPO, copy))
    assert before.keys() == after.keys() and [name for name in before if before[name] != after[name]] == [
        "DocumentRecord"]

    done = subprocess.run([sys.executable, "-c", RUN_WITH_THE_FIELD, str(tmp_path / "run"), *SMOKE],
                          cwd=copy, env={**os.environ, "PYTHONPATH": str(copy)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    carried = json.loads(done.stdout.strip().splitlines()[-1])
    assert carried["last_key"] == "output_words"
    assert carried["written"] == carried["read"] == carried["compared"] == carried["counted"]
    assert all(words > 0 for words in carried["counted"])

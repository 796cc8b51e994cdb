"""Adversarial round 3 on truth: what the run table says a relation was measured from, and why it could not be
judged, is what the harness did. A source language the encoder does not cover (Finnish) has its relation measured
from one system's output (a search) or not at all (line-aligned); the table said 'relation measured from source and
reference' for every document and gave 'too few sentences, or hypothesis not en' as the reason it could not judge."""
from __future__ import annotations

from pathlib import Path

import yaml

from harness import run
from harness.compare.reports.tables import results_table
from harness.config import compose_config

FINNISH = ["Lyonin kaupunki avasi maanantaina uuden raitiotielinjan kolmen vuoden rakennustöiden jälkeen.",
           "T10-linja yhdistää Part-Dieun rautatieaseman eteläiseen Vénissieux'n esikaupunkiin.",
           "Pormestari Grégory Doucet kertoi hankkeen maksaneen 280 miljoonaa euroa, 40 miljoonaa enemmän kuin "
           "suunniteltiin.",
           "Raitiovaunua odotetaan käyttävän päivittäin noin 45 000 matkustajaa."]
ENGLISH = ["The city of Lyon opened a new tram line on Monday after three years of construction.",
           "The line T10 connects the railway station of Part-Dieu with the southern suburb of Vénissieux.",
           "Mayor Grégory Doucet said the project cost 280 million euros, 40 million more than planned.",
           "About 45,000 passengers are expected to use the tram every day."]
FLOOD = ["Heavy rain flooded several villages in northern Portugal on Thursday.",
         "Firefighters rescued dozens of residents trapped in their homes.",
         "The regional government declared a state of emergency for the district of Braga.",
         "Meteorologists warned that more storms were expected over the weekend."]


def finnish_data(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "fi.txt").write_text("\n".join(FINNISH) + "\n", encoding="utf-8")
    (root / "en.txt").write_text("\n".join(ENGLISH) + "\n", encoding="utf-8")
    documents = [{"id": "searched", "lang": "fi", "file": "fi.txt", "reference": "en.txt", "relation": "parallel"},
                 {"id": "lined", "lang": "fi", "file": "fi.txt", "reference": "en.txt", "relation": "parallel",
                  "alignment": "lines"}]
    (root / "manifest.yaml").write_text(yaml.safe_dump({"target_lang": "en", "documents": documents}),
                                        encoding="utf-8")
    return root


def files_run(tmp_path: Path, outputs: list[str]) -> dict:
    folder = tmp_path / "outputs"
    folder.mkdir()
    for doc_id in ("searched", "lined"):
        (folder / f"{doc_id}.txt").write_text("\n".join(outputs) + "\n", encoding="utf-8")
    overrides = [f"data.root={finnish_data(tmp_path / 'data')}", "model=files", f"model.path={folder}"]
    return run(compose_config(overrides), tmp_path / "run")


def note_naming(table: str, doc_id: str, start: str) -> str:
    [line] = [line for line in table.splitlines() if line.startswith(start) and line.endswith(doc_id)]
    return line


def test_a_relation_measured_from_the_output_is_named_under_the_table(tmp_path):
    """A system that wrote another story: the relation, measured from its output, reads comparable, and the
    table must say that this verdict comes from the system's output, not from source and reference."""
    record = files_run(tmp_path, FLOOD[:2] + ENGLISH[:2])
    searched = next(d for d in record["documents"] if d["id"] == "searched")
    assert searched["diagnostics"]["relation"]["measured_from"] == "hypothesis and reference"
    table = results_table(record)
    line = note_naming(table, "searched", "relation measured from hypothesis and reference")
    assert "not covered by the multilingual encoder" in line and "this system's output" in line


def test_a_relation_not_measured_says_why_under_the_table(tmp_path):
    record = files_run(tmp_path, ENGLISH)
    lined = next(d for d in record["documents"] if d["id"] == "lined")
    assert lined["diagnostics"]["relation"]["measured"] == "cannot_judge"
    table = results_table(record)
    line = note_naming(table, "lined", "relation not measured")
    assert "not covered by the multilingual encoder" in line
    assert "a language the encoder does not cover" in note_naming(table, "lined", "? relation cannot be judged")

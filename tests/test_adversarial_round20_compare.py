"""Round 20 on harness-compare (round 19's left item): `harness-compare sweep/*`, as a shell expands it, passes the
sweep's own record (SWEEP, multirun.yaml) and its comparison report beside the job folders. Each was refused ('not
JSON', 'no result.json found'), and with it the comparison of the sweep's runs; they are named and left out now."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial import run_cli, tree_checksum
from tests.test_adversarial_compare import write_dataset


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("round20")
    data = write_dataset(base / "data")
    folder = base / "sweep"
    launched = run_cli("run", ["-m", f"data.root={data}", f"cache.dir={base / 'cache'}", "alignment.embeddings=false",
                               "model=identity", "generation.batch_size=4,8", f"hydra.sweep.dir={folder}"], cwd=base)
    assert launched.code == 0, launched.stderr
    assert {"SWEEP", "multirun.yaml", "comparison"} <= {p.name for p in folder.iterdir()}
    return folder


@pytest.mark.parametrize("listing", [True, False])
def test_a_sweeps_entries_as_a_glob_passes_them_compare_its_runs(tmp_path, sweep, listing):
    entries = [str(path) for path in sorted(sweep.iterdir())]   # what `harness-compare sweep/*` receives
    before = tree_checksum(sweep)
    arguments = ["--list", *entries] if listing else [*entries, "--out", str(tmp_path / "report")]
    outcome = run_cli("compare", arguments, cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr
    for name, why in [("SWEEP", "the sweep's own record"), ("multirun.yaml", "the sweep's own record"),
                      ("comparison", "a comparison report")]:
        assert any(line.startswith("warning: skipped") and f"{sweep / name} is {why}: " in line
                   for line in outcome.error_lines), outcome.stderr
    if listing:
        assert "2 finished runs" in outcome.stdout, outcome.stdout
    else:
        assert (tmp_path / "report" / "report.html").is_file()
    assert tree_checksum(sweep) == before


def test_a_comparison_report_alone_is_no_run_to_compare(tmp_path, sweep):
    outcome = run_cli("compare", [str(sweep / "comparison")], cwd=tmp_path)
    assert outcome.code == 2
    assert outcome.error_lines == [f"error: no finished run to compare: {sweep / 'comparison'} is a comparison "
                                   "report: harness-compare's report of runs, not a run"], outcome.stderr

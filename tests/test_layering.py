"""The folders of harness/ show the flow, and imports only point down it (issue 23).

A stage imports from earlier stages and from the foundation, never from a later stage ("0 arrows up"); the
foundation imports no stage; the entry points sit above every stage and assemble them. Every top-level folder
of harness/ is one declared stage. The import graph is tests/test_import_graph.py's (read with ast).
"""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO
from tests.test_import_graph import PACKAGE, import_graph

STAGES = ["data", "translate", "align", "score", "summarize", "results", "compare", "track"]   # the flow's order
FOUNDATION = ["errors", "progress", "config", "cache", "cache_folders", "writer_lock", "cores", "moved"]    # used by every stage; imports no stage
ENTRY_POINTS = ["entry", "cli", "pipeline", "score_files"]         # and the package itself: they assemble stages
RENDERINGS = "harness.compare.reports"   # inside compare/: renders what the comparison's own modules make


def floor(module: str) -> int:
    """Foundation -1, then each stage in flow order, entry points on top."""
    top = module.split(".")[1] if "." in module else None
    if top in FOUNDATION:
        return -1
    if top in STAGES:
        return STAGES.index(top)
    assert top is None or top in ENTRY_POINTS, f"{module} belongs to no stage, foundation or entry point"
    return len(STAGES)


def test_every_top_level_folder_of_the_package_is_a_declared_stage():
    top_level = [path for path in (REPO / PACKAGE).iterdir() if path.name != "__pycache__"]
    folders = {path.name for path in top_level if path.is_dir()}
    files = {path.stem for path in top_level if path.is_file() and path.suffix == ".py"}
    assert folders == set(STAGES)
    assert files == set(FOUNDATION) | set(ENTRY_POINTS) | {"__init__"}
    assert all((REPO / PACKAGE / stage / "__init__.py").read_text(encoding="utf-8").startswith('"""Stage ')
               for stage in STAGES)


def test_imports_only_point_down_the_flow():
    arrows_up = sorted(f"{module} -> {target}" for module, targets in import_graph().items()
                       for target in targets if floor(target) > floor(module))
    assert arrows_up == []


def test_the_comparison_never_imports_its_renderings():
    """Data first, rendering after: discovery, comparability, statistics and rows make the comparison, reports/
    renders it (and the stored runs' index); no module of the comparison imports from reports/."""
    graph = import_graph()
    assert f"{RENDERINGS}.tables" in graph[f"{RENDERINGS}.page"]   # the graph sees the folder
    arrows = sorted(f"{module} -> {target}" for module, targets in graph.items()
                    if module.startswith("harness.compare") and not module.startswith(RENDERINGS)
                    for target in targets if target.startswith(RENDERINGS))
    assert arrows == []


def test_the_layering_check_sees_an_arrow_up():
    assert floor("harness.score.aligned_scoring") > floor("harness.translate.translate") > floor("harness.cache")
    assert "harness.data.relations" in import_graph()["harness.data.documents"]


def test_moved_documented_paths_are_deprecated_aliases_of_the_same_modules():
    script = ("import harness.metrics.base as old_metric, harness.score.metrics.base as metric\n"
              "import harness.backends.prompted as old_prompted, harness.translate.backends.prompted as prompted\n"
              "assert old_metric.Metric is metric.Metric and old_prompted.PromptedLMBackend is prompted.PromptedLMBackend\n"
              "import harness.compare.report_html as old_page, harness.compare.reports.page as page\n"
              "from harness.compare.report import results_table\n"
              "assert old_page.SECTIONS is page.SECTIONS and results_table.__module__ == 'harness.compare.reports.tables'\n")
    done = subprocess.run([sys.executable, "-W", "always", "-c", script], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "DeprecationWarning: harness.metrics.base moved to harness.score.metrics.base" in done.stderr
    assert "DeprecationWarning: harness.compare.report_html moved to harness.compare.reports.page" in done.stderr

"""The harness's modules import one another without a cycle (issue 23).

Read with ast, without importing anything: every import counts, those inside functions too (they run later,
but a cycle through them still ties the modules together), and importing a.b.c counts as importing the
packages a.b and a as well, since Python runs their __init__ first.
"""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = "harness"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in (REPO / PACKAGE).rglob("*.py")}


def imported_names(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [f"{node.module}.{alias.name}" for alias in node.names]   # a submodule, or a name in one
    return names


def modules_run_by(name: str, importer: str) -> set[str]:
    """The harness modules that importing `name` runs: the module it names and the packages above it (the
    root package and the importer's own packages, already running, aside)."""
    run = set()
    while name:
        if name in MODULES and name != PACKAGE and not importer.startswith(f"{name}.") and name != importer:
            run.add(name)
        name = name.rpartition(".")[0]
    return run


def import_graph() -> dict[str, set[str]]:
    return {module: {target for name in imported_names(ast.parse(path.read_text(encoding="utf-8")))
                     for target in modules_run_by(name, module)}
            for module, path in MODULES.items()}


def test_the_harness_modules_import_one_another_without_a_cycle():
    graph = import_graph()
    assert {"harness.cache", "harness.translate.backends.protocol"} <= graph["harness.translate.translate"]   # the graph is read
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")

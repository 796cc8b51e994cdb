"""Deprecated aliases for the import paths that moved when harness/ was split into one folder per stage of the
flow (issue 23). `harness.backends.*` and `harness.metrics.*` were named by docs/extending.md and by users'
`_target_:` configs and dotted metric names; they still import, as the very same module objects as their new
homes (`harness.translate.backends.*`, `harness.score.metrics.*`), with a DeprecationWarning. So do the modules that
render a comparison (`harness.compare.report`, `report_html`, `charts`, ...), now in `harness.compare.reports`. Use the
new paths.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED_PACKAGES = {"harness.backends": "harness.translate.backends", "harness.metrics": "harness.score.metrics",
                  # the comparison's renderings, grouped in harness/compare/reports/ (docs/report.md named them)
                  "harness.compare.report": "harness.compare.reports.tables",
                  "harness.compare.report_html": "harness.compare.reports.page",
                  "harness.compare.charts": "harness.compare.reports.charts",
                  "harness.compare.report_spans": "harness.compare.reports.spans",
                  "harness.compare.html_text": "harness.compare.reports.html_text",
                  "harness.compare.run_index": "harness.compare.reports.run_index"}


def new_location(name: str) -> str | None:
    for old, new in MOVED_PACKAGES.items():
        if name == old or name.startswith(f"{old}."):
            return new + name[len(old):]
    return None


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path first (before the path finder, which would load a second copy of the module) and loads
    it by putting the new module under the old name."""

    def find_spec(self, name, path=None, target=None):
        new = new_location(name)
        if new is None or importlib.util.find_spec(new) is None:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        new = new_location(module.__name__)
        warnings.warn(f"{module.__name__} moved to {new}; the old path is a deprecated alias",
                      DeprecationWarning, stacklevel=2)
        sys.modules[module.__name__] = importlib.import_module(new)


def install() -> None:
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())

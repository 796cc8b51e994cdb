"""The console scripts (pyproject's [project.scripts]): harness.cli's commands, imported with Python's cyclic
garbage collector paused.

A command's imports (hydra, omegaconf, numpy, sacrebleu, the harness) make about 90,000 objects that live until the
process ends. The collector walks them again and again while they are made, once more in each full collection of the
run, and a last time when the interpreter exits, and finds nothing to free: about 0.3 s of a 1.5 s fully cached
harness-run on 2 cores (benchmarks/RESULTS.md, figure 3). So the collector is paused while the command is imported,
what the imports made is frozen (gc.freeze: later collections skip it), and at exit everything is frozen before the
interpreter's last collections; the operating system frees the memory. Objects that only a collection would free are
not finalized at exit: the harness closes its files and its cache explicitly (with-blocks), never in a finalizer.
"""
from __future__ import annotations

import atexit
import gc
from collections.abc import Callable
from importlib import import_module


def command(name: str) -> Callable[[], None]:
    def main() -> None:
        collecting = gc.isenabled()
        gc.disable()
        try:
            run_command = getattr(import_module("harness.cli"), name)
        finally:
            gc.freeze()
            if collecting:
                gc.enable()
        atexit.register(gc.freeze)
        run_command()
    main.__doc__ = f"harness.cli.{name}, imported with the collector paused."
    return main


run_main = command("run_main")
compare_main = command("compare_main")
score_main = command("score_main")

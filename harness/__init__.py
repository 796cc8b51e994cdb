"""mt-harness: translate real documents with open models, score them honestly, compare runs.

Python API for notebooks:
    from harness import compose_config, run
    result = run(compose_config(["model=identity"]), "results/my_run")
"""
from harness import moved
from harness.config import compose_config
from harness.pipeline import run

__all__ = ["compose_config", "run"]

moved.install()   # harness.backends.* and harness.metrics.*: deprecated aliases of their new homes


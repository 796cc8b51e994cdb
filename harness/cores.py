"""How many cores this process may use: one owner for the thread and process counts of every stage."""
from __future__ import annotations

import os

import psutil


def physical_cores() -> int:
    """One per physical core (hyper-threads slow matrix products down)."""
    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def available_cores() -> int:
    """The cores this process may run on (its affinity: a container's or taskset's limit), else all."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

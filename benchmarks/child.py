"""One `harness-run` in a process of its own, so that its peak memory is its own:

    python -m benchmarks.child MEASURES.json OVERRIDES...

runs the real command line entry point and writes the process's peak RSS and CPU time (user + system, all
threads) to MEASURES.json, even when the run fails (the parent reports the failure)."""
from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def main() -> None:
    measures, sys.argv = Path(sys.argv[1]), ["harness-run", *sys.argv[2:]]
    from harness.entry import run_main
    try:
        run_main()
    finally:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        measures.write_text(json.dumps({"peak_rss_bytes": peak_rss_bytes(usage),
                                        "cpu_seconds": usage.ru_utime + usage.ru_stime}))


def peak_rss_bytes(usage: resource.struct_rusage) -> int:
    """This process's own peak resident memory: VmHWM in /proc/self/status (Linux). Not ru_maxrss, which Linux
    carries over an exec: a child's starts at what its parent held when it was started (the suite's parent holds
    torch and a Marian model, 1.15 GiB), whatever the child itself uses."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:   # no procfs (macOS): ru_maxrss, in bytes there
        return usage.ru_maxrss
    return next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM:"))


if __name__ == "__main__":
    main()

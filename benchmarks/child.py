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
    from harness.cli import run_main
    try:
        run_main()
    finally:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        measures.write_text(json.dumps({"peak_rss_bytes": usage.ru_maxrss * 1024,   # KiB on Linux
                                        "cpu_seconds": usage.ru_utime + usage.ru_stime}))


if __name__ == "__main__":
    main()

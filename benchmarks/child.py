"""One `harness-run` in a process of its own, so that its peak memory is its own:

    python -m benchmarks.child MEASURES.json OVERRIDES...

runs the real command line entry point and writes the process's peak RSS to MEASURES.json, even when
the run fails (the parent reports the failure)."""
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
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux
        measures.write_text(json.dumps({"peak_rss_bytes": peak_kib * 1024}))


if __name__ == "__main__":
    main()

"""The machine and software a benchmark ran on, for RESULTS.md."""
from __future__ import annotations

import compileall
import os
import platform
from datetime import datetime
from pathlib import Path

import psutil

from harness.results.results import versions


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def gpu_name(device: str) -> str | None:
    if not device.startswith("cuda"):
        return None
    import torch
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none visible to torch"


def bytecode_as_installed() -> str:
    """Compile the harness's modules to bytecode before the timed processes start, as `pip install` compiles an
    installed package and as any Python writes it on a module's first import. Where PYTHONDONTWRITEBYTECODE is
    set (this project's development shells set it), Python never writes it, and every harness-run process here
    compiled some 25 changed modules again: 0.07 s of a fully cached re-run, measured on 2026-12-05. Existing
    bytecode is read whether or not that variable is set."""
    harness = Path(__file__).resolve().parents[1] / "harness"
    compileall.compile_dir(str(harness), quiet=1)
    unset = " (PYTHONDONTWRITEBYTECODE set in this shell)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"the harness's bytecode compiled before the timed processes, as an installed package has it{unset}"


def machine_record(device: str, bytecode: str | None = None) -> dict[str, str]:
    """bytecode: what bytecode_as_installed said, called before the timed processes."""
    record = {"date": datetime.now().isoformat(timespec="seconds"), "device": device, "CPU": cpu_model(),
              "cores": f"{psutil.cpu_count(logical=False)} physical, {psutil.cpu_count()} logical",
              "memory": f"{psutil.virtual_memory().total / (1 << 30):.0f} GiB", "GPU": gpu_name(device), "bytecode": bytecode}
    record["versions"] = ", ".join(f"{name} {version}" for name, version in versions().items() if version)
    return {key: value for key, value in record.items() if value}

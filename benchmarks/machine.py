"""The machine and software a benchmark ran on, for RESULTS.md."""
from __future__ import annotations

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


def machine_record(device: str) -> dict[str, str]:
    record = {"date": datetime.now().isoformat(timespec="seconds"), "device": device, "CPU": cpu_model(),
              "cores": f"{psutil.cpu_count(logical=False)} physical, {psutil.cpu_count()} logical",
              "memory": f"{psutil.virtual_memory().total / (1 << 30):.0f} GiB", "GPU": gpu_name(device)}
    record["versions"] = ", ".join(f"{name} {version}" for name, version in versions().items() if version)
    return {key: value for key, value in record.items() if value}

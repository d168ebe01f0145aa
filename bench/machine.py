"""What machine a benchmark ran on, printed beside its figures."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def describe(database_url: str = "") -> str:
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GiB RAM"
    backend = database_url.split(":", 1)[0] if database_url else "?"
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; database: {backend}"
    )


def print_setting(database_url: str, database: str, redis: str, idle: float | None) -> None:
    """The lines every HTTP-level benchmark starts its report with."""
    print(f"machine: {describe(database_url)}")
    print(f"database: {database}; {redis}; PAIRWISE_ENV=production")
    if idle is not None:
        print(
            f"CPU idle in the second before the run: {idle:.0%} (anything else running skews this)"
        )


def idle_share(seconds: float = 1.0) -> float | None:
    """The share of CPU time idle over the next `seconds` (Linux), to show whether something
    else was running when a benchmark started; None where /proc/stat is missing."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return None

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in stat.read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, all

    idle_before, total_before = sample()
    time.sleep(seconds)
    idle_after, total_after = sample()
    return (idle_after - idle_before) / max(total_after - total_before, 1)

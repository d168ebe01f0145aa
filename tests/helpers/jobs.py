"""Job functions that tests enqueue for real workers (importable by a worker process)."""

from __future__ import annotations

import time
from pathlib import Path


def slow_the_first_time(marker: str) -> str:
    """The first run notes that it started, then takes a minute (time to be killed); a
    retry returns at once."""
    path = Path(marker)
    if not path.exists():
        path.write_text("started")
        time.sleep(60)
    return "done"

"""gunicorn settings for `gunicorn -c deploy/gunicorn.conf.py service.wsgi:app`."""

import multiprocessing
import os
import shutil
from pathlib import Path

try:
    from prometheus_client import multiprocess as prometheus_multiprocess
except ImportError:  # gunicorn itself does not need it
    prometheus_multiprocess = None

bind = os.environ.get("PAIRWISE_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Load the app once in the master, so a configuration error stops the start at once.
preload_app = True
accesslog = "-"
# Access and error lines name a survey link's route (`/s/<token>`), never its token.
logger_class = "service.observability.access_log.Logger"
timeout = 30
graceful_timeout = 30
# Worker heartbeats in memory, not on a container's disk-backed /tmp (gunicorn's advice).
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"

# prometheus_client's multiprocess mode: each process writes its samples to files in this
# directory and /metrics adds them up. It must exist before the app is loaded (preload_app
# loads it before on_starting runs) and hold no files from an earlier run when workers start.
METRICS_DIRECTORY = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if METRICS_DIRECTORY:
    Path(METRICS_DIRECTORY).mkdir(parents=True, exist_ok=True)


def empty_directory(path: Path) -> None:
    """Remove what is inside `path` (it may be a mount point, so keep the directory)."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def on_starting(server):
    """Once, in the master, before any worker: forget the samples of a previous run."""
    if METRICS_DIRECTORY:
        empty_directory(Path(METRICS_DIRECTORY))


def child_exit(server, worker):
    """A worker died: drop its live-gauge files, so its gauges stop being reported."""
    if METRICS_DIRECTORY and prometheus_multiprocess is not None:
        prometheus_multiprocess.mark_process_dead(worker.pid, METRICS_DIRECTORY)

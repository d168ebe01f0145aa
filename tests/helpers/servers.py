"""Ports, processes and the live server: what a test needs to talk to the app over TCP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def repository_root() -> Path:
    return Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process, timeout: float = 120.0) -> None:
    """Waits for the first answer; generous, as a busy machine may take long to start a server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_gunicorn(env: dict[str, str], *, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """The app under gunicorn on a free port, answering; the caller stops the process."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        # As production loads it (deploy/gunicorn.conf.py): once, in the master.
        "--preload",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "service.wsgi:app",
    ]
    process = subprocess.Popen(command, env=env, cwd=repository_root())
    try:
        # Generous: the workers import the app at once, on a machine that may be busy.
        wait_for_http(f"http://127.0.0.1:{port}/", process, timeout=120)
    except BaseException:
        stop(process)
        raise
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

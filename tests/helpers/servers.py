"""Ports, processes and the live server: what a test needs to talk to the app over TCP."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import httpx


def repository_root() -> Path:
    return Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@cache
def _tls_settings() -> ssl.SSLContext:
    return ssl.create_default_context()


def local_http(**options) -> httpx.Client:
    """An HTTP client for the suite's own servers. httpx loads the system's certificates for
    every client it makes (18 ms of CPU each, though these servers speak plain HTTP); these
    clients share one set."""
    return httpx.Client(verify=_tls_settings(), **options)


def wait_for_http(url: str, process, timeout: float = 120.0) -> None:
    """Waits for the first answer; generous, as a busy machine may take long to start a server."""
    deadline = time.monotonic() + timeout
    with local_http(timeout=1) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} exited with {process.returncode}")
            try:
                http.get(url)
                return
            except httpx.TransportError:
                time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def gunicorn_command(port: int, *, workers: int) -> list[str]:
    """gunicorn serving the app on localhost, loaded as production loads it
    (deploy/gunicorn.conf.py): once, in the master, before the workers are forked."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--preload",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "service.wsgi:app",
    ]


def start_gunicorn(env: dict[str, str], *, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """The app under gunicorn on a free port, answering; the caller stops the process."""
    port = free_port()
    process = subprocess.Popen(
        gunicorn_command(port, workers=workers), env=env, cwd=repository_root()
    )
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

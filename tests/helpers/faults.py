"""Faults a network causes, for real: a TCP proxy that can lose a reply on its way back.

Put it between a client and a server (the app and PostgreSQL, or an HTTP client and
gunicorn). Armed with a marker, it passes the next request containing the marker to the
server, waits for the server's reply to arrive, then closes both connections without
passing the reply on: the server did the work, the client never hears about it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class LossyProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._marker: bytes | None = None
        self._after: bytes = b""
        self._reply_marker: bytes = b""
        self.lost = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, name="lossy-proxy", daemon=True).start()

    def lose_reply_to(
        self, marker: bytes, *, after: bytes = b"", reply_marker: bytes = b""
    ) -> None:
        """Lose the reply to the next request containing `marker` (sent after one containing
        `after`, if given), once the reply holds `reply_marker`: the server has finished."""
        self.lost.clear()
        with self._lock:
            self._marker, self._after, self._reply_marker = marker, after, reply_marker

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        with self._lock:
            for sock in self._sockets:
                _shut(sock)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            losing = threading.Event()
            threading.Thread(
                target=self._requests, args=(client, server, losing), daemon=True
            ).start()
            threading.Thread(
                target=self._replies, args=(server, client, losing), daemon=True
            ).start()

    def _requests(self, client: socket.socket, server: socket.socket, losing: threading.Event):
        tail = b""
        while chunk := _recv(client):
            with self._lock:
                seen = tail + chunk
                if self._after and self._after in seen:
                    self._after, seen = b"", seen[seen.index(self._after) :]
                if self._marker is not None and not self._after and self._marker in seen:
                    self._marker = None
                    losing.set()
            tail = chunk[-256:]
            try:
                server.sendall(chunk)
            except OSError:
                break
        _shut(server)

    def _replies(self, server: socket.socket, client: socket.socket, losing: threading.Event):
        held = b""
        while chunk := _recv(server):
            if losing.is_set():
                held += chunk
                if self._reply_marker in held:
                    # The server answered; the client will never know what.
                    self.lost.set()
                    _shut(client)
                    _shut(server)
                    return
                continue
            try:
                client.sendall(chunk)
            except OSError:
                break
        _shut(client)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextmanager
def lossy_proxy(host: str, port: int) -> Iterator[LossyProxy]:
    proxy = LossyProxy(host, port)
    try:
        yield proxy
    finally:
        proxy.close()


# What psycopg sends to commit (simple query protocol), and PostgreSQL's acknowledgement.
PG_COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"
PG_COMMIT_DONE = b"C\x00\x00\x00\x0bCOMMIT\x00"

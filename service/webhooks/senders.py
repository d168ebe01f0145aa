"""Each endpoint's connections in a worker process: kept-alive connections to the address
its URL passed the SSRF check with, and a pool of threads that bounds how many requests go
to it at once.

A delivery job claims a batch and hands each delivery to its endpoint's pool; the pool has
as many threads as the endpoint has connections, so a slow receiver holds up its own
deliveries and no other endpoint's. Connections go to the address the SSRF check passed (the
Host header and the TLS name stay the URL's), so a name re-pointed elsewhere gets new
connections only after it passed the check again.

The client is urllib3's connection pool: a request through it costs about half the CPU of
one through httpx (measured: 0.85 against 1.7 ms a request on the 2-core box), and at a
thousand deliveries a second that is most of a worker's time.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import certifi
import urllib3

# urllib3 logs each new connection at DEBUG only; a retry it would make is turned off.
logging.getLogger("urllib3").setLevel(logging.WARNING)

# Requests in flight to one endpoint from one worker process.
PER_ENDPOINT = 8
# Endpoints whose connections a process keeps; the least recently used beyond this close.
KEPT = 100


@cache
def tls_context() -> ssl.SSLContext:
    """The system's defaults, checked against certifi's bundle of authorities (what browsers
    trust, kept current by its releases), built once per process: loading the bundle takes
    about 20 ms, more than a whole delivery."""
    return ssl.create_default_context(cafile=certifi.where())


class Sender:
    """One endpoint's connections and thread pool in this process."""

    def __init__(self, key: tuple[str, float], concurrency: int = PER_ENDPOINT) -> None:
        self.key = key
        self.concurrency = concurrency
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")
        self._lock = threading.Lock()
        self._address: tuple[str, str, int, str] | None = None
        self._connections: urllib3.HTTPConnectionPool | None = None

    def connections(
        self, scheme: str, address: str, port: int, host: str
    ) -> urllib3.HTTPConnectionPool:
        """The kept connections to `address`, the one `host` passed the SSRF check with;
        those to an address the name no longer resolves to are closed."""
        kept = (scheme, address, port, host)
        with self._lock:
            if self._connections is not None and self._address == kept:
                return self._connections
            if self._connections is not None:
                self._connections.close()
            timeout = urllib3.Timeout(connect=self.key[1], read=self.key[1])
            common = {
                "port": port,
                "timeout": timeout,
                "maxsize": self.concurrency,
                "block": True,
                "retries": False,
            }
            if scheme == "https":
                self._connections = urllib3.HTTPSConnectionPool(
                    address,
                    ssl_context=tls_context(),
                    server_hostname=host,
                    assert_hostname=host,
                    **common,  # type: ignore[arg-type]
                )
            else:
                self._connections = urllib3.HTTPConnectionPool(
                    address,
                    **common,  # type: ignore[arg-type]
                )
            self._address = kept
            return self._connections

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        with self._lock:
            if self._connections is not None:
                self._connections.close()
            self._connections = None


_senders: OrderedDict[int, Sender] = OrderedDict()
_lock = threading.Lock()


def sender_for(endpoint_id: int, url: str, timeout: float) -> Sender:
    """The endpoint's sender, made anew when its URL or the timeout changed."""
    key = (url, float(timeout))
    retired: list[Sender] = []
    with _lock:
        sender = _senders.get(endpoint_id)
        if sender is not None and sender.key != key:
            retired.append(_senders.pop(endpoint_id))
            sender = None
        if sender is None:
            sender = _senders[endpoint_id] = Sender(key)
        _senders.move_to_end(endpoint_id)
        while len(_senders) > KEPT:
            retired.append(_senders.popitem(last=False)[1])
    for old in retired:
        old.close()
    return sender


def close_all() -> None:
    """Close every connection and thread (at worker shutdown, and between tests)."""
    with _lock:
        senders = list(_senders.values())
        _senders.clear()
    for sender in senders:
        sender.close()


def kept() -> int:
    """How many endpoints this process keeps connections to."""
    return len(_senders)

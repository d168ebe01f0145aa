"""Each endpoint's connections in a worker process: one HTTP client that keeps connections
alive across jobs, and a pool of threads that bounds how many requests go to it at once.

A delivery job claims a batch and hands each delivery to its endpoint's pool; the pool has
as many threads as the client has connections, so a slow receiver holds up its own
deliveries and no other endpoint's. Connections go to the address the SSRF check passed
(the URL carries the address, the Host header the name), so a name re-pointed elsewhere
gets a new connection only after it passed the check again.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import httpx

# httpx logs every request at INFO: a line per delivery, formatted as JSON, on top of the
# delivery log's own (its failures one by one, its successes a line per batch).
logging.getLogger("httpx").setLevel(logging.WARNING)

# Requests in flight to one endpoint from one worker process.
PER_ENDPOINT = 8
# Endpoints whose connections a process keeps; the least recently used beyond this close.
KEPT = 100
# An idle connection is closed after this long (receivers often close theirs after 60 s).
KEEPALIVE_SECONDS = 30.0


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verification (certifi's bundle), built once per process: loading the
    bundle takes about 20 ms, more than a whole delivery."""
    return httpx.create_ssl_context(trust_env=False)


class Sender:
    """One endpoint's client and thread pool in this process."""

    def __init__(self, key: tuple[str, float], concurrency: int = PER_ENDPOINT) -> None:
        timeout = key[1]
        self.key = key
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            verify=tls_context(),
            limits=httpx.Limits(
                max_connections=concurrency,
                max_keepalive_connections=concurrency,
                keepalive_expiry=KEEPALIVE_SECONDS,
            ),
        )
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.client.close()


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

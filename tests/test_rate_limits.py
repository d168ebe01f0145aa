"""The rate limiter itself: a Redis outage never locks anyone out, and the client address
comes from X-Forwarded-For only behind proxies the operator declared."""

from __future__ import annotations

import logging

import pytest

from service import create_app
from service.embedded_redis import EmbeddedRedis
from tests.helpers import Api
from tests.helpers.servers import free_port
from tests.helpers.staff import PASSWORD, Console
from tests.helpers.state import TEST_SECRET


@pytest.fixture
def second_app(database_url, redis_url):
    """Another app on the same database, configured by the test."""

    def make(**config):
        return create_app(
            {
                "PAIRWISE_ENV": "test",
                "TESTING": True,
                "SECRET_KEY": TEST_SECRET,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "REDIS_URL": redis_url,
                **config,
            }
        )

    return make


@pytest.fixture
def stopped_redis(tmp_path):
    """A real Redis on a port of its own, stopped before the test uses it."""
    server = EmbeddedRedis(tmp_path / "redis", port=free_port())
    (tmp_path / "redis").mkdir()
    server.start()
    server.stop()
    return server


def test_with_redis_down_staff_sign_in_and_the_api_work_and_a_warning_is_logged(
    app, second_app, stopped_redis, make_staff, make_token, caplog
):
    cora = make_staff()
    token = make_token("pairs:read")
    outage = second_app(REDIS_URL=stopped_redis.url)

    with caplog.at_level(logging.WARNING):
        signed_in = Console(outage).sign_in(cora.email, PASSWORD)
        listed = Api(outage.test_client(), token).get("/pairs")

    assert signed_in.status_code == 302
    assert listed.status_code == 200
    assert any("storage unreachable" in r.getMessage() for r in caplog.records)


def test_with_redis_down_guessing_is_still_slowed_in_each_process(
    app, second_app, stopped_redis, make_staff
):
    cora = make_staff()
    outage = second_app(REDIS_URL=stopped_redis.url)
    for _ in range(5):
        Console(outage).sign_in(cora.email, "guessing wrongly again")

    assert Console(outage).sign_in(cora.email).status_code == 429


def test_behind_a_declared_proxy_the_forwarded_client_is_counted(app, second_app, make_staff):
    cora = make_staff()
    proxied = second_app(TRUSTED_PROXIES=1)

    def sign_in(client_address: str, password: str) -> int:
        console = Console(proxied, address="10.0.0.2")  # the proxy
        console.client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
        return console.sign_in(cora.email, password).status_code

    for _ in range(5):
        sign_in("203.0.113.7", "guessing wrongly again")

    assert sign_in("203.0.113.7", PASSWORD) == 429
    assert sign_in("198.51.100.20", PASSWORD) == 302

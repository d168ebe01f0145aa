"""Rate limits, counted in the service's Redis by Flask-Limiter: which surface is limited,
per what, and what a client that went over is told.

| surface | counted per | setting |
|---|---|---|
| failed console sign-ins | address and client | LIMIT_SIGN_IN (steps that wait longer and longer) |
| failed console sign-ins | client | LIMIT_SIGN_IN_CLIENT |
| password reset requests | address; client | LIMIT_PASSWORD_RESET; LIMIT_PASSWORD_RESET_CLIENT |
| the API | token (client without one) | LIMIT_API |
| inbound meeting events | source (its slug, or its token), if signed | LIMIT_INBOUND |
| survey pages | client | LIMIT_SURVEY; the fresh-link request also LIMIT_SURVEY_NEW_LINK |
| a mentee's choice pages | client | LIMIT_SURVEY (the same links, to a choice of mentors) |
| the funder report (a PDF) | token, or member of staff | LIMIT_REPORTS (and LIMIT_API) |

Failed sign-ins are counted per address *and* client, so nobody elsewhere can lock a
coordinator out by guessing at their address. The client is the peer address, or the one
trusted proxies name (PAIRWISE_TRUSTED_PROXIES). Addresses and tokens are hashed before they
become Redis keys. If Redis is unreachable, each process counts in memory until it is back
(a warning is logged): an outage never locks everyone out.

A request over a limit gets 429 with Retry-After: problem JSON (`rate-limited`) on the API, a
page saying how long to wait in the console and on survey pages.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user

from service.problems import Problem, problem_response

# A page for people who went over a limit, by endpoint or blueprint: given how long to wait
# (in words), it returns the body. Registered by the views that own the page.
_pages: dict[str, Callable[[str], str]] = {}


def page_for(*names: str) -> Callable[[Callable[[str], str]], Callable[[str], str]]:
    """Register the 429 page of these endpoints or blueprints."""

    def register(render: Callable[[str], str]) -> Callable[[str], str]:
        for name in names:
            _pages[name] = render
        return render

    return register


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def client_address() -> str:
    return request.remote_addr or "unknown"


def _form_email() -> str:
    return (request.form.get("email") or "").strip().lower()


def address_key() -> str:
    """The e-mail address a form names (hashed)."""
    return "address:" + _digest(_form_email())


def address_and_client_key() -> str:
    return f"address:{_digest(_form_email())}:client:{client_address()}"


def token_key() -> str:
    """The API token (hashed); a request without one counts against its client."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        return "token:" + _digest(raw.strip())
    return "client:" + client_address()


def requester_key() -> str:
    """The API token or the signed-in member of staff (hashed): several coordinators behind
    one office address each have their own allowance."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        return "token:" + _digest(raw.strip())
    if current_user.is_authenticated:
        return "staff:" + _digest(str(current_user.get_id()))
    return "client:" + client_address()


def source_key() -> str:
    """The sender of inbound events: the source named in the URL, else the token."""
    slug = (request.view_args or {}).get("slug")
    return f"source:{slug}" if slug else token_key()


def _failed_sign_in(response: Response) -> bool:
    return response.status_code == 401


def _authenticated(response: Response) -> bool:
    return response.status_code not in (401, 404)


def _setting(name: str) -> Callable[[], str]:
    """Read a limit per request, so it follows the app's configuration."""
    return lambda: current_app.config[name]


def _storage_uri(redis_url: str | None) -> str:
    if not redis_url:
        # `pairwise run` serves from one process and starts its Redis after the app is made.
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def _limit_view(app: Flask, endpoint: str, *limits: Any) -> None:
    view = app.view_functions[endpoint]
    for limit in limits:
        view = limit(view)
    app.view_functions[endpoint] = view


def init_app(app: Flask) -> Limiter:
    """One limiter per app (its storage is the app's Redis); call after the blueprints."""
    limiter = Limiter(
        key_func=client_address,
        storage_uri=_storage_uri(app.config.get("REDIS_URL")),
        # Never let a slow or vanished Redis hold requests up for long. (Flask-Limiter types
        # the options as str | int; redis takes these timeouts in float seconds.)
        storage_options={"socket_connect_timeout": 0.5, "socket_timeout": 0.5},  # type: ignore[dict-item]
        strategy="moving-window",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        # Check every limit, so Retry-After names the longest wait, not the first one found.
        fail_on_first_breach=False,
        key_prefix="pairwise",
        enabled=app.config["RATELIMIT_ENABLED"],
    )
    limiter.init_app(app)
    app.extensions["pairwise.limiter"] = limiter

    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith("/api/"):
            # app.blueprints is typed with Flask's sans-IO Blueprint, which Flask-Limiter's
            # overloads do not name; the objects are flask.Blueprint.
            limiter.limit(_setting("LIMIT_API"), key_func=token_key)(blueprint)  # type: ignore[call-overload]
    # Inbound events are counted per sender instead of per token, and only those that prove
    # who sent them: nobody without a source's secret can use up its allowance.
    for endpoint in (
        "inbound.receive_signed",
        "inbound.receive_calendly",
        "inbound.receive_with_token",
    ):
        _limit_view(
            app,
            endpoint,
            limiter.limit(
                _setting("LIMIT_INBOUND"), key_func=source_key, deduct_when=_authenticated
            ),
        )

    limiter.limit(_setting("LIMIT_SURVEY"))(app.blueprints["surveys"])  # type: ignore[call-overload]
    limiter.limit(_setting("LIMIT_SURVEY"))(app.blueprints["choice"])  # type: ignore[call-overload]
    _limit_view(
        app,
        "surveys.reissue",
        limiter.limit(_setting("LIMIT_SURVEY_NEW_LINK"), override_defaults=False),
    )

    for endpoint in ("insights.funder_report", "insights_console.funder_report"):
        _limit_view(
            app,
            endpoint,
            limiter.limit(
                _setting("LIMIT_REPORTS"), key_func=requester_key, override_defaults=False
            ),
        )

    _limit_view(
        app,
        "accounts.login",
        limiter.limit(
            _setting("LIMIT_SIGN_IN"),
            key_func=address_and_client_key,
            methods=["POST"],
            deduct_when=_failed_sign_in,
        ),
        limiter.limit(
            _setting("LIMIT_SIGN_IN_CLIENT"), methods=["POST"], deduct_when=_failed_sign_in
        ),
    )
    _limit_view(
        app,
        "accounts.forgot_password",
        limiter.limit(_setting("LIMIT_PASSWORD_RESET"), key_func=address_key, methods=["POST"]),
        limiter.limit(_setting("LIMIT_PASSWORD_RESET_CLIENT"), methods=["POST"]),
    )
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    return limiter


def _retry_after() -> int:
    """Seconds until every limit this request went over lets a request through again."""
    limiter: Limiter = current_app.extensions["pairwise.limiter"]
    try:
        resets = [hit.window.reset_time for hit in limiter.current_limits if hit.breached]
    except Exception:  # the storage went away in between: a guess beats a 500
        resets = []
    return max(1, math.ceil(max(resets) - time.time())) if resets else 60


def wait_in_words(seconds: int) -> str:
    if seconds <= 60:
        return "a minute"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)} minutes"
    hours = math.ceil(seconds / 3600)
    return "an hour" if hours == 1 else f"{hours} hours"


def _too_many_requests(error: RateLimitExceeded):
    seconds = _retry_after()
    headers = {"Retry-After": str(seconds)}
    if request.path.startswith("/api/"):
        problem = Problem(
            "rate-limited",
            f"Too many requests: the limit is {error.limit.limit}. Retry after {seconds} seconds.",
            retry_after=seconds,
        )
        return problem_response(problem, headers)
    wait = wait_in_words(seconds)
    render = _pages.get(request.endpoint or "") or _pages.get(request.blueprint or "")
    if render is not None:
        return render(wait), 429, headers
    page = render_template(
        "error.html",
        status=429,
        title="Too many requests",
        detail=f"There were many requests from here in a short time. Please wait {wait}, "
        "then try again.",
    )
    return page, 429, headers

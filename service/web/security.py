"""Browser security headers on every response, set by Flask-Talisman.

- Content-Security-Policy: everything from our own origin, no inline script or style except
  a `<style nonce="{{ csp_nonce() }}">` (the survey form's show/hide rules), no plugins,
  forms post only to us, and no page may be framed (`frame-ancestors 'none'`, with
  X-Frame-Options: DENY for older browsers), so the approve and transition buttons cannot
  be clicked through someone else's page.
- X-Content-Type-Options: nosniff, JSON included.
- Referrer-Policy: strict-origin-when-cross-origin; `no-referrer` on pages whose URL is a
  credential (a survey link), so the token never leaves in a Referer header, not even to our
  own stylesheet.
- Strict-Transport-Security in production, on requests that came over HTTPS (directly or,
  behind a proxy, with X-Forwarded-Proto: https). Redirecting plain HTTP to HTTPS is the
  proxy's job, or ours with PAIRWISE_FORCE_HTTPS=true.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_talisman import Talisman

from service.web.credentials import carries_credential

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    production = app.config["PAIRWISE_ENV"] == "production"

    # Registered before Talisman's own after_request, so it runs after it (Flask runs them in
    # reverse) and its Referrer-Policy wins on credential pages.
    @app.after_request
    def _no_referrer_from_credential_pages(response: Response) -> Response:
        if carries_credential():
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    # One Talisman per app: it keeps its settings (and the app) on itself.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=production,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["style-src"],
        referrer_policy="strict-origin-when-cross-origin",
        # Talisman would otherwise make the session cookie Secure even over plain HTTP in
        # development; config.py decides (Secure in production).
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )

"""gunicorn's logger, for `gunicorn -c deploy/gunicorn.conf.py` (`logger_class`): its access
and error lines show a survey link as `/s/<token>`, never the token, whether in the request
line, the Referer or an error message (see service/web/credentials.py)."""

from __future__ import annotations

from gunicorn import glogging

from service.web.credentials import CredentialFilter


class Logger(glogging.Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # On the loggers, not their handlers: gunicorn replaces handlers when it reopens logs.
        for logger in (self.access_log, self.error_log):
            if not any(isinstance(f, CredentialFilter) for f in logger.filters):
                logger.addFilter(CredentialFilter())

"""gunicorn settings for `gunicorn -c deploy/gunicorn.conf.py service.wsgi:app`."""

import multiprocessing
import os

bind = os.environ.get("PAIRWISE_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Load the app once in the master, so a configuration error stops the start at once.
preload_app = True
accesslog = "-"
timeout = 30
graceful_timeout = 30

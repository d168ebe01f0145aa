#!/bin/sh
# The image's entry point: make the directory prometheus_client's multiprocess mode writes to
# (it may be on an empty /tmp: a tmpfs, or an emptyDir under a read-only root filesystem),
# then become the command: `gunicorn …`, `pairwise worker`, `pairwise db upgrade`, …
set -eu
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
exec "$@"

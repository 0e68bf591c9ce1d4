"""gunicorn settings for the web process: ``gunicorn -c config/gunicorn.conf.py 'app:create_app()'``.

Command-line options still win (``--workers``, ``--bind``); ``WEB_CONCURRENCY`` sets the workers too.
"""

from __future__ import annotations

import gc
import os

# Sync workers, one more than the cores: the work is CPU-bound Python (see README, "Deployment").
workers = int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1)


def post_worker_init(worker) -> None:  # noqa: ARG001
    """Take the loaded app's objects out of the cyclic collector's sight.

    Without this, each worker's first full collection while serving walks the few hundred thousand
    objects of Flask, SQLAlchemy and the app, pausing every request in that worker for 80-150 ms
    (measured under bench/checkin.py), which showed as the sign-in p99. Frozen objects are still freed
    by reference counting; only cycles among them would stay, and they are the app itself."""
    gc.collect()
    gc.freeze()

# Header limits: gunicorn answers longer request lines (414) and header fields (400/431) itself, as
# plain text, before the app sees them. Fields up to 16 KiB reach the app, which answers anything over
# its own limits (Authorization 1 KiB, any header 8190 bytes) with its JSON error 431 header_too_large.
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 100

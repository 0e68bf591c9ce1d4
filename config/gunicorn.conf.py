"""gunicorn settings for the web process: ``gunicorn -c config/gunicorn.conf.py 'app:create_app()'``.

Command-line options still win (``--workers``, ``--bind``); ``WEB_CONCURRENCY`` sets the workers too.
"""

from __future__ import annotations

import gc
import os
import re

from gunicorn.glogging import Logger

# Sync workers, one more than the cores: the work is CPU-bound Python (see README, "Production:
# PostgreSQL and several workers").
workers = int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1)

# One header line may be up to 32 KB here, so that the app can refuse anything over 8 KB with its JSON
# error (431 header_too_large, app/security_headers.py) instead of gunicorn's own plain-text page. The
# request line stays at gunicorn's 4094 bytes (longer: gunicorn's 414). Behind nginx, its
# large_client_header_buffers (default 4 8k) must be raised to match, or nginx answers first (README).
limit_request_field_size = 32768


def post_worker_init(worker) -> None:  # noqa: ARG001
    """Take the loaded app's objects out of the cyclic collector's sight.

    Without this, each worker's first full collection while serving walks the few hundred thousand
    objects of Flask, SQLAlchemy and the app, pausing every request in that worker for 80-150 ms
    (measured under bench/checkin.py), which showed as the sign-in p99. Frozen objects are still freed
    by reference counting; only cycles among them would stay, and they are the app itself."""
    gc.collect()
    gc.freeze()


# Values that must never reach an access log: signatures and tokens in query strings (the venue screen's
# old ``sig=``, a sign-in code's ``t=``, WeCom's ``msg_signature``/``echostr``, an OAuth ``code``, robot
# ``key=``), and headers that carry credentials.
SECRET_PARAMETERS = (
    "sig", "signature", "msg_signature", "echostr", "t", "token", "access_token", "code", "key", "secret",
    "corpsecret", "ticket", "password",
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-screen-signature"})
_SECRET_VALUE = re.compile(r"(^|[?&;])((?:%s)=)[^&;#\s\"]*" % "|".join(SECRET_PARAMETERS), re.IGNORECASE)
_URL_ENVIRON = frozenset({"query_string", "raw_uri", "request_uri", "http_referer"})


def mask_secrets(text: str) -> str:
    """``/qr/checkin?t=p.1.i.abc&x=1`` -> ``/qr/checkin?t=***&x=1``."""
    return _SECRET_VALUE.sub(r"\1\2***", text)


class MaskingLogger(Logger):
    """gunicorn's logger with secrets masked in every access-log atom that can hold them: the request
    line (``%(r)s``), the query (``%(q)s``), the referer (``%(f)s``), and header or environ atoms
    (``%({authorization}i)s``, ``%({query_string}e)s``) whatever ``access_log_format`` says."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if not isinstance(value, str):
                continue
            name = key[1:-2] if key.startswith("{") else ""
            if key in ("r", "q", "f") or (key.endswith("}e") and name in _URL_ENVIRON) or name == "referer":
                atoms[key] = mask_secrets(value)
            elif (key.endswith("}i") and name in SECRET_HEADERS) or (
                key.endswith("}e") and name.startswith("http_") and name[5:].replace("_", "-") in SECRET_HEADERS
            ):
                atoms[key] = "***"
        return atoms


logger_class = MaskingLogger

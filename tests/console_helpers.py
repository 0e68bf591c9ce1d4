"""Helpers for the console tests: people with roles, a signed-in test client, CSRF tokens, query counts."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db
from app.security_headers import CONTENT_SECURITY_POLICY
from app.services import audit, roles
from tests import factories

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def person(role: str | None = None, department: str = "办公室", **fields):
    """A roster entry holding ``role`` (admin, liaison for their own department, leader) or none."""
    staff = factories.make_staff(department=department, **fields)
    if role:
        roles.grant_role(db.session, staff, role, audit.Actor.system())
    return staff


def sign_in(client, staff) -> None:
    """Put ``staff`` in the client's console session, as a completed login would."""
    now = int(time.time())
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = str(staff.id)
        session["_fresh"] = True
        session["console_started"] = now
        session["console_seen"] = now


def csrf_token(client, path: str = "/console/login") -> str:
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


@contextmanager
def count_queries():
    """Counts SQL statements sent on the app's engine inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def assert_console_headers(response, where: str = "") -> None:
    """The console's security headers: a CSP without inline script or another origin that refuses
    framing, nosniff, a Referrer-Policy."""
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert policy == CONTENT_SECURITY_POLICY, where
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self'", where
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "http" not in policy and "*" not in policy, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where

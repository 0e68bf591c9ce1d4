"""Flask's cookie session only where a browser has one (app.web_sessions)."""

from __future__ import annotations

import pytest
from flask import session
from flask.sessions import NullSession


@pytest.mark.parametrize("path", ["/healthz", "/api/mp/wishes"])
def test_the_token_api_and_the_health_check_get_no_cookie_session(app, client, path):
    opened = []

    @app.before_request
    def note_session() -> None:
        opened.append(type(session._get_current_object()))

    response = client.get(path, headers={"Cookie": "session=whatever"})
    assert response.status_code in (200, 401)
    assert opened == [NullSession]
    assert "Set-Cookie" not in response.headers


def test_the_console_still_keeps_its_session(client):
    response = client.get("/console/login")
    assert response.status_code == 200
    assert "session=" in response.headers.get("Set-Cookie", "")  # the form's CSRF token lives there

"""Helpers for the event and sign-in tests."""

from __future__ import annotations

import secrets

from app.extensions import db
from app.services import checkin_codes, checkins


def nonce() -> str:
    return secrets.token_hex(8)


def printed_qr(event_id: int, direction: str = "in") -> str:
    return checkin_codes.code_url(checkin_codes.printed_token(event_id, direction))


def scan(client, headers, qr: str, **extra):
    return client.post("/api/mp/checkins", json={"qr": qr, "nonce": extra.pop("nonce", None) or nonce(), **extra}, headers=headers)


def error_code(response) -> str:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]["code"]


def sign_in(headers, qr: str, at=None, **extra):
    """Scan through the service's one entry point, as the person whose bearer headers these are, at ``at``."""
    token = headers["Authorization"].split(" ", 1)[1]
    scan = checkins.Scan(qr, extra.pop("nonce", None) or nonce(), at=at, **extra)
    return checkins.sign_in(db.session, token, scan)

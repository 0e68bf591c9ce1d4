"""Helpers for the event and sign-in tests."""

from __future__ import annotations

import secrets

from app.services import checkin_codes


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

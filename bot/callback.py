"""``GET/POST /wecom/callback``: URL verification and encrypted messages from the WeCom application."""

from __future__ import annotations

from flask import Response, current_app, request

from app.extensions import client_address, db
from bot import bp
from bot.crypto import CallbackCrypto, CallbackMalformed, CallbackRejected, parse_xml, reject
from bot.inbox import IncomingMessage, receive_message

# A text message is at most 2048 bytes; its encrypted envelope stays well under this.
MAX_BODY_BYTES = 64 * 1024


def _signed_params() -> tuple[str, str, str]:
    args = request.args
    return args.get("msg_signature", ""), args.get("timestamp", ""), args.get("nonce", "")


@bp.get("/callback")
def verify_url():
    """WeCom checks the URL when it is saved: answer the decrypted ``echostr`` as plain text."""
    crypto = CallbackCrypto.from_config(current_app.config)
    remote = client_address()
    echostr = request.args.get("echostr", "")
    crypto.verify(*_signed_params(), echostr, remote)
    return Response(crypto.decrypt(echostr, remote), mimetype="text/plain")


@bp.post("/callback")
def receive():
    """Verify, decrypt and record a message, run its command, and answer at once (replies go via the outbox)."""
    crypto = CallbackCrypto.from_config(current_app.config)
    remote = client_address()
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise reject(CallbackMalformed, "body too large", remote)
    envelope = parse_xml(body)
    encrypted = envelope.get("Encrypt", "")
    crypto.verify(*_signed_params(), encrypted, remote)
    fields = parse_xml(crypto.decrypt(encrypted, remote))
    if fields.get("ToUserName") != crypto.corp_id:
        raise reject(CallbackRejected, "wrong CorpID in message", remote)
    receive_message(db.session, IncomingMessage.from_fields(fields))
    return Response("", mimetype="text/plain")

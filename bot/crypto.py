"""Verifying and decrypting WeCom callbacks.

wechatpy's ``WeChatCrypto`` compares signatures with ``!=`` and parses XML with xmltodict; here the
SHA1 signature is computed and compared in constant time *before* anything is decrypted, stale
timestamps are refused, and XML is parsed with defusedxml. wechatpy's ``PrpCrypto`` does the AES part
and checks the CorpID embedded in the ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.work.crypto import PrpCrypto
from wechatpy.work.exceptions import InvalidCorpIdException

from app.errors import AppError
from app.security_log import security_event

logger = logging.getLogger(__name__)


class CallbackRejected(AppError):
    status_code = 403
    code = "callback_rejected"
    message = "回调校验失败"


class CallbackMalformed(AppError):
    status_code = 400
    code = "callback_malformed"
    message = "回调内容格式有误"


class CallbackNotConfigured(AppError):
    status_code = 503
    code = "callback_not_configured"
    message = "企业微信回调尚未配置"


def reject(error: type[AppError], reason: str, remote: str | None) -> AppError:
    """Log why a callback was refused (never the payload) and build the error to raise."""
    security_event("wecom_callback_refused", reason=reason, remote=remote)
    return error()


def _plausible_timestamp(timestamp: str) -> bool:
    """Unix seconds in ASCII digits; ``isdigit`` alone admits "²" and other digits ``int`` refuses or
    reads differently, and an unbounded length would overflow the arithmetic."""
    return bool(timestamp) and timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """WeCom's msg_signature: SHA1 over the four values sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode("utf-8")).hexdigest()


def parse_xml(data: bytes | str) -> dict[str, str]:
    """The child elements of a flat ``<xml>`` document as ``{tag: text}``; DTDs and entities refused."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise CallbackMalformed() from exc
    if root.tag != "xml":
        raise CallbackMalformed()
    return {child.tag: (child.text or "") for child in root}


@dataclass(frozen=True)
class CallbackCrypto:
    token: str
    key: bytes
    corp_id: str
    max_skew: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CallbackCrypto:
        token, aes_key, corp_id = (config[n] for n in ("WECOM_TOKEN", "WECOM_ENCODING_AES_KEY", "WECOM_CORP_ID"))
        if not (token and aes_key and corp_id):
            raise CallbackNotConfigured()
        try:
            key = base64.b64decode(f"{aes_key}=", validate=True)
        except binascii.Error as exc:
            raise CallbackNotConfigured("企业微信回调的 EncodingAESKey 无效") from exc
        if len(key) != 32:
            raise CallbackNotConfigured("企业微信回调的 EncodingAESKey 无效")
        return cls(token, key, corp_id, int(config["WECOM_CALLBACK_MAX_SKEW_SECONDS"]))

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str, remote: str | None) -> None:
        """Refuse a stale timestamp or a wrong signature (compared in constant time)."""
        if not (msg_signature and nonce and encrypted and _plausible_timestamp(timestamp)):
            raise reject(CallbackMalformed, "missing or malformed parameters", remote)
        if abs(time.time() - int(timestamp)) > self.max_skew:
            raise reject(CallbackRejected, f"stale timestamp {timestamp}", remote)
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode("ascii"), msg_signature.encode("utf-8")):
            raise reject(CallbackRejected, "bad signature", remote)

    def decrypt(self, encrypted: str, remote: str | None) -> str:
        """The plaintext inside a verified ``Encrypt``/``echostr``; the embedded CorpID must be ours."""
        try:
            return PrpCrypto(self.key).decrypt(encrypted, self.corp_id)
        except InvalidCorpIdException as exc:
            raise reject(CallbackRejected, "wrong CorpID", remote) from exc
        except Exception as exc:  # noqa: BLE001  (base64, padding, length and UTF-8 errors alike)
            raise reject(CallbackMalformed, f"undecryptable payload ({type(exc).__name__})", remote) from exc

"""The OpenAPI document says what the API really answers.

- Every error is ``{"error": {"code", "message", "fields"?}}`` (``app/errors.py``): that is the schema of
  APIFlask's ``HTTPError`` and ``ValidationError`` components, with ``code`` and ``message`` required.
- Answers every operation can give whatever its view does are added to each operation: 431
  ``header_too_large`` (``app.security_headers.refuse_oversized_headers``) and, for an operation with a body,
  400 ``malformed_json``, 413 ``payload_too_large`` and 415 ``unsupported_media_type``. Views document
  their own statuses with ``@bp.doc(responses=...)``.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "稳定的英文错误码，如 validation_error"},
                "message": {"type": "string", "description": "给人看的中文说明"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "校验错误：字段名 → 中文说明",
                },
            },
        }
    },
}

ERROR_REF = {"$ref": "#/components/schemas/HTTPError"}
EVERY_OPERATION = {"431": "请求头过大（header_too_large）"}
WITH_BODY = {
    "400": "请求体不是有效的 JSON（malformed_json）",
    "413": "请求内容过大（payload_too_large）",
    "415": "不支持的内容类型（unsupported_media_type）",
}
METHODS = ("get", "post", "put", "patch", "delete")


def _add_common_responses(spec: dict[str, Any]) -> dict[str, Any]:
    for item in spec.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            common = {**EVERY_OPERATION, **(WITH_BODY if "requestBody" in operation else {})}
            responses = operation.setdefault("responses", {})
            for status, description in common.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
                )
    return spec


def init_app(app: APIFlask) -> None:
    app.config["HTTP_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["VALIDATION_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["VALIDATION_ERROR_DESCRIPTION"] = "请求参数有误（validation_error，fields 说明每个字段）"
    previous = app.spec_callback  # APIFlask keeps one processor: run the one registered before ours
    app.spec_processor(lambda spec: _add_common_responses(previous(spec) if previous else spec))

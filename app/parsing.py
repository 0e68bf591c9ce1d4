"""JSON bodies for every APIFlask input: whatever Python's ``json`` refuses answers 400 ``malformed_json``.

webargs turns only ``JSONDecodeError`` into a 400. An integer longer than ``sys.get_int_max_str_digits()``
(4,300 digits) raises a plain ``ValueError`` and nesting deeper than the recursion limit a
``RecursionError``; both would otherwise be a 500.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask
from apiflask.schema_adapters.marshmallow import parser
from flask import Request


def load_json(request: Request, schema: Any) -> Any:
    try:
        return parser.load_json(request, schema)
    except (ValueError, RecursionError) as exc:
        parser._handle_invalid_json_error(exc, request)  # the same 400 as any other malformed body


def init_app(app: APIFlask) -> None:
    # APIFlask shares one webargs parser; its location registry is the documented extension point.
    parser.location_loader("json")(load_json)

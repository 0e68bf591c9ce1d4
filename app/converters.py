"""URL converters shared by every blueprint: use ``<id:name>`` for every database id in a route."""

from __future__ import annotations

import re
from typing import Any

from apiflask import APIFlask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map, ValidationError

# Primary keys are 32-bit integers on PostgreSQL; a larger id in a URL is simply not a resource.
MAX_ID = 2**31 - 1
_ID_ARGUMENT = re.compile(r"<id:([^>]+)>")


class IdConverter(IntegerConverter):
    """``<id:wish_id>``: a database id, 1 to 2³¹−1. Anything else is a 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002  (Werkzeug's signature)
        super().__init__(map, min=1, max=MAX_ID)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            # Not "no match": Werkzeug would then answer 405 when the same path has a rule for another
            # method. Digits out of range name no resource on any rule.
            raise NotFound() from None


def init_app(app: APIFlask) -> None:
    app.url_map.converters["id"] = IdConverter

    @app.spec_processor
    def describe_id_parameters(spec: dict[str, Any]) -> dict[str, Any]:
        """APIFlask documents unknown converters as strings; ``id`` is an integer in range."""
        for rule in app.url_map.iter_rules():
            names = set(_ID_ARGUMENT.findall(rule.rule))
            path = re.sub(r"<([^<:]+:)?", "{", rule.rule).replace(">", "}")
            for operation in spec.get("paths", {}).get(path, {}).values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "path" and parameter.get("name") in names:
                        parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        return spec

"""Request and response schemas of the mini-program API."""

from __future__ import annotations

import re
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf
from marshmallow import RAISE

# Control characters other than tab, line feed and carriage return (C0, DEL, C1), and surrogates: JSON's
# decoder joins a valid pair into one character, so any surrogate left in a ``str`` is unpaired.
_INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class InputString(String):
    """Every string the API accepts from a person. NUL cannot be stored by PostgreSQL, a lone surrogate
    cannot be encoded as UTF-8 (database, WeChat calls) and other control characters are never text."""

    default_error_messages = {"invalid_characters": "包含无效字符"}
    # The same rule for the OpenAPI document (a JSON-Schema pattern cannot name lone surrogates).
    PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["metadata"] = {"pattern": self.PATTERN, **kwargs.get("metadata", {})}
        super().__init__(*args, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _INVALID_CHARACTERS.search(text):
            raise self.make_error("invalid_characters")
        return text


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class LoginIn(StrictSchema):
    code = InputString(required=True, validate=Length(min=1, max=128), metadata={"description": "wx.login() 返回的 code"})


class DepartmentOut(Schema):
    id = Integer()
    name = String()


class StaffOut(Schema):
    id = Integer()
    name = String()
    employee_no = String()
    department = Nested(DepartmentOut)
    roles = List(String(), attribute="sorted_roles")


class MeOut(Schema):
    account_id = Integer()
    bound = Boolean()
    staff = Nested(StaffOut, allow_none=True)


class LoginOut(Schema):
    token = String()
    token_type = String()
    expires_at = DateTime()
    bound = Boolean()
    staff = Nested(StaffOut, allow_none=True)


class BindIn(StrictSchema):
    name = InputString(required=True, validate=Length(min=1, max=50))
    employee_no = InputString(required=True, validate=Length(min=1, max=32))


class BindOut(MeOut):
    """The answer to a bind: ``status`` "bound" (200), or "pending" with ``request_id`` (202, approval)."""

    status = String(validate=OneOf(["bound", "pending"]))
    request_id = Integer(allow_none=True)


class BindPhoneIn(StrictSchema):
    code = InputString(
        required=True, validate=Length(min=1, max=128), metadata={"description": "手机号快速验证按钮返回的 code"}
    )


class BindOptionsOut(Schema):
    phone = Boolean(metadata={"description": "可用微信验证的手机号绑定"})
    name = String(validate=OneOf(["open", "approval", "off"]), metadata={"description": "姓名+工号绑定方式"})


class BindRequestStaffOut(Schema):
    id = Integer()
    name = String()
    employee_no = String()
    department = Nested(DepartmentOut)


class BindRequestOut(Schema):
    id = Integer()
    status = String(validate=OneOf(["pending", "approved", "rejected"]))
    account_id = Integer()
    staff = Nested(BindRequestStaffOut)
    created_at = DateTime()
    decided_at = DateTime(allow_none=True)
    decided_by = String(allow_none=True)


class BindRequestItem(BindRequestOut):
    """``BindRequestOut`` inside the list (apispec refuses one class both nested and top-level)."""


class BindRequestsOut(Schema):
    items = List(Nested(BindRequestItem))


class BindRequestsQuery(StrictSchema):
    status = String(validate=OneOf(["pending", "approved", "rejected"]), load_default="pending")

"""Request and response schemas of the mini-program API."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length
from marshmallow import RAISE


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class LoginIn(StrictSchema):
    code = String(required=True, validate=Length(min=1, max=128), metadata={"description": "wx.login() 返回的 code"})


class DepartmentOut(Schema):
    id = Integer()
    name = String()


class StaffOut(Schema):
    id = Integer()
    name = String()
    employee_no = String()
    department = Nested(DepartmentOut)
    phone = String(allow_none=True)
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
    name = String(required=True, validate=Length(min=1, max=50))
    employee_no = String(required=True, validate=Length(min=1, max=32))

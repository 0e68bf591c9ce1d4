"""Small factory helpers for test data; they commit so other connections (threads) see the rows."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from app.extensions import db
from app.models import Department, Staff

_numbers = itertools.count(1)


def make_department(name: str = "办公室") -> Department:
    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        db.session.commit()
    return department


def make_staff(
    name: str | None = None,
    employee_no: str | None = None,
    department: str = "办公室",
    admin: bool = False,
    wecom_userid: str | None = None,
) -> Staff:
    number = next(_numbers)
    staff = Staff(
        name=name or f"测试{number}",
        employee_no=employee_no or f"F{number:05d}",
        department=make_department(department),
        wecom_userid=wecom_userid,
    )
    if admin:
        staff.grant("admin")
    db.session.add(staff)
    db.session.commit()
    return staff


def make_event(**fields):
    """An event through the real service; defaults: a published 道德讲堂 starting in ten minutes."""
    from datetime import timedelta

    from app.models.base import utcnow
    from app.services import audit, events

    starts_at = fields.pop("starts_at", utcnow() + timedelta(minutes=10))
    values = dict(kind="道德讲堂", title="道德讲堂：孝老爱亲", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
    values["live_code_only"] = False  # tests scan printed codes unless they ask for the live-only rule
    values.update(fields)
    return events.create_event(db.session, events.EventDraft(**values), audit.Actor.system())


def make_bound_account(staff: Staff, openid: str | None = None) -> dict[str, str]:
    """A mini-program account bound to ``staff`` with a valid session; returns bearer headers.

    For tests that need hundreds of signed-in people at once; the login and bind flow itself is
    covered over HTTP in test_auth.py."""
    import secrets
    from datetime import timedelta

    from app.models import ApiSession, MiniProgramAccount
    from app.models.base import utcnow
    from app.services.auth import hash_token

    account = MiniProgramAccount(openid=openid or f"openid-{staff.employee_no}", staff_id=staff.id, bound_at=utcnow())
    token = secrets.token_urlsafe(32)
    db.session.add(account)
    db.session.add(ApiSession(token_hash=hash_token(token), account=account, expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def spoil_token(staff: Staff, headers: dict[str, str], how: str) -> dict[str, str]:
    """Headers whose token the service must refuse: ``staff``'s session ``revoked`` or ``expired``
    (committed), or an ``unknown`` token."""
    from datetime import timedelta

    from app.models import ApiSession
    from app.models.base import utcnow

    if how == "unknown":
        return {"Authorization": "Bearer " + "x" * 43}
    api_session = db.session.scalar(select(ApiSession).where(ApiSession.account.has(staff_id=staff.id)))
    if how == "revoked":
        api_session.revoked_at = utcnow()
    else:
        api_session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    return headers

"""承诺 for the console: the pledges service behind the console's roles (admins publish and remind,
leaders read and export, liaisons see who in their own department has not signed)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, joinedload

from app.models import Pledge, Staff
from app.services import pledges
from app.services.pagination import Page, paginate
from app.services.roles import OtherDepartment, Viewer, require


def list_pledges(session: Session, viewer: Viewer, page: int = 1) -> Page:
    require(viewer, "pledges.view")
    return paginate(session, pledges.pledges_statement(admin=viewer.is_admin), page)


def create(session: Session, viewer: Viewer, *, title: str, body: str, opens_at: datetime, closes_at: datetime,
           work_item: int | None, publish: bool) -> Pledge:
    require(viewer, "pledges.manage")
    pledge = pledges.create_pledge(session, title=title, body=body, opens_at=opens_at, closes_at=closes_at,
                                   work_item=work_item, actor=viewer.actor, creator=session.get(Staff, viewer.staff_id))
    return pledges.publish_pledge(session, pledge.id, viewer.actor) if publish else pledge


@dataclass
class PledgePage:
    pledge: Pledge
    rates: list[pledges.DepartmentRate]
    unsigned: Page
    department_id: int | None  # the unsigned list's department (None: everyone's)


def pledge_page(session: Session, viewer: Viewer, pledge_id: int, department_id: int | None = None, page: int = 1) -> PledgePage:
    """Rates per department for every reader; who has not signed, limited to a liaison's own department."""
    require(viewer, "pledges.view")
    pledge = pledges.get_pledge(session, pledge_id, admin=viewer.is_admin)
    scope = viewer.department_scope()
    if scope is not None:
        if department_id is not None and department_id not in scope:
            raise OtherDepartment()
        if department_id is None:
            department_id = min(scope) if scope else 0
    rates = pledges.signature_rates(session, pledge_id)
    if scope is not None:
        rates = [rate for rate in rates if rate.department_id in scope]
    unsigned = paginate(session, pledges.unsigned_statement(pledge_id, department_id).options(joinedload(Staff.department)), page)
    return PledgePage(pledge, rates, unsigned, department_id)


def publish(session: Session, viewer: Viewer, pledge_id: int) -> Pledge:
    require(viewer, "pledges.manage")
    return pledges.publish_pledge(session, pledge_id, viewer.actor)


def withdraw(session: Session, viewer: Viewer, pledge_id: int, reason: str) -> Pledge:
    require(viewer, "pledges.manage")
    return pledges.withdraw_pledge(session, pledge_id, viewer.actor, reason)


def remind(session: Session, viewer: Viewer, pledge_id: int) -> int:
    """Queue reminders to everyone who has not signed; a second press the same day queues nothing."""
    require(viewer, "pledges.manage")
    return pledges.remind_unsigned(session, pledge_id, viewer.actor)


def signatures_workbook(session: Session, viewer: Viewer, pledge_id: int) -> bytes:
    require(viewer, "pledges.export")
    out = io.BytesIO()
    pledges.export_signatures(session, pledge_id, out)
    return out.getvalue()

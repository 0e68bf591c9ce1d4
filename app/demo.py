"""Demo data for ``flask seed-demo``: a few departments and twenty staff. Safe to run repeatedly."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.demo_events import seed_demo_events
from app.demo_inspections import seed_demo_inspections
from app.demo_ledger import seed_demo_ledger
from app.demo_wishes import seed_demo_wishes
from app.services import audit, roster, scheduling
from bot.demo import seed_demo_push_targets

DEPARTMENTS = ["办公室", "政策法规科", "综合业务科", "机关党委"]

# (name, employee number, department index, phone, WeCom user id)
STAFF = [
    ("张伟", "E0001", 0, "13800000001", "zhangwei"),
    ("王芳", "E0002", 0, "13800000002", "wangfang"),
    ("李娜", "E0003", 0, "13800000003", "lina"),
    ("刘洋", "E0004", 0, "13800000004", "liuyang"),
    ("陈静", "E0005", 0, "13800000005", "chenjing"),
    ("杨帆", "E0006", 1, "13800000006", "yangfan"),
    ("赵磊", "E0007", 1, "13800000007", "zhaolei"),
    ("黄敏", "E0008", 1, "13800000008", "huangmin"),
    ("周杰", "E0009", 1, "13800000009", "zhoujie"),
    ("吴婷", "E0010", 1, "13800000010", "wuting"),
    ("徐强", "E0011", 2, "13800000011", "xuqiang"),
    ("孙丽", "E0012", 2, "13800000012", "sunli"),
    ("马超", "E0013", 2, "13800000013", "machao"),
    ("朱琳", "E0014", 2, "13800000014", "zhulin"),
    ("胡斌", "E0015", 2, "13800000015", "hubin"),
    ("郭敏", "E0016", 3, "13800000016", "guomin"),
    ("何军", "E0017", 3, "13800000017", "hejun"),
    ("高洁", "E0018", 3, "13800000018", "gaojie"),
    ("林峰", "E0019", 3, "13800000019", "linfeng"),
    ("罗红", "E0020", 3, "13800000020", "luohong"),
]
ADMINS = ["E0001", "E0016"]


def seed_demo(session: Session) -> dict[str, int]:
    from sqlalchemy import select

    from app.models import Staff

    rows = [
        roster.RosterRow(i + 2, name, no, DEPARTMENTS[dep], phone, wecom)
        for i, (name, no, dep, phone, wecom) in enumerate(STAFF)
    ]
    summary = roster.import_roster(session, rows, audit.Actor.system())
    for staff in session.scalars(select(Staff).where(Staff.employee_no.in_(ADMINS))):
        staff.grant("admin")
    seed_demo_push_targets(session)
    session.commit()
    seed_demo_wishes(session)
    seed_demo_events(session)
    scheduling.install_defaults(session)
    seed_demo_ledger(session)
    seed_demo_inspections(session)
    return {"staff_created": summary.created, "departments_created": summary.departments_created}

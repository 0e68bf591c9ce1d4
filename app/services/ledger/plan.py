"""A year's plan: installed from the shipped default (``app.ledger_plan``) or copied from another
year (owners, departments, targets and evidence kinds), read, and edited item by item."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app import ledger_plan
from app.models import Department, LedgerArea, LedgerItem, LedgerPlan
from app.models.ledger import EVIDENCE_KINDS
from app.services import audit
from app.services.staff import find_staff
from app.services.ledger.errors import InvalidYear, ItemNotFound, PlanExists, PlanNotFound, RecordInvalid

YEAR_MIN, YEAR_MAX = 2000, 2100
TARGET_PERIODS = ("half", "year")


def check_year(year: int) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidYear()
    return year


def find_plan(session: Session, year: int) -> LedgerPlan | None:
    return session.scalar(
        select(LedgerPlan)
        .where(LedgerPlan.year == year)
        .options(selectinload(LedgerPlan.areas), selectinload(LedgerPlan.items).selectinload(LedgerItem.owner))
    )


def get_plan(session: Session, year: int) -> LedgerPlan:
    plan = find_plan(session, check_year(year))
    if plan is None:
        raise PlanNotFound.for_year(year)
    return plan


def get_item(session: Session, year: int, number: int) -> LedgerItem:
    plan = get_plan(session, year)
    for item in plan.items:
        if item.number == number:
            return item
    raise ItemNotFound(f"{year} 年计划中没有第 {number} 项（共 {len(plan.items)} 项）")


def _default_items() -> list[dict]:
    return [
        dict(number=number, area=area, title=title, description=description, departments=[], owner_id=None,
             targets=copy.deepcopy(list(targets)), evidence_kinds=list(kinds))
        for number, area, title, description, kinds, targets in ledger_plan.ITEMS
    ]


def _items_of(plan: LedgerPlan) -> list[dict]:
    return [
        dict(number=item.number, area=item.area.number, title=item.title, description=item.description,
             departments=list(item.departments), owner_id=item.owner_id, targets=copy.deepcopy(item.targets),
             evidence_kinds=list(item.evidence_kinds))
        for item in plan.items
    ]


def init_plan(session: Session, year: int, actor: audit.Actor, from_year: int | None = None) -> LedgerPlan:
    """Install the plan of ``year``: the shipped default, or a copy of ``from_year``'s owners and targets."""
    check_year(year)
    if find_plan(session, year) is not None:
        raise PlanExists(f"{year} 年的创建计划已存在")
    if from_year is None:
        areas, items = list(ledger_plan.AREAS), _default_items()
    else:
        source = get_plan(session, from_year)
        areas, items = [(area.number, area.title) for area in source.areas], _items_of(source)
    plan = LedgerPlan(year=year)
    by_number = {number: LedgerArea(number=number, title=title) for number, title in areas}
    plan.areas = list(by_number.values())
    for values in items:
        area = by_number[values.pop("area")]
        item = LedgerItem(area=area, **values)
        plan.items.append(item)
    session.add(plan)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent init of the same year won
        session.rollback()
        raise PlanExists(f"{year} 年的创建计划已存在") from exc
    audit.record(session, actor, "ledger.plan_init", "ledger_plan", plan.id, year=year, from_year=from_year)
    session.commit()
    return get_plan(session, year)


def validate_targets(targets: Sequence[dict]) -> list[dict]:
    """Refuse a target list the progress calculation could not read, in Chinese."""
    checked = []
    for number, target in enumerate(targets, start=1):
        kind = target.get("type") if isinstance(target, dict) else None
        problem = None
        if kind not in ("events", "festivals", "documents", "hours", "wishes", "broadcasts"):
            problem = "类型应为 events、festivals、documents、hours、wishes 或 broadcasts"
        elif kind != "festivals" and target.get("per", "year") not in TARGET_PERIODS:
            problem = "周期应为 half（每半年）或 year（每年）"
        elif kind == "documents" and target.get("kind") not in EVIDENCE_KINDS:
            problem = f"材料类型应为：{'、'.join(EVIDENCE_KINDS)}"
        elif kind == "festivals" and not (
            isinstance(target.get("festivals"), list)
            and set(target["festivals"]) <= set(ledger_plan.TRADITIONAL_FESTIVALS) and target["festivals"]
        ):
            problem = f"节日应为：{'、'.join(ledger_plan.TRADITIONAL_FESTIVALS)}"
        elif kind == "hours" and not (isinstance(target.get("hours"), int | float) and 0 < target["hours"] <= 100_000):
            problem = "志愿时长应为正数"
        elif kind not in ("festivals", "hours") and not (
            isinstance(target.get("count", 1), int) and 1 <= target.get("count", 1) <= 1000
        ):
            problem = "数量应为 1 到 1000 的整数"
        if problem:
            raise RecordInvalid(f"第 {number} 个目标有误：{problem}", code="target_invalid")
        checked.append(dict(target))
    return checked


def update_item(
    session: Session,
    year: int,
    number: int,
    actor: audit.Actor,
    *,
    departments: Sequence[str] | None = None,
    owner_employee_no: str | None = None,
    clear_owner: bool = False,
    targets: Sequence[dict] | None = None,
    evidence_kinds: Sequence[str] | None = None,
) -> LedgerItem:
    """Change an item's 责任部门, 责任人, targets or evidence kinds (audited)."""
    item = get_item(session, year, number)
    changes: dict[str, object] = {}
    if departments is not None:
        names = [name.strip() for name in departments if name.strip()]
        known = set(session.scalars(select(Department.name).where(Department.name.in_(names))))
        unknown = [name for name in names if name not in known]
        if unknown:
            raise RecordInvalid(f"花名册中没有部门：{'、'.join(unknown)}", code="department_not_found")
        item.departments = list(dict.fromkeys(names))
        changes["departments"] = item.departments
    if owner_employee_no is not None:
        owner = find_staff(session, owner_employee_no, active_only=True)
        if owner is None:
            raise RecordInvalid(f"花名册中没有在册的工号 {owner_employee_no}", code="owner_not_found")
        item.owner_id = owner.id
        changes["owner"] = owner_employee_no
    elif clear_owner:
        item.owner_id = None
        changes["owner"] = None
    if targets is not None:
        item.targets = validate_targets(targets)
        changes["targets"] = item.targets
    if evidence_kinds is not None:
        bad = [kind for kind in evidence_kinds if kind not in EVIDENCE_KINDS]
        if bad:
            raise RecordInvalid(f"材料类型应为：{'、'.join(EVIDENCE_KINDS)}", code="evidence_kind_invalid")
        item.evidence_kinds = list(dict.fromkeys(evidence_kinds))
        changes["evidence_kinds"] = item.evidence_kinds
    audit.record(session, actor, "ledger.item_update", "ledger_item", item.id, **changes)
    session.commit()
    return item

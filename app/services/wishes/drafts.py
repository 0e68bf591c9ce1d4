"""Creating, publishing and withdrawing wishes (operators and admins)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy.orm import Session

from app.models import Wish, WishTransition
from app.models.wish import CATEGORY_LABELS, DRAFT
from app.services import audit, images
from app.services.wishes.engine import finish, fresh, transition
from app.services.wishes.errors import MAX_PHOTOS, InvalidWish
from app.services.wishes.photos import stored_photos
from app.timeutil import local_today


@dataclass
class WishDraft:
    title: str
    story: str
    category: str
    beneficiary_name: str
    village: str
    claim_deadline: date
    household: str | None = None
    contact: str | None = None
    estimated_value: int | None = None

    def problems(self, today: date) -> list[str]:
        found: list[str] = []
        for name, label, limit in (
            ("title", "标题", 100),
            ("story", "心愿故事", 2000),
            ("beneficiary_name", "受助人姓名", 50),
            ("village", "村（组）", 100),
        ):
            value = (getattr(self, name) or "").strip()
            if not value:
                found.append(f"{label}不能为空")
            elif len(value) > limit:
                found.append(f"{label}不能超过 {limit} 个字")
        if self.category not in CATEGORY_LABELS:
            found.append("类别应为 goods（实物类）或 service（服务类）")
        if self.household and len(self.household) > 200:
            found.append("住址不能超过 200 个字")
        if self.contact and len(self.contact) > 50:
            found.append("联系方式不能超过 50 个字")
        if self.estimated_value is not None and not 0 <= self.estimated_value <= 1_000_000:
            found.append("预估价值应在 0 到 1000000 元之间")
        if self.claim_deadline < today:
            found.append("截止日期不能早于今天")
        return found


def create_wish(
    session: Session,
    draft: WishDraft,
    actor: audit.Actor,
    photos: Sequence[BinaryIO] = (),
    publish: bool = False,
) -> Wish:
    """Create a wish (a draft unless ``publish``), with up to nine photos of it."""
    problems = draft.problems(local_today())
    if len(photos) > MAX_PHOTOS:
        problems.append(f"照片最多 {MAX_PHOTOS} 张")
    if problems:
        raise InvalidWish("；".join(problems))
    cleaned = images.clean_uploads(photos)
    with stored_photos(session, cleaned) as record_photos:
        wish = Wish(
            title=draft.title.strip(),
            story=draft.story.strip(),
            category=draft.category,
            beneficiary_name=draft.beneficiary_name.strip(),
            village=draft.village.strip(),
            household=(draft.household or "").strip() or None,
            contact=(draft.contact or "").strip() or None,
            estimated_value=draft.estimated_value,
            claim_deadline=draft.claim_deadline,
            status=DRAFT,
            created_by=f"{actor.type}:{actor.id}" if actor.id else actor.type,
        )
        session.add(wish)
        session.flush()
        record_photos(wish.id, None)
        session.add(
            WishTransition(
                wish_id=wish.id, action="create", from_status=None, to_status=DRAFT,
                actor_type=actor.type, actor_id=actor.id,
            )
        )
        if publish:
            transition(session, wish.id, "publish", actor)
        finish(session, wish.id, actor, "create", published=publish)
    return fresh(session, wish.id)


def publish_wish(session: Session, wish_id: int, actor: audit.Actor) -> Wish:
    transition(session, wish_id, "publish", actor)
    finish(session, wish_id, actor, "publish")
    return fresh(session, wish_id)


def withdraw_wish(session: Session, wish_id: int, actor: audit.Actor, reason: str) -> Wish:
    transition(session, wish_id, "withdraw", actor, reason)
    finish(session, wish_id, actor, "withdraw", reason=reason)
    return fresh(session, wish_id)

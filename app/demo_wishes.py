"""Demo 微心愿 in every state, for ``flask seed-demo``. Runs once: skipped when any wish exists.

It uses the same services as the API. The one proof note is stored as already checked, because the
demo is seeded before the WeChat sandbox starts.
"""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Staff, Wish
from app.models.wish import GOODS, NOTE_PASSED, SERVICE
from app.services import audit, images, wishes
from app.timeutil import local_today

VILLAGE = "红旗村"


def _photo(colour: tuple[int, int, int]) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def _staff(session: Session, employee_no: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.employee_no == employee_no))


def seed_demo_wishes(session: Session) -> int:
    """Seven wishes: draft, two open, claimed, fulfilled (proof waiting), confirmed, withdrawn."""
    if session.scalar(select(func.count()).select_from(Wish)):
        return 0
    today = local_today()
    admin = audit.Actor.system()

    def make(title, story, category, name, value, days, publish=True, household=None, contact=None, photo=None):
        draft = wishes.WishDraft(
            title=title, story=story, category=category, beneficiary_name=name, village=VILLAGE,
            household=household, contact=contact, estimated_value=value,
            claim_deadline=today + timedelta(days=days),
        )
        return wishes.create_wish(session, draft, admin, [_photo(photo)] if photo else [], publish=publish)

    make("一个新书包", "小明今年上三年级，书包背带断了又缝好几次，想要一个结实的新书包。", GOODS,
         "王小明", 120, 30, household="红旗村三组 12 号", contact="13900000001", photo=(70, 130, 180))
    make("陪老人去镇上体检", "李奶奶独居，腿脚不便，想请人陪她去镇卫生院做一次体检。", SERVICE,
         "李桂兰", None, 20, household="红旗村一组 5 号", contact="13900000002")
    make("春节对联和年画", "村里几户老人想在春节前贴上新对联。", GOODS, "赵德福", 60, 45, publish=False)
    withdrawn = make("一台旧电视维修", "电视机不出声音。", SERVICE, "孙大爷", 100, 15)
    wishes.withdraw_wish(session, withdrawn.id, admin, "家属已自行修好")

    claimer = _staff(session, "E0002")
    claimed = make("一件冬季棉衣", "刘阿姨冬天干农活，想要一件厚实的棉衣。", GOODS, "刘秀英", 200, 25,
                   household="红旗村二组 8 号", contact="13900000003")
    if claimer:
        wishes.claim_wish(session, claimed.id, claimer)

    fulfiller = _staff(session, "E0007")
    fulfilled = make("学习台灯", "小芳晚上写作业光线不好，想要一盏护眼台灯。", GOODS, "陈小芳", 150, 20,
                     household="红旗村四组 3 号", photo=(240, 200, 90))
    if fulfiller:
        wishes.claim_wish(session, fulfilled.id, fulfiller)
        proofs = images.clean_uploads([_photo((250, 220, 120))])
        wishes.store_proof(session, fulfilled.id, fulfiller, "台灯已送到小芳家，并教她调节亮度。", NOTE_PASSED, proofs)

    helper = _staff(session, "E0011")
    confirmed = make("一副助听器", "王爷爷听力下降，和家人说话很吃力。", GOODS, "王建国", 800, 30)
    if helper:
        wishes.claim_wish(session, confirmed.id, helper)
        proofs = images.clean_uploads([_photo((120, 180, 120))])
        wishes.store_proof(session, confirmed.id, helper, "已陪同王爷爷验配助听器，效果很好。", NOTE_PASSED, proofs)
        wishes.confirm_wish(session, confirmed.id, admin, "已电话回访")
    return session.scalar(select(func.count()).select_from(Wish)) or 0

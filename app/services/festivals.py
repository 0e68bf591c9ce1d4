"""Festival notices: when each catalogued festival is announced to the groups, and with what words.

The scheduler calls ``send_due_festival_notices`` once a day. Relevance is decided here from each
notice's own date, not from APScheduler's misfire grace, so the result is the same whether the job
ran on time, late, twice, or after days of downtime:

* a notice is due from its send day (festival day minus its lead days) until the next notice of the
  same festival becomes due, and never after the festival day;
* a due notice is queued once (its key is claimed in ``scheduled_notice``), saying how many days are
  actually left, so a notice sent late does not count down from the wrong day;
* a notice that was never sent and has been overtaken (a later notice is due, or the festival has
  passed) is recorded as skipped and logged once.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import calendar_cn
from app.errors import AppError, Conflict, NotFound
from app.models import FestivalSetting
from app.models.scheduling import CALENDAR_SOLAR, CALENDARS
from app.services import audit, events, notices, outbox, staff, working_days
from app.timeutil import local_datetime, local_today

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("节日", "日期", "星期", "倒计时")
MAX_TEMPLATE_LENGTH = 600  # a WeCom text message holds 2048 bytes; leave room for the rendered values
MAX_LEAD_DAYS = 60
# A festival that passed less than this many days ago still has its unsent notices recorded as skipped.
SKIP_LOOKBACK_DAYS = 7
# A draft festival event is placed on the last working day up to the festival, this afternoon slot.
DRAFT_EVENT_START = time(15, 0)
DRAFT_EVENT_HOURS = 2


@dataclass(frozen=True)
class DefaultSetting:
    lead_days: tuple[int, ...]
    template: str


DEFAULTS: dict[str, DefaultSetting] = {
    "除夕": DefaultSetting(
        (0,),
        "【除夕】今天是除夕（{日期}，{星期}），辞旧迎新，祝各位同事阖家团圆、新春快乐！"
        "年夜饭提倡适量点餐、光盘行动，燃放烟花爆竹请遵守当地规定，注意消防安全。",
    ),
    "春节": DefaultSetting(
        (14, 3),
        "【我们的节日·春节】春节（{日期}，{星期}）{倒计时}。请各部门围绕“我们的节日”主题，"
        "组织写春联送祝福、走访慰问困难职工和结对帮扶户等活动；倡导文明过节、移风易俗，"
        "不铺张浪费、不攀比送礼，严守廉洁纪律。",
    ),
    "元宵": DefaultSetting(
        (3,),
        "【我们的节日·元宵】元宵节（{日期}，{星期}）{倒计时}。可组织猜灯谜、诵读经典等文明健康的"
        "文化活动；观灯赏月请遵守秩序，注意人身和防火安全。",
    ),
    "学雷锋纪念日": DefaultSetting(
        (7, 1),
        "【学雷锋纪念日】学雷锋纪念日（{日期}，{星期}）{倒计时}。请各部门组织志愿服务队，开展便民服务、"
        "文明交通劝导、关爱“一老一小”等学雷锋志愿服务活动，并及时登记志愿服务时长。",
    ),
    "植树节": DefaultSetting(
        (7, 1),
        "【植树节】植树节（{日期}，{星期}）{倒计时}。欢迎报名参加义务植树和认种认养活动，"
        "践行绿水青山就是金山银山的理念；日常办公节约用纸，从身边做起爱绿护绿。",
    ),
    "壮族三月三": DefaultSetting(
        (7, 1),
        "【壮族三月三】壮族三月三（{日期}，{星期}）{倒计时}。可结合民族团结进步创建，开展唱山歌、"
        "做五色糯米饭等民俗文化活动；节日出行请合理安排，注意安全。",
    ),
    "清明": DefaultSetting(
        (7, 1),
        "【我们的节日·清明】清明节（{日期}，{星期}）{倒计时}。倡导文明祭扫、绿色祭扫，推广鲜花祭扫、"
        "网上祭扫；山林防火责任重大，请勿在林区焚香烧纸、燃放鞭炮。可组织缅怀革命先烈等活动。",
    ),
    "端午": DefaultSetting(
        (7, 1),
        "【我们的节日·端午】端午节（{日期}，{星期}）{倒计时}。可组织包粽子、诵读经典诗词等传统文化活动；"
        "倡导节俭过节，严守廉洁纪律，不收送节礼；戏水游泳注意安全。",
    ),
    "中秋": DefaultSetting(
        (7, 1),
        "【我们的节日·中秋】中秋节（{日期}，{星期}）{倒计时}。可组织经典诵读、关爱空巢老人和留守儿童等活动；"
        "月饼提倡简包装、不浪费，严守廉洁纪律，不收送节礼。祝大家阖家团圆！",
    ),
    "重阳": DefaultSetting(
        (7, 1),
        "【我们的节日·重阳】重阳节（{日期}，{星期}）{倒计时}。请组织走访慰问离退休老同志，"
        "开展敬老助老志愿服务，弘扬孝亲敬老的传统美德。",
    ),
}
assert set(DEFAULTS) == set(calendar_cn.FESTIVAL_NAMES), "every catalogued festival needs a default"


class FestivalSettingInvalid(AppError):
    status_code = 422
    code = "festival_setting_invalid"
    message = "节日通知设置有误"


@dataclass
class NoticeRun:
    """What one run of ``send_due_festival_notices`` did (keys of the notices)."""

    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)


def notice_key(name: str, festival_day: date, lead: int) -> str:
    return f"festival:{festival_day.year}:{name}:T-{lead}"


def ensure_festival_settings(session: Session) -> int:
    """Add the default setting of every catalogued festival that has none; returns how many were added."""
    existing = set(session.scalars(select(FestivalSetting.name)))
    missing = [name for name in calendar_cn.FESTIVAL_NAMES if name not in existing]
    for name in missing:
        default = DEFAULTS[name]
        session.add(FestivalSetting(name=name, lead_days=list(default.lead_days), template=default.template))
    session.commit()
    return len(missing)


def list_festival_settings(session: Session) -> list[FestivalSetting]:
    """Catalogued festivals in catalogue order, then the ones admins added, by name."""
    order = {name: index for index, name in enumerate(calendar_cn.FESTIVAL_NAMES)}
    rows = session.scalars(select(FestivalSetting)).all()
    return sorted(rows, key=lambda row: (order.get(row.name, len(order)), row.name))


def festival_day(setting: FestivalSetting, year: int) -> date:
    """The festival's date in ``year`` (of its own calendar: see ``calendar_cn.rule_date``)."""
    if setting.is_custom:
        return calendar_cn.rule_date(setting.calendar, setting.month, setting.day, year)
    return calendar_cn.festival_date(setting.name, year)


def festival_days_in(session: Session, year: int) -> list[tuple[date, str]]:
    """Every festival in Gregorian ``year``, catalogued and added, sorted by date (catalogue order on ties)."""
    days = [(occurrence.day, occurrence.name) for occurrence in calendar_cn.festivals_in(year)]
    for setting in session.scalars(select(FestivalSetting).where(FestivalSetting.calendar.is_not(None))):
        days += [(day, setting.name) for day in _days_of(setting, year - 1, year) if day.year == year]
    order = {name: index for index, name in enumerate(calendar_cn.FESTIVAL_NAMES)}
    return sorted(days, key=lambda item: (item[0], order.get(item[1], len(order)), item[1]))


def add_festival(
    session: Session,
    name: str,
    calendar: str,
    month: int,
    day: int,
    actor: audit.Actor,
    *,
    template: str,
    lead_days: list[int] | None = None,
    create_draft_event: bool = False,
) -> FestivalSetting:
    """A festival the office marks (七夕, 建党节, 国庆节 …) with its date rule and its own notice."""
    name = "".join(name.split())
    if not 1 <= len(name) <= 20:
        raise FestivalSettingInvalid("节日名称应为 1 到 20 个字")
    if session.get(FestivalSetting, name) is not None:
        raise Conflict(f"已有名为“{name}”的节日", code="festival_exists")
    validate_rule(calendar, month, day)
    setting = FestivalSetting(
        name=name, enabled=True, calendar=calendar, month=month, day=day,
        lead_days=validate_lead_days(lead_days if lead_days is not None else [7, 1]),
        template=validate_template(template), create_draft_event=create_draft_event,
    )
    session.add(setting)
    audit.record(session, actor, "festival.add", "festival_setting", name,
                 rule=setting.rule_text, lead_days=setting.lead_days)
    session.commit()
    return setting


def remove_festival(session: Session, name: str, actor: audit.Actor) -> None:
    """Remove a festival an admin added (catalogued ones can only be disabled); sent notices stay recorded."""
    setting = session.get(FestivalSetting, name)
    if setting is None:
        raise NotFound(f"没有名为“{name}”的节日", code="festival_not_found")
    if not setting.is_custom:
        raise Conflict(f"“{name}”是内置节日，不能删除；可用 festival-notices edit {name} --disable 停用",
                       code="festival_builtin")
    session.delete(setting)
    audit.record(session, actor, "festival.remove", "festival_setting", name, rule=setting.rule_text)
    session.commit()


def preview_notice(setting: FestivalSetting, today: date) -> tuple[date, int, str]:
    """The festival's next occurrence (today or later), the first lead, and that notice's text."""
    day = min(day for day in _days_of(setting, today.year - 1, today.year, today.year + 1) if day >= today)
    lead = setting.lead_days[0]
    return day, lead, render_notice(setting.template, setting.name, day, day - timedelta(days=lead))


def validate_rule(calendar: str, month: int, day: int) -> None:
    if calendar not in CALENDARS:
        raise FestivalSettingInvalid("日期规则应为公历或农历")
    if calendar == CALENDAR_SOLAR:
        try:
            date(2001, month, day)  # a common year: 2月29日 is not a yearly date
        except ValueError:
            raise FestivalSettingInvalid(f"公历没有每年都有的 {month}月{day}日") from None
    elif not (1 <= month <= 12 and 1 <= day <= 29):
        raise FestivalSettingInvalid(
            f"农历 {month}月{day}日 不是每年都有的日期：月份应为 1 到 12，日期 1 到 29（三十并非每月都有）"
        )


def _days_of(setting: FestivalSetting, *years: int) -> list[date]:
    days = []
    for year in years:
        try:
            days.append(festival_day(setting, year))
        except ValueError:  # outside the lunar tables
            continue
    return days


def validate_template(template: str) -> str:
    template = template.strip()
    if not template:
        raise FestivalSettingInvalid("通知模板不能为空")
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise FestivalSettingInvalid(f"通知模板不能超过 {MAX_TEMPLATE_LENGTH} 个字")
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as exc:
        raise FestivalSettingInvalid("通知模板中的花括号不成对；如需显示花括号本身，请写成 {{ 或 }}") from exc
    allowed = "、".join("{" + name + "}" for name in PLACEHOLDERS)
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS:
            shown = "{" + name + "}" if name else "{}"
            raise FestivalSettingInvalid(f"通知模板中有未知的占位符 {shown}，可用的占位符：{allowed}")
        if spec or conversion:
            raise FestivalSettingInvalid(f"占位符 {{{name}}} 后不能带格式说明，请直接写 {{{name}}}")
    return template


def validate_lead_days(lead_days: list[int]) -> list[int]:
    if not lead_days:
        raise FestivalSettingInvalid("至少需要一个提前天数")
    for lead in lead_days:
        if not 0 <= lead <= MAX_LEAD_DAYS:
            raise FestivalSettingInvalid(f"提前天数须在 0 到 {MAX_LEAD_DAYS} 之间，收到 {lead}")
    return sorted(set(lead_days), reverse=True)


def update_festival_setting(
    session: Session,
    name: str,
    actor: audit.Actor,
    *,
    lead_days: list[int] | None = None,
    template: str | None = None,
    enabled: bool | None = None,
    create_draft_event: bool | None = None,
) -> FestivalSetting:
    setting = session.get(FestivalSetting, name)
    if setting is None:
        names = "、".join(row.name for row in list_festival_settings(session))
        raise NotFound(f"没有名为“{name}”的节日，可选：{names}", code="festival_not_found")
    changes: dict[str, object] = {}
    if lead_days is not None:
        changes["lead_days"] = validate_lead_days(lead_days)
    if template is not None:
        changes["template"] = validate_template(template)
    if enabled is not None:
        changes["enabled"] = enabled
    if create_draft_event is not None:
        changes["create_draft_event"] = create_draft_event
    for attribute, value in changes.items():
        setattr(setting, attribute, value)
    audit.record(session, actor, "festival_setting.update", "festival_setting", name, **changes)
    session.commit()
    return setting


def render_notice(template: str, name: str, festival_day: date, today: date) -> str:
    days_left = (festival_day - today).days
    countdown = {0: "就在今天", 1: "就在明天"}.get(days_left, f"还有{days_left}天")
    values = {
        "节日": name,
        "日期": f"{festival_day.month}月{festival_day.day}日",
        "星期": calendar_cn.weekday_name(festival_day),
        "倒计时": countdown,
    }
    return template.format_map(values)


def send_due_festival_notices(session: Session, now: datetime) -> NoticeRun:
    """Queue every festival notice due today (local time) to the groups; safe to call any number of times."""
    today = local_today(now)
    run = NoticeRun()
    settings = session.scalars(select(FestivalSetting).where(FestivalSetting.enabled.is_(True))).all()
    for setting in settings:
        for occurrence in _occurrences_near(setting, today):
            _process_occurrence(session, setting, occurrence, today, run)
    session.commit()
    if run.sent:
        logger.info("festival notices queued: %s", ", ".join(run.sent))
    return run


def _occurrences_near(setting: FestivalSetting, today: date) -> list[date]:
    days = _days_of(setting, today.year - 1, today.year, today.year + 1)
    return [day for day in days if -SKIP_LOOKBACK_DAYS <= (day - today).days <= MAX_LEAD_DAYS]


def _process_occurrence(
    session: Session, setting: FestivalSetting, festival_day: date, today: date, run: NoticeRun
) -> None:
    leads = sorted(set(setting.lead_days), reverse=True)  # the earliest notice first
    started = [lead for lead in leads if festival_day - timedelta(days=lead) <= today]
    if not started:
        return
    # The notice in force today: the latest one whose send day has come, unless the festival is over.
    current = started[-1] if today <= festival_day else None
    for lead in started:
        key = notice_key(setting.name, festival_day, lead)
        if lead == current:
            if notices.claim(session, key):
                message = render_notice(setting.template, setting.name, festival_day, today)
                outbox.enqueue_to_groups(session, key, outbox.text(message))
                run.sent.append(key)
        elif current is None:
            if notices.skip(session, key, f"{setting.name}（{festival_day}）已过，通知未能按时发出"):
                run.skipped.append(key)
        elif notices.skip(session, key, f"已有更近的通知（提前 {current} 天）到期，不再补发提前 {lead} 天的通知"):
            run.skipped.append(key)
    if current is not None and setting.create_draft_event:
        draft_key = f"festival:{festival_day.year}:{setting.name}:draft"
        if notices.claim(session, draft_key):  # once per occurrence, with its first notice
            create_draft_festival_event(session, setting.name, festival_day, draft_key)
            run.drafts.append(draft_key)


def draft_event_day(session: Session, festival_day: date) -> date:
    """The festival day if it is a working day, else the last working day before it (within two weeks):
    春节 falls in a holiday, so its activity is held before the break."""
    return working_days.last_working_day(session, festival_day)


def create_draft_festival_event(session: Session, name: str, festival_day: date, key: str) -> int:
    """Add a draft 传统节日 event for one festival occurrence and tell the admins to complete it.

    Called once per occurrence (the caller has claimed ``key``), in the transaction that queues the
    festival's first notice; nothing is committed here. Returns the event's id.
    """
    day = draft_event_day(session, festival_day)
    starts_at = local_datetime(day, DRAFT_EVENT_START)
    title = f"{name}主题活动"
    event = events.add_event(
        session,
        events.EventDraft(
            kind="传统节日",
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=DRAFT_EVENT_HOURS),
            description=f"“我们的节日·{name}”主题活动（{festival_day.month}月{festival_day.day}日）。"
            "由节日通知自动创建的草稿，请补充时间、地点和活动内容后发布。",
            publish=False,
        ),
        audit.Actor.system(),
    )
    message = (
        f"【草稿活动】已为{name}（{festival_day.month}月{festival_day.day}日，"
        f"{calendar_cn.weekday_name(festival_day)}）创建草稿活动“{title}”（编号 {event.id}），"
        f"暂定 {day.month}月{day.day}日 {DRAFT_EVENT_START:%H:%M}。请在小程序“活动管理”中完善时间、地点和内容后发布。"
    )
    outbox.enqueue_to_staff(session, key, staff.active_admins(session), outbox.text(message))
    return event.id

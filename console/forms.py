"""Console forms (Flask-WTF): every field validated, every message in Chinese."""

from __future__ import annotations

from datetime import datetime

import wtforms
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.models.events import CAPACITY_RANGE, DESCRIPTION_MAX, EVENT_KINDS, LATITUDE_RANGE, LOCATION_MAX, LONGITUDE_RANGE, RADIUS_RANGE_M, TITLE_MAX
from app.models.org import ROLES


class ConsoleForm(FlaskForm):
    class Meta:
        locales = ["zh"]

    def error_text(self) -> str:
        """Every field's errors in one line, for a button's form whose refusal is flashed."""
        return "；".join(error for errors in self.errors.values()
                        for error in (errors if isinstance(errors, list) else [str(errors)]))


class DecimalField(wtforms.DecimalField):
    """A decimal number; NaN and the infinities (which ``decimal`` parses) are "not a number" too."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


def _printable(form, field) -> None:  # noqa: ARG001
    value = field.data or ""
    if any((ord(c) < 32 and c not in "\t\r\n") or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValidationError("包含无效字符")


class PasswordLoginForm(ConsoleForm):
    employee_no = StringField("工号", validators=[DataRequired("请输入工号"), Length(max=32, message="工号过长"), _printable])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128, message="密码过长")])


class EmptyForm(ConsoleForm):
    """Buttons that only need the CSRF token."""


class ReasonForm(ConsoleForm):
    reason = StringField("原因", validators=[DataRequired("请填写原因"), Length(max=200, message="原因不能超过 200 字"), _printable])


REMINDER_HELP = "每行一条：1d@09:00 表示提前 1 天 09:00，60m / 2h 表示开始前多久；留空使用默认（前一天 09:00 和提前 1 小时）。"


# Which codes an event accepts: by its kind (a 道德讲堂 takes only the venue screen's rotating code, so a
# photo of the poster signs nobody in), only the live code, or the printed code too.
CODE_POLICIES = {"": "按活动类型（道德讲堂只收现场动态码）", "live": "只收现场大屏上的动态码", "printed": "也收打印海报上的签到码"}
LIVE_CODE_ONLY = {"": None, "live": True, "printed": False}


class EventForm(ConsoleForm):
    kind = SelectField("类型", choices={k: k for k in EVENT_KINDS}, validators=[InputRequired("请选择类型")])
    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=TITLE_MAX, message=f"标题不能超过 {TITLE_MAX} 字"), _printable])
    starts_at = DateTimeLocalField("开始时间", format="%Y-%m-%dT%H:%M", validators=[InputRequired("请填写开始时间")])
    ends_at = DateTimeLocalField("结束时间", format="%Y-%m-%dT%H:%M", validators=[InputRequired("请填写结束时间")])
    location = StringField("地点", validators=[Optional(), Length(max=LOCATION_MAX, message=f"地点不能超过 {LOCATION_MAX} 字"), _printable])
    description = TextAreaField("说明", validators=[Optional(), Length(max=DESCRIPTION_MAX, message=f"说明不能超过 {DESCRIPTION_MAX} 字"), _printable])
    capacity = IntegerField("名额", validators=[Optional(), NumberRange(*CAPACITY_RANGE, message="名额应在 {} 到 {} 之间".format(*CAPACITY_RANGE))])
    registration_required = BooleanField("需要报名")
    checkout_required = BooleanField("需要签退（记录志愿时长）")
    latitude = DecimalField("纬度", places=None, validators=[Optional(), NumberRange(*LATITUDE_RANGE, message="纬度应在 {} 到 {} 之间".format(*LATITUDE_RANGE))])
    longitude = DecimalField("经度", places=None, validators=[Optional(), NumberRange(*LONGITUDE_RANGE, message="经度应在 {} 到 {} 之间".format(*LONGITUDE_RANGE))])
    radius_m = IntegerField("签到范围（米）", validators=[Optional(), NumberRange(*RADIUS_RANGE_M, message="范围应在 {} 到 {} 米之间".format(*RADIUS_RANGE_M))])
    checkin_opens_at = DateTimeLocalField("签到开始", format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                          description="不填为开始前 30 分钟")
    checkin_closes_at = DateTimeLocalField("签到截止", format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                           description="不填为开始后 30 分钟；迟到的人多可放宽")
    walk_ins_allowed = BooleanField("需要报名时也允许未报名者现场签到")
    code_policy = SelectField("签到码", choices=CODE_POLICIES, default="", validators=[Optional()])
    reminders = TextAreaField("提醒", description=REMINDER_HELP, validators=[Optional(), Length(max=200, message="提醒规则过长"), _printable])
    no_reminders = BooleanField("不发送提醒")
    draft = BooleanField("保存为草稿（暂不发布）")

    def validate_ends_at(self, field) -> None:
        if isinstance(self.starts_at.data, datetime) and isinstance(field.data, datetime) and field.data <= self.starts_at.data:
            raise ValidationError("结束时间应晚于开始时间")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        given = [f.data is not None for f in (self.latitude, self.longitude, self.radius_m)]
        if any(given) and not all(given):  # an empty optional field skips its own validators
            self.radius_m.errors = [*self.radius_m.errors, "签到范围需要同时填写纬度、经度和范围"]
            return False
        return valid

    def reminder_rules(self) -> list[str] | None:
        if self.no_reminders.data:
            return []
        rules = [line.strip() for line in (self.reminders.data or "").replace("，", "\n").replace(",", "\n").splitlines()]
        rules = [rule for rule in rules if rule]
        return rules or None


class ManualCheckinForm(ConsoleForm):
    employee_no = StringField("工号", validators=[DataRequired("请填写工号"), Length(max=32, message="工号过长"), _printable])
    direction = SelectField("类型", choices={"in": "签到", "out": "签退"}, default="in")
    reason = StringField("原因", validators=[DataRequired("请填写补签原因"), Length(max=200, message="原因不能超过 200 字"), _printable])


class PeopleFilterForm(ConsoleForm):
    class Meta:
        csrf = False
        locales = ["zh"]

    q = StringField("搜索", validators=[Optional(), Length(max=50, message="搜索词过长"), _printable])
    department = SelectField("部门", coerce=str, validators=[Optional()])
    role = SelectField("角色", choices={"": "全部角色", **ROLES}, validators=[Optional()])
    status = SelectField("状态", choices={"active": "在职", "inactive": "已停用", "all": "全部"}, default="active", validators=[Optional()])


class StaffForm(ConsoleForm):
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=50, message="姓名不能超过 50 字"), _printable])
    department = StringField("部门", validators=[DataRequired("请填写部门"), Length(max=100, message="部门名称不能超过 100 字"), _printable])
    phone = StringField("手机", validators=[Optional(), Regexp(r"^1\d{10}$", message="手机号应为 11 位数字")])
    wecom_userid = StringField("企业微信账号", validators=[Optional(), Length(max=64, message="企业微信账号过长"), Regexp(r"^[A-Za-z0-9_.@-]+$", message="企业微信账号只能包含字母、数字和 _ . @ -")])


class RoleForm(ConsoleForm):
    role = SelectField("角色", choices=dict(ROLES), validators=[InputRequired("请选择角色")])
    department = SelectField("联络部门（仅部门联络员）", coerce=str, validators=[Optional()])


class ImportForm(ConsoleForm):
    file = FileField("花名册文件（CSV 或 XLSX）", validators=[FileRequired("请选择文件")])


class AuditFilterForm(ConsoleForm):
    class Meta:
        csrf = False
        locales = ["zh"]

    actor = StringField("操作人工号", validators=[Optional(), Length(max=32, message="工号过长"), _printable])
    entity = StringField("对象（如 event:12）", validators=[Optional(), Length(max=100, message="对象过长"), Regexp(r"^[a-z_]+(:\S+)?$", message="对象应写成 类型 或 类型:编号，如 event:12")])
    date_from = StringField("起始日期", validators=[Optional(), Regexp(r"^\d{4}-\d{2}-\d{2}$", message="日期格式应为 YYYY-MM-DD")])
    date_to = StringField("截止日期", validators=[Optional(), Regexp(r"^\d{4}-\d{2}-\d{2}$", message="日期格式应为 YYYY-MM-DD")])


class EventEditForm(ConsoleForm):
    title = EventForm.title
    starts_at = EventForm.starts_at
    ends_at = EventForm.ends_at
    location = EventForm.location
    description = EventForm.description
    checkin_opens_at = EventForm.checkin_opens_at
    checkin_closes_at = EventForm.checkin_closes_at
    walk_ins_allowed = EventForm.walk_ins_allowed
    code_policy = SelectField("签到码", choices={k: v for k, v in CODE_POLICIES.items() if k}, validators=[Optional()])
    reminders = EventForm.reminders
    no_reminders = EventForm.no_reminders

    validate_ends_at = EventForm.validate_ends_at
    reminder_rules = EventForm.reminder_rules


class WishForm(ConsoleForm):
    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=100, message="标题不能超过 100 字"), _printable])
    story = TextAreaField("心愿故事", validators=[DataRequired("请填写心愿故事"), Length(max=2000, message="心愿故事不能超过 2000 字"), _printable])
    category = SelectField("类别", choices={"goods": "实物类", "service": "服务类"}, validators=[InputRequired("请选择类别")])
    beneficiary_name = StringField("受助人姓名", validators=[DataRequired("请填写受助人姓名"), Length(max=50, message="姓名不能超过 50 字"), _printable])
    village = StringField("村（组）", validators=[DataRequired("请填写村（组）"), Length(max=100, message="不能超过 100 字"), _printable])
    household = StringField("住址", validators=[Optional(), Length(max=200, message="住址不能超过 200 字"), _printable])
    contact = StringField("联系方式", validators=[Optional(), Length(max=50, message="联系方式不能超过 50 字"), _printable])
    estimated_value = IntegerField("预估价值（元）", validators=[Optional(), NumberRange(0, 1_000_000, message="预估价值应在 0 到 1000000 元之间")])
    claim_deadline = DateField("认领截止日期", validators=[InputRequired("请填写截止日期")])
    photos = MultipleFileField("照片（JPEG/PNG/WebP，最多 9 张）")
    publish = BooleanField("立即发布")


class WishActionForm(ConsoleForm):
    reason = StringField("原因", validators=[Optional(), Length(max=200, message="原因不能超过 200 字"), _printable])
    approve_note = BooleanField("凭证说明已人工审核，可以发布")


class PushTargetForm(ConsoleForm):
    name = StringField("名称", validators=[DataRequired("请填写名称"), Length(max=100, message="名称不能超过 100 字"), _printable])
    kind = SelectField("类型", choices={"robot": "群机器人", "appchat": "应用群聊"}, default="robot")
    address = StringField("地址（Webhook 地址或 key；应用群聊填 chatid）", validators=[DataRequired("请填写地址"), Length(max=500, message="地址过长"), _printable])


class AnnouncementForm(ConsoleForm):
    content = TextAreaField("内容", validators=[DataRequired("请填写公告内容"), Length(max=1000, message="公告不能超过 1000 字"), _printable])
    audience = SelectField("发送范围", choices={"all": "全部群", "chosen": "选定的群", "miniprogram": "仅小程序"}, default="all")


class FestivalForm(ConsoleForm):
    enabled = BooleanField("启用通知")
    lead_days = StringField("提前天数（逗号分隔，0 为当天）", validators=[DataRequired("请填写提前天数"), Regexp(r"^\s*\d{1,3}(\s*[,，、]\s*\d{1,3})*\s*$", message="提前天数应为逗号分隔的整数，如 7,1")])
    template = TextAreaField("通知模板（占位符：{节日} {日期} {星期} {倒计时}）", validators=[DataRequired("请填写通知模板"), Length(max=500, message="模板过长"), _printable])
    create_draft_event = BooleanField("首次通知时创建草稿活动")

    def leads(self) -> list[int]:
        import re

        return [int(part) for part in re.split(r"[,，、]", self.lead_days.data or "") if part.strip()]


class CalendarForm(ConsoleForm):
    first = DateField("开始日期", validators=[InputRequired("请填写开始日期")])
    last = DateField("结束日期", validators=[Optional()])
    kind = SelectField("设为", choices={"holiday": "放假", "workday": "上班（调休）", "clear": "清除设置（按国务院安排）"}, default="holiday")
    note = StringField("说明", validators=[Optional(), Length(max=50, message="说明不能超过 50 字"), _printable])


class HoursForm(ConsoleForm):
    hours = DecimalField("认定时长（小时）", places=None, validators=[InputRequired("请填写时长"), NumberRange(0, 24, message="时长应在 0 到 24 小时之间")])
    reason = StringField("原因", validators=[DataRequired("请填写调整原因"), Length(max=200, message="原因不能超过 200 字"), _printable])


class TipForm(ConsoleForm):
    theme = StringField("主题", validators=[DataRequired("请填写主题"), Length(max=20, message="主题不能超过 20 字"), _printable])
    content = TextAreaField("内容", validators=[DataRequired("请填写提示内容"), Length(max=300, message="提示不能超过 300 字"), _printable])


# ---- 评选 and 承诺 ----------------------------------------------------------------------------------

_WORK_ITEM = IntegerField("工作项目编号（1–18）", validators=[Optional(), NumberRange(1, 18, message="工作项目编号应为 1–18")])


def _window(label: str) -> DateTimeLocalField:
    return DateTimeLocalField(label, format="%Y-%m-%dT%H:%M", validators=[InputRequired(f"请填写{label}")])


class SelectionForm(ConsoleForm):
    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=100, message="标题不能超过 100 字"), _printable])
    kind = SelectField("类型", choices={"honour": "评选先进（推荐个人、集体、家庭）", "works": "作品征集（职工投稿）"}, validators=[InputRequired("请选择类型")])
    description = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不能超过 2000 字"), _printable])
    work_item = _WORK_ITEM
    nominate_from = _window("报名/推荐开始时间")
    nominate_until = _window("报名/推荐截止时间")
    vote_from = _window("投票开始时间")
    vote_until = _window("投票截止时间")
    publicity_days = IntegerField("公示天数", default=5, validators=[InputRequired("请填写公示天数"), NumberRange(1, 30, message="公示期应为 1–30 天")])
    votes_per_voter = IntegerField("每人可投票数", default=3, validators=[InputRequired("请填写每人可投票数"), NumberRange(1, 50, message="每人可投票数应为 1–50")])
    forbid_own_department = BooleanField("不能给本部门的参评对象投票")
    forbid_self = BooleanField("不能给自己投票", default=True)
    result_method = SelectField("计分方式", choices={"votes": "按得票", "jury": "按评委评分", "mixed": "得票与评分加权"}, default="votes")
    vote_weight = IntegerField("得票权重（%，加权时使用，默认 50）", validators=[Optional(), NumberRange(0, 100, message="得票权重应为 0–100")])

    def validate_nominate_until(self, field) -> None:
        if isinstance(self.nominate_from.data, datetime) and isinstance(field.data, datetime) and field.data <= self.nominate_from.data:
            raise ValidationError("报名/推荐截止时间应晚于开始时间")

    def validate_vote_from(self, field) -> None:
        if isinstance(self.nominate_until.data, datetime) and isinstance(field.data, datetime) and field.data < self.nominate_until.data:
            raise ValidationError("投票应在报名/推荐截止之后开始（其间为审核）")

    def validate_vote_until(self, field) -> None:
        if isinstance(self.vote_from.data, datetime) and isinstance(field.data, datetime) and field.data <= self.vote_from.data:
            raise ValidationError("投票截止时间应晚于开始时间")


class JudgesForm(ConsoleForm):
    judges = TextAreaField("评委工号（逗号或换行分隔；留空为不设评委）", validators=[Optional(), Length(max=2000, message="评委名单过长"), _printable])


class NominationForm(ConsoleForm):
    subject = SelectField("推荐对象", choices={"person": "个人", "family": "家庭（填写联系人工号）", "department": "集体（部门）"}, validators=[InputRequired("请选择推荐对象")])
    employee_no = StringField("个人或家庭联系人工号", validators=[Optional(), Length(max=32, message="工号过长"), _printable])
    family_name = StringField("家庭名称（如“张伟家庭”）", validators=[Optional(), Length(max=100, message="家庭名称不能超过 100 字"), _printable])
    department = SelectField("部门（推荐集体时）", coerce=str, validators=[Optional()])
    reasons = TextAreaField("推荐理由", validators=[DataRequired("请填写推荐理由"), Length(max=2000, message="推荐理由不能超过 2000 字"), _printable])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)  # an empty optional field skips its own validators
        if self.subject.data in ("person", "family") and not (self.employee_no.data or "").strip():
            self.employee_no.errors = [*self.employee_no.errors, "请填写工号"]
            return False
        if self.subject.data == "department" and not (self.department.data or "").isdigit():
            self.department.errors = [*self.department.errors, "请选择部门"]
            return False
        return valid


class ScoreForm(ConsoleForm):
    score = IntegerField("评分（0–100）", validators=[InputRequired("请填写评分"), NumberRange(0, 100, message="评分应为 0–100 的整数")])


class PledgeForm(ConsoleForm):
    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=100, message="标题不能超过 100 字"), _printable])
    body = TextAreaField("承诺内容", validators=[DataRequired("请填写承诺内容"), Length(max=5000, message="承诺内容不能超过 5000 字"), _printable])
    work_item = _WORK_ITEM
    opens_at = _window("签署开始时间")
    closes_at = _window("签署截止时间")
    publish = BooleanField("立即发布（通知各群）")

    def validate_closes_at(self, field) -> None:
        if isinstance(self.opens_at.data, datetime) and isinstance(field.data, datetime) and field.data <= self.opens_at.data:
            raise ValidationError("截止时间应晚于开始时间")

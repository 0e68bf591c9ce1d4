"""Forms of the 台账 pages (Flask-WTF, Chinese messages)."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.converters import MAX_ID
from app.ledger_plan import TRADITIONAL_FESTIVALS
from app.models.ledger import EVIDENCE_KINDS
from app.services.ledger.records import SEGMENTS_MAX
from console.forms import ConsoleForm, DecimalField, _printable

PERIODS = {"half": "每半年", "year": "每年"}
# WTForms' Chinese catalogue leaves the multiple-choice messages in English.
MULTIPLE = {"invalid_choice_message": "“%(value)s”不是有效的选择", "invalid_value_message": "选择无效"}


class PlanInitForm(ConsoleForm):
    source = SelectField("计划来源", choices={"default": "默认计划（按实施意见的 6 个方面 18 项工作）",
                                          "copy": "复制上一年度的责任部门、责任人和目标"}, default="default")


class TargetForm(Form):
    """One of an item's targets: its number (count or hours), its period, its festivals."""

    class Meta:
        locales = ["zh"]

    count = IntegerField("数量", validators=[Optional(), NumberRange(1, 1000, message="数量应为 1 到 1000 的整数")])
    hours = DecimalField("时长（小时）", places=None, validators=[Optional(), NumberRange(0.5, 100_000, message="时长应在 0.5 到 100000 小时之间")])
    per = SelectField("周期", choices=PERIODS, validators=[Optional()])
    festivals = SelectMultipleField("节日", choices={name: name for name in TRADITIONAL_FESTIVALS}, validators=[Optional()], **MULTIPLE)


class ItemForm(ConsoleForm):
    departments = SelectMultipleField("责任部门", validators=[Optional()], **MULTIPLE)
    owner = StringField("责任人工号", validators=[Optional(), Length(max=32, message="工号过长"), _printable],
                        description="留空表示不变；勾选下方“清除责任人”可取消")
    clear_owner = BooleanField("清除责任人")
    evidence_kinds = SelectMultipleField("需要的材料", choices={kind: kind for kind in EVIDENCE_KINDS}, validators=[Optional()], **MULTIPLE)
    targets = FieldList(FormField(TargetForm))

    def merged_targets(self, current: list[dict]) -> list[dict]:
        """The item's targets with the numbers, periods and festivals edited (types and labels kept);
        a target whose row was not posted stays as it is."""
        posted = {int(entry.name.rsplit("-", 1)[1]): entry.form for entry in self.targets.entries}
        merged = []
        for index, target in enumerate(current):
            values, sub = dict(target), posted.get(index)
            kind = values.get("type")
            if sub is None:
                pass
            elif kind == "festivals":
                values["festivals"] = [name for name in TRADITIONAL_FESTIVALS if name in (sub.festivals.data or [])]
            else:
                if kind == "hours" and sub.hours.data is not None:
                    values["hours"] = float(sub.hours.data)
                elif kind != "hours" and sub.count.data is not None:
                    values["count"] = sub.count.data
                if sub.per.data:
                    values["per"] = sub.per.data
            merged.append(values)
        return merged


class DocumentForm(ConsoleForm):
    kind = SelectField("材料类型", choices={kind: kind for kind in EVIDENCE_KINDS})
    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=100, message="标题不能超过 100 字"), _printable])
    dated = DateField("日期", validators=[Optional()], description="不填为今天；应在计划年度内")
    file = FileField("文件（PDF、DOCX、XLSX、JPEG、PNG）", validators=[FileRequired("请选择文件")])


def _ids(form, field) -> None:  # noqa: ARG001
    """Record ids the database can hold (a larger number would overflow SQLite's integer)."""
    if any(not 1 <= value <= MAX_ID for value in field.data or []):
        raise ValidationError("选项无效，请刷新页面后重试")


class EventItemsForm(ConsoleForm):
    items = SelectMultipleField("工作项", coerce=int, validate_choice=False, description="可多选：电脑上按住 Ctrl（Mac 为 ⌘）点选",
                                validators=[DataRequired("请至少选择一个工作项"), _ids], **MULTIPLE)
    festival = SelectField("节日（传统节日活动）", choices={"": "按标题或日期判断", **{n: n for n in TRADITIONAL_FESTIVALS}},
                           validators=[Optional()])


class SegmentForm(Form):
    class Meta:
        locales = ["zh"]

    name = StringField("环节", validators=[Optional(), Length(max=20, message="环节名称不能超过 20 字"), _printable])
    content = TextAreaField("内容", validators=[Optional(), Length(max=1000, message="内容不能超过 1000 字"), _printable])

    def validate_content(self, field) -> None:
        if (field.data or "").strip() and not (self.name.data or "").strip():
            raise ValidationError("请填写环节名称")


class RecordForm(ConsoleForm):
    host = StringField("主持人", validators=[Optional(), Length(max=50, message="主持人不能超过 50 字"), _printable])
    speaker = StringField("主讲人", validators=[Optional(), Length(max=50, message="主讲人不能超过 50 字"), _printable])
    segments = FieldList(FormField(SegmentForm), max_entries=SEGMENTS_MAX + 2)

    def segment_list(self) -> list[dict]:
        """The filled 环节 in order (a row without a name is dropped)."""
        return [{"name": entry.form.name.data.strip(), "content": (entry.form.content.data or "").strip()}
                for entry in self.segments.entries if (entry.form.name.data or "").strip()]


class ReflectionPickForm(ConsoleForm):
    reflections = SelectMultipleField("选入台账的感悟", coerce=int, validate_choice=False,
                                      validators=[DataRequired("请选择 1 到 3 篇感悟"), _ids], **MULTIPLE)


class EventPhotoForm(ConsoleForm):
    title = StringField("照片说明", validators=[Optional(), Length(max=100, message="说明不能超过 100 字"), _printable])
    file = FileField("照片（JPEG 或 PNG）", validators=[FileRequired("请选择照片")])


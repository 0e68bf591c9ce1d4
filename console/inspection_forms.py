"""Forms of the 检查 section (Flask-WTF): every field validated, every message in Chinese."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, MultipleFileField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.services.inspections.checks import NOTE_MAX as CHECK_NOTE_MAX
from app.services.inspections.rectifications import NOTE_MAX as EVIDENCE_NOTE_MAX
from app.services.inspections.rectifications import REASON_MAX, REQUIREMENT_MAX
from app.services.inspections.rounds import FINDINGS_MAX, TITLE_MAX
from console.forms import ConsoleForm, DecimalField, _printable

SCORE_RANGE = NumberRange(0, 1000, message="分数应在 0 到 1000 之间")


class RoundForm(ConsoleForm):
    title = StringField("标题", description="留空为“某年上/下半年创建工作检查”",
                        validators=[Optional(), Length(max=TITLE_MAX, message=f"标题不能超过 {TITLE_MAX} 字"), _printable])
    year = IntegerField("计划年度", validators=[InputRequired("请填写计划年度"), NumberRange(2000, 2100, message="年度应在 2000 到 2100 之间")])
    starts_on = DateField("检查开始日期", validators=[InputRequired("请填写开始日期")])
    ends_on = DateField("检查结束日期", validators=[InputRequired("请填写结束日期")])
    inspectors = SelectMultipleField("检查组成员", coerce=int, validate_choice=True, validators=[Optional()])
    with_survey = BooleanField("同时建立问卷调查（默认题目，可修改）", default=True)

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("结束日期不能早于开始日期")

    def validate_starts_on(self, field) -> None:
        if field.data and self.year.data and field.data.year != self.year.data:
            raise ValidationError(f"检查日期应在 {self.year.data} 年内")


class DetailsForm(ConsoleForm):
    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=TITLE_MAX, message=f"标题不能超过 {TITLE_MAX} 字"), _printable])
    addressees = StringField("主送", validators=[DataRequired("请填写主送"), Length(max=200, message="主送不能超过 200 字"), _printable])
    issuer = StringField("发文机关", validators=[DataRequired("请填写发文机关"), Length(max=100, message="发文机关不能超过 100 字"), _printable])
    document_no = StringField("文号", validators=[Optional(), Length(max=50, message="文号不能超过 50 字"), _printable])


class ScoreForm(ConsoleForm):
    max_score = DecimalField("满分", places=None, validators=[InputRequired("请填写满分"), SCORE_RANGE])
    score = DecimalField("得分", places=None, validators=[Optional(), SCORE_RANGE])
    findings = TextAreaField("存在问题", validators=[Optional(), Length(max=FINDINGS_MAX, message=f"存在问题不能超过 {FINDINGS_MAX} 字"), _printable])

    def validate_score(self, field) -> None:
        if field.data is not None and self.max_score.data is not None and field.data > self.max_score.data:
            raise ValidationError(f"得分不能超过满分 {self.max_score.data.normalize():f} 分")


class RectificationForm(ConsoleForm):
    requirement = TextAreaField("整改要求", validators=[DataRequired("请填写整改要求"), Length(min=2, max=REQUIREMENT_MAX, message=f"整改要求应为 2 到 {REQUIREMENT_MAX} 字"), _printable])
    responsible = StringField("责任人工号", description="责任人所在部门即整改部门",
                              validators=[DataRequired("请填写责任人工号"), Length(max=32, message="工号过长"), _printable])
    deadline = DateField("整改期限", validators=[InputRequired("请填写整改期限")])


class CorrectionForm(ConsoleForm):
    score = DecimalField("更正后得分", places=None, validators=[InputRequired("请填写更正后的得分"), SCORE_RANGE])
    reason = StringField("更正原因", validators=[DataRequired("请填写更正原因"), Length(min=2, max=200, message="更正原因应为 2 到 200 字"), _printable])


class CheckForm(ConsoleForm):
    checkpoint_id = IntegerField("检查项目", validators=[InputRequired("缺少检查项目"), NumberRange(1, 2**31 - 1, message="检查项目无效")])
    department_id = IntegerField("部门", validators=[InputRequired("请选择部门"), NumberRange(1, 2**31 - 1, message="部门无效")])
    passed = RadioField("结果", choices={"yes": "通过", "no": "不通过"}, validators=[InputRequired("请选择通过或不通过")])
    note = StringField("说明", validators=[Optional(), Length(max=CHECK_NOTE_MAX, message=f"说明不能超过 {CHECK_NOTE_MAX} 字"), _printable])
    photos = MultipleFileField("照片")


class ChecklistForm(ConsoleForm):
    points = TextAreaField("检查清单（每行一项）", validators=[DataRequired("请填写检查清单"), Length(max=2000, message="检查清单过长"), _printable])


class QuestionsForm(ConsoleForm):
    questions = TextAreaField(
        "题目", description="每题一行，以 [单选]、[多选] 或 [简答] 开头；选项每行一个，以 - 开头；题与题之间空一行。",
        validators=[DataRequired("请填写题目"), Length(max=20000, message="题目过长"), _printable],
    )


class ReturnForm(ConsoleForm):
    reason = StringField("退回原因", validators=[DataRequired("请填写退回原因"), Length(min=2, max=REASON_MAX, message=f"退回原因应为 2 到 {REASON_MAX} 字"), _printable])


class EvidenceForm(ConsoleForm):
    note = TextAreaField("整改情况", validators=[Optional(), Length(max=EVIDENCE_NOTE_MAX, message=f"整改情况不能超过 {EVIDENCE_NOTE_MAX} 字"), _printable])
    photos = MultipleFileField("整改照片")


class TemplateForm(ConsoleForm):
    file = FileField("通报模板（.docx）", validators=[FileRequired("请选择 .docx 文件")])


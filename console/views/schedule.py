"""日程: the scheduled jobs, festival notice settings with a live preview, working-day overrides."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import escape

from app.errors import AppError
from app.extensions import db
from app.services import schedule_console
from app.timeutil import local_today
from console import auth, bp
from console.forms import CalendarForm, FestivalForm, TipForm
from console.views.events import _page_number


def _year() -> int | None:
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and 1901 <= int(value) <= 2100 else None


@bp.get("/schedule")
@auth.requires("schedule.view")
def schedule():
    view = schedule_console.schedule(db.session, auth.viewer(), local_today(), _year())
    return render_template("console/schedule.html", view=view, calendar_form=CalendarForm())


@bp.route("/schedule/festivals/<name>", methods=["GET", "POST"])
@auth.requires("schedule.view")
def schedule_festival(name: str):
    viewer = auth.viewer()
    setting = schedule_console.festival(db.session, viewer, name[:20])
    form = FestivalForm(data={
        "enabled": setting.enabled, "lead_days": ",".join(str(d) for d in setting.lead_days),
        "template": setting.template, "create_draft_event": setting.create_draft_event,
    }) if request.method == "GET" else FestivalForm()
    status = 200
    if request.method == "POST":
        if not viewer.can("schedule.manage"):
            return render_template("console/festival.html", form=form, setting=setting), 403
        if form.validate_on_submit():
            try:
                schedule_console.update_festival(
                    db.session, viewer, setting.name, enabled=form.enabled.data, lead_days=form.leads(),
                    template=form.template.data, create_draft_event=form.create_draft_event.data,
                )
            except AppError as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
            else:
                flash(f"已保存“{setting.name}”的通知设置。", "success")
                return redirect(url_for("console.schedule"))
        status = 400
    return render_template("console/festival.html", form=form, setting=setting), status


@bp.post("/schedule/festivals/<name>/preview")
@auth.requires("schedule.view")
def schedule_festival_preview(name: str):
    setting = schedule_console.festival(db.session, auth.viewer(), name[:20])
    form = FestivalForm()
    try:
        lines = schedule_console.preview(setting.name, form.template.data or "", form.leads() if form.lead_days.validate(form) else [], local_today())
    except AppError as exc:
        return f'<div class="text-danger small" data-testid="preview">{escape(exc.message)}</div>'
    items = "".join(f"<li><strong>{day.isoformat()}</strong> {escape(text)}</li>" for day, text in lines)
    return f'<ul class="list-unstyled mb-0 small" data-testid="preview">{items}</ul>'


@bp.post("/schedule/calendar")
@auth.requires("schedule.manage")
def schedule_calendar():
    form = CalendarForm()
    if form.validate_on_submit():
        first, last = form.first.data, form.last.data or form.first.data
        working = {"holiday": False, "workday": True, "clear": None}[form.kind.data]
        try:
            count = schedule_console.set_days(db.session, auth.viewer(), first, last, working, form.note.data or "")
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(f"已{'清除' if working is None else '设置'} {count} 天。", "success")
        return redirect(url_for("console.schedule", year=first.year))
    flash(form.error_text(), "danger")
    return redirect(url_for("console.schedule"))


@bp.route("/schedule/tips", methods=["GET", "POST"])
@auth.requires("schedule.view")
def schedule_tips():
    viewer = auth.viewer()
    form = TipForm()
    status = 200
    if request.method == "POST":
        if not viewer.can("schedule.manage"):
            abort(403)
        if form.validate_on_submit():
            raw = request.form.get("tip_id", "")
            try:
                schedule_console.save_tip(db.session, viewer, int(raw) if raw.isdigit() and len(raw) < 11 else None, form.theme.data, form.content.data)
            except AppError as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
            else:
                flash("提示已保存。", "success")
                return redirect(url_for("console.schedule_tips"))
        status = 400
    library = schedule_console.list_tips(db.session, viewer, _page_number())
    return render_template("console/tips.html", form=form, library=library, tips=library.page.items), status


@bp.post("/schedule/tips/<id:tip_id>/<action>")
@auth.requires("schedule.manage")
def schedule_tip_toggle(tip_id: int, action: str):
    if action not in ("enable", "disable"):
        abort(404)
    tip = schedule_console.set_tip_enabled(db.session, auth.viewer(), tip_id, action == "enable")
    flash(f"已{'启用' if tip.enabled else '停用'}这条提示。", "success")
    return redirect(url_for("console.schedule_tips"))

"""活动: list, create, edit, publish, cancel, poster, venue screen, registrations, live attendance."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from app.errors import AppError
from app.extensions import db
from app.models.events import EVENT_KINDS
from app.services import checkin_codes, event_console, posters
from app.services import events as event_service
from app.services.roles import OtherDepartment, require
from app.timeutil import to_local
from console import auth, bp
from console.forms import LIVE_CODE_ONLY, EventEditForm, EventForm, HoursForm, ManualCheckinForm, ReasonForm

POLL_SECONDS = 3


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _id_arg(name: str) -> int | None:
    """A record id from the query string (a filter); anything else is no filter."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.get("/events")
@auth.requires("events.view")
def events():
    filters = {name: request.args.get(name, "").strip()[:20] for name in ("kind", "status", "month")}
    try:
        page = event_console.list_events(db.session, auth.viewer(), page=_page_number(), **filters)
    except event_console.InvalidFilter as exc:
        flash(exc.message, "warning")
        return redirect(url_for("console.events"))
    return render_template(
        "console/events/list.html", page=page, filters=filters, kinds=EVENT_KINDS, statuses=event_console.EVENT_STATUS_LABELS
    )


@bp.route("/events/new", methods=["GET", "POST"])
@auth.requires("events.manage")
def event_new():
    form = EventForm()
    if form.validate_on_submit():
        capacity = form.capacity.data
        draft = event_service.EventDraft(
            kind=form.kind.data,
            title=form.title.data,
            starts_at=form.starts_at.data,
            ends_at=form.ends_at.data,
            description=form.description.data or "",
            location=form.location.data or None,
            latitude=float(form.latitude.data) if form.latitude.data is not None else None,
            longitude=float(form.longitude.data) if form.longitude.data is not None else None,
            radius_m=form.radius_m.data,
            capacity=capacity,
            registration_required=bool(form.registration_required.data or capacity),
            checkout_required=form.checkout_required.data,
            publish=not form.draft.data,
            reminders=form.reminder_rules(),
            checkin_opens_at=form.checkin_opens_at.data,
            checkin_closes_at=form.checkin_closes_at.data,
            walk_ins_allowed=form.walk_ins_allowed.data,
            live_code_only=LIVE_CODE_ONLY[form.code_policy.data or ""],
        )
        try:
            require(auth.viewer(), "events.manage")
            event = event_service.create_event(db.session, draft, auth.viewer().actor, created_by=auth.current_user.staff)
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"活动“{event.title}”已{'保存为草稿' if event.status == 'draft' else '创建并发布'}。", "success")
            return redirect(url_for("console.event_detail", event_id=event.id))
    return render_template("console/events/form.html", form=form, event=None), 400 if form.is_submitted() else 200


@bp.get("/events/<id:event_id>")
@auth.requires("events.view")
def event_detail(event_id: int):
    return render_event_detail(event_id)


def render_event_detail(event_id: int, status: int = 200, **ledger_forms):
    """The event page; the 台账 panel's forms come back here with their errors (console.views.ledger)."""
    from console.views.ledger import event_panel_context

    viewer = auth.viewer()
    event = event_console.get_event(db.session, viewer, event_id)
    people = event_console.registrations(db.session, viewer, event_id) if viewer.can("attendance.view") else []
    return render_template(
        "console/events/detail.html",
        event=event,
        registrations=people,
        cancel_form=ReasonForm(),
        statuses=event_console.EVENT_STATUS_LABELS,
        **event_panel_context(event, **ledger_forms),
    ), status


@bp.route("/events/<id:event_id>/edit", methods=["GET", "POST"])
@auth.requires("events.manage")
def event_edit(event_id: int):
    event = event_console.get_event(db.session, auth.viewer(), event_id)
    form = EventEditForm(obj=None)
    if request.method == "GET":
        form.title.data, form.location.data, form.description.data = event.title, event.location, event.description
        form.starts_at.data = to_local(event.starts_at).replace(tzinfo=None)
        form.ends_at.data = to_local(event.ends_at).replace(tzinfo=None)
        form.reminders.data = "\n".join(event.reminders or [])
        form.no_reminders.data = event.reminders == []
        form.checkin_opens_at.data = to_local(event.checkin_opens_at).replace(tzinfo=None)
        form.checkin_closes_at.data = to_local(event.checkin_closes_at).replace(tzinfo=None)
        form.walk_ins_allowed.data = event.walk_ins_allowed
        form.code_policy.data = "live" if event.live_code_only else "printed"
    elif form.validate_on_submit():
        changes = {
            "title": form.title.data,
            "location": form.location.data or None,
            "description": form.description.data or "",
            "reminders": form.reminder_rules(),
            "walk_ins_allowed": form.walk_ins_allowed.data,
            "live_code_only": form.code_policy.data == "live",
        }
        for name in ("checkin_opens_at", "checkin_closes_at"):
            value = getattr(form, name).data
            if value is not None and value != to_local(getattr(event, name)).replace(tzinfo=None, second=0, microsecond=0):
                changes[name] = value
        if form.starts_at.data != to_local(event.starts_at).replace(tzinfo=None, second=0, microsecond=0):
            changes["starts_at"] = form.starts_at.data
        if form.ends_at.data != to_local(event.ends_at).replace(tzinfo=None, second=0, microsecond=0):
            changes["ends_at"] = form.ends_at.data
        try:
            event_service.update_event(db.session, event_id, changes, auth.viewer().actor)
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash("活动已更新。", "success")
            return redirect(url_for("console.event_detail", event_id=event_id))
    status = 400 if form.is_submitted() else 200
    return render_template("console/events/form.html", form=form, event=event), status


@bp.post("/events/<id:event_id>/publish")
@auth.requires("events.manage")
def event_publish(event_id: int):
    try:
        event = event_service.publish_event(db.session, event_id, auth.viewer().actor)
    except event_service.EventNotEditable as exc:
        flash(exc.message, "danger")
    else:
        flash(f"活动“{event.title}”已发布，提醒已排队。", "success")
    return redirect(url_for("console.event_detail", event_id=event_id))


@bp.post("/events/<id:event_id>/cancel")
@auth.requires("events.manage")
def event_cancel(event_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("取消活动需要填写原因（不超过 200 字）。", "danger")
    else:
        try:
            event = event_service.cancel_event(db.session, event_id, auth.viewer().actor, form.reason.data.strip())
        except AppError as exc:
            flash(exc.message, "danger")
        else:
            flash(f"活动“{event.title}”已取消，已报名的人会收到通知。", "success")
    return redirect(url_for("console.event_detail", event_id=event_id))


def _direction() -> str:
    direction = request.args.get("direction", "in")
    return direction if direction in ("in", "out") else "in"


@bp.get("/events/<id:event_id>/poster.png")
@auth.requires("events.view")
def event_poster(event_id: int):
    event = event_console.get_event(db.session, auth.viewer(), event_id)
    direction = _direction()
    checkin_codes.ensure_direction(event, direction)
    try:
        image = posters.render_poster(event, direction).data
    except posters.FontUnavailable:
        flash("服务器没有可用的中文字体，无法生成海报，请联系管理员安装 fonts-noto-cjk。", "danger")
        return redirect(url_for("console.event_detail", event_id=event_id))
    name = f"event-{event.id}-{'checkin' if direction == 'in' else 'checkout'}-poster.png"
    return Response(image, mimetype="image/png", headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/events/<id:event_id>/poster.pdf")
@auth.requires("events.view")
def event_poster_pdf(event_id: int):
    event = event_console.get_event(db.session, auth.viewer(), event_id)
    direction = _direction()
    checkin_codes.ensure_direction(event, direction)
    try:
        document = posters.render_poster(event, direction, fmt="pdf").data
    except posters.FontUnavailable:
        flash("服务器没有可用的中文字体，无法生成海报，请联系管理员安装 fonts-noto-cjk。", "danger")
        return redirect(url_for("console.event_detail", event_id=event_id))
    name = f"event-{event.id}-{'checkin' if direction == 'in' else 'checkout'}-poster.pdf"
    return Response(document, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/events/<id:event_id>/wxacode.png")
@auth.requires("events.manage")
def event_wxacode(event_id: int):
    """The printed code as a mini-program code (an admin asked for it: the one WeChat call here)."""
    event = event_console.get_event(db.session, auth.viewer(), event_id)
    image = checkin_codes.miniprogram_code(event, _direction())
    return Response(image, mimetype="image/png", headers={"Content-Disposition": f"attachment; filename=event-{event.id}-wxacode.png"})


@bp.post("/checkins/<id:checkin_id>/hours")
@auth.requires("attendance.correct")
def checkin_hours(checkin_id: int):
    form = HoursForm()
    event_id = request.form.get("event_id", "")
    target = url_for("console.event_attendance", event_id=int(event_id)) if event_id.isdigit() and len(event_id) < 11 else url_for("console.events")
    if not form.validate_on_submit():
        flash(form.error_text(), "danger")
        return redirect(target)
    try:
        event_console.adjust_hours(db.session, auth.viewer(), checkin_id, float(form.hours.data), form.reason.data.strip())
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash("志愿时长已调整。", "success")
    return redirect(target)


@bp.get("/events/<id:event_id>/screen")
@auth.requires("events.manage")
def event_screen(event_id: int):
    event = event_console.get_event(db.session, auth.viewer(), event_id)
    url, _expires = checkin_codes.screen_link_for(event, _direction())
    return redirect(url)


@bp.get("/events/<id:event_id>/attendance")
@auth.requires("attendance.view")
def event_attendance(event_id: int):
    viewer = auth.viewer()
    sheet = event_console.attendance(db.session, viewer, event_id)
    counts = event_console.live_counts(db.session, viewer, event_id)
    return render_template(
        "console/events/attendance.html",
        event=sheet.event,
        sheet=sheet,
        counts=counts,
        poll_seconds=POLL_SECONDS,
        manual_form=ManualCheckinForm(),
        undo_form=ReasonForm(),
    )


@bp.get("/events/<id:event_id>/attendance/live")
@auth.requires("attendance.view")
def event_attendance_live(event_id: int):
    """The fragment htmx swaps in every few seconds: the counts and who has signed in."""
    viewer = auth.viewer()
    sheet = event_console.attendance(db.session, viewer, event_id)
    counts = event_console.live_counts(db.session, viewer, event_id)
    template = "console/events/_live.html" if request.headers.get("HX-Request") else "console/events/attendance.html"
    return render_template(
        template, event=sheet.event, sheet=sheet, counts=counts, poll_seconds=POLL_SECONDS,
        manual_form=ManualCheckinForm(), undo_form=ReasonForm(),
    )


@bp.post("/events/<id:event_id>/attendance/manual")
@auth.requires("attendance.manual")
def event_manual_checkin(event_id: int):
    form = ManualCheckinForm()
    if form.validate_on_submit():
        try:
            result, person = event_console.manual_sign_in(
                db.session, auth.viewer(), event_id, form.employee_no.data, form.direction.data, form.reason.data.strip()
            )
        except AppError as exc:
            db.session.rollback()
            if isinstance(exc, OtherDepartment):  # another department's person: the 403 page, not a flash
                raise
            flash(exc.message, "danger")
        else:
            label = "签到" if form.direction.data == "in" else "签退"
            flash(f"已为 {person.name} 补{label}。" if result.created else f"{person.name} 已有{label}记录，未重复记录。", "success")
    else:
        flash("；".join(error for errors in form.errors.values() for error in errors), "danger")
    return redirect(url_for("console.event_attendance", event_id=event_id))


@bp.post("/checkins/<id:checkin_id>/undo")
@auth.requires("attendance.correct")
def checkin_undo(checkin_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("撤销需要填写原因（不超过 200 字）。", "danger")
        return redirect(request.referrer if request.referrer and "/console/" in request.referrer else url_for("console.events"))
    try:
        event_id = event_console.undo_sign_in(db.session, auth.viewer(), checkin_id, form.reason.data.strip())
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("console.events"))
    flash("记录已撤销，审计日志保留了原记录。", "success")
    return redirect(url_for("console.event_attendance", event_id=event_id))


@bp.get("/events/<id:event_id>/attendance.xlsx")
@auth.requires("attendance.view")
def event_attendance_xlsx(event_id: int):
    data = event_console.attendance_workbook(db.session, auth.viewer(), event_id)
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=event-{event_id}-attendance.xlsx"},
    )

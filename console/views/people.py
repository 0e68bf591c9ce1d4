"""人员: search, filter, paginate; import with a preview; edit; roles; unbind; deactivate."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, session, url_for

from app.errors import AppError
from app.extensions import db
from app.models.org import ROLES
from app.services import people as people_service
from console import auth, bp, security
from console.forms import EmptyForm, ImportForm, PeopleFilterForm, RoleForm, StaffForm
from console.views.events import _page_number

IMPORT_KEY = "console_roster_import"


@bp.get("/people")
@auth.requires("people.view")
def people():
    viewer = auth.viewer()
    departments = people_service.departments(db.session, viewer)
    form = PeopleFilterForm(request.args)
    form.department.choices = {"": "全部部门", **{str(d.id): d.name for d in departments}}
    page, filters = None, {}
    if form.validate():
        filters = {k: v for k, v in request.args.items() if k in ("q", "department", "role", "status") and v}
        department = form.department.data
        page = people_service.search_people(
            db.session,
            viewer,
            q=form.q.data or "",
            department_id=int(department) if department and department.isdigit() else None,
            role=form.role.data or "",
            status=form.status.data or "active",
            page=_page_number(),
        )
    return render_template("console/people/list.html", form=form, page=page, filters=filters, roles=ROLES), 200 if page else 400


def _edit_page(staff, form=None, role_form=None, status=200):
    viewer = auth.viewer()
    form = form or StaffForm(obj=None, data={
        "name": staff.name, "department": staff.department.name, "phone": staff.phone or "", "wecom_userid": staff.wecom_userid or "",
    })
    role_form = role_form or RoleForm()
    role_form.department.choices = {"": "本人所在部门", **{str(d.id): d.name for d in people_service.departments(db.session, viewer)}}
    departments = {d.id: d.name for d in people_service.departments(db.session, viewer)}
    return render_template(
        "console/people/edit.html",
        staff=staff,
        form=form,
        role_form=role_form,
        bound=people_service.is_bound(db.session, staff.id),
        roles=ROLES,
        departments=departments,
        empty=EmptyForm(),
    ), status


@bp.route("/people/<id:staff_id>", methods=["GET", "POST"])
@auth.requires("people.view")
def person(staff_id: int):
    viewer = auth.viewer()
    staff = people_service.get_person(db.session, viewer, staff_id)
    if request.method == "GET":
        return _edit_page(staff)
    if not viewer.can("people.manage"):
        return _edit_page(staff, status=403)
    form = StaffForm()
    if form.validate_on_submit():
        try:
            people_service.update_person(
                db.session, viewer, staff_id, form.name.data, form.department.data, form.phone.data, form.wecom_userid.data
            )
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash("已保存。", "success")
            return redirect(url_for("console.person", staff_id=staff_id))
    staff = people_service.get_person(db.session, viewer, staff_id)
    return _edit_page(staff, form=form, status=400)


@bp.post("/people/<id:staff_id>/roles")
@auth.requires("people.manage")
def person_grant(staff_id: int):
    viewer = auth.viewer()
    form = RoleForm()
    form.department.choices = {"": "", **{str(d.id): d.name for d in people_service.departments(db.session, viewer)}}
    if form.validate_on_submit():
        department = form.department.data
        try:
            people_service.grant(db.session, viewer, staff_id, form.role.data, int(department) if department else None)
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(f"已授予{ROLES[form.role.data]}角色。", "success")
    else:
        flash(form.error_text(), "danger")
    return redirect(url_for("console.person", staff_id=staff_id))


@bp.post("/people/<id:staff_id>/roles/<role>/revoke")
@auth.requires("people.manage")
def person_revoke(staff_id: int, role: str):
    if role not in ROLES:
        flash("角色无效。", "danger")
        return redirect(url_for("console.person", staff_id=staff_id))
    try:
        revoked = people_service.revoke(db.session, auth.viewer(), staff_id, role)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(f"已撤销{ROLES[role]}角色。" if revoked else f"此人没有{ROLES[role]}角色。", "success" if revoked else "info")
    return redirect(url_for("console.person", staff_id=staff_id))


@bp.post("/people/<id:staff_id>/unbind")
@auth.requires("people.manage")
def person_unbind(staff_id: int):
    revoked = people_service.unbind(db.session, auth.viewer(), staff_id)
    if revoked is None:
        flash("此人没有绑定微信账号。", "info")
    else:
        flash(f"已解除绑定，吊销登录令牌 {revoked} 个。", "success")
    return redirect(url_for("console.person", staff_id=staff_id))


@bp.post("/people/<id:staff_id>/deactivate")
@auth.requires("people.manage")
def person_deactivate(staff_id: int):
    if staff_id == auth.viewer().staff_id:
        flash("不能停用自己。", "danger")
    else:
        staff = people_service.set_active(db.session, auth.viewer(), staff_id, False)
        flash(f"已停用 {staff.name}，其记录保留。", "success")
    return redirect(url_for("console.person", staff_id=staff_id))


@bp.post("/people/<id:staff_id>/reactivate")
@auth.requires("people.manage")
def person_reactivate(staff_id: int):
    staff = people_service.set_active(db.session, auth.viewer(), staff_id, True)
    flash(f"已恢复 {staff.name}。", "success")
    return redirect(url_for("console.person", staff_id=staff_id))


@bp.route("/people/import", methods=["GET", "POST"])
@auth.requires("people.manage")
@security.room_for(lambda config: people_service.IMPORT_MAX_BYTES + 1024 * 1024)  # past the limit: a form error, not 413
def people_import():
    form = ImportForm()
    preview = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        preview = people_service.preview_import(db.session, auth.viewer(), upload.filename or "", upload.read())
        session[IMPORT_KEY] = preview.token
        status = 200 if preview.token else 400
    elif form.is_submitted():
        status = 400
    return render_template("console/people/import.html", form=form, preview=preview, confirm=EmptyForm()), status


@bp.post("/people/import/confirm")
@auth.requires("people.manage")
def people_import_confirm():
    token = session.pop(IMPORT_KEY, None) or ""
    try:
        summary = people_service.confirm_import(db.session, auth.viewer(), token)
    except AppError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("console.people_import"))
    flash(
        f"导入完成：新增 {summary.created} 人，更新 {summary.updated} 人，未变 {summary.unchanged} 人，"
        f"新建部门 {summary.departments_created} 个。",
        "success",
    )
    return redirect(url_for("console.people"))


@bp.get("/people/import/template.csv")
@auth.requires("people.manage")
def people_import_template():
    return Response(
        people_service.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=roster-template.csv"},
    )

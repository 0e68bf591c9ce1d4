"""台账: the year's plan with each item's progress, an item's page (targets, owners, evidence,
participation, documents), an event's work items, 道德讲堂 record and 感悟, and the inspection pack
built in the background."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, send_file, url_for

from app.errors import AppError
from app.extensions import db
from app.ledger_plan import AREA_NUMERALS
from app.services import ledger_console
from app.services.ledger import builds
from app.services.ledger.progress import ACHIEVED, HALF_NAMES, IN_PROGRESS, NOT_STARTED
from app.services.ledger.records import SEGMENTS_MAX
from app.timeutil import local_today
from console import auth, bp, security
from console.charts import headcount_bars
from console.forms import EmptyForm
from console.ledger_forms import (
    DocumentForm,
    EventItemsForm,
    EventPhotoForm,
    ItemForm,
    PlanInitForm,
    RecordForm,
    ReflectionPickForm,
)

POLL_SECONDS = 2
STATUS_STYLES = {ACHIEVED: "success", IN_PROGRESS: "warning", NOT_STARTED: "secondary"}
TARGET_TYPES = {"events": "活动", "festivals": "传统节日", "documents": "材料", "hours": "志愿时长", "wishes": "微心愿",
                "broadcasts": "公告和文明提示"}


# ---- the plan ---------------------------------------------------------------------------------------


@bp.get("/ledger")
@auth.requires("ledger.view")
def ledger():
    value = request.args.get("year", "")
    if value and not (value.isdigit() and len(value) == 4):
        flash("年度应为四位数字，如 2026。", "warning")
        return redirect(url_for("console.ledger"))
    year = int(value) if value else local_today().year
    page = ledger_console.plan_page(db.session, auth.viewer(), year)
    return render_template(
        "console/ledger/plan.html", page=page, init_form=PlanInitForm(), export_form=EmptyForm(), half_names=HALF_NAMES,
        styles=STATUS_STYLES, numerals=AREA_NUMERALS, years=range(local_today().year - 3, local_today().year + 2),
        poll_seconds=POLL_SECONDS, stale=bool(page.build and builds.is_stale(page.build)),
    )


@bp.post("/ledger/<int:year>/init")
@auth.requires("ledger.manage")
def ledger_init(year: int):
    form = PlanInitForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "danger")
    else:
        try:
            ledger_console.init_plan(db.session, auth.viewer(), year, copy_previous=form.source.data == "copy")
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(f"{year} 年创建计划已建立。", "success")
    return redirect(url_for("console.ledger", year=year))


# ---- an item ----------------------------------------------------------------------------------------


def _item_form(page) -> ItemForm:
    item = page.item
    targets = [{"count": t.get("count"), "hours": t.get("hours"), "per": t.get("per", "year"), "festivals": t.get("festivals", [])}
               for t in item.targets]
    form = ItemForm(formdata=None, data={"departments": list(item.departments), "evidence_kinds": list(item.evidence_kinds),
                                         "targets": targets})
    return form


def _choices(form: ItemForm, page) -> ItemForm:
    names = list(dict.fromkeys([*page.departments, *page.item.departments]))
    form.departments.choices = {name: name for name in names}
    return form


def _render_item(year: int, number: int, item_form: ItemForm | None = None, document_form: DocumentForm | None = None,
                 status: int = 200):
    page = ledger_console.item_page(db.session, auth.viewer(), year, number)
    progress = page.progress
    return render_template(
        "console/ledger/item.html", page=page, item=page.item, progress=progress,
        item_form=_choices(item_form or _item_form(page), page), document_form=document_form or DocumentForm(),
        delete_form=EmptyForm(), styles=STATUS_STYLES, numerals=AREA_NUMERALS, target_types=TARGET_TYPES,
        chart=headcount_bars(progress.participants, progress.headcount, "各部门参与人数（本年）"),
    ), status


@bp.get("/ledger/<int:year>/items/<int:number>")
@auth.requires("ledger.view")
def ledger_item(year: int, number: int):
    return _render_item(year, number)


@bp.post("/ledger/<int:year>/items/<int:number>")
@auth.requires("ledger.manage")
def ledger_item_edit(year: int, number: int):
    page = ledger_console.item_page(db.session, auth.viewer(), year, number)
    form = _choices(ItemForm(), page)
    if form.validate_on_submit():
        try:
            ledger_console.update_item(
                db.session, auth.viewer(), year, number,
                departments=form.departments.data or [],
                owner_employee_no=(form.owner.data or "").strip() or None,
                clear_owner=form.clear_owner.data,
                targets=form.merged_targets(page.item.targets),
                evidence_kinds=form.evidence_kinds.data or [],
            )
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"第 {number} 项已更新。", "success")
            return redirect(url_for("console.ledger_item", year=year, number=number))
    return _render_item(year, number, item_form=form, status=400)


@bp.post("/ledger/<int:year>/items/<int:number>/documents")
@auth.requires("ledger.manage")
@security.room_for(lambda config: config["LEDGER_DOCUMENT_MAX_BYTES"] + 1024 * 1024)  # past the limit: a form error
def ledger_document_upload(year: int, number: int):
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            document = ledger_console.add_document(
                db.session, auth.viewer(), year, number, kind=form.kind.data, title=form.title.data,
                stream=upload.stream, filename=upload.filename or "", dated=form.dated.data,
            )
        except AppError as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, exc.message]
        else:
            flash(f"材料“{document.title}”已上传。", "success")
            return redirect(url_for("console.ledger_item", year=year, number=number) + "#documents")
    return _render_item(year, number, document_form=form, status=400)


@bp.get("/ledger/<int:year>/items/<int:number>/documents/<id:document_id>")
@auth.requires("ledger.view")
def ledger_document(year: int, number: int, document_id: int):
    from app.services.ledger.documents import document_path

    document = ledger_console.document(db.session, auth.viewer(), year, number, document_id)
    name = f"{document.title}{document.extension}"
    return send_file(document_path(document), mimetype=document.content_type, as_attachment=True, download_name=name,
                     conditional=True, max_age=0)


@bp.post("/ledger/<int:year>/items/<int:number>/documents/<id:document_id>/delete")
@auth.requires("ledger.manage")
def ledger_document_delete(year: int, number: int, document_id: int):
    try:
        document = ledger_console.delete_document(db.session, auth.viewer(), year, number, document_id)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(f"材料“{document.title}”已删除。", "success")
    return redirect(url_for("console.ledger_item", year=year, number=number) + "#documents")


# ---- the inspection pack ----------------------------------------------------------------------------


@bp.post("/ledger/<int:year>/export")
@auth.requires("ledger.manage")
def ledger_export_start(year: int):
    try:
        ledger_console.start_export(db.session, auth.viewer(), year)
    except builds.ExportBusy as exc:
        flash(exc.message, "warning")
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash("已开始生成台账包，完成后可在下方下载。", "success")
    return redirect(url_for("console.ledger", year=year) + "#export")


@bp.get("/ledger/<int:year>/export")
@auth.requires("ledger.manage")
def ledger_export_progress(year: int):
    """The pack's state; htmx swaps this fragment every few seconds while a build runs."""
    if not request.headers.get("HX-Request"):
        return redirect(url_for("console.ledger", year=year) + "#export")
    build = ledger_console.export_state(db.session, auth.viewer(), year)
    return render_template("console/ledger/_export.html", year=year, build=build, export_form=EmptyForm(),
                           poll_seconds=POLL_SECONDS, stale=build is not None and builds.is_stale(build))


@bp.get("/ledger/<int:year>/export.zip")
@auth.requires("ledger.manage")
def ledger_export_download(year: int):
    path = ledger_console.export_file(db.session, auth.viewer(), year)
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=f"台账{year}.zip", max_age=0)


# ---- an event's 台账 panel (on the event page) -------------------------------------------------------


def event_panel_context(event, **forms) -> dict:
    """What the event page's 台账 panel needs; forms passed in (with errors) replace the blank ones."""
    viewer = auth.viewer()
    if not viewer.can("ledger.view"):
        return {"ledger": None}
    panel = ledger_console.event_panel(db.session, viewer, event)
    items_form = forms.get("items_form") or EventItemsForm(formdata=None, data={
        "items": [panel.item_ids[n] for n in panel.items if n in panel.item_ids],
        "festival": next((f for f in panel.items.values() if f), ""),
    })
    items_form.items.choices = {item.id: f"{item.number}. {item.title}" for item in (panel.plan.items if panel.plan else [])}
    record_form = forms.get("record_form")
    if record_form is None and panel.record is not None:
        segments = list(panel.record["segments"])
        rows = segments + [{"name": "", "content": ""}] * min(2, SEGMENTS_MAX - len(segments))
        record_form = RecordForm(formdata=None, data={"host": panel.record["host"], "speaker": panel.record["speaker"],
                                                      "segments": rows})
    return {
        "ledger": panel,
        "items_form": items_form,
        "record_form": record_form,
        "pick_form": forms.get("pick_form") or ReflectionPickForm(formdata=None),
        "photo_form": forms.get("photo_form") or EventPhotoForm(formdata=None),
        "lock_form": EmptyForm(),
    }


def _event_page(event_id: int, **forms):
    from console.views.events import render_event_detail

    return render_event_detail(event_id, status=400, **forms)


def _back(event_id: int):
    return redirect(url_for("console.event_detail", event_id=event_id) + "#ledger")


@bp.post("/events/<id:event_id>/ledger-items")
@auth.requires("ledger.manage")
def event_ledger_items(event_id: int):
    form = EventItemsForm()
    if form.validate_on_submit():
        try:
            items = ledger_console.tag_event(db.session, auth.viewer(), event_id, form.items.data, form.festival.data or None)
        except AppError as exc:
            db.session.rollback()
            form.items.errors = [*form.items.errors, exc.message]
        else:
            flash(f"活动已计入：{'、'.join(f'第 {item.number} 项' for item in items)}。", "success")
            return _back(event_id)
    return _event_page(event_id, items_form=form)


@bp.post("/events/<id:event_id>/record")
@auth.requires("ledger.manage")
def event_record(event_id: int):
    form = RecordForm()
    if form.validate_on_submit():
        try:
            ledger_console.save_record(db.session, auth.viewer(), event_id, (form.host.data or "").strip() or None,
                                       (form.speaker.data or "").strip() or None, form.segment_list())
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash("活动记录已保存。", "success")
            return _back(event_id)
    return _event_page(event_id, record_form=form)


@bp.post("/events/<id:event_id>/record/lock")
@auth.requires("ledger.manage")
def event_record_lock(event_id: int):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            ledger_console.lock_record(db.session, auth.viewer(), event_id)
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash("活动台账已锁定，记录和感悟不能再修改。", "success")
    return _back(event_id)


@bp.post("/events/<id:event_id>/reflections")
@auth.requires("ledger.manage")
def event_reflections_pick(event_id: int):
    form = ReflectionPickForm()
    if form.validate_on_submit():
        try:
            picked = ledger_console.select_reflections(db.session, auth.viewer(), event_id, form.reflections.data)
        except AppError as exc:
            db.session.rollback()
            form.reflections.errors = [*form.reflections.errors, exc.message]
        else:
            flash(f"已选 {len(picked)} 篇感悟入台账。", "success")
            return _back(event_id)
    return _event_page(event_id, pick_form=form)


@bp.post("/events/<id:event_id>/ledger-photos")
@auth.requires("ledger.manage")
@security.room_for(lambda config: config["PHOTO_MAX_BYTES"] + 1024 * 1024)  # a photo from a phone
def event_ledger_photo(event_id: int):
    form = EventPhotoForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            ledger_console.add_event_photo(db.session, auth.viewer(), event_id, (form.title.data or "").strip(),
                                           upload.stream, upload.filename or "")
        except AppError as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, exc.message]
        else:
            flash("照片已上传。", "success")
            return _back(event_id)
    return _event_page(event_id, photo_form=form)


@bp.get("/events/<id:event_id>/ledger-photos/<id:document_id>")
@auth.requires("ledger.view")
def event_ledger_photo_file(event_id: int, document_id: int):
    from app.services.ledger.documents import document_path

    document = ledger_console.event_photo(db.session, auth.viewer(), event_id, document_id)
    return send_file(document_path(document), mimetype=document.content_type, conditional=True, max_age=0)

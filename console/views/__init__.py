"""Console views, one module per section; each registers its routes on ``console.bp``."""

from __future__ import annotations

from flask import g, has_request_context, request

from console import auth, bp, security

NAV_ITEMS = (
    ("console.dashboard", "首页", "dashboard.view", "dashboard"),
    ("console.events", "活动", "events.view", "events"),
    ("console.people", "人员", "people.view", "people"),
    ("console.wishes_list", "微心愿", "wishes.view", "wishes"),
    ("console.notices", "公告", "outbox.view", "notice"),
    ("console.push", "推送", "outbox.view", "push"),
    ("console.schedule", "日程", "schedule.view", "schedule"),
    ("console.ledger", "台账", "ledger.view", "ledger"),
    ("console.selections_list", "评选", "selections.view", "selections"),
    ("console.judging", "评分", "selections.judge", "selections"),
    ("console.pledges_list", "承诺", "pledges.view", "pledges"),
    ("console.inspections", "检查", "inspections.view", "inspections"),
    ("console.rectifications", "整改", "rectifications.view", "rectifications"),
    ("console.audit_log", "审计", "audit.view", "audit"),
)

# endpoint prefix -> the nav section it belongs to
SECTIONS = (
    ("dashboard", "dashboard"), ("event", "events"), ("checkin", "events"),
    ("people", "people"), ("person", "people"), ("audit", "audit"), ("wish", "wishes"), ("push", "push"), ("notice", "notice"), ("schedule", "schedule"),
    ("inspection", "inspections"), ("survey", "inspections"), ("rectification", "rectifications"),
    ("ledger", "ledger"),
    ("selection", "selections"), ("judging", "selections"), ("pledge", "pledges"),
)


@bp.before_request
def _before() -> None:
    # Flask-WTF and Flask-Login cache the token and the user in g, which outlives a request when an app
    # context was pushed before it (tests, scripts): read both from this request's session.
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    security.protect_post()
    auth.check_session_age()


@bp.app_context_processor  # app-wide: the console's error pages are rendered outside its blueprint
def _navigation() -> dict:
    if not has_request_context():  # a template rendered outside a request (a PDF poster)
        return {}
    endpoint = (request.endpoint or "").removeprefix("console.")
    section = next((name for prefix, name in SECTIONS if endpoint.startswith(prefix)), "")
    return {"nav_items": NAV_ITEMS, "current_section": section}


@bp.app_template_filter("local")
def _local(moment, pattern: str = "%Y-%m-%d %H:%M") -> str:
    from app.timeutil import format_local

    return format_local(moment, pattern) if moment else ""


@bp.app_template_filter("hours")
def _hours(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value else "0"


@bp.app_template_filter("message_preview")
def _message_preview(payload: object) -> str:
    """The first characters of an outbox message's text, or its type."""
    if not isinstance(payload, dict):
        return ""
    kind = payload.get("msgtype")
    section = payload.get(kind) if isinstance(kind, str) else None
    content = section.get("content") if isinstance(section, dict) else None
    return content[:60] if isinstance(content, str) else {"image": "[图片]", "news": "[图文]"}.get(kind, f"[{kind}]")

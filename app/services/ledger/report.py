"""The pack's PDFs, rendered by WeasyPrint from Jinja templates with the Noto CJK font (``fonts-noto-cjk``):
``创建工作报告.pdf`` (a cover, an overview with participation and volunteer hours by department as bar
charts, and a page per item: targets against what was done, with dates) and each activity's record
with the selected reflections. Every text is escaped; nothing is fetched from the network."""

from __future__ import annotations

import gc
import logging
from collections import Counter, defaultdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.ledger_plan import AREA_NUMERALS
from app.models import Event, EventRecord, Reflection
from app.models.base import utcnow
from app.services.ledger.progress import ACHIEVED, IN_PROGRESS, NOT_STARTED, ItemProgress, PlanProgress
from app.timeutil import format_local, format_span

# WeasyPrint logs every rendering step at INFO and fontTools every subset; neither helps an operator.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _render(template: str, **context: object) -> bytes:
    from weasyprint import CSS, HTML  # imported on use: it loads Pango, which a web worker rarely needs

    html = _env.get_template(template).render(**context)
    stylesheet = CSS(filename=str(TEMPLATES / "base.css"))
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=[stylesheet])
    # A rendered document is a web of reference cycles (boxes, fonts, HarfBuzz handles) holding a
    # subset CJK font; left to the generational collector, dozens of them pile up during an export.
    gc.collect()
    return pdf


def _share(people: dict[str, int], headcount: dict[str, int]) -> list[tuple[str, float, str]]:
    rows = []
    for name in sorted(headcount, key=lambda n: (-people.get(n, 0), n)):
        count, total = people.get(name, 0), headcount[name]
        rows.append((name, count, f" / {total}（{round(100 * count / total) if total else 0}%）"))
    return rows


def report_pdf(result: PlanProgress, items: list[ItemProgress], scope: str) -> bytes:
    evidence = result.evidence
    documents = defaultdict(list)
    for document in evidence.documents:
        documents[document.item_id].append(document)
    counts = Counter(p.status for p in items)
    wish_months = Counter(day.month for day in evidence.wishes_confirmed)
    return _render(
        "report.html",
        year=result.plan.year,
        scope=scope,
        generated=format_local(utcnow()),
        counts={name: counts.get(name, 0) for name in (ACHIEVED, IN_PROGRESS, NOT_STARTED)},
        items=items,
        numerals=AREA_NUMERALS,
        documents=documents,
        participation=_share(evidence.department_people, evidence.headcount),
        hours=[(name, hours, "") for name, hours in sorted(evidence.department_hours.items(), key=lambda r: -r[1])],
        total_hours=sum(evidence.department_hours.values()),
        wishes=len(evidence.wishes_confirmed),
        wish_months="，".join(f"{month}月 {n} 个" for month, n in sorted(wish_months.items())),
        broadcasts=len(evidence.broadcasts),
        item_participation={p.item.number: _share(p.participants, p.headcount) for p in items},
    )


def record_pdf(event: Event, record: EventRecord | None, reflections: list[Reflection], signins: int) -> bytes:
    return _render(
        "record.html",
        event=event,
        record=record or EventRecord(event_id=event.id, segments=[]),
        reflections=reflections,
        signins=signins,
        when=format_span(event.starts_at, event.ends_at),
    )


def text_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A plain document (a title and paragraphs), e.g. the demo's sample plans."""
    return _render("text.html", title=title, paragraphs=paragraphs)

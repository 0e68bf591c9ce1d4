"""Server-side SVG charts: no script, no third-party library, no inline style (CSP-friendly)."""

from __future__ import annotations

from markupsafe import Markup, escape

from app.services.stats import DepartmentParticipation

ROW = 34
LABEL_WIDTH = 120
BAR_WIDTH = 300
VALUE_WIDTH = 150


def participation_bars(month: list[DepartmentParticipation], year: list[DepartmentParticipation]) -> Markup:
    """Per department: this month's and this year's share of the roster who signed in at least once."""
    by_name = {row.department: row for row in year}
    months = {row.department: row for row in month}
    names = sorted(set(by_name) | set(months), key=lambda n: (-(by_name[n].rate if n in by_name else 0), n))
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * len(names) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="各部门参与率">',
        f'<rect class="bar-month" x="{LABEL_WIDTH}" y="4" width="12" height="10"/><text x="{LABEL_WIDTH + 16}" y="13">本月</text>',
        f'<rect class="bar-year" x="{LABEL_WIDTH + 70}" y="4" width="12" height="10"/><text x="{LABEL_WIDTH + 86}" y="13">本年</text>',
    ]
    for index, name in enumerate(names):
        y = 26 + index * ROW
        m, yr = months.get(name), by_name.get(name)
        m_rate, y_rate = (m.rate if m else 0.0), (yr.rate if yr else 0.0)
        roster = (yr or m).roster
        parts.append(f'<text x="0" y="{y + 16}">{_short(name)}</text>')
        parts.append(f'<rect class="bar-bg" x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH}" height="26"/>')
        parts.append(f'<rect class="bar-month" x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH * min(m_rate, 1):.1f}" height="12"/>')
        parts.append(f'<rect class="bar-year" x="{LABEL_WIDTH}" y="{y + 14}" width="{BAR_WIDTH * min(y_rate, 1):.1f}" height="12"/>')
        text = f"{m_rate:.0%} / {y_rate:.0%}（{roster} 人）"
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 17}">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str) -> str:
    return escape(label if len(label) <= 8 else label[:7] + "…")


def _bars(rows: list[tuple[str, float, str]], aria: str, bar_class: str) -> Markup:
    """One bar per row: (label, share between 0 and 1, the figure written after the bar)."""
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * len(rows) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(aria)}">']
    for index, (label, share, figure) in enumerate(rows):
        y = 4 + index * ROW
        parts.append(f'<text x="0" y="{y + 17}">{_short(label)}</text>')
        parts.append(f'<rect class="bar-bg" x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH}" height="24"/>')
        parts.append(f'<rect class="{bar_class}" x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH * min(share, 1):.1f}" height="24"/>')
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 17}">{escape(figure)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def option_bars(options: list[str], counts: list[int], answered: int) -> Markup:
    """One survey question: per option, the number of people who chose it and their share of those who answered."""
    rows = []
    for option, count in zip(options, counts, strict=True):
        share = count / answered if answered else 0.0
        rows.append((option, share, f"{count} 人（{share:.0%}）"))
    return _bars(rows, "各选项人数", "bar-month")


def headcount_bars(people: dict[str, int], headcount: dict[str, int], label: str = "各部门参与人数") -> Markup:
    """Per department: distinct participants against the roster's headcount, highest share first."""
    rows = []
    for name in set(headcount) | set(people):
        count, total = people.get(name, 0), headcount.get(name, 0)
        rate = count / total if total else 0.0
        rows.append((name, rate, f"{count} / {total} 人（{rate:.0%}）"))
    return _bars(sorted(rows, key=lambda row: (-row[1], row[0])), label, "bar-year")


def signature_bars(rates: list) -> Markup:
    """Per department: the share of its active headcount who signed a pledge (``pledges.DepartmentRate``)."""
    rows = [(r.department, r.rate, f"{r.rate:.0%}（{r.signed}/{r.headcount} 人）")
            for r in sorted(rates, key=lambda r: (-r.rate, r.department))]
    return _bars(rows, "各部门签署率", "bar-signed")

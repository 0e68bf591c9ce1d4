"""评选 voting, jury scores and results.

A vote takes the lowest free numbered slot 1..K of its voter in that selection. Two unique constraints
decide every race on both databases: (selection, voter, entry) — one vote per entry — and
(selection, voter, slot) — never more than K votes, because the service never offers a slot above K.
A losing insert (``ON CONFLICT DO NOTHING``) re-reads and tries the next slot or answers the refusal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.errors import AppError, Conflict, Forbidden
from app.models import (
    Announcement,
    JuryScore,
    Selection,
    SelectionEntry,
    SelectionJudge,
    SelectionResult,
    Staff,
    Vote,
)
from app.models.base import utcnow
from app.models.selection import (
    ENTRY_APPROVED,
    METHOD_JURY,
    METHOD_VOTES,
    PHASE_COUNTING,
    PHASE_VOTING,
    SELECTION_PUBLISHED,
)
from app.services import audit, outbox
from app.services.selections import WrongPhase, entries_statement, get_entry, get_selection
from app.services.sql import insert_ignoring_conflicts
from app.timeutil import format_local


class VotingNotOpen(Conflict):
    code = "voting_not_open"


class AlreadyVoted(Conflict):
    code = "already_voted"
    message = "您已为该对象投过票，投票后不能更改"


class VoteLimitReached(Conflict):
    code = "vote_limit_reached"


class OwnEntry(Forbidden):
    code = "own_entry"
    message = "本次评选不能给自己（或自己的作品、家庭）投票"


class OwnDepartment(Forbidden):
    code = "own_department"
    message = "本次评选不能给本部门的参评对象投票"


class EntryNotApproved(Conflict):
    code = "entry_not_approved"
    message = "该参评对象未通过审核，不能投票"


class NotAJudge(Forbidden):
    code = "not_a_judge"
    message = "您不是本次评选的评委"


class InvalidScore(AppError):
    status_code = 422
    code = "invalid_score"
    message = "评分应为 0–100 的整数"


class ResultsAlreadyPublished(Conflict):
    code = "results_published"
    message = "结果已公布，不能再更改"


class ResultsNotPublished(Conflict):
    code = "results_not_published"
    message = "结果尚未公布"


# ---- voting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastVote:
    id: int
    entry_id: int
    slot: int
    cast_at: datetime
    votes_left: int


def cast_vote(session: Session, selection_id: int, entry_id: int, voter: Staff, now: datetime | None = None) -> CastVote:
    now = now or utcnow()
    selection = get_selection(session, selection_id)
    if selection.phase(now) != PHASE_VOTING:
        raise VotingNotOpen(
            f"不在投票时间内（{format_local(selection.vote_from)} 至 {format_local(selection.vote_until)}）"
        )
    entry = get_entry(session, selection_id, entry_id)
    if entry.status != ENTRY_APPROVED:
        raise EntryNotApproved()
    if selection.forbid_self and entry.staff_id == voter.id:
        raise OwnEntry()
    if selection.forbid_own_department and entry.department_id == voter.department_id:
        raise OwnDepartment()
    limit = selection.votes_per_voter
    for _ in range(limit + 2):  # each lost race means another vote of this voter was just stored
        cast = session.execute(
            select(Vote.entry_id, Vote.slot).where(Vote.selection_id == selection_id, Vote.voter_id == voter.id)
        ).all()
        if any(row.entry_id == entry_id for row in cast):
            raise AlreadyVoted()
        used = {row.slot for row in cast}
        free = [slot for slot in range(1, limit + 1) if slot not in used]
        if not free:
            raise VoteLimitReached(f"每人最多投 {limit} 票，您的票已投完")
        vote_id = insert_ignoring_conflicts(session, Vote, dict(
            selection_id=selection_id, entry_id=entry_id, voter_id=voter.id,
            voter_department_id=voter.department_id, slot=free[0], cast_at=now,
        ))
        if vote_id is not None:
            session.commit()
            return CastVote(vote_id, entry_id, free[0], now, limit - len(used) - 1)
        session.rollback()
    raise VoteLimitReached(f"每人最多投 {limit} 票，您的票已投完")


def my_votes(session: Session, selection_id: int, voter_id: int) -> list[Vote]:
    return list(session.scalars(
        select(Vote).where(Vote.selection_id == selection_id, Vote.voter_id == voter_id).order_by(Vote.slot)
    ))


def votes_for_admin(session: Session, selection_id: int, admin: Staff, entry_id: int | None = None) -> list[tuple[Vote, Staff]]:
    """Who voted for whom: admins only, and every look is written to the audit log."""
    get_selection(session, selection_id, admin=True)
    statement = (
        select(Vote, Staff).join(Staff, Staff.id == Vote.voter_id)
        .where(Vote.selection_id == selection_id).order_by(Vote.cast_at, Vote.id)
    )
    if entry_id is not None:
        statement = statement.where(Vote.entry_id == entry_id)
    shown = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    audit.record(session, audit.Actor.staff(admin.id), "selection.view_votes", "selection", selection_id,
                 entry_id=entry_id, rows=shown)
    session.commit()  # the look is on record before anything is read (and the rows are not expired by it)
    return [(vote, staff) for vote, staff in session.execute(statement.options(joinedload(Staff.department)))]


@dataclass(frozen=True)
class Anomaly:
    entry_id: int
    entry_title: str
    department_id: int
    votes: int
    first_at: datetime
    last_at: datetime


def unusual_patterns(
    session: Session, selection_id: int, *, window: timedelta = timedelta(minutes=10), threshold: int = 10
) -> list[Anomaly]:
    """Bursts: at least ``threshold`` votes for one entry from one department within ``window``."""
    get_selection(session, selection_id, admin=True)
    rows = session.execute(
        select(Vote.entry_id, Vote.voter_department_id, Vote.cast_at, SelectionEntry.title)
        .join(SelectionEntry, SelectionEntry.id == Vote.entry_id)
        .where(Vote.selection_id == selection_id)
        .order_by(Vote.entry_id, Vote.voter_department_id, Vote.cast_at)
    ).all()
    groups: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows:
        groups[(row.entry_id, row.voter_department_id)].append(row)
    found = []
    for (entry_id, department_id), group in groups.items():
        best, start = None, 0
        for end in range(len(group)):
            while group[end].cast_at - group[start].cast_at > window:
                start += 1
            count = end - start + 1
            if count >= threshold and (best is None or count > best[0]):
                best = (count, group[start].cast_at, group[end].cast_at)
        if best:
            found.append(Anomaly(entry_id, group[0].title, department_id, best[0], best[1], best[2]))
    return sorted(found, key=lambda a: -a.votes)


class EntryView:
    """An entry with its vote count, or ``None`` where the viewer may not see counts yet."""

    def __init__(self, entry: SelectionEntry, votes: int | None) -> None:
        self._entry = entry
        self.votes = votes

    def __getattr__(self, name: str):
        return getattr(self._entry, name)


@dataclass(frozen=True)
class Ballot:
    selection: Selection
    entries: list[EntryView]
    my_votes: list[int]
    votes_left: int
    is_judge: bool


def ballot(session: Session, selection_id: int, viewer: Staff) -> Ballot:
    """What a person sees of a selection: approved entries (counts only for admins or once published),
    their own votes and how many they have left. Five queries whatever the number of entries."""
    selection = get_selection(session, selection_id, admin=viewer.is_admin)
    entries = session.scalars(entries_statement(selection_id, approved_only=True)).all()
    show_counts = viewer.is_admin or selection.results_published_at is not None
    counts = dict(session.execute(
        select(Vote.entry_id, func.count()).where(Vote.selection_id == selection_id).group_by(Vote.entry_id)
    ).all()) if show_counts else {}
    mine = [vote.entry_id for vote in my_votes(session, selection_id, viewer.id)]
    is_judge = session.get(SelectionJudge, (selection_id, viewer.id)) is not None
    return Ballot(
        selection=selection,
        entries=[EntryView(entry, counts.get(entry.id, 0) if show_counts else None) for entry in entries],
        my_votes=mine,
        votes_left=max(selection.votes_per_voter - len(mine), 0),
        is_judge=is_judge,
    )


# ---- jury --------------------------------------------------------------------------------------


def appoint_judges(session: Session, selection_id: int, judges: list[Staff], actor: audit.Actor) -> list[Staff]:
    selection = get_selection(session, selection_id, admin=True)
    if selection.results_published_at is not None:
        raise ResultsAlreadyPublished()
    current = {j.staff_id for j in session.scalars(select(SelectionJudge).where(SelectionJudge.selection_id == selection_id))}
    wanted = {j.id for j in judges}
    for staff_id in wanted - current:
        session.add(SelectionJudge(selection_id=selection_id, staff_id=staff_id))
    for judge in session.scalars(select(SelectionJudge).where(
        SelectionJudge.selection_id == selection_id, SelectionJudge.staff_id.in_(current - wanted)
    )):
        session.delete(judge)
    audit.record(session, actor, "selection.judges", "selection", selection_id, judges=sorted(wanted))
    session.commit()
    return judges


def _open_judging(staff_id: int):
    return (
        select(Selection).join(SelectionJudge, SelectionJudge.selection_id == Selection.id)
        .where(SelectionJudge.staff_id == staff_id, Selection.status == SELECTION_PUBLISHED,
               Selection.results_published_at.is_(None))
    )


def judges_open_selections(session: Session, staff_id: int) -> bool:
    """Whether ``staff_id`` is a judge of a published selection whose results are not yet published."""
    return session.scalar(select(_open_judging(staff_id).exists())) or False


def judging_selections(session: Session, staff_id: int) -> list[Selection]:
    """The selections ``staff_id`` judges and may still score, latest voting first."""
    return list(session.scalars(_open_judging(staff_id).order_by(Selection.vote_until.desc(), Selection.id.desc())))


@dataclass(frozen=True)
class ScoreSheet:
    selection: Selection
    entries: list[SelectionEntry]
    scores: dict[int, int]  # entry id -> this judge's score


def score_sheet(session: Session, selection_id: int, judge: Staff) -> ScoreSheet:
    """A judge's page: the approved entries and their own scores (three queries)."""
    selection = get_selection(session, selection_id, admin=True)
    if session.get(SelectionJudge, (selection_id, judge.id)) is None:
        raise NotAJudge()
    entries = list(session.scalars(entries_statement(selection_id, approved_only=True)))
    scores = dict(session.execute(
        select(JuryScore.entry_id, JuryScore.score).where(JuryScore.selection_id == selection_id, JuryScore.judge_id == judge.id)
    ).all())
    return ScoreSheet(selection, entries, scores)


def score_entry(session: Session, selection_id: int, entry_id: int, judge: Staff, score: int) -> JuryScore:
    selection = get_selection(session, selection_id, admin=True)
    if session.get(SelectionJudge, (selection_id, judge.id)) is None:
        raise NotAJudge()
    if selection.results_published_at is not None:
        raise ResultsAlreadyPublished()
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise InvalidScore()
    entry = get_entry(session, selection_id, entry_id)
    if entry.status != ENTRY_APPROVED:
        raise EntryNotApproved("该参评对象未通过审核，不能评分")
    existing = session.scalar(select(JuryScore).where(JuryScore.entry_id == entry_id, JuryScore.judge_id == judge.id))
    if existing is None:
        if insert_ignoring_conflicts(session, JuryScore, dict(
            selection_id=selection_id, entry_id=entry_id, judge_id=judge.id, score=score, scored_at=utcnow(),
        )) is None:  # a concurrent first score by the same judge: keep the later one
            session.rollback()
            return score_entry(session, selection_id, entry_id, judge, score)
    else:
        existing.score = score
    audit.record(session, audit.Actor.staff(judge.id), "selection.score", "selection_entry", entry_id, score=score)
    session.commit()
    return session.scalar(select(JuryScore).where(JuryScore.entry_id == entry_id, JuryScore.judge_id == judge.id))


# ---- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    entry: SelectionEntry
    votes: int
    jury_score: float | None
    score: float
    rank: int
    tied: bool


def _combined(method: str, weight: int, votes: int, most_votes: int, jury: float | None) -> float:
    if method == METHOD_VOTES:
        return float(votes)
    jury_part = jury or 0.0
    if method == METHOD_JURY:
        return round(jury_part, 2)
    vote_part = votes * 100 / most_votes if most_votes else 0.0
    return round(vote_part * weight / 100 + jury_part * (100 - weight) / 100, 2)


def standings(session: Session, selection: Selection) -> list[Standing]:
    """The live ranking of approved entries; equal scores share a rank and are marked as tied."""
    entries = list(session.scalars(
        select(SelectionEntry).where(SelectionEntry.selection_id == selection.id, SelectionEntry.status == ENTRY_APPROVED)
    ))
    votes = dict(session.execute(
        select(Vote.entry_id, func.count()).where(Vote.selection_id == selection.id).group_by(Vote.entry_id)
    ).all())
    jury = dict(session.execute(
        select(JuryScore.entry_id, func.avg(JuryScore.score)).where(JuryScore.selection_id == selection.id)
        .group_by(JuryScore.entry_id)
    ).all())
    most = max(votes.values(), default=0)
    scored = []
    for entry in entries:
        average = None if jury.get(entry.id) is None else round(float(jury[entry.id]), 2)
        scored.append((entry, votes.get(entry.id, 0), average,
                       _combined(selection.result_method, selection.vote_weight, votes.get(entry.id, 0), most, average)))
    scored.sort(key=lambda item: (-item[3], item[0].id))
    counts: dict[float, int] = defaultdict(int)
    for item in scored:
        counts[item[3]] += 1
    result, rank = [], 0
    for position, (entry, count, average, score) in enumerate(scored, start=1):
        if position == 1 or score != scored[position - 2][3]:
            rank = position
        result.append(Standing(entry, count, average, score, rank, counts[score] > 1))
    return result


def publish_results(
    session: Session, selection_id: int, actor: audit.Actor, author: Staff | None = None, now: datetime | None = None
) -> list[SelectionResult]:
    """Freeze the ranking, start the publicity period and announce it to the groups."""
    now = now or utcnow()
    selection = get_selection(session, selection_id, admin=True)
    if selection.results_published_at is not None:
        raise ResultsAlreadyPublished()
    if selection.phase(now) != PHASE_COUNTING:
        raise WrongPhase("投票结束后才能公布结果")
    ranking = standings(session, selection)
    results = [
        SelectionResult(selection_id=selection.id, entry_id=s.entry.id, rank=s.rank, tied=s.tied, votes=s.votes,
                        jury_score=s.jury_score, score=s.score)
        for s in ranking
    ]
    session.add_all(results)
    selection.results_published_at = now
    lines = [f"{s.rank}. {s.entry.title}（{s.entry.department.name}）{_figure(selection, s)}{'（并列）' if s.tied else ''}"
             for s in ranking[:20]]
    content = (
        f"【公示】{selection.title}结果\n" + ("\n".join(lines) or "（无参评对象）") +
        f"\n公示期：{format_local(now, '%Y-%m-%d')} 至 {format_local(selection.publicity_until, '%Y-%m-%d')}，"
        "如有异议请向创建办反映。"
    )
    announcement = Announcement(content=content, author=author)
    session.add(announcement)
    session.flush()
    announcement.group_count = outbox.enqueue_to_groups(session, f"selection:{selection.id}:publicity", outbox.text(content))
    audit.record(session, actor, "selection.publish_results", "selection", selection.id,
                 entries=len(results), announcement_id=announcement.id)
    session.commit()
    return results


def _figure(selection: Selection, standing: Standing | SelectionResult) -> str:
    if selection.result_method == METHOD_VOTES:
        return f" {standing.votes} 票"
    if selection.result_method == METHOD_JURY:
        return f" {standing.score:g} 分"
    return f" 综合 {standing.score:g} 分（{standing.votes} 票）"


def published_results(session: Session, selection: Selection) -> list[SelectionResult]:
    if selection.results_published_at is None:
        raise ResultsNotPublished()
    return list(session.scalars(
        select(SelectionResult).where(SelectionResult.selection_id == selection.id)
        .order_by(SelectionResult.rank, SelectionResult.entry_id)
    ))


def export_results(session: Session, selection_id: int, path: Path | BinaryIO) -> int:
    """The published result list as xlsx (the 台账's evidence for the selection's work item)."""
    from openpyxl import Workbook

    selection = get_selection(session, selection_id, admin=True)
    results = published_results(session, selection)
    book = Workbook()
    sheet = book.active
    sheet.title = "评选结果"
    sheet.append([f"{selection.title}（{selection.kind_label}，{selection.method_label}）"])
    sheet.append([f"公示期：{format_local(selection.results_published_at, '%Y-%m-%d')} 至 "
                  f"{format_local(selection.publicity_until, '%Y-%m-%d')}"])
    sheet.append(["名次", "参评对象", "类别", "部门", "得票", "评委平均分", "综合得分", "并列"])
    for result in results:
        entry = result.entry
        sheet.append([result.rank, entry.title, entry.subject_label, entry.department.name, result.votes,
                      result.jury_score, result.score, "是" if result.tied else ""])
    for column, width in zip("ABCDEFGH", (6, 24, 8, 18, 8, 12, 10, 6), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.print_title_rows = "3:3"
    book.save(path)
    return len(results)


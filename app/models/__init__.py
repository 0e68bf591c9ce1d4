"""All models, imported here so Alembic and the app see one metadata."""

from app.models.account import ApiSession, BindRequest, MiniProgramAccount
from app.models.audit import AuditLog
from app.models.base import Base
from app.models.console import ConsoleCredential
from app.models.events import Checkin, Event, EventRegistration
from app.models.inspection import (
    CheckPoint,
    DepartmentCheck,
    InspectionPhoto,
    InspectionRound,
    InspectionScore,
    Rectification,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRespondent,
    SurveyResponse,
)
from app.models.kv import KeyValue
from app.models.ledger import (
    EventItemLink,
    EventRecord,
    LedgerArea,
    LedgerDocument,
    LedgerExport,
    LedgerItem,
    LedgerPlan,
    Reflection,
)
from app.models.bot import Announcement, InboundMessage
from app.models.messaging import OutboxLease, OutboxMessage, PushTarget
from app.models.org import ROLE_ADMIN, Department, Staff, StaffRole
from app.models.pledge import Pledge, PledgeSignature
from app.models.scheduling import (
    CalendarOverride,
    CivilityTip,
    FestivalSetting,
    ScheduledNotice,
    SchedulerJob,
    TipOfDay,
)
from app.models.selection import (
    JuryScore,
    Selection,
    SelectionEntry,
    SelectionJudge,
    SelectionPhoto,
    SelectionResult,
    Vote,
)
from app.models.wish import Wish, WishClaim, WishPhoto, WishProof, WishTransition

__all__ = [
    "CheckPoint",
    "DepartmentCheck",
    "InspectionPhoto",
    "InspectionRound",
    "InspectionScore",
    "Rectification",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyRespondent",
    "SurveyResponse",
    "Vote",
    "SelectionResult",
    "SelectionPhoto",
    "SelectionJudge",
    "SelectionEntry",
    "Selection",
    "PledgeSignature",
    "Pledge",
    "JuryScore",
    "ROLE_ADMIN",
    "Announcement",
    "ApiSession",
    "AuditLog",
    "Base",
    "BindRequest",
    "Checkin",
    "CalendarOverride",
    "CivilityTip",
    "ConsoleCredential",
    "Department",
    "Event",
    "EventItemLink",
    "EventRecord",
    "EventRegistration",
    "FestivalSetting",
    "InboundMessage",
    "KeyValue",
    "LedgerArea",
    "LedgerDocument",
    "LedgerExport",
    "LedgerItem",
    "LedgerPlan",
    "MiniProgramAccount",
    "OutboxLease",
    "OutboxMessage",
    "PushTarget",
    "Reflection",
    "ScheduledNotice",
    "SchedulerJob",
    "Staff",
    "StaffRole",
    "TipOfDay",
    "Wish",
    "WishClaim",
    "WishPhoto",
    "WishProof",
    "WishTransition",
]

"""ORM models. Importing this package registers every table on `Base.metadata`."""

from models.agency import Agency, AgencyKind
from models.base import Base
from models.case import (
    OPEN_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    CaseEvent,
    CaseNumberCounter,
    CaseStatus,
    ChatPrompt,
    ComplaintCase,
    DayOff,
    Media,
    MessageLink,
    Priority,
    PromptKind,
)
from models.inbox import InboxEvent, InboxStatus
from models.intake import IntakeMark
from models.kpi import (
    CommitteeDecision,
    InnovationType,
    KpiActivity,
    KpiChange,
    KpiIdea,
    KpiIndicator,
    KpiRecord,
)
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from models.person import DashboardLink, Invite, LineGroup, Person, Role
from models.sla import DigestDelivery, JobRun, SlaPolicy, SlaTimer
from models.snapshot import FiguresSnapshot

__all__ = [
    "OPEN_ASSIGNMENT", "Agency", "AgencyKind", "Assignment", "AssignmentStatus", "Base", "CaseEvent",
    "CaseNumberCounter", "CaseStatus", "ChatPrompt", "ComplaintCase", "DashboardLink", "DayOff", "InboxEvent",
    "IntakeMark",
    "FiguresSnapshot", "InboxStatus", "Invite", "LineGroup", "Media", "MessageLink", "OutboxKind", "OutboxMessage", "OutboxStatus", "Person",
    "Priority", "PromptKind", "Role", "DigestDelivery", "JobRun", "SlaPolicy", "SlaTimer",
    "CommitteeDecision", "InnovationType", "KpiActivity", "KpiChange", "KpiIdea", "KpiIndicator", "KpiRecord",
]

"""ORM models. Importing this package registers every table on `Base.metadata`."""

from models.agency import Agency, AgencyKind
from models.base import Base
from models.case import Assignment, CaseEvent, CaseNumberCounter, ComplaintCase, Priority
from models.inbox import InboxEvent, InboxStatus
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from models.person import Invite, LineGroup, Person, Role

__all__ = [
    "Agency", "AgencyKind", "Assignment", "Base", "CaseEvent", "CaseNumberCounter", "ComplaintCase",
    "InboxEvent", "InboxStatus", "Invite", "LineGroup", "OutboxKind", "OutboxMessage",
    "OutboxStatus", "Person", "Priority", "Role",
]

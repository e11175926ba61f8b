"""Complaint cases, their assignments to units, and the event log that is their audit trail."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.agency import Agency
from models.base import Base, BigIntPK, JSONType, TimestampMixin, utcnow


class Priority(StrEnum):
    normal = "normal"
    urgent = "urgent"


class CaseStatus(StrEnum):
    """Where a case stands; it follows its current assignment until the centre closes it."""

    forwarded = "forwarded"  # waiting at the unit
    acknowledged = "acknowledged"  # the unit took it (รับเรื่อง)
    resolved = "resolved"  # the unit reports it done; the centre closes or reopens
    returned = "returned"  # the unit says it is not theirs; the centre re-routes
    closed = "closed"


class AssignmentStatus(StrEnum):
    forwarded = "forwarded"
    acknowledged = "acknowledged"
    resolved = "resolved"
    returned = "returned"  # ไม่ใช่หน่วยงานเรา
    reassigned = "reassigned"  # the centre re-routed the case while this unit held it
    withdrawn = "withdrawn"  # the centre closed the case while this unit held it


# An assignment in these states is the unit's to act on.
OPEN_ASSIGNMENT = frozenset({AssignmentStatus.forwarded, AssignmentStatus.acknowledged})


class CaseNumberCounter(Base):
    """Last number handed out per fiscal year; incremented with UPDATE … RETURNING under a row lock."""

    __tablename__ = "case_number_counter"

    fiscal_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class ComplaintCase(TimestampMixin, Base):
    __tablename__ = "complaint_case"
    __table_args__ = (UniqueConstraint("fiscal_year", "sequence", name="uq_complaint_case_fy_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # "68-00042", shown as #68-00042
    fiscal_year: Mapped[int]  # Buddhist era, e.g. 2568
    sequence: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(500))
    priority: Mapped[str] = mapped_column(String(10), default=Priority.normal)
    status: Mapped[str] = mapped_column(String(20), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    # Personal data (PDPA): never sent in LINE messages; purged after the retention period.
    complainant_name: Mapped[str | None] = mapped_column(String(200))
    complainant_phone: Mapped[str | None] = mapped_column(String(40))
    complainant_email: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    closed_at: Mapped[datetime | None]

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="case", order_by="Assignment.id", lazy="selectin"
    )


class Assignment(TimestampMixin, Base):
    """One forwarding of a case to one unit; its timestamps are the response-time log."""

    __tablename__ = "assignment"
    __table_args__ = (
        Index("ix_assignment_agency_forwarded", "agency_id", "forwarded_at"),
        Index("ix_assignment_forwarded", "forwarded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    forwarded_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(300))
    ack_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    # Response times, fixed when each moment happens (wall clock and business hours), so that
    # percentiles over a million rows are one SQL aggregate: TTA, FRT, TTR of SPEC §5.
    tta_seconds: Mapped[float | None]
    tta_business_seconds: Mapped[float | None]
    frt_seconds: Mapped[float | None]
    frt_business_seconds: Mapped[float | None]
    ttr_seconds: Mapped[float | None]
    ttr_business_seconds: Mapped[float | None]

    case: Mapped[ComplaintCase] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship(lazy="joined")


class CaseEvent(Base):
    """Every message, tap and status change of a case, with who and when."""

    __tablename__ = "case_event"
    __table_args__ = (
        Index("ix_case_event_case_at", "case_id", "at"),
        # A person's latest action (the dashboard's coordinator activity): one index descent.
        Index("ix_case_event_actor_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageLink(Base):
    """A LINE message id that belongs to a case: a card or relay we sent (from `sentMessages`) or a
    message a person sent that was relayed. Quoting any of them answers that case."""

    __tablename__ = "message_link"

    line_message_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptKind(StrEnum):
    reply = "reply"  # ตอบกลับ tapped: the person's messages go to the other side
    result_note = "result_note"  # เสร็จแล้ว tapped: the next text is the result note
    return_reason = "return_reason"  # อื่นๆ chosen as the reason: the next text is the reason


class ChatPrompt(Base):
    """What the account is waiting for from one person in one chat, until it expires. A new prompt
    replaces the old one: a person answers one question at a time."""

    __tablename__ = "chat_prompt"
    __table_args__ = (UniqueConstraint("chat_id", "person_id", name="uq_chat_prompt_chat_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    opened_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Media(Base):
    """An image relayed between the sides. LINE only pushes images by an HTTPS URL, so the
    service serves it at PUBLIC_BASE_URL/media/<token>, fetched from LINE on first request."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    line_message_id: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DayOff(Base):
    """A day the BMA offices are closed beyond the public holidays (an admin adds these)."""

    __tablename__ = "day_off"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

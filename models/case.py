"""Complaint cases, their assignments to units, and the event log that is their audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.agency import Agency
from models.base import Base, BigIntPK, JSONType, TimestampMixin, utcnow


class Priority(StrEnum):
    normal = "normal"
    urgent = "urgent"


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
    __table_args__ = (Index("ix_assignment_agency_forwarded", "agency_id", "forwarded_at"),)

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

    case: Mapped[ComplaintCase] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship(lazy="joined")


class CaseEvent(Base):
    """Every message, tap and status change of a case, with who and when."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

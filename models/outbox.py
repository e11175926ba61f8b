"""Messages to LINE, written with the change that caused them and kept until LINE accepts them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntPK, JSONType, utcnow


class OutboxKind(StrEnum):
    reply = "reply"
    push = "push"


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # LINE refused it for good (4xx other than 409/429), or its retry key aged out


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "available_at"),
        Index("ix_outbox_message_recipient_order", "recipient", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    # User, group or room id: a reply falls back to a push to it when its token is no longer usable.
    recipient: Mapped[str] = mapped_column(String(64))
    reply_token: Mapped[str | None] = mapped_column(String(64))
    reply_token_at: Mapped[datetime | None]  # when LINE issued the token (the event's timestamp)
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # the worker id of the last claim
    # Set when a reply was tried and its outcome is unknown (timeout, crash): see app/pipeline/outbox.py.
    reply_attempted_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    sent_via: Mapped[str | None] = mapped_column(String(10))
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    sent_message_ids: Mapped[list[str] | None] = mapped_column(JSONType)
    inbox_event_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_event.id", ondelete="SET NULL"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_case.id", ondelete="SET NULL"), index=True)
    # A case card: LINE accepting it is the assignment's delivered_at.
    delivers_assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

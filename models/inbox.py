"""Webhook events as LINE delivered them, kept before the 200 and worked off by the inbox worker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntPK, JSONType, utcnow


class InboxStatus(StrEnum):
    pending = "pending"  # waiting (possibly for a retry's backoff, see available_at)
    done = "done"
    dead = "dead"  # failed its last try; kept with the error for a person to look at


class InboxEvent(Base):
    __tablename__ = "inbox_event"
    __table_args__ = (
        Index("ix_inbox_event_due", "status", "available_at"),
        Index("ix_inbox_event_source_order", "source_key", "status", "event_timestamp"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    # The chat the event came from (user, group or room id): events of one chat run in order.
    source_key: Mapped[str] = mapped_column(String(80))
    event_timestamp: Mapped[int] = mapped_column(BigInteger)  # LINE's ms timestamp
    is_redelivery: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(10), default=InboxStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # the worker id of the last claim
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

"""What each web process (replica) has stored of the webhook requests it received: its intake mark
(app/pipeline/intake.py), read by the inbox's claim."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class IntakeMark(Base):
    __tablename__ = "intake_mark"

    replica_id: Mapped[str] = mapped_column(String(100), primary_key=True)  # one row per live web process
    # Every webhook request this replica received before this instant is stored (or was refused).
    stored_before: Mapped[datetime]
    # When the replica last published; a mark not updated for INTAKE_MARK_STALE_SECONDS is a
    # replica that is gone, and nobody waits for it.
    updated_at: Mapped[datetime]

"""SLA policies, the reminder timers each assignment gets, scheduled job runs and digest deliveries:
the ledgers that make every reminder, escalation and digest happen exactly once, whichever
replica or scheduler gets there first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.agency import Agency
from models.base import Base, BigIntPK, TimestampMixin, utcnow


class SlaPolicy(TimestampMixin, Base):
    """Deadlines for cases of one priority, for one unit and/or category or for all. The most
    specific policy applies: unit and category, then unit, then category, then the default
    (SPEC §5 defaults, from settings, when no row matches)."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("priority", "scope_key", name="uq_sla_policy_priority_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[str] = mapped_column(String(10))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    category: Mapped[str | None] = mapped_column(String(100))
    # "<agency id or *>|<category or *>": one row per scope, enforced by the database (a unique
    # constraint over nullable columns would let two default rows in).
    scope_key: Mapped[str] = mapped_column(String(150))
    ack_seconds: Mapped[float]
    ack_business: Mapped[bool]  # counted in business hours (else wall clock)
    resolve_seconds: Mapped[float]
    resolve_business: Mapped[bool]
    updated_by: Mapped[str | None] = mapped_column(String(100))

    agency: Mapped[Agency | None] = relationship(lazy="joined")


class SlaTimer(Base):
    """One reminder (50 %, 80 %) or escalation (100 %: breach) of one deadline of one assignment.
    Claimed by setting `fired_at` in the transaction that writes its messages: it acts once."""

    __tablename__ = "sla_timer"
    __table_args__ = (
        UniqueConstraint("assignment_id", "deadline", "threshold", "due_at", name="uq_sla_timer_once"),
        Index("ix_sla_timer_pending", "fire_at", postgresql_where=text("fired_at IS NULL"),
              sqlite_where=text("fired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    deadline: Mapped[str] = mapped_column(String(10))  # "ack" | "resolve"
    threshold: Mapped[int]  # per cent of the allowed time: 50, 80, 100
    due_at: Mapped[datetime]  # the deadline it belongs to (a reopened case gets a new one)
    fire_at: Mapped[datetime]  # when it acts; quiet hours moved it to office hours if so
    fired_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))  # sent | not_needed | superseded


class JobRun(Base):
    """A scheduled job's run for one tick. The first replica to insert the row runs the job."""

    __tablename__ = "job_run"

    job: Mapped[str] = mapped_column(String(50), primary_key=True)
    tick: Mapped[str] = mapped_column(String(40), primary_key=True)  # "2026-11-24T08:30" / "2026-W48"
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    runner: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str | None] = mapped_column(Text)


class DigestDelivery(Base):
    """A digest sent to one person for one period (daily 2026-11-24, weekly 2026-W48)."""

    __tablename__ = "digest_delivery"
    __table_args__ = (UniqueConstraint("person_id", "period", "period_key", name="uq_digest_delivery_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))  # daily | weekly
    period_key: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

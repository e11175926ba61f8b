"""Evidence for the BMA innovation KPI (SPEC §7, the seed record): per unit and fiscal year, the
ideas of Form 1, the selection of Form 2, Forms 3–4 and the committee, the activities of step 4,
Form 5 and the innovation's indicators. Every change is kept in `kpi_change` with who and when.

Dates here are calendar dates (what the forms carry), in Asia/Bangkok.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.agency import Agency
from models.base import Base, BigIntPK, JSONType, TimestampMixin, utcnow


class InnovationType(StrEnum):
    policy = "policy"  # นวัตกรรมเชิงนโยบาย
    service = "service"  # นวัตกรรมการบริการ
    organization = "organization"  # นวัตกรรมการบริหาร/องค์กร


class CommitteeDecision(StrEnum):
    approved = "approved"  # เห็นชอบ
    revise = "revise"  # ให้ปรับแก้
    rejected = "rejected"  # ไม่เห็นชอบ


class KpiRecord(TimestampMixin, Base):
    """One unit's innovation KPI for one fiscal year: the steps' dates and decisions."""

    __tablename__ = "kpi_record"
    __table_args__ = (UniqueConstraint("agency_id", "fiscal_year", name="uq_kpi_record_agency_fy"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    fiscal_year: Mapped[int]  # Buddhist era, e.g. 2564
    innovation_title: Mapped[str | None] = mapped_column(String(500))
    innovation_type: Mapped[str | None] = mapped_column(String(20))
    # Step 2 — Form 2: who chose the one idea (KpiIdea.selected) and when
    selected_by: Mapped[str | None] = mapped_column(String(200))
    selected_on: Mapped[date | None] = mapped_column(Date)
    # Step 3 — Forms 3 and 4 to สำนักงาน ก.ก., and the BMA innovation committee
    form3_submitted_on: Mapped[date | None] = mapped_column(Date)
    form4_submitted_on: Mapped[date | None] = mapped_column(Date)
    committee_presented_on: Mapped[date | None] = mapped_column(Date)
    committee_decision: Mapped[str | None] = mapped_column(String(20))
    committee_decided_on: Mapped[date | None] = mapped_column(Date)
    revision_done_on: Mapped[date | None] = mapped_column(Date)
    # Step 4 — evidence of the activities sent to สำนักงาน ก.ก.
    evidence_sent_on: Mapped[date | None] = mapped_column(Date)
    # Step 5 — Form 5: the utilization survey, approved by the unit's executives
    form5_survey_done_on: Mapped[date | None] = mapped_column(Date)
    form5_approved_on: Mapped[date | None] = mapped_column(Date)
    # The LINE-channel innovation takes its results from the service's own data (SPEC §7)
    live_results: Mapped[bool] = mapped_column(default=False)
    baseline_tta_seconds: Mapped[float | None]  # median time to acknowledge before LINE

    agency: Mapped[Agency] = relationship(lazy="joined")
    ideas: Mapped[list[KpiIdea]] = relationship(back_populates="record", order_by="KpiIdea.id", lazy="selectin")
    activities: Mapped[list[KpiActivity]] = relationship(order_by="KpiActivity.id", lazy="selectin")
    indicators: Mapped[list[KpiIndicator]] = relationship(order_by="KpiIndicator.id", lazy="selectin")


class KpiIdea(TimestampMixin, Base):
    """Step 1 — one Form 1: an idea from the unit's staff."""

    __tablename__ = "kpi_idea"
    # Form 2 selects exactly one idea: the database holds at most one selected per record.
    __table_args__ = (Index("uq_kpi_idea_one_selected", "record_id", unique=True,
                            postgresql_where=text("selected"), sqlite_where=text("selected")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("kpi_record.id", ondelete="CASCADE"), index=True)
    proposer: Mapped[str] = mapped_column(String(200))
    submitted_on: Mapped[date] = mapped_column(Date)
    problem: Mapped[str] = mapped_column(Text)
    idea: Mapped[str] = mapped_column(Text)
    innovation_type: Mapped[str] = mapped_column(String(20))
    selected: Mapped[bool] = mapped_column(default=False)

    record: Mapped[KpiRecord] = relationship(back_populates="ideas")


class KpiActivity(TimestampMixin, Base):
    """Step 4 — an activity of the project as planned, and when it was done."""

    __tablename__ = "kpi_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("kpi_record.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    planned_start: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class KpiIndicator(TimestampMixin, Base):
    """An indicator of the innovation's results (step 5), with its target and baseline. For a
    live-results record the service measures `achieved` itself; otherwise the unit reports it."""

    __tablename__ = "kpi_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("kpi_record.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str | None] = mapped_column(String(50))  # "%", "ชั่วโมง", …
    target: Mapped[float]
    baseline: Mapped[float | None]
    achieved: Mapped[float | None]
    higher_is_better: Mapped[bool] = mapped_column(default=True)


class KpiChange(Base):
    """Who changed what in a unit's KPI evidence, and when: the audit trail."""

    __tablename__ = "kpi_change"
    __table_args__ = (Index("ix_kpi_change_record_at", "record_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("kpi_record.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    what: Mapped[str] = mapped_column(String(50))  # record | idea | activity | indicator | import
    item_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(20))  # create | update | delete
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

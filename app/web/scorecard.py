"""The innovation-KPI scorecard per unit (SPEC §7) for one fiscal year: level, parts and which
forms are in. Only units with a record are scored (app.services.kpi.evaluate); the rest read
"ยังไม่มีข้อมูล" without a query each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import DomainError
from app.fiscal import thai_date_short
from app.services import kpi, kpi_rubric
from app.services.kpi_rubric import CRITERIA
from app.services.kpi_score import Score
from app.web.filters import Filters
from models import Agency, CommitteeDecision, KpiRecord

NO_DATA = "ยังไม่มีข้อมูล"
DECISION_TH = {CommitteeDecision.approved: "เห็นชอบ", CommitteeDecision.revise: "ให้ปรับแก้",
               CommitteeDecision.rejected: "ไม่เห็นชอบ"}


@dataclass(frozen=True)
class Evidence:
    label: str
    done: bool
    detail: str


@dataclass(frozen=True)
class KpiRow:
    code: str
    name_th: str
    kind: str
    score: Score | None  # None: no record for the year, or it could not be scored (see `problem`)
    evidence: list[Evidence]
    problem: str | None = None


@dataclass(frozen=True)
class Scorecard:
    fiscal_year: int
    as_of: date
    rows: list[KpiRow]
    part_max: dict[int, Decimal]  # the rubric's full points of each part
    total_max: Decimal


async def scorecard(session: AsyncSession, f: Filters, *, today: date, settings: Settings) -> Scorecard:
    stmt = select(Agency).where(Agency.active.is_(True)).order_by(Agency.code)
    if f.agency_kind is not None:
        stmt = stmt.where(Agency.kind == f.agency_kind)
    units = list((await session.scalars(stmt)).all())
    records = {r.agency_id: r for r in (await session.scalars(
        select(KpiRecord).where(KpiRecord.fiscal_year == f.fy))).all()}
    rubric = kpi_rubric.load(settings.kpi_rubric_path)
    part_max = {part: sum((p for key, p in rubric.points.items() if CRITERIA[key] == part), Decimal(0))
                for part in sorted(set(CRITERIA.values()))}
    rows = []
    for unit in units:
        record = records.get(unit.id)
        if record is None:
            rows.append(KpiRow(unit.code, unit.name_th, unit.kind, None, []))
            continue
        evidence = _evidence(record, minimum=rubric.minimum_for(unit.kind))
        try:
            result = await kpi.evaluate(session, agency=unit, fiscal_year=f.fy, as_of=today, settings=settings)
        except (DomainError, kpi_rubric.RubricError) as exc:
            rows.append(KpiRow(unit.code, unit.name_th, unit.kind, None, evidence,
                               problem=getattr(exc, "message", str(exc))))
            continue
        rows.append(KpiRow(unit.code, unit.name_th, unit.kind, result.score, evidence))
    # Scored units first, highest level first; then those that could not be scored; then the rest.
    rows.sort(key=lambda r: (0, -r.score.level, r.code) if r.score else (1 if r.problem else 2, 0, r.code))
    return Scorecard(fiscal_year=f.fy, as_of=today, rows=rows, part_max=part_max,
                     total_max=sum(part_max.values(), Decimal(0)))


def _on(day: date | None, missing: str = "ยังไม่ส่ง") -> str:
    return thai_date_short(day) if day else missing


def _evidence(record: KpiRecord, *, minimum: int) -> list[Evidence]:
    ideas = len(record.ideas)
    selected = next((i for i in record.ideas if i.selected), None)
    decision = record.committee_decision
    committee_done = decision == CommitteeDecision.approved or (
        decision == CommitteeDecision.revise and record.revision_done_on is not None)
    committee = DECISION_TH.get(decision, "ยังไม่นำเสนอ") if decision else (
        f"นำเสนอ {_on(record.committee_presented_on)}" if record.committee_presented_on else "ยังไม่นำเสนอ")
    if decision == CommitteeDecision.revise:
        committee += f" · ปรับแก้แล้ว {_on(record.revision_done_on)}" if record.revision_done_on else " · ยังไม่ปรับแก้"
    done_activities = sum(1 for a in record.activities if a.done_on)
    activities = f"{done_activities}/{len(record.activities)} กิจกรรม"
    if record.evidence_sent_on:
        activities += f" · ส่งหลักฐาน {_on(record.evidence_sent_on)}"
    return [
        Evidence("แบบฟอร์ม 1", ideas >= minimum, f"{ideas} ความคิด (ขั้นต่ำ {minimum})"),
        Evidence("แบบฟอร์ม 2", selected is not None,
                 f"คัดเลือกแล้ว {_on(record.selected_on, '')}".strip() if selected else "ยังไม่คัดเลือก"),
        Evidence("แบบฟอร์ม 3", record.form3_submitted_on is not None, _on(record.form3_submitted_on)),
        Evidence("แบบฟอร์ม 4", record.form4_submitted_on is not None, _on(record.form4_submitted_on)),
        Evidence("คณะกรรมการ", committee_done, committee),
        Evidence("ขั้นตอนที่ 4", bool(record.activities) and done_activities == len(record.activities)
                 and record.evidence_sent_on is not None, activities),
        Evidence("แบบฟอร์ม 5", record.form5_approved_on is not None,
                 f"เห็นชอบ {_on(record.form5_approved_on)}" if record.form5_approved_on else "ยังไม่ส่ง"),
    ]

"""The innovation KPI of one unit and fiscal year, as of a day: its evidence scored by the rubric,
with the LINE channel's own measured results where the record says so (SPEC §7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import fiscal
from app.config import Settings
from app.errors import InvalidInput, NotFound
from app.services import kpi_report, kpi_results, kpi_rubric, kpi_score
from app.services.kpi_score import LiveResults, Score
from models import Agency, KpiRecord


@dataclass(frozen=True)
class Evaluation:
    record: KpiRecord
    score: Score
    progress: list[tuple[int, Score]]  # cumulative, at the end of each quarter begun by `as_of`


def check_fiscal_year(fiscal_year: int) -> None:
    if not 2500 <= fiscal_year <= 2700:
        raise InvalidInput(f"ปีงบประมาณ {fiscal_year} ไม่ใช่ปีพุทธศักราช (เช่น 2564)", fiscal_year=fiscal_year)


async def evaluate(session: AsyncSession, *, agency: Agency, fiscal_year: int, as_of: date,
                   settings: Settings) -> Evaluation:
    check_fiscal_year(fiscal_year)
    record = await session.scalar(select(KpiRecord).where(KpiRecord.agency_id == agency.id,
                                                          KpiRecord.fiscal_year == fiscal_year))
    if record is None:
        raise NotFound(f"ยังไม่มีหลักฐานตัวชี้วัดนวัตกรรมของ{agency.name_th} ปีงบประมาณ {fiscal_year}",
                       agency=agency.code, fiscal_year=fiscal_year)
    rubric = kpi_rubric.load(settings.kpi_rubric_path)
    first, last = fiscal.fiscal_year_bounds(fiscal_year)
    as_of = min(as_of, last)
    days = {as_of} | {min(fiscal.quarter_bounds(fiscal_year, q)[1], as_of) for q in (1, 2, 3, 4)}
    results: dict[date, LiveResults | None] = {}
    for day in sorted(days):
        results[day] = (await kpi_results.live_results(
            session, fiscal_year=fiscal_year, as_of=day, baseline_tta_seconds=record.baseline_tta_seconds,
            settings=settings) if record.live_results and day >= first else None)
    score = kpi_score.score(record, rubric=rubric, results=results[as_of], as_of=as_of)
    begun = [q for q in (1, 2, 3, 4) if fiscal.quarter_bounds(fiscal_year, q)[0] <= as_of]
    progress = [(q, s) for q, s in kpi_score.progress(record, rubric=rubric,
                                                      results_at=lambda day: results.get(min(day, as_of)))
                if q in begun]
    return Evaluation(record=record, score=score, progress=progress)


async def quarterly_report(session: AsyncSession, *, agency: Agency, fiscal_year: int, quarter: int,
                           settings: Settings) -> str:
    """The quarter's progress entry in Thai, scored as of the quarter's end (or today, if sooner)."""
    check_fiscal_year(fiscal_year)
    _, quarter_end = fiscal.quarter_bounds(fiscal_year, quarter)
    result = await evaluate(session, agency=agency, fiscal_year=fiscal_year,
                            as_of=min(quarter_end, settings.today()), settings=settings)
    return kpi_report.quarterly_text(result.record, result.score, quarter, result.progress)


async def level_to_date(session: AsyncSession, *, agency: Agency, today: date, settings: Settings) -> Score | None:
    """The unit's score so far in the current fiscal year, or None before any evidence is recorded."""
    try:
        return (await evaluate(session, agency=agency, fiscal_year=fiscal.fiscal_year(today), as_of=today,
                               settings=settings)).score
    except NotFound:
        return None

"""The LINE channel innovation's results, measured from the service's own data (SPEC §7, step 5):
how many units have a coordinator on LINE, how many assignments were acknowledged within the SLA,
and the median time to acknowledge against the pre-LINE baseline — each up to a date within a
fiscal year, and as a share of its target."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import fiscal
from app.config import Settings
from app.services import metrics
from app.services.kpi_score import LiveResults, Measure
from models import Agency, Person, Role

COVERAGE_TARGET = 100.0  # per cent of units with an active coordinator
ACK_TARGET = 80.0  # per cent of assignments acknowledged within the SLA


async def live_results(session: AsyncSession, *, fiscal_year: int, as_of: date, baseline_tta_seconds: float | None,
                       settings: Settings) -> LiveResults:
    first, last = fiscal.fiscal_year_bounds(fiscal_year)
    until = min(as_of, last)
    start = datetime.combine(first, time(), tzinfo=settings.tz)
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=settings.tz)  # the whole of `until`
    return LiveResults(
        coverage=await _coverage(session, at=end),
        **_response(await metrics.response_times(session, start=start, end=max(end, start + timedelta(seconds=1)),
                                                 now=end), baseline_tta_seconds),
    )


async def _coverage(session: AsyncSession, *, at: datetime) -> Measure:
    """Units (all but the centre) with at least one coordinator registered by `at` and not
    deactivated by then."""
    units = await session.scalar(select(func.count()).select_from(Agency)
                                 .where(Agency.active.is_(True), Agency.code != "CENTRE"))
    covered = await session.scalar(
        select(func.count(func.distinct(Person.agency_id))).where(
            Person.role == Role.coordinator, Person.registered_at < at,
            or_(Person.deactivated_at.is_(None), Person.deactivated_at >= at)))
    percent = 100.0 * covered / units if units else 0.0
    return Measure(key="coverage", name_th="สัดส่วนหน่วยงานที่มีผู้ประสานงานใน LINE", achieved=round(percent, 2),
                   target=COVERAGE_TARGET, unit="%", share=min(1.0, percent / COVERAGE_TARGET))


def _response(result: metrics.ResponseTimes, baseline: float | None) -> dict[str, Measure]:
    ack = result.total.sla.acknowledge_percent
    ack_measure = Measure(key="ack_within_sla", name_th="สัดส่วนเรื่องที่รับเรื่องภายในเวลาที่กำหนด",
                          achieved=None if ack is None else round(ack, 2), target=ACK_TARGET, unit="%",
                          share=0.0 if ack is None else min(1.0, ack / ACK_TARGET))
    median = result.total.tta.p50_business_seconds
    if baseline is None or baseline <= 0 or median is None:
        share = 0.0
    else:  # full at half the baseline or less, nothing at the baseline or more, linear between
        target = baseline / 2
        share = 1.0 if median <= target else max(0.0, (baseline - median) / (baseline - target))
    tta_measure = Measure(key="median_tta", name_th="ค่ามัธยฐานเวลารับเรื่อง (ชั่วโมงทำการ) เทียบกับก่อนใช้ LINE",
                          achieved=None if median is None else round(median / 3600, 2),
                          target=round(baseline / 2 / 3600, 2) if baseline else 0.0, unit="ชั่วโมง", share=share)
    return {"ack_within_sla": ack_measure, "median_tta": tta_measure}

"""Admin API for response-time metrics (SPEC §5, §8)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from app.api.deps import AdminDep, SessionDep, SettingsDep, Storable, agency_query, moment_query
from app.api.schemas import ResponseTimesOut
from app.services import agencies, metrics

router = APIRouter(prefix="/api/v1/metrics", dependencies=[AdminDep], tags=["metrics"])

_MOMENT = "a date (2026-11-01, a whole day in the service's time zone) or a date-time with offset"


@router.get("/response-times", response_model=ResponseTimesOut)
async def response_times(
    session: SessionDep,
    settings: SettingsDep,
    from_: Storable | None = moment_query(f"{_MOMENT}; default: 30 days before `to`", alias="from"),
    to: Storable | None = moment_query(f"{_MOMENT}; a date includes that day; default: now"),
    agency: Storable | None = agency_query("code, name or alias of one unit; default: every unit"),
):
    """Per unit and in total, over the assignments forwarded in the period: counts, p50/p90 of TTA,
    FRT and TTR (wall-clock and business seconds), and SLA compliance."""
    now = datetime.now(UTC)
    start, end = metrics.parse_period(from_, to, tz=settings.tz, now=now)
    agency_id = (await agencies.resolve(session, agency)).id if agency else None
    result = await metrics.response_times(session, start=start, end=end, agency_id=agency_id, now=now)
    return ResponseTimesOut(from_=result.start.astimezone(settings.tz), to=result.end.astimezone(settings.tz),
                            units=result.units, total=result.total)

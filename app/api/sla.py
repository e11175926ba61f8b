"""Admin API for SLA policies, extra days off and the business calendar (SPEC §5)."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Response, status

from app import fiscal
from app.api.deps import AdminDep, FiscalYear, RowId, SessionDep, SettingsDep
from app.api.schemas import CalendarOut, DayOffIn, HolidayOut, SlaPolicyIn, SlaPolicyOut
from app.errors import NotFound
from app.services import agencies, business_calendar, sla

router = APIRouter(prefix="/api/v1", dependencies=[AdminDep], tags=["sla"])


@router.get("/sla/policies", response_model=list[SlaPolicyOut])
async def list_policies(session: SessionDep):
    """The policies an admin has set; where none matches, the defaults of SPEC §5 apply."""
    return await sla.list_policies(session)


@router.put("/sla/policies", response_model=SlaPolicyOut)
async def set_policy(body: SlaPolicyIn, session: SessionDep):
    """Create or replace the policy of one scope (priority × unit × category). It applies to
    deadlines that start from now on."""
    agency = await agencies.resolve(session, body.agency) if body.agency else None
    policy = await sla.set_policy(
        session, priority=body.priority, agency=agency, category=body.category, updated_by="api",
        terms=sla.Terms(body.ack_seconds, body.ack_business, body.resolve_seconds, body.resolve_business))
    await session.commit()
    await session.refresh(policy)
    return policy


@router.delete("/sla/policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_policy(policy_id: RowId, session: SessionDep) -> Response:
    await sla.delete_policy(session, policy_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/calendar/{fiscal_year}", response_model=CalendarOut)
async def get_calendar(fiscal_year: FiscalYear, session: SessionDep, settings: SettingsDep):
    """A Thai fiscal year (B.E., e.g. 2570 = 1 Oct 2026 – 30 Sep 2027): its holidays and days off,
    and how many business days it has."""
    first, last = fiscal.fiscal_year_bounds(fiscal_year)
    calendar = await business_calendar.load(session, settings)
    days = sum(calendar.is_business_day(first + timedelta(days=i)) for i in range((last - first).days + 1))
    return CalendarOut(fiscal_year=fiscal_year, first_day=first, last_day=last,
                       office_hours=f"{settings.office_opens}–{settings.office_closes}", business_days=days,
                       holidays=[HolidayOut(day=h.day, name=h.name, source=h.source)
                                 for h in calendar.holidays_between(first, last)])


@router.put("/calendar/days-off/{day}", response_model=HolidayOut)
async def add_day_off(day: date, body: DayOffIn, session: SessionDep):
    """An extra day the offices are closed (a cabinet-declared holiday the package doesn't know yet)."""
    row = await business_calendar.add_day_off(session, day=day, name=body.name, created_by="api")
    await session.commit()
    return HolidayOut(day=row.day, name=row.name, source="extra")


@router.delete("/calendar/days-off/{day}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_day_off(day: date, session: SessionDep) -> Response:
    if not await business_calendar.remove_day_off(session, day=day):
        raise NotFound(f"{day.isoformat()} is not an extra day off")
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

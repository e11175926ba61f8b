"""Admin API for cases (SPEC §4, §8): forward, list, read, timeline, re-route, close, reopen.

The API acts as the complaints centre (the bearer of ADMIN_API_TOKEN): actions are logged with no
person and `via: api`, and the unit hears about them in LINE exactly as if typed in chat.
Complainant contact is returned here, and only here (centre and admin).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from app import flows
from app.api.deps import AdminDep, CaseNumber, SessionDep, SettingsDep, Storable, agency_query, moment_query
from app.api.schemas import (
    AgencyRef,
    AssignmentOut,
    CaseEventOut,
    CaseIn,
    CaseOut,
    CasePageOut,
    CaseSummaryOut,
    CloseIn,
    ComplainantOut,
    ReassignIn,
    ReopenIn,
)
from app.services import agencies, business_calendar, cases, metrics
from models import Agency, CaseStatus, ComplaintCase, Person

router = APIRouter(prefix="/api/v1/cases", dependencies=[AdminDep], tags=["cases"])

MAX_PAGE = 1_000_000  # keeps the offset, page × per_page, inside a 32-bit integer


@router.post("", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
async def create_case(body: CaseIn, session: SessionDep, settings: SettingsDep):
    now = datetime.now(UTC)
    agency = await agencies.resolve(session, body.agency)
    complainant = cases.Complainant(**body.complainant.model_dump()) if body.complainant else None
    assignment = await cases.forward(
        session, agency=agency, title=body.title, detail=body.detail, category=body.category,
        location=body.location, priority=body.priority, external_ref=body.external_ref, complainant=complainant,
        actor=None, at=now, calendar=await business_calendar.load(session, settings), settings=settings)
    chats = await flows.announce(session, settings, case=assignment.case, assignment=assignment, now=now)
    await session.commit()
    return _case_out(assignment.case, notified_chats=chats)


@router.get("", response_model=CasePageOut)
async def list_cases(
    session: SessionDep, settings: SettingsDep,
    agency: Storable | None = agency_query("cases ever forwarded to this unit (code, name or alias)"),
    status_: CaseStatus | None = Query(None, alias="status"),
    from_: Storable | None = moment_query("created from: a date or a date-time with offset", alias="from"),
    to: Storable | None = moment_query("created before: a date (inclusive) or a date-time with offset"),
    overdue: bool = Query(False, description="only cases with an open assignment past a deadline now"),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    per_page: int = Query(50, ge=1, le=500),
):
    now = datetime.now(UTC)
    start = end = None
    if from_ or to:
        start, end = metrics.parse_period(from_, to, tz=settings.tz, now=now)
    flt = cases.CaseFilter(
        agency_id=(await agencies.resolve(session, agency)).id if agency else None,
        status=status_, start=start, end=end, overdue_at=now if overdue else None)
    items, total = await cases.search(session, flt, offset=(page - 1) * per_page, limit=per_page)
    return CasePageOut(items=[_summary(c) for c in items], total=total, page=page, per_page=per_page)


@router.get("/{number}", response_model=CaseOut)
async def get_case(number: CaseNumber, session: SessionDep):
    return _case_out(await cases.get_by_number(session, number))


@router.get("/{number}/timeline", response_model=list[CaseEventOut])
async def get_timeline(number: CaseNumber, session: SessionDep):
    case = await cases.get_by_number(session, number)
    events = await cases.timeline(session, case)
    people = {p.id: p for p in (await session.scalars(
        select(Person).where(Person.id.in_({e.actor_id for e in events if e.actor_id})))).all()}
    by_assignment = {a.id: a.agency for a in case.assignments}
    return [CaseEventOut(at=e.at, kind=e.kind, data=e.data,
                         actor=(people[e.actor_id].display_name or "-") if e.actor_id in people else None,
                         agency=_agency_ref(by_assignment.get(e.assignment_id)))
            for e in events]


@router.post("/{number}/reassign", response_model=CaseOut)
async def reassign_case(number: CaseNumber, body: ReassignIn, session: SessionDep, settings: SettingsDep):
    now = datetime.now(UTC)
    case = await cases.get_by_number(session, number, lock=True)
    agency = await agencies.resolve(session, body.agency)
    previous, new = await cases.reassign(session, case=case, agency=agency, actor=None, note=body.note, at=now,
                                         calendar=await business_calendar.load(session, settings), settings=settings)
    chats = await flows.reassigned(session, settings, case=case, previous=previous, new=new, now=now)
    await session.commit()
    return _case_out(case, notified_chats=chats)


@router.post("/{number}/close", response_model=CaseOut)
async def close_case(number: CaseNumber, session: SessionDep, body: CloseIn | None = None):
    now = datetime.now(UTC)
    case = await cases.get_by_number(session, number, lock=True)
    holder = cases.current_assignment(case)
    withdrawn = await cases.close(session, case=case, actor=None, note=body.note if body else None, at=now)
    await flows.closed(session, case=case, holder=holder, withdrawn=withdrawn, now=now)
    await session.commit()
    return _case_out(case)


@router.post("/{number}/reopen", response_model=CaseOut)
async def reopen_case(number: CaseNumber, body: ReopenIn, session: SessionDep, settings: SettingsDep):
    now = datetime.now(UTC)
    case = await cases.get_by_number(session, number, lock=True)
    assignment = await cases.reopen(session, case=case, actor=None, reason=body.reason, at=now,
                                    calendar=await business_calendar.load(session, settings), settings=settings)
    chats = await flows.reopened(session, settings, case=case, assignment=assignment, reason=body.reason, now=now)
    await session.commit()
    return _case_out(case, notified_chats=chats)


def _agency_ref(agency: Agency | None) -> AgencyRef | None:
    return AgencyRef.model_validate(agency) if agency is not None else None


def _summary(case: ComplaintCase) -> CaseSummaryOut:
    current = cases.current_assignment(case)
    return CaseSummaryOut(number=f"#{case.number}", status=case.status, priority=case.priority, title=case.title,
                          agency=_agency_ref(current.agency if current else None), created_at=case.created_at,
                          closed_at=case.closed_at)


def _case_out(case: ComplaintCase, *, notified_chats: int | None = None) -> CaseOut:
    complainant = None
    if case.complainant_name or case.complainant_phone or case.complainant_email:
        complainant = ComplainantOut(name=case.complainant_name, phone=case.complainant_phone,
                                     email=case.complainant_email)
    return CaseOut(**_summary(case).model_dump(), detail=case.detail, category=case.category,
                   location=case.location, external_ref=case.external_ref, complainant=complainant,
                   assignments=[AssignmentOut.model_validate(a) for a in case.assignments],
                   notified_chats=notified_chats)


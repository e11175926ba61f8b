"""Admin API for units, invites and people (SPEC §8)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from app.api.deps import AdminDep, AgencyCode, SessionDep, SettingsDep, Storable, agency_query
from app.api.schemas import AgencyOut, InviteIn, InviteOut, PersonOut
from app.services import agencies, people
from models import Agency, Person

router = APIRouter(prefix="/api/v1", dependencies=[AdminDep], tags=["registry"])


@router.get("/agencies", response_model=list[AgencyOut])
async def list_agencies(session: SessionDep, q: Storable | None = agency_query("code, name or alias")):
    if q:
        return await agencies.find(session, q)
    return (await session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.code))).all()


@router.get("/agencies/{code}", response_model=AgencyOut)
async def get_agency(code: AgencyCode, session: SessionDep):
    return await agencies.get_by_code(session, code)


@router.post("/invites", response_model=InviteOut, status_code=status.HTTP_201_CREATED)
async def create_invite(body: InviteIn, session: SessionDep, settings: SettingsDep):
    invite = await people.create_invite(session, role=body.role, agency_query=body.agency, created_by="api",
                                        now=datetime.now(UTC), valid_days=settings.invite_valid_days)
    await session.commit()
    return invite


@router.get("/people", response_model=list[PersonOut])
async def list_people(session: SessionDep, agency: Storable | None = agency_query("people of this unit"),
                      active: bool | None = Query(None)):
    stmt = select(Person).order_by(Person.id)
    if agency:
        stmt = stmt.where(Person.agency_id == (await agencies.resolve(session, agency)).id)
    if active is not None:
        stmt = stmt.where(Person.active.is_(active))
    return (await session.scalars(stmt)).all()

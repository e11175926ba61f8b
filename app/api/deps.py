"""Request dependencies (the session, the admin token check) and the shared types of path and
query parameters, bounded as the columns they are looked up in (see app/api/schemas.py)."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.api.schemas import ID_MAX, STORABLE_PATTERN, Storable
from app.errors import NotAuthenticated


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request; routes that change data commit it themselves."""
    async with request.app.state.sessionmaker() as session:
        yield session


def _settings(request: Request) -> Settings:
    return request.app.state.settings


_bearer = HTTPBearer(auto_error=False, description="ADMIN_API_TOKEN")


def _admin(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    expected = request.app.state.settings.admin_api_token
    # compare_digest: the time taken must not tell how much of a guessed token was right
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise NotAuthenticated("ต้องมีโทเคนผู้ดูแลระบบที่ถูกต้อง / missing or wrong admin token "
                               "(Authorization: Bearer ADMIN_API_TOKEN)")


SessionDep = Annotated[AsyncSession, Depends(_session)]
SettingsDep = Annotated[Settings, Depends(_settings)]
AdminDep = Depends(_admin)


# -- path and query parameters -------------------------------------------------------------------

_STORABLE = {"pattern": STORABLE_PATTERN}

RowId = Annotated[int, Path(ge=1, le=ID_MAX, description="the item's id")]
FiscalYear = Annotated[int, Path(ge=2500, le=2700, description="Buddhist-era fiscal year, e.g. 2570")]
CaseNumber = Annotated[Storable, Path(max_length=20, json_schema_extra=_STORABLE,
                                      description="70-00042, or #70-00042 written %2370-00042")]
AgencyCode = Annotated[Storable, Path(max_length=20, json_schema_extra=_STORABLE, description="a unit's code: 1004")]
AgencyPath = Annotated[Storable, Path(max_length=200, json_schema_extra=_STORABLE,
                                      description="unit code, name or alias: 1004, บางรัก")]


def agency_query(description: str) -> Any:
    """An optional unit named by code, name or alias in the query string."""
    return Query(None, max_length=200, json_schema_extra=_STORABLE, description=description)


def moment_query(description: str, *, alias: str | None = None) -> Any:
    """A date or a date-time with offset, parsed by the service (app.services.metrics.parse_period)."""
    return Query(None, alias=alias, max_length=40, json_schema_extra=_STORABLE, description=description)

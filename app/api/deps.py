"""Request dependencies: the session and the admin token check."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings


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
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong admin token",
                            headers={"WWW-Authenticate": "Bearer"})


SessionDep = Annotated[AsyncSession, Depends(_session)]
SettingsDep = Annotated[Settings, Depends(_settings)]
AdminDep = Depends(_admin)

"""Images relayed between the centre and a unit, served to LINE by an unguessable token (LINE
pushes images only by URL). The bytes are fetched from LINE the first time they are asked for and
kept, because LINE deletes a user's content after a while."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response
from sqlalchemy import select, update

from app.errors import NotFound
from app.line.errors import LineError
from models import Media
from models.base import utcnow

router = APIRouter(tags=["media"])

# What flows.image() makes (secrets.token_urlsafe(32)), within the column's 64 characters:
# anything else is refused before the database sees it.
Token = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/media/{token}", include_in_schema=False)
async def media(token: Token, request: Request) -> Response:
    sessionmaker = request.app.state.sessionmaker
    async with sessionmaker() as session:
        row = (await session.execute(select(Media.id, Media.line_message_id, Media.content, Media.content_type)
                                     .where(Media.token == token))).first()
    if row is None:
        raise NotFound("ไม่พบรูปภาพนี้ / no such image")
    if row.content is not None:
        return _image(row.content, row.content_type)
    try:  # no session is held across the call to LINE
        content, content_type = await request.app.state.line.content(row.line_message_id)
    except LineError as exc:
        raise HTTPException(502, f"LINE did not return the image: {exc}") from exc
    async with sessionmaker() as session:
        await session.execute(update(Media).where(Media.id == row.id)
                              .values(content=content, content_type=content_type, fetched_at=utcnow()))
        await session.commit()
    return _image(content, content_type)


def _image(content: bytes, content_type: str | None) -> Response:
    return Response(content, media_type=content_type or "image/jpeg",
                    headers={"Cache-Control": "private, max-age=86400"})

"""After a case changes, who is told what. Chat handlers and the admin API both end here, so a case
forwarded from LINE and one forwarded through the API reach the unit the same way.

Everything is written to the outbox in the caller's transaction; the sender delivers it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import texts
from app.config import Settings
from app.line import cards
from app.pipeline import outbox
from app.services import routing
from app.texts import coordination as say
from models import Assignment, ComplaintCase, Media


async def announce(session: AsyncSession, settings: Settings, *, case: ComplaintCase, assignment: Assignment,
                   now: datetime, headline: str = "forwarded", inbox_event_id: int | None = None,
                   note: str | None = None) -> int:
    """Send the case card to every coordinator of the unit and to its groups. Returns how many
    chats it went to (0: nobody in that unit is on LINE yet)."""
    messages = [cards.case_card(case, assignment, assignment.agency, tz=settings.tz, headline=headline)]
    if cards.cuts_detail(case):
        messages.extend(say.full_detail(case))
    if note:
        messages.append(say.reopen_reason(case, note))
    chats = await routing.unit_chats(session, assignment.agency_id)
    for chat in chats:
        await outbox.push(session, to=chat, messages=messages, now=now, case_id=case.id,
                          delivers_assignment_id=assignment.id, inbox_event_id=inbox_event_id)
    return len(chats)


async def reassigned(session: AsyncSession, settings: Settings, *, case: ComplaintCase, previous: Assignment | None,
                     new: Assignment, now: datetime, inbox_event_id: int | None = None) -> int:
    """The unit that held the case lets go; the new one gets the card. Returns the new unit's chats."""
    if previous is not None:
        await tell_unit(session, case=case, agency_id=previous.agency_id, now=now, inbox_event_id=inbox_event_id,
                        messages=[say.to_unit_taken_away(case, new.agency)])
    return await announce(session, settings, case=case, assignment=new, now=now, headline="reassigned",
                          inbox_event_id=inbox_event_id)


async def closed(session: AsyncSession, *, case: ComplaintCase, holder: Assignment | None,
                 withdrawn: Assignment | None, now: datetime, inbox_event_id: int | None = None) -> None:
    """The unit that had the case hears it is closed (not one that had returned it)."""
    if holder is not None and holder.status != "returned":
        await tell_unit(session, case=case, agency_id=holder.agency_id, now=now, inbox_event_id=inbox_event_id,
                        messages=[say.to_unit_closed(case, withdrawn is not None)])


async def reopened(session: AsyncSession, settings: Settings, *, case: ComplaintCase, assignment: Assignment | None,
                   reason: str, now: datetime, inbox_event_id: int | None = None) -> int | None:
    """The unit gets the card again with the reason; None when the case waits for re-routing."""
    if assignment is None:
        return None
    return await announce(session, settings, case=case, assignment=assignment, now=now, headline="reopened",
                          note=reason, inbox_event_id=inbox_event_id)


async def tell_centre(session: AsyncSession, *, case: ComplaintCase, messages: list[dict[str, Any]], now: datetime,
                      inbox_event_id: int | None = None, skip: str | None = None) -> None:
    """`skip`: the chat the action came from, which gets its own confirmation instead."""
    for chat in await routing.centre_chats(session, case):
        if chat != skip:
            await outbox.push(session, to=chat, messages=messages, now=now, case_id=case.id,
                              inbox_event_id=inbox_event_id)


async def tell_unit(session: AsyncSession, *, case: ComplaintCase, agency_id: int, messages: list[dict[str, Any]],
                    now: datetime, inbox_event_id: int | None = None, skip: str | None = None) -> None:
    for chat in await routing.unit_chats(session, agency_id):
        if chat != skip:
            await outbox.push(session, to=chat, messages=messages, now=now, case_id=case.id,
                              inbox_event_id=inbox_event_id)


async def image(session: AsyncSession, settings: Settings, *, case: ComplaintCase, line_message_id: str) -> dict[str, Any]:
    """An image someone sent, as a message the other side can receive: LINE pushes images only by
    URL, so the service serves it (app/api/media.py) under an unguessable token."""
    media = Media(token=secrets.token_urlsafe(32), line_message_id=line_message_id, case_id=case.id)
    session.add(media)
    await session.flush()
    url = f"{settings.public_base_url.rstrip('/')}/media/{media.token}"
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}


def with_quick_replies(messages: list[dict[str, Any]], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Quick replies belong on the last message of a push (LINE shows only the last one's)."""
    last = messages[-1]
    if last.get("type") == "text":
        messages[-1] = texts.text(last["text"], quick_replies=items)
    return messages

"""Operations API (SPEC §8): the webhook events that could not be worked (dead) and the messages
LINE never accepted (failed), and trying each again. The same as `rongtuk inbox …` / `outbox …`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.deps import AdminDep, RowId, SessionDep
from app.pipeline import inbox, outbox
from models.base import utcnow

router = APIRouter(prefix="/api/v1/ops", dependencies=[AdminDep], tags=["ops"])

Limit = Annotated[int, Query(ge=1, le=500, description="how many, most recent first")]


class DeadEventOut(BaseModel):
    id: int
    webhook_event_id: str
    event_type: str
    chat: str
    event_at: datetime  # LINE's timestamp
    received_at: datetime
    attempts: int
    last_error: str | None
    status: str


class FailedMessageOut(BaseModel):
    id: int
    kind: str
    recipient: str
    case_id: int | None
    created_at: datetime
    attempts: int
    last_error: str | None
    status: str
    messages: list[dict[str, Any]]


def _event_out(row) -> DeadEventOut:
    return DeadEventOut(id=row.id, webhook_event_id=row.webhook_event_id, event_type=row.event_type,
                        chat=row.source_key, event_at=datetime.fromtimestamp(row.event_timestamp / 1000, UTC),
                        received_at=row.received_at, attempts=row.attempts, last_error=row.last_error,
                        status=row.status)


def _message_out(row) -> FailedMessageOut:
    return FailedMessageOut(id=row.id, kind=row.kind, recipient=row.recipient, case_id=row.case_id,
                            created_at=row.created_at, attempts=row.attempts, last_error=row.last_error,
                            status=row.status, messages=row.messages)


@router.get("/inbox/dead", response_model=list[DeadEventOut])
async def dead_events(session: SessionDep, limit: Limit = 50):
    """Webhook events that failed their last try, most recent first, with the error."""
    return [_event_out(row) for row in await inbox.dead(session, limit=limit)]


@router.post("/inbox/{event_id}/replay", response_model=DeadEventOut)
async def replay_event(event_id: RowId, session: SessionDep):
    """Work a dead event again, from scratch and in its chat's order."""
    row = await inbox.replay(session, event_id, now=utcnow())
    await session.commit()
    return _event_out(row)


@router.get("/outbox/failed", response_model=list[FailedMessageOut])
async def failed_messages(session: SessionDep, limit: Limit = 50):
    """Messages LINE refused for good or did not accept within the retry key's lifetime."""
    return [_message_out(row) for row in await outbox.failed(session, limit=limit)]


@router.post("/outbox/{message_id}/replay", response_model=FailedMessageOut)
async def replay_message(message_id: RowId, session: SessionDep):
    """Send a failed message again, by push with a new retry key."""
    row = await outbox.replay(session, message_id, now=utcnow())
    await session.commit()
    return _message_out(row)

"""What a handler gets: the event, its transaction, who sent it, and ways to answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.pipeline import outbox
from app.services import business_calendar
from app.services.business_calendar import BusinessCalendar
from models import Person


@dataclass
class Context:
    session: AsyncSession
    settings: Settings
    event: Any  # a linebot.v3.webhooks event model
    payload: dict[str, Any]  # the event as LINE sent it
    inbox_id: int
    now: datetime
    received_at: datetime | None = None  # when the webhook stored the event
    sender: Person | None = None  # the active registered person who sent the event, if any
    display_name: str | None = None  # fetched before the transaction, for events that need it
    _calendar: BusinessCalendar | None = None

    async def calendar(self) -> BusinessCalendar:
        if self._calendar is None:
            self._calendar = await business_calendar.load(self.session, self.settings)
        return self._calendar

    @property
    def at(self) -> datetime:
        """When the user acted: LINE's timestamp, kept even when the event is redelivered; but
        never later than we received it (beyond a small clock skew): a time from the future is
        replaced by the receive time. Both stay on the inbox event."""
        line_time = datetime.fromtimestamp(self.payload["timestamp"] / 1000, UTC)
        if self.received_at is not None and line_time > self.received_at + self.settings.line_clock_skew:
            return self.received_at
        return line_time

    @property
    def source(self) -> dict[str, Any]:
        return self.payload.get("source") or {}

    @property
    def user_id(self) -> str | None:
        return self.source.get("userId")

    @property
    def group_id(self) -> str | None:
        return self.source.get("groupId") or self.source.get("roomId")

    @property
    def in_group(self) -> bool:
        return self.source.get("type") in ("group", "room")

    @property
    def chat_id(self) -> str:
        return self.group_id or self.user_id or ""

    async def reply(self, *messages: dict[str, Any], case_id: int | None = None) -> None:
        """Answer the person who acted. With `case_id` the answer belongs to a case: quoting it
        answers that case."""
        await outbox.reply(
            self.session, reply_token=self.payload.get("replyToken"), token_at=self.at, to=self.chat_id,
            messages=list(messages), now=self.now, inbox_event_id=self.inbox_id, case_id=case_id,
        )

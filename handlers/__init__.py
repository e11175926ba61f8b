"""LINE event type → handler. The inbox worker calls `dispatch` inside the event's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.services import people
from handlers import commands, follow, group, message, postback
from handlers.context import Context

Handler = Callable[[Context], Awaitable[None]]

HANDLERS: dict[str, Handler] = {
    "message": message.handle,
    "postback": postback.handle,
    "follow": follow.on_follow,
    "unfollow": follow.on_unfollow,
    "join": group.on_join,
    "leave": group.on_leave,
}
# In standby mode another channel owns the chat: we send nothing and only keep state in step.
STANDBY_HANDLERS = {"unfollow", "leave"}


def needs_display_name(payload: dict[str, Any]) -> bool:
    """Events whose handler stores the LINE display name; fetched before the transaction opens,
    so no database lock is held across a call to LINE."""
    if payload.get("mode") == "standby":
        return False
    if payload.get("type") == "follow":
        return True
    message_ = payload.get("message") or {}
    text = message_.get("text")
    return (payload.get("type") == "message" and message_.get("type") == "text" and isinstance(text, str)
            and commands.parse(text).name == "register")


async def dispatch(ctx: Context) -> None:
    event_type = ctx.payload.get("type")
    handler = HANDLERS.get(event_type)
    if handler is None or (ctx.payload.get("mode") == "standby" and event_type not in STANDBY_HANDLERS):
        return
    if ctx.user_id:
        ctx.sender = await people.get_active(ctx.session, ctx.user_id)
    await handler(ctx)


__all__ = ["Context", "HANDLERS", "dispatch", "needs_display_name"]

"""Follow (added as a friend, or unblocked) and unfollow (blocked)."""

from __future__ import annotations

from app import texts
from app.services import people
from handlers.context import Context


async def on_follow(ctx: Context) -> None:
    person = await people.reactivate_after_unblock(ctx.session, line_user_id=ctx.user_id, now=ctx.at)
    if person is not None and ctx.display_name and person.display_name != ctx.display_name:
        person.display_name = ctx.display_name
    await ctx.reply(texts.follow_greeting(person))


async def on_unfollow(ctx: Context) -> None:
    """Blocked: the person stops receiving anything; their history stays."""
    await people.deactivate(ctx.session, line_user_id=ctx.user_id, reason="unfollow", now=ctx.at)

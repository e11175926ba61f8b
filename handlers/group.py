"""The account joining or leaving a unit's LINE group."""

from __future__ import annotations

from app import texts
from app.services import people
from handlers.context import Context


async def on_join(ctx: Context) -> None:
    await people.group_joined(ctx.session, line_group_id=ctx.group_id, now=ctx.at)
    await ctx.reply(texts.joined_group())


async def on_leave(ctx: Context) -> None:
    await people.group_left(ctx.session, line_group_id=ctx.group_id, now=ctx.at)

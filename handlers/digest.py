"""`สรุป` / `digest` (SPEC §6): the digest of the current period so far, on demand, by reply.

Every registered person may ask: managers, the centre and admins get what their scheduled digest
covers (BMA-wide or their unit); a coordinator gets their unit. Nothing is written to the ledger:
an on-demand digest does not stand in for the scheduled one. In 1:1 chats only, so a BMA-wide
digest is not shown to a unit's group.
"""

from __future__ import annotations

from app.services import digests
from app.texts import digest as say
from handlers import commands
from handlers.context import Context

_PERIOD_WORDS = {"": "daily", "วัน": "daily", "วันนี้": "daily", "day": "daily", "daily": "daily", "today": "daily",
                 "สัปดาห์": "weekly", "สัปดาห์นี้": "weekly", "week": "weekly", "weekly": "weekly"}


async def on_demand(ctx: Context, command: commands.Command) -> None:
    if ctx.in_group:
        await ctx.reply(say.only_in_private_chat())
        return
    period = _PERIOD_WORDS.get(command.args.strip().lower())
    if period is None:
        await ctx.reply(say.usage())
        return
    message = await digests.build(ctx.session, person=ctx.sender, period=period, now=ctx.at, settings=ctx.settings,
                                  so_far=True)
    await ctx.reply(message)

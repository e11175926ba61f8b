"""`แดชบอร์ด` / `dashboard`: a one-time link to the web dashboard, by reply, in a 1:1 chat only
(a link posted in a group could be opened by anyone there). The dashboard scopes what it shows
by the person's role and unit."""

from __future__ import annotations

from app import texts
from app.services import dashboard_links
from handlers import commands
from handlers.context import Context


async def send_link(ctx: Context, _command: commands.Command) -> None:
    if ctx.in_group:
        await ctx.reply(texts.dashboard_only_in_private_chat())
        return
    minutes = ctx.settings.dashboard_link_minutes
    # From when the request is worked (ctx.now), not when it was typed: the link must live its
    # full minutes after the person can see it.
    token = await dashboard_links.issue(ctx.session, person=ctx.sender, now=ctx.now, valid_minutes=minutes)
    url = f"{ctx.settings.public_base_url.rstrip('/')}/dashboard/login/{token}"
    await ctx.reply(texts.dashboard_link(url, minutes))

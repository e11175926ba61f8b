"""Postback events: button taps. Each action registers itself in ACTIONS by its `a=` value."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from app import texts
from handlers.context import Context

ACTIONS: dict[str, Callable[[Context, dict[str, str]], Awaitable[None]]] = {}


def parse_data(data: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(data, keep_blank_values=True).items()}


async def handle(ctx: Context) -> None:
    if ctx.sender is None:
        if not ctx.in_group:
            await ctx.reply(texts.public_notice())
        return
    params = parse_data(ctx.event.postback.data)
    action = ACTIONS.get(params.get("a", ""))
    if action is None:
        await ctx.reply(texts.stale_button())
        return
    await action(ctx, params)

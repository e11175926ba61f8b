"""Postback events: button taps, routed by their `a=` value (the card's actions live with the rest
of coordination, in handlers/coordination.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from app import texts
from handlers import coordination
from handlers.context import Context

ACTIONS: dict[str, Callable[[Context, dict[str, str]], Awaitable[None]]] = {**coordination.ACTIONS}


def parse_data(data: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(data, keep_blank_values=True).items()}


async def handle(ctx: Context) -> None:
    if ctx.sender is None:
        # A tap is deliberate, in a group too: say why nothing happened.
        await ctx.reply(texts.register_first() if ctx.in_group else texts.public_notice())
        return
    params = parse_data(ctx.event.postback.data)
    action = ACTIONS.get(params.get("a", ""))
    if action is None:
        await ctx.reply(texts.stale_button())
        return
    await action(ctx, params)

"""Postback events: button taps, routed by their `a=` value (the card's actions live with the rest
of coordination, in handlers/coordination.py).

Only our own buttons carry postback data, and app/line/cards.py writes it one way:
`a=<action>&as=<assignment id>` and, for some actions, more keys in a fixed order. Anything else
(truncated, a key repeated or unknown, keys reordered, percent-encoded, an id in other digits or
past the column's range, longer than LINE allows) was never one of our buttons, and is answered
as a stale one without touching the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app import parsing, texts
from handlers import coordination
from handlers.context import Context

ACTIONS: dict[str, Callable[[Context, Tap], Awaitable[None]]] = {**coordination.ACTIONS}
MAX_DATA = 300  # LINE's limit for a postback's data: longer was never a button of ours


@dataclass(frozen=True)
class Tap:
    """A button's data, read back: which action, on which assignment, and the action's other keys."""

    action: str
    assignment_id: int
    extra: dict[str, str] = field(default_factory=dict)


def parse_data(data: object) -> Tap | None:
    """The tap a button's data stands for, or None when no button of ours carries this data."""
    if not isinstance(data, str) or len(data) > MAX_DATA:
        return None
    pairs = [part.partition("=") for part in data.split("&")]
    if any(not sep for _, sep, _ in pairs):
        return None
    params = {key: value for key, _, value in pairs}
    action = params.get("a")
    if action not in ACTIONS or len(params) != len(pairs):  # unknown action, or a key repeated
        return None
    if tuple(params) != ("a", "as", *coordination.EXTRA_KEYS.get(action, ())):
        return None
    assignment_id = parsing.parse_id(params["as"])
    if assignment_id is None:
        return None
    return Tap(action, assignment_id, {k: v for k, v in params.items() if k not in ("a", "as")})


async def handle(ctx: Context) -> None:
    if ctx.sender is None:
        # A tap is deliberate, in a group too: say why nothing happened.
        await ctx.reply(texts.register_first() if ctx.in_group else texts.public_notice())
        return
    tap = parse_data(ctx.event.postback.data)
    if tap is None:
        await ctx.reply(texts.stale_button())
        return
    await ACTIONS[tap.action](ctx, tap)

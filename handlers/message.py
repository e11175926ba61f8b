"""Message events: chat commands from registered people; a polite notice for everyone else."""

from __future__ import annotations

from linebot.v3.webhooks import (
    ImageMessageContent,
    LocationMessageContent,
    StickerMessageContent,
    TextMessageContent,
)

from app import parsing, texts
from app.errors import AmbiguousAgency, DomainError
from app.services import people
from handlers import commands, coordination, dashboard, digest
from handlers.context import Context


async def handle(ctx: Context) -> None:
    message = ctx.event.message
    if not isinstance(message, TextMessageContent):
        if not await coordination.relay(ctx):
            await _non_text(ctx, message)
        return
    command = commands.parse(message.text)
    if ctx.in_group:
        await _in_group(ctx, command)
    elif command.name == "register":
        await _register(ctx, command)
    elif ctx.sender is None:
        await ctx.reply(texts.public_notice())
    elif command.name == "help":
        await ctx.reply(texts.help_for(ctx.sender))
    elif command.name == "bind":
        await ctx.reply(texts.bind_outside_group())
    elif command.name == "digest":
        await digest.on_demand(ctx, command)
    elif command.name == "dashboard":
        await dashboard.send_link(ctx, command)
    elif command.name in coordination.COMMANDS:
        await coordination.COMMANDS[command.name](ctx, command)
    elif not await coordination.relay(ctx):
        await ctx.reply(*texts.unknown_command(ctx.sender))


async def _in_group(ctx: Context, command: commands.Command) -> None:
    """In a unit's group people talk among themselves: answer commands and case messages (quote,
    #number, or an open reply window) only, never chatter."""
    if command.name == "bind":
        await _bind(ctx, command)
    elif command.name == "register":
        await ctx.reply(texts.register_in_group())
    elif command.name == "help":
        await ctx.reply(texts.help_for(ctx.sender) if ctx.sender else texts.joined_group())
    elif ctx.sender is None:
        return
    elif command.name == "digest":
        await digest.on_demand(ctx, command)
    elif command.name == "dashboard":
        await dashboard.send_link(ctx, command)
    elif command.name in coordination.COMMANDS:
        await coordination.COMMANDS[command.name](ctx, command)
    else:
        await coordination.relay(ctx)


async def _register(ctx: Context, command: commands.Command) -> None:
    code = parsing.strip_invisible(command.args)  # a code pasted from a chat may carry them
    if not code:
        await ctx.reply(texts.register_usage())
        return
    try:
        person = await people.register(ctx.session, line_user_id=ctx.user_id, code=code,
                                       display_name=ctx.display_name, now=ctx.at)
    except DomainError as exc:
        await ctx.reply(texts.error(exc.message), texts.register_usage())
        return
    await ctx.reply(texts.registered(person))


async def _bind(ctx: Context, command: commands.Command) -> None:
    unit = commands.unit_query(command.args)
    if not unit:
        await ctx.reply(texts.bind_usage())
        return
    if len(unit) > commands.MAX_UNIT_QUERY:
        await ctx.reply(texts.unit_name_too_long())
        return
    try:
        group = await people.bind_group(ctx.session, line_group_id=ctx.group_id, agency_query=unit,
                                        actor=ctx.sender, now=ctx.at)
    except AmbiguousAgency as exc:
        await ctx.reply(texts.choose_agency("ผูกกลุ่ม", exc.candidates))
        return
    except DomainError as exc:
        await ctx.reply(texts.error(exc.message))
        return
    await ctx.reply(texts.group_bound(group))


async def _non_text(ctx: Context, message) -> None:
    if ctx.in_group or isinstance(message, StickerMessageContent):
        return  # stickers are thanks and greetings, not requests
    if ctx.sender is not None and isinstance(message, ImageMessageContent | LocationMessageContent):
        await ctx.reply(texts.coordination.nothing_to_relay(ctx.sender.role in ("centre", "admin")))
        return
    await ctx.reply(texts.help_for(ctx.sender))

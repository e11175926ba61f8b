"""Case coordination in chat (SPEC §4): the centre's commands, the card's buttons, and the relay of
messages between the centre and a unit.

Every action runs in a savepoint: a refused action (wrong unit, stale card, wrong state) gets one
polite Thai answer and leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from linebot.v3.webhooks import ImageMessageContent, LocationMessageContent, TextMessageContent
from sqlalchemy import bindparam, delete, select

from app import flows, parsing, texts
from app.errors import AmbiguousAgency, DomainError
from app.line import cards
from app.pipeline import deferred_writes
from app.services import agencies, cases
from app.texts import coordination as say
from handlers import commands
from handlers.context import Context
from models import ChatPrompt, ComplaintCase, MessageLink, Person, PromptKind, Role

if TYPE_CHECKING:
    from handlers.postback import Tap

T = TypeVar("T")


async def attempt(ctx: Context, action: Callable[[], Awaitable[T]], *, retry_command: str = "",
                  retry_suffix: str = "") -> T | None:
    """Run `action` in a savepoint; a domain error becomes one answer and undoes the action.
    An ambiguous unit name is answered with the candidates, each a quick reply that re-sends
    `retry_command <code><retry_suffix>`."""
    try:
        async with deferred_writes.savepoint(ctx.session):
            return await action()
    except AmbiguousAgency as exc:
        await ctx.reply(texts.choose_agency(retry_command, exc.candidates, suffix=retry_suffix))
    except DomainError as exc:
        await ctx.reply(texts.error(exc.message))
    return None


async def look_up(ctx: Context, read: Callable[[], Awaitable[T]]) -> T | None:
    """`attempt` for a read: a domain error becomes one answer. A read leaves nothing to undo, so
    it runs without a savepoint (two statements fewer)."""
    try:
        return await read()
    except DomainError as exc:
        await ctx.reply(texts.error(exc.message))
    return None


def _is_centre(person: Person) -> bool:
    return person.role in (Role.centre, Role.admin)


# -- the centre's commands -----------------------------------------------------------------------

URGENT = ("ด่วน", "urgent")


async def forward(ctx: Context, command: commands.Command) -> None:
    """ส่งเรื่อง <unit> [ด่วน] / title / detail."""
    words = [commands.unit_query(w) for w in command.args.split()]
    urgent = any(w.lower() in URGENT for w in words)
    unit = " ".join(w for w in words if w and w.lower() not in URGENT)
    title, _, detail = command.body.partition("\n")
    if not unit or parsing.is_blank(title):
        await ctx.reply(say.forward_usage())
        return
    if len(unit) > commands.MAX_UNIT_QUERY:
        await ctx.reply(texts.unit_name_too_long())
        return
    title, detail = parsing.trim(title), parsing.trim(detail)

    async def run() -> tuple[ComplaintCase, Any, int]:
        cases.require_centre(ctx.sender)
        agency = await agencies.resolve(ctx.session, unit)
        assignment = await cases.forward(
            ctx.session, agency=agency, title=title, detail=detail, priority="urgent" if urgent else "normal",
            actor=ctx.sender, at=ctx.at, calendar=await ctx.calendar(), settings=ctx.settings)
        chats = await flows.announce(ctx.session, ctx.settings, case=assignment.case, assignment=assignment,
                                     now=ctx.now, inbox_event_id=ctx.inbox_id)
        return assignment.case, agency, chats

    # An ambiguous unit: each choice re-sends the whole command with the unit's code.
    done = await attempt(ctx, run, retry_command="ส่งเรื่อง",
                         retry_suffix=(" ด่วน" if urgent else "") + "\n" + command.body)
    if done:
        case, agency, chats = done
        await ctx.reply(say.forwarded(case, agency, chats), case_id=case.id)


async def reassign(ctx: Context, command: commands.Command) -> None:
    number, unit = cases.leading_number(command.args)
    unit = commands.unit_query(unit)
    if number is None or not unit:
        await ctx.reply(say.reassign_usage())
        return
    if len(unit) > commands.MAX_UNIT_QUERY:
        await ctx.reply(texts.unit_name_too_long())
        return

    async def run():
        cases.require_centre(ctx.sender)
        case = await cases.get_by_number(ctx.session, number, lock=True)
        agency = await agencies.resolve(ctx.session, unit)
        previous, new = await cases.reassign(ctx.session, case=case, agency=agency, actor=ctx.sender,
                                             note=command.body or None, at=ctx.at, received_at=ctx.received_at,
                                             calendar=await ctx.calendar(), settings=ctx.settings)
        chats = await flows.reassigned(ctx.session, ctx.settings, case=case, previous=previous, new=new, now=ctx.now,
                                       inbox_event_id=ctx.inbox_id)
        return case, agency, chats

    done = await attempt(ctx, run, retry_command=f"โอนเรื่อง #{number}")
    if done:
        case, agency, chats = done
        await ctx.reply(say.reassigned_ok(case, agency, chats), case_id=case.id)


async def close(ctx: Context, command: commands.Command) -> None:
    number, note = cases.leading_number(command.args)
    if number is None:
        await ctx.reply(say.close_usage())
        return

    async def run():
        cases.require_centre(ctx.sender)
        case = await cases.get_by_number(ctx.session, number, lock=True)
        holder = cases.current_assignment(case)
        withdrawn = await cases.close(ctx.session, case=case, actor=ctx.sender, note=note or None, at=ctx.at,
                                      received_at=ctx.received_at)
        await flows.closed(ctx.session, case=case, holder=holder, withdrawn=withdrawn, now=ctx.now,
                           inbox_event_id=ctx.inbox_id)
        return case

    case = await attempt(ctx, run)
    if case:
        await ctx.reply(say.closed_ok(case), case_id=case.id)


async def reopen(ctx: Context, command: commands.Command) -> None:
    number, reason = cases.leading_number(command.args)
    reason = "\n".join(p for p in (reason, command.body) if not parsing.is_blank(p))
    if number is None or not reason:
        await ctx.reply(say.reopen_usage())
        return

    async def run():
        cases.require_centre(ctx.sender)
        case = await cases.get_by_number(ctx.session, number, lock=True)
        assignment = await cases.reopen(ctx.session, case=case, actor=ctx.sender, reason=reason, at=ctx.at,
                                        received_at=ctx.received_at,
                                        calendar=await ctx.calendar(), settings=ctx.settings)
        await flows.reopened(ctx.session, ctx.settings, case=case, assignment=assignment, reason=reason, now=ctx.now,
                             inbox_event_id=ctx.inbox_id)
        return case, assignment

    done = await attempt(ctx, run)
    if done:
        case, assignment = done
        await ctx.reply(say.reopened_ok(case, assignment.agency if assignment else None), case_id=case.id)


async def status(ctx: Context, command: commands.Command) -> None:
    number, _ = cases.leading_number(command.args)
    if number is None:
        await ctx.reply(say.status_usage())
        return

    async def run():
        case = await cases.get_by_number(ctx.session, number)
        cases.require_can_see(ctx.sender, case)
        events = await cases.timeline(ctx.session, case)
        actor_ids = {e.actor_id for e in events if e.actor_id}
        names = {p.id: p.display_name or "-" for p in
                 (await ctx.session.scalars(select(Person).where(Person.id.in_(actor_ids)))).all()}
        return case, events, names

    done = await attempt(ctx, run)
    if done:
        case, events, names = done
        await ctx.reply(say.status(case, events, names, ctx.settings.tz), case_id=case.id)


async def overdue(ctx: Context, command: commands.Command) -> None:
    person = ctx.sender
    unit_id = None if _is_centre(person) else person.agency_id
    # Overdue as of when the person asked (the event's time).
    rows = await cases.overdue(ctx.session, now=ctx.at, agency_id=unit_id, limit=15)
    scope = texts.agency_label(person.agency) if unit_id else "ทุกหน่วยงาน"
    await ctx.reply(say.overdue_list(rows, ctx.at, ctx.settings.tz, scope))


COMMANDS: dict[str, Callable[[Context, commands.Command], Awaitable[None]]] = {
    "forward": forward, "reassign": reassign, "close": close, "reopen": reopen,
    "status": status, "overdue": overdue,
}


# -- the card's buttons --------------------------------------------------------------------------
# Each action gets the tap as handlers/postback.py read it back: a known action, its keys in the
# card's order, an assignment id within the column's range.

RETURN, OTHER_CHOICE = "ret", "other"  # a return reason's data: a=ret&as=<id>&r=<index or other>


async def on_acknowledge(ctx: Context, tap: Tap) -> None:
    async def run():
        assignment = await cases.acknowledge(ctx.session, assignment_id=tap.assignment_id, actor=ctx.sender,
                                             at=ctx.at, received_at=ctx.received_at, calendar=await ctx.calendar())
        case = assignment.case
        await flows.tell_centre(ctx.session, case=case, now=ctx.now, inbox_event_id=ctx.inbox_id, messages=[
            say.to_centre_acknowledged(case, assignment, ctx.sender, ctx.settings.tz)])
        return case

    case = await attempt(ctx, run)
    if case:
        await ctx.reply(say.acknowledged_ok(case), case_id=case.id)


async def on_reply(ctx: Context, tap: Tap) -> None:
    """ตอบกลับ: the person's next messages (for a while) go to the other side."""
    async def run():
        assignment = await cases.get_assignment(ctx.session, tap.assignment_id)
        case, _ = await cases.relay_target(ctx.session, case_id=assignment.case_id, actor=ctx.sender)
        await _open_prompt(ctx, PromptKind.reply, case.id, assignment.id)
        return case

    case = await attempt(ctx, run)
    if case:
        await ctx.reply(say.reply_window_opened(case, ctx.settings.reply_window_seconds // 60), case_id=case.id)


async def on_done(ctx: Context, tap: Tap) -> None:
    async def run():
        assignment = await cases.resolve(ctx.session, assignment_id=tap.assignment_id, actor=ctx.sender,
                                         at=ctx.at, received_at=ctx.received_at, calendar=await ctx.calendar())
        case = assignment.case
        await flows.tell_centre(ctx.session, case=case, now=ctx.now, inbox_event_id=ctx.inbox_id,
                                messages=[say.to_centre_resolved(case, assignment, ctx.sender)])
        await _open_prompt(ctx, PromptKind.result_note, case.id, assignment.id)
        return case

    case = await attempt(ctx, run)
    if case:
        await ctx.reply(say.resolved_ok(case, ctx.settings.reply_window_seconds // 60), case_id=case.id)


async def on_not_ours(ctx: Context, tap: Tap) -> None:
    async def run():
        assignment = await cases.check_returnable(ctx.session, assignment_id=tap.assignment_id, actor=ctx.sender)
        return assignment.case, assignment

    done = await attempt(ctx, run)
    if done:
        case, assignment = done
        await ctx.reply(say.ask_return_reason(case, assignment))


async def on_return_reason(ctx: Context, tap: Tap) -> None:
    """A reason's quick reply: `r` is the reason's index in RETURN_REASONS, or "other" (typed next)."""
    choice = tap.extra["r"]
    if choice == OTHER_CHOICE:
        async def ask():
            assignment = await cases.check_returnable(ctx.session, assignment_id=tap.assignment_id, actor=ctx.sender)
            await _open_prompt(ctx, PromptKind.return_reason, assignment.case_id, assignment.id)
            return assignment.case

        case = await attempt(ctx, ask)
        if case:
            await ctx.reply(say.ask_other_reason(case, ctx.settings.reply_window_seconds // 60))
        return
    index = parsing.parse_index(choice, len(say.RETURN_REASONS))
    if index is None:
        await ctx.reply(texts.stale_button())
        return
    await _return(ctx, tap.assignment_id, say.RETURN_REASONS[index])


async def _return(ctx: Context, assignment_id: int, reason: str) -> None:
    async def run():
        assignment = await cases.return_to_centre(ctx.session, assignment_id=assignment_id, actor=ctx.sender,
                                                  reason=reason, at=ctx.at, received_at=ctx.received_at,
                                                  calendar=await ctx.calendar())
        case = assignment.case
        await flows.tell_centre(ctx.session, case=case, now=ctx.now, inbox_event_id=ctx.inbox_id,
                                messages=[say.to_centre_returned(case, assignment, ctx.sender)])
        await _close_prompt(ctx)
        return case

    case = await attempt(ctx, run)
    if case:
        await ctx.reply(say.returned_ok(case), case_id=case.id)


ACTIONS = {
    cards.ACKNOWLEDGE: on_acknowledge, cards.REPLY: on_reply, cards.DONE: on_done,
    cards.NOT_OURS: on_not_ours, RETURN: on_return_reason,
}
# What a button of each action carries after a= and as=, in this order (app/line/cards.py).
EXTRA_KEYS: dict[str, tuple[str, ...]] = {RETURN: ("r",)}


# -- relaying messages ---------------------------------------------------------------------------

async def relay(ctx: Context) -> bool:
    """A message from a registered person that belongs to a case, by quote, by #number, or by an
    open prompt: relay it (or take it as the asked-for note or reason). False: it belongs to none."""
    message = ctx.event.message
    person = ctx.sender
    if person is None or person.role not in (Role.centre, Role.admin, Role.coordinator):
        return False
    body = message.text if isinstance(message, TextMessageContent) else None

    case_id = found = None
    quoted = getattr(message, "quoted_message_id", None)
    if quoted:
        case_id = await ctx.session.scalar(select(MessageLink.case_id).where(MessageLink.line_message_id == quoted))
    if case_id is None and body is not None and (lead := cases.split_leading_number(body)):
        number, body = lead
        # Locked now, as the relay would lock it: read once, not again for the relay.
        found = await look_up(ctx, lambda: cases.get_by_number(ctx.session, number, lock=True))
        if found is None:
            return True  # answered: no such case
        case_id = found.id
        if not body:
            await ctx.reply(say.type_after_number(found))
            return True
    prompt = await _prompt(ctx)
    if case_id is None and prompt is None:
        return False
    kind = PromptKind.reply
    if case_id is None or (prompt is not None and prompt.case_id == case_id):
        case_id, kind = prompt.case_id, prompt.kind
    if body is not None and parsing.is_blank(body):
        # Nothing anyone could read: ask again, and keep the window open for the real answer.
        case = await cases.get(ctx.session, case_id)
        await ctx.reply(say.type_again(case, kind))
        return True
    if kind == PromptKind.return_reason and body is not None:
        await _return(ctx, prompt.assignment_id, parsing.trim(body)[:300])
        return True
    note = kind == PromptKind.result_note and body is not None
    await _relay(ctx, case_id, body, as_note=note, locked=found if found is not None and found.id == case_id else None)
    if note:
        await _close_prompt(ctx)
    return True


async def _relay(ctx: Context, case_id: int, body: str | None, *, as_note: bool,
                 locked: ComplaintCase | None = None) -> None:
    """`locked`: the case, already read with its lock in this transaction.

    Everything that can refuse runs before the first write, so a refused relay has nothing to
    undo and a relay needs no savepoint (two statements fewer); only a note, whose check follows
    its read, keeps one."""
    message = ctx.event.message
    person = ctx.sender
    target = await look_up(ctx, lambda: cases.relay_target(ctx.session, case_id=case_id, case=locked, actor=person))
    if target is None:
        return
    case, assignment = target
    if body is None and not isinstance(message, ImageMessageContent | LocationMessageContent):
        await ctx.reply(texts.error(say.RELAYABLE_KINDS))
        return
    from_centre = _is_centre(person)
    if as_note:
        async def note():
            return await cases.add_result_note(ctx.session, assignment_id=assignment.id, actor=person, note=body,
                                               at=ctx.at, received_at=ctx.received_at)
        if await attempt(ctx, note) is None:
            return
        header = say.result_note_header(case, assignment.agency, person)
    else:
        header = say.relay_header(case, "ศูนย์ฯ" if from_centre else assignment.agency.name_th, person)
    if isinstance(message, ImageMessageContent):
        content = {"type": "image", "line_message_id": message.id}
        outgoing = [say.relay_media_header(case, header, "รูปภาพ"),
                    await flows.image(ctx.session, ctx.settings, case=case, line_message_id=message.id)]
    elif isinstance(message, LocationMessageContent):
        content = {"type": "location", "title": message.title, "address": message.address,
                   "latitude": message.latitude, "longitude": message.longitude}
        location = {"type": "location", "title": (message.title or "ตำแหน่ง")[:100],
                    "address": (message.address or "-")[:100], "latitude": message.latitude,
                    "longitude": message.longitude}
        outgoing = [say.relay_media_header(case, header, "ตำแหน่ง"), location]
    else:
        content = {"type": "text", "text": body}
        outgoing = say.relayed(case, header, body)
    if not as_note:
        await cases.record_message(ctx.session, case=case, assignment=assignment, actor=person, content=content,
                                   at=ctx.at, received_at=ctx.received_at, calendar=ctx.calendar)
    if from_centre:
        await flows.tell_unit(ctx.session, case=case, agency_id=assignment.agency_id, messages=outgoing,
                              now=ctx.now, inbox_event_id=ctx.inbox_id)
    else:
        outgoing = flows.with_quick_replies(outgoing, say.centre_reply_quick(case, assignment))
        await flows.tell_centre(ctx.session, case=case, messages=outgoing, now=ctx.now,
                                inbox_event_id=ctx.inbox_id, skip=ctx.chat_id)
    confirm = say.note_saved(case) if as_note else say.relay_ok(
        case, "หน่วยงาน" if from_centre else "ศูนย์เรื่องราวร้องทุกข์")
    await ctx.reply(confirm, case_id=case.id)


async def _prompt(ctx: Context) -> ChatPrompt | None:
    return await ctx.session.scalar(_OPEN_PROMPT, {"chat_id": ctx.chat_id, "person_id": ctx.sender.id, "at": ctx.at})


# Built once: read for every message a registered person sends.
_OPEN_PROMPT = select(ChatPrompt).where(
    ChatPrompt.chat_id == bindparam("chat_id"), ChatPrompt.person_id == bindparam("person_id"),
    ChatPrompt.expires_at > bindparam("at", type_=ChatPrompt.expires_at.type))


async def _open_prompt(ctx: Context, kind: str, case_id: int, assignment_id: int | None) -> None:
    await _close_prompt(ctx)
    ctx.session.add(ChatPrompt(chat_id=ctx.chat_id, person_id=ctx.sender.id, kind=kind, case_id=case_id,
                               assignment_id=assignment_id, opened_at=ctx.at,
                               expires_at=ctx.at + timedelta(seconds=ctx.settings.reply_window_seconds)))
    await ctx.session.flush()


async def _close_prompt(ctx: Context) -> None:
    await ctx.session.execute(delete(ChatPrompt).where(ChatPrompt.chat_id == ctx.chat_id,
                                                       ChatPrompt.person_id == ctx.sender.id))

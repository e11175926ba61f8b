"""Hostile chat input for end-to-end tests: texts no honest keyboard types, button data no card
wrote, from registered people of every role, and the world they are sent into.

The world: the centre, an admin, a coordinator of บางรัก (1004) and one of ปทุมวัน (1007), a
manager of 1004 and a stranger; บางรัก's LINE group bound; one open case at each of the two
units. Every generated input is, by construction, one the service must refuse or answer without
changing anything: case numbers it generates never name the two real cases, unit names never
name a unit, button data is never the data of a real button (see each strategy).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.line import events
from models import Assignment, CaseEvent, ChatPrompt, ComplaintCase, InboxEvent, OutboxMessage, Person
from tests.support import Service, buttons, quick_replies

CENTRE, ADMIN, BANGRAK, PATHUMWAN, MANAGER, STRANGER = (
    "U_CENTRE", "U_ADMIN", "U_BANGRAK", "U_PATHUMWAN", "U_MANAGER", "U_STRANGER")
GROUP = "C_BANGRAK"
SENDERS = (CENTRE, ADMIN, BANGRAK, PATHUMWAN, MANAGER, STRANGER)
CENTRE_SIDE = (CENTRE, ADMIN)
ACTIONS = ("ack", "reply", "done", "notours")
STALE = "ปุ่มนี้ใช้ไม่ได้แล้วค่ะ"


# -- characters ----------------------------------------------------------------------------------

# Thai letters, vowels and tone marks; Thai digits (U+0E50–0E59) come only from `numbers`.
THAI = st.characters(min_codepoint=0x0E01, max_codepoint=0x0E4F)
LATIN = st.sampled_from(string.ascii_letters)
PUNCT = st.sampled_from(list(" .,:;!?()[]{}<>'\"/\\|@$%^&*_+=~`-–—…“”‘’#＃"))
# No keycap emoji: "1️⃣" carries an ASCII digit.
EMOJI = st.sampled_from(["😀", "🙏", "👍🏽", "👨‍👩‍👧", "🇹🇭", "❤️", "🚧", "💡", "🛵", "🏳️‍🌈", "🙇‍♀️"])
INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
                             "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\u00ad",
                             "\u2060", "\u061c"])
RTL = st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA) | st.characters(min_codepoint=0x0621,
                                                                                max_codepoint=0x064A)
# Characters for which str.isdigit() or isnumeric() is True but which are not 0-9 or ๐-๙.
ODD_DIGITS = st.sampled_from(list("²³¹⁰⁴⁹₀₂٠١٢٣٤٥٦٧٨٩۰۱۲۳०१२३０１２３①②⑩ⅫⅦ൧௧໑៣᠑") + ["𝟘", "𝟙", "𝟚"])
SPACES = st.sampled_from([" ", "\t", "\u00a0", "\u3000", "\u2003", "\u2009", "  "])
BREAKS = st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\n\n"])
CONTROL = st.characters(min_codepoint=0x01, max_codepoint=0x1F) | st.characters(min_codepoint=0x7F,
                                                                                max_codepoint=0x9F)
COMBINING = st.sampled_from(["\u0301", "\u0300", "\u0e48", "\u0e49", "\u0e4c", "\u20e3"])

# NUL is left out on purpose: how the webhook stores it is the envelope's business, not the chat's.
ANY_CHAR = st.one_of(THAI, THAI, THAI, LATIN, PUNCT, EMOJI, INVISIBLE, RTL, ODD_DIGITS, SPACES, BREAKS, CONTROL,
                     COMBINING)
# What can never be part of a unit's code, name or alias, even after the service folds case and
# drops spaces and dots: no letters of Thai or Latin script, no 0-9 or ๐-๙.
NOT_A_UNIT_CHAR = st.one_of(EMOJI, RTL, ODD_DIGITS, INVISIBLE, SPACES, CONTROL)


def _joined(chars: st.SearchStrategy[str], *, min_size: int = 0, max_size: int = 60) -> st.SearchStrategy[str]:
    return st.lists(chars, min_size=min_size, max_size=max_size).map("".join)


def _long(chunk: st.SearchStrategy[str], size: int = 5_000) -> st.SearchStrategy[str]:
    """`size` characters: a generated piece repeated (LINE lets a person send 5,000)."""
    return chunk.filter(bool).map(lambda s: (s * (size // len(s) + 1))[:size])


noise = st.one_of(_joined(ANY_CHAR), _joined(ANY_CHAR, max_size=400), _long(_joined(ANY_CHAR, min_size=1)))
not_a_unit = st.one_of(_joined(NOT_A_UNIT_CHAR, min_size=1, max_size=30),
                       _long(_joined(NOT_A_UNIT_CHAR, min_size=1), size=3_000))


# -- case numbers --------------------------------------------------------------------------------

DIGIT_SCRIPTS = ("0123456789", "๐๑๒๓๔๕๖๗๘๙", "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "⁰¹²³⁴⁵⁶⁷⁸⁹", "०१२३४५६७८९",
                 "𝟘𝟙𝟚𝟛𝟜𝟝𝟞𝟟𝟠𝟡")


def render(value: int, width: int, script: str) -> str:
    return str(value).zfill(width).translate(str.maketrans("0123456789", script))


HASHES = st.sampled_from(["#", "", "# ", "＃", "##", "#\u200b", "\u200f#"])
DASHES = st.sampled_from(["-", " - ", "–", "—", "‐", "−", "", "/", "\u200b-", "-\u202e", "--"])
SCRIPTS = st.sampled_from(DIGIT_SCRIPTS)


@st.composite
def numbers(draw) -> str:
    """A case number in any form, any digits, any length; its sequence is never 1 or 2, so it
    never names the world's two cases (each number is in one script: mixing them would let a
    strict reader pick out a stray 1)."""
    year = render(draw(st.integers(0, 99) | st.integers(100, 10**30)), draw(st.integers(1, 3)), draw(SCRIPTS))
    sequence = draw(st.integers(3, 10**6) | st.integers(10**6, 10**40))
    return draw(HASHES) + year + draw(DASHES) + render(sequence, draw(st.integers(1, 8)), draw(SCRIPTS))


def real_forms(number: str) -> st.SearchStrategy[str]:
    """A real case number ('#70-00001') as people type it: with or without '#', spaces, Thai digits."""
    year, sequence = number.lstrip("#").split("-")
    return st.builds(
        lambda h, dash, script, width: h + render(int(year), 2, script) + dash + render(int(sequence), width, script),
        st.sampled_from(["#", "", "# "]), st.sampled_from(["-", " - "]),
        st.sampled_from(DIGIT_SCRIPTS[:2]), st.integers(1, 6))


# -- commands ------------------------------------------------------------------------------------

def word(*words: str) -> st.SearchStrategy[str]:
    """A command word as typed: as is, in capitals, or with an invisible mark stuck to it."""
    return st.sampled_from(words).flatmap(lambda w: st.sampled_from(
        [w, w.upper(), "\u200b" + w, w + "\u200f", "\ufeff" + w]))


NO_BODY = st.just("")
GAP = st.sampled_from([" ", "  ", "\t", "\u3000", "\u00a0", "\u200b", " \u200b"])


def command(words: st.SearchStrategy[str], args: st.SearchStrategy[str],
            body: st.SearchStrategy[str] = NO_BODY) -> st.SearchStrategy[str]:
    return st.builds(lambda w, gap, a, brk, b: w + gap + a + (brk + b if b else ""),
                     words, GAP, args, BREAKS, body)


def then(first: st.SearchStrategy[str], rest: st.SearchStrategy[str] = noise) -> st.SearchStrategy[str]:
    return st.builds(lambda a, gap, b: a + gap + b, first, GAP, rest)


READ_ONLY = ("ช่วยเหลือ", "help", "?", "ค้าง", "overdue", "สรุป", "digest", "แดชบอร์ด", "dashboard", "ผูกกลุ่ม",
             "bind", "ลงทะเบียน", "register")
CHANGING = ("ส่งเรื่อง", "forward", "โอนเรื่อง", "reassign", "ปิดเรื่อง", "close", "เปิดใหม่", "reopen")


def texts_for(sender: str, real: list[str], own: str | None) -> st.SearchStrategy[str]:
    """What `sender` may be made to type without anything changing. `real`: the world's case
    numbers; `own`: the one the sender's unit holds (a coordinator may relay to it, so it is
    left out of the relays)."""
    any_number = st.one_of(numbers(), *(real_forms(n) for n in real))
    others = [n for n in real if n != own]
    choices = [
        noise,
        command(word(*READ_ONLY), noise),
        command(word("สถานะ", "status"), st.one_of(any_number, then(any_number), noise)),
        then(numbers()),  # "#<no such case> …"
    ]
    if sender in CENTRE_SIDE:
        choices += [
            # a unit that is none (a line break in it only moves the rest to the title)
            command(word("ส่งเรื่อง", "forward"), not_a_unit, noise),
            command(word("โอนเรื่อง", "reassign"), st.one_of(then(numbers()), then(any_number, not_a_unit))),
            command(word("ปิดเรื่อง", "close"), st.one_of(numbers(), then(numbers()))),
            # every real case is open: reopening one is refused, whatever the reason
            command(word("เปิดใหม่", "reopen"), st.one_of(numbers(), then(any_number)), noise),
        ]
    else:
        choices += [
            command(word(*CHANGING), st.one_of(any_number, then(any_number), noise), noise),
        ]
        if sender != STRANGER and others:
            choices.append(then(st.sampled_from(others).flatmap(real_forms)))  # another unit's case
        elif sender == STRANGER:
            choices.append(then(any_number))
    return st.one_of(choices)


# -- button data ---------------------------------------------------------------------------------

IDS = st.one_of(
    st.integers(-(10**40), 10**40).map(str),
    st.sampled_from([str(2**31 - 1), str(2**31), str(2**63 - 1), str(2**63), str(2**64), "9" * 30, "0", "00", "-1",
                     "+1", " 1", "1 ", "1.0", "1e3", "0x1", "1_000", "", "²", "¹²", "١", "๑", "１", "𝟙", "1\u200b",
                     "%31", "1%00", "1" * 5_000]),
    st.builds(render, st.integers(0, 10**12), st.integers(1, 12), SCRIPTS),
    _joined(ANY_CHAR, max_size=20),
)
ACTION_WORDS = st.one_of(st.sampled_from([*ACTIONS, "ret", "ACK", "Ack", "ack ", " ack", "ack\u200b", "delete",
                                          "close", "", "a", "ret&r=0", "ack%26"]), _joined(ANY_CHAR, max_size=12))
JUNK = st.sampled_from(["&", "=", "&&", "==", "%", "%zz", "%26", "%3D", "+", ";", "#", "?", "a=", "as=", "r=",
                        "&x=1", "&as", "&=", "\u200b", "²", "๑"])


def _replace_value(data: str, key: str, value: str) -> str:
    pattern = re.compile(rf"(^|&){re.escape(key)}=[^&]*")
    if pattern.search(data):
        return pattern.sub(lambda m: f"{m[1]}{key}={value}", data, count=1)
    return f"{data}&{key}={value}"


@st.composite
def tampered(draw, real_data: list[str], valid: frozenset[str]) -> str:
    """A real button's data, changed one to three times; never the data of any real button (a
    changed id or action that lands on another real button is a real tap, not a forgery)."""
    data = draw(st.sampled_from(real_data))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.integers(0, 12))
        if how == 0:  # truncated
            data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
        elif how == 1:
            data = _replace_value(data, "as", draw(IDS))
        elif how == 2:
            data = _replace_value(data, "a", draw(ACTION_WORDS))
        elif how == 3:
            data = _replace_value(data, "r", draw(st.one_of(IDS, st.sampled_from(["other", "OTHER", "3", "-1"]))))
        elif how == 4:  # a key again
            data += "&" + draw(st.sampled_from(["a=ack", "a=done", "a=ret", "as=1", "r=0", "r=other"]))
        elif how == 5:  # an unknown key
            data += "&" + draw(st.sampled_from(["x", "AS", "a ", "as\u200b", ""])) + "=" + draw(IDS)
        elif how == 6:  # junk anywhere
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.one_of(JUNK, _joined(ANY_CHAR, min_size=1, max_size=8))) + data[at:]
        elif how == 7:  # percent-encoded, or + for a space
            data = draw(st.sampled_from([data.replace("=", "%3D"), data.replace("&", "%26"),
                                         data.replace("a", "%61", 1), data.replace("=", "=+", 1)]))
        elif how == 8:  # keys in another order
            parts = data.split("&")
            data = "&".join(draw(st.permutations(parts)))
        elif how == 9:  # huge
            data += "&x=" + "9" * draw(st.sampled_from([300, 5_000, 100_000]))
        elif how == 10:
            data = draw(_joined(ANY_CHAR, max_size=40))
        elif how == 11:
            data = draw(st.sampled_from([data.upper(), data.replace("&", ";"), data.replace("&", "&&"),
                                         data + "&", "&" + data, data.replace("=", "==", 1)]))
        else:  # a separator dropped
            data = data.replace(draw(st.sampled_from(["&", "="])), "", 1)
    assume(data not in valid)
    return data


# -- the world -----------------------------------------------------------------------------------

@dataclass
class World:
    service: Service
    numbers: list[str]  # the two cases: at บางรัก, at ปทุมวัน
    own: dict[str, str]  # coordinator → the number of the case its unit holds
    real_data: list[str]  # every button the world's people were shown
    valid: frozenset[str] = field(default_factory=frozenset)  # the data of every possible real button

    async def snapshot(self) -> dict[str, Any]:
        """Everything a refused input must leave as it was."""
        async with self.service.sessionmaker() as s:
            cases = (await s.execute(select(
                ComplaintCase.id, ComplaintCase.number, ComplaintCase.status, ComplaintCase.closed_at,
                ComplaintCase.title, ComplaintCase.priority).order_by(ComplaintCase.id))).all()
            assignments = (await s.execute(select(
                Assignment.id, Assignment.case_id, Assignment.agency_id, Assignment.status,
                Assignment.acknowledged_at, Assignment.first_response_at, Assignment.resolved_at,
                Assignment.returned_at, Assignment.return_reason, Assignment.ack_due_at,
                Assignment.resolve_due_at).order_by(Assignment.id))).all()
            people = (await s.execute(select(Person.line_user_id, Person.role, Person.agency_id, Person.active)
                                      .order_by(Person.id))).all()
            counts = {name: await s.scalar(select(func.count()).select_from(model))
                      for name, model in (("case_event", CaseEvent), ("chat_prompt", ChatPrompt))}
        return {"cases": cases, "assignments": assignments, "people": people, **counts}

    async def deliver(self, sent: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        """LINE delivers these (chat, event) pairs in one webhook call; once all is worked and sent,
        what became of each."""
        await self.service.send(*(event for _, event in sent))
        await self.service.settle(timeout=30)
        ids = [event["webhookEventId"] for _, event in sent]
        async with self.service.sessionmaker() as s:
            rows = {r.webhook_event_id: r for r in (await s.scalars(
                select(InboxEvent).where(InboxEvent.webhook_event_id.in_(ids)))).all()}
            answers = (await s.execute(select(OutboxMessage.inbox_event_id, OutboxMessage.recipient,
                                              OutboxMessage.status, OutboxMessage.messages, OutboxMessage.last_error)
                                       .where(OutboxMessage.inbox_event_id.in_([r.id for r in rows.values()])))).all()
        outcomes = []
        for chat, event in sent:
            row = rows.get(event["webhookEventId"])
            mine = [a for a in answers if row is not None and a.inbox_event_id == row.id and a.recipient == chat]
            outcomes.append(Outcome(chat=chat, event=event, status=row.status if row else None,
                                    last_error=row.last_error if row else "not stored",
                                    answers=[(a.status, a.messages, a.last_error) for a in mine]))
        return outcomes


@dataclass
class Outcome:
    chat: str
    event: dict[str, Any]
    status: str | None
    last_error: str | None
    answers: list[tuple[str, list[dict[str, Any]], str | None]]  # (outbox status, messages, error)

    @property
    def texts(self) -> list[str]:
        return [m.get("text", m.get("altText", "")) for _, messages, _ in self.answers for m in messages]

    def problem(self) -> str | None:
        """Why this event's handling is wrong, or None: worked without an error, and the sender got
        exactly one answer, in Thai, that LINE accepted."""
        if self.status != "done" or self.last_error:
            return f"inbox {self.status}: {self.last_error}"
        if len(self.answers) != 1:
            return f"{len(self.answers)} answers"
        status, _, error = self.answers[0]
        if status != "sent":
            return f"answer {status}: {error}"
        if not any("\u0e01" <= ch <= "\u0e5b" for t in self.texts for ch in t):
            return f"answer not in Thai: {self.texts}"
        return None


def text_event(sender: str, text: str) -> tuple[str, dict[str, Any]]:
    return sender, events.text_message(sender, text)


def tap_event(sender: str, data: str, *, in_group: bool = False) -> tuple[str, dict[str, Any]]:
    return (GROUP if in_group else sender), events.postback(sender, data, group_id=GROUP if in_group else None)


async def build_world(service: Service) -> World:
    """The world, built with as few round trips as it takes (events of different chats go in one
    webhook call): every test here starts from it."""
    people = ((CENTRE, "centre", "CENTRE", "สมศรี ศูนย์ฯ"), (ADMIN, "admin", None, "ผู้ดูแล"),
              (BANGRAK, "coordinator", "1004", "สมชาย บางรัก"), (PATHUMWAN, "coordinator", "1007", "ปทุม"),
              (MANAGER, "manager", "1004", "ผอ.เขต"))
    registrations = []
    for user_id, role, agency, name in people:
        service.emulator.add_user(user_id, name)
        registrations.append(events.text_message(user_id, f"ลงทะเบียน {await service.invite(role, agency)}"))
    await service.send(*registrations, events.join(GROUP))
    await service.settle()
    # The group is bound before the forwards: different chats' events are worked side by side, in
    # no order between them.
    await service.send(events.text_message(BANGRAK, "ผูกกลุ่ม 1004", group_id=GROUP))
    await service.settle()
    await service.send(events.text_message(CENTRE, "ส่งเรื่อง บางรัก\nไฟทางดับ\nมืดมาก"),
                       events.text_message(CENTRE, "ส่งเรื่อง ปทุมวัน\nไฟทางดับ\nมืดมาก"))
    await service.settle()
    answers = [m["text"] for m in service.emulator.accepted_messages(CENTRE)[-2:]]
    assert all(a.startswith("ส่งเรื่อง #") for a in answers), answers
    numbers = [a.split()[1] for a in answers]
    cards = [buttons(service.last_card(BANGRAK)), buttons(service.last_card(PATHUMWAN))]
    assert [c["รับเรื่อง"] for c in cards] == [buttons(service.last_card(GROUP))["รับเรื่อง"], cards[1]["รับเรื่อง"]]
    # ไม่ใช่หน่วยงานเรา only asks why: its reasons are real buttons too, and nothing changes.
    await service.send(events.postback(BANGRAK, cards[0]["ไม่ใช่หน่วยงานเรา"]),
                       events.postback(PATHUMWAN, cards[1]["ไม่ใช่หน่วยงานเรา"]))
    await service.settle()
    real_data = [data for card in cards for data in card.values()]
    for coordinator in (BANGRAK, PATHUMWAN):
        real_data += [a["data"] for a in quick_replies(service.emulator.accepted_messages(coordinator)[-1]).values()]
    ids = sorted({int(m[1]) for d in real_data if (m := re.search(r"(?:^|&)as=(\d+)", d))})
    valid = frozenset([f"a={a}&as={i}" for a in ACTIONS for i in ids]
                      + [f"a=ret&as={i}&r={r}" for i in ids for r in ("0", "1", "2", "other")])
    # The generators' safety rests on these: two cases, two assignments, every button known.
    assert len(ids) == 2 and len(real_data) == 16 and set(real_data) <= valid, (ids, real_data)
    return World(service=service, numbers=numbers, own={BANGRAK: numbers[0], PATHUMWAN: numbers[1]},
                 real_data=real_data, valid=valid)

"""The readers of chat text and button data on their own (app/parsing.py, the case-number helpers
in app/services/cases.py, handlers/commands.py, handlers/postback.py): any text at all gives an
answer or None, never an exception, and what they give is in range."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import parsing
from app.line import cards
from app.services import cases
from handlers import commands, coordination, postback
from tests.robustness.hostile_chat import IDS, numbers, tampered

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300)  # every character a body can carry
CASE_NUMBER = re.compile(r"[0-9]{2}-[0-9]{5,6}")
ALL_BUTTONS = [cards.postback_data(a, 7) for a in (cards.ACKNOWLEDGE, cards.REPLY, cards.DONE, cards.NOT_OURS)]
ALL_BUTTONS += [cards.postback_data(coordination.RETURN, 7, r=r) for r in ("0", "1", "2", "other")]


@settings(max_examples=500)
@given(text=st.one_of(ANY_TEXT, numbers(), st.builds(lambda n, t: n + " " + t, numbers(), ANY_TEXT)))
def test_case_number_readers_never_raise(text):
    normalized = cases.normalize_number(text)
    number, rest = cases.leading_number(text)
    lead = cases.split_leading_number(text)
    for found in (normalized, number, lead and lead[0]):
        assert found is None or CASE_NUMBER.fullmatch(found), found
    assert normalized is None or normalized == number
    assert number is not None or rest == text


@settings(max_examples=500)
@given(text=ANY_TEXT)
def test_commands_parse_anything(text):
    command = commands.parse(text)
    assert command.name is None or command.name in commands.WORDS.values()
    assert "\r" not in command.body and "\u2028" not in command.body
    assert parsing.trim(command.args) == command.args


@settings(max_examples=500)
@given(value=st.one_of(IDS, ANY_TEXT, st.integers().map(str)))
def test_ids_are_ascii_digits_within_the_column(value):
    assert parsing.parse_id(value) is None or 1 <= parsing.parse_id(value) <= parsing.INT32_MAX
    if parsing.parse_id(value) is not None:
        assert re.fullmatch(r"[1-9][0-9]*", value)


@settings(max_examples=500)
@given(data=st.one_of(ANY_TEXT, tampered(ALL_BUTTONS, frozenset(ALL_BUTTONS))))
def test_button_data_other_than_a_card_writes_is_no_tap(data):
    """Tampered data that is not some real button's data reads as no tap at all (here the only
    real id is 7: a tampered id that lands on another id is a real tap, on another card)."""
    tap = postback.parse_data(data)
    if tap is not None:
        assert tap.action in postback.ACTIONS and 1 <= tap.assignment_id <= parsing.INT32_MAX
        assert data == cards.postback_data(tap.action, tap.assignment_id, **tap.extra)


@pytest.mark.parametrize("data", ALL_BUTTONS)
def test_every_button_a_card_writes_is_read_back(data):
    tap = postback.parse_data(data)
    assert tap is not None and tap.assignment_id == 7 and cards.postback_data(tap.action, 7, **tap.extra) == data


@pytest.mark.parametrize(("text", "expected"), [
    ("#70-00042", "70-00042"), ("70-42", "70-00042"), ("# 70 - 00042", "70-00042"), ("#๗๐-๐๐๐๔๒", "70-00042"),
    ("#7๐-0004๒", "70-00042"), ("#\u200b70-\u200f00042\u202c", "70-00042"), ("#70-000042", "70-00042"),
    ("#٧٠-٠٠٠٤٢", None), ("#７０-００４２", None), ("#70-0004²", None), ("#70-00042²", None), ("#7²-00042", None),
    ("#70-1234567", None), ("#" + "9" * 30 + "-1", None), ("#70-" + "0" * 30 + "1", None), ("#", None), ("", None),
    ("#70-00042 ข้อความ", None),
])
def test_normalize_number(text, expected):
    assert cases.normalize_number(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("#70-00042 ส่งทีมไปแล้ว", ("70-00042", "ส่งทีมไปแล้ว")), ("#70-00042: ส่งทีม", ("70-00042", "ส่งทีม")),
    ("#๗๐-๐๐๐๔๒\u200b ส่งทีม 👨‍👩‍👧", ("70-00042", "ส่งทีม 👨‍👩‍👧")), ("#70-00042 \u200b\u200f", ("70-00042", "")),
    ("70-00042 ส่งทีม", None), ("#70-0004² ส่งทีม", None), ("#٧٠-٠٠٠٤٢ ส่งทีม", None), ("ส่งทีม #70-00042", None),
])
def test_split_leading_number(text, expected):
    assert cases.split_leading_number(text) == expected


@pytest.mark.parametrize(("text", "name", "args", "body"), [
    ("สถานะ #70-00042", "status", "#70-00042", ""),
    ("\u200bสถานะ\t#70-00042", "status", "#70-00042", ""),
    ("สถานะ\u3000#70-00042", "status", "#70-00042", ""),
    ("สถานะ\u200b#70-00042", "status", "#70-00042", ""),
    ("HELP", "help", "", ""),
    ("ส่งเรื่อง บางรัก\r\nไฟดับ\r\nมืด", "forward", "บางรัก", "ไฟดับ\nมืด"),
    ("ส่งเรื่อง บางรัก\u2028ไฟดับ", "forward", "บางรัก", "ไฟดับ"),
    ("  \u200b ", None, "", ""),
    ("ไฟดับ", None, "", ""),
])
def test_commands_parse(text, name, args, body):
    assert commands.parse(text) == commands.Command(name, args, body)


def test_unit_query():
    assert commands.unit_query("\u200bบาง\u200bรัก\u200f") == "บางรัก"
    assert commands.unit_query("๑๐๐๔") == "1004"
    assert commands.unit_query("\u200b\u200f") == ""

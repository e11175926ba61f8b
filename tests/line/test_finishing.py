"""The finishing step: whatever the service builds, what goes to the outbox is within LINE's limits,
and the emulator's own checks (app/line/emulator/) agree."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import utf16
from app.line.emulator.checks import validate_messages
from app.line.emulator.schema import request_errors
from app.line.finishing import finish
from tests.test_utf16 import PIECES

# Long Thai with emoji, combining marks, ZWJ sequences and astral characters, up to three times
# LINE's 5,000 units: built from runs of pieces so that every kind of character meets a cut.
runs = st.tuples(st.sampled_from(PIECES), st.integers(min_value=1, max_value=900))
long_texts = st.lists(runs, min_size=1, max_size=30).map(lambda rs: "".join(p * n for p, n in rs))


def accepted(requests: list[list[dict]]) -> bool:
    """What LINE (the emulator's checks and the SDK's models) would say to these push requests."""
    return all(not validate_messages(r) and not request_errors("/v2/bot/message/push", {"to": "U1", "messages": r})
               for r in requests)


@settings(max_examples=40)
@given(long_texts)
def test_a_long_text_becomes_parts_within_5000_units_that_join_back(body):
    quick = {"items": [{"type": "action", "action": {"type": "message", "label": "สถานะ", "text": "สถานะ"}}]}
    requests = finish([{"type": "text", "text": body, "quickReply": quick}])
    parts = [m for r in requests for m in r]
    assert "".join(m["text"] for m in parts) == body
    assert all(utf16.length(m["text"]) <= 5000 for m in parts)
    assert all(len(r) == 5 for r in requests[:-1]) and 1 <= len(requests[-1]) <= 5
    assert [("quickReply" in m) for m in parts] == [False] * (len(parts) - 1) + [True]  # LINE shows the last one's
    assert accepted(requests)


def test_messages_go_in_requests_of_five_in_order():
    messages = [{"type": "text", "text": f"ข้อความ {i}"} for i in range(12)]
    requests = finish(messages)
    assert [len(r) for r in requests] == [5, 5, 2]
    assert [m["text"] for r in requests for m in r] == [m["text"] for m in messages]
    with pytest.raises(ValueError):
        finish([])


def quick_reply(*actions: dict) -> dict:
    return {"type": "text", "text": "เลือก", "quickReply": {"items": [{"type": "action", "action": a} for a in actions]}}


def flex(*buttons: dict, alt: str = "การ์ด") -> dict:
    return {"type": "flex", "altText": alt, "contents": {"type": "bubble", "footer": {
        "type": "box", "layout": "vertical", "contents": [{"type": "button", "action": b} for b in buttons]}}}


def test_labels_display_text_and_alt_text_are_cut_as_line_counts():
    long_label = "ไม่อยู่ในอำนาจหน้าที่"  # 21 units, 14 graphemes
    messages = [
        quick_reply({"type": "postback", "label": long_label, "data": "a=ret&as=1&r=0",
                     "displayText": "ไม่ใช่หน่วยงานเรา: " + "ก" * 400}),
        flex({"type": "postback", "label": "ส่งต่อให้หน่วยงานที่รับผิดชอบโดยตรงทันทีเลย", "data": "a=x"},
             alt="😀" * 1000),
    ]
    before = copy.deepcopy(messages)
    [[asked, card]] = finish(messages)
    assert messages == before  # finishing works on a copy
    action = asked["quickReply"]["items"][0]["action"]
    assert action["label"] == "ไม่อยู่ในอำนาจหน้า…" and utf16.length(action["label"]) <= 20
    assert action["data"] == "a=ret&as=1&r=0"  # the reason still travels whole, by its index
    assert utf16.length(action["displayText"]) <= 300 and action["displayText"].endswith("…")
    button = card["contents"]["footer"]["contents"][0]["action"]
    assert utf16.length(button["label"]) <= 40 and button["label"].endswith("…")
    assert utf16.length(card["altText"]) <= 1500
    assert accepted([[asked, card]])


def test_short_labels_are_left_as_they_are():
    [[message]] = finish([flex({"type": "postback", "label": "ไม่ใช่หน่วยงานเรา", "data": "a=notours&as=1",
                                "displayText": "ไม่ใช่หน่วยงานเรา #70-00001"})])
    assert message == flex({"type": "postback", "label": "ไม่ใช่หน่วยงานเรา", "data": "a=notours&as=1",
                            "displayText": "ไม่ใช่หน่วยงานเรา #70-00001"})


@pytest.mark.parametrize("message", [
    quick_reply({"type": "postback", "label": "รับ", "data": "x" * 301}),
    quick_reply({"type": "postback", "label": "รับ", "data": "😀" * 151}),  # 302 units, 151 characters
    quick_reply({"type": "message", "label": "ส่ง", "text": "ส่งเรื่อง " + "ก" * 300}),
    quick_reply(*[{"type": "message", "label": str(i), "text": str(i)} for i in range(14)]),
    flex(*[{"type": "message", "label": "ก", "text": "ก" * 250}] * 150),  # over 30 KB
])
def test_what_a_cut_would_change_the_meaning_of_is_a_bug_raised(message):
    with pytest.raises(ValueError):
        finish([message])


def test_a_text_with_line_emojis_is_not_split():
    with pytest.raises(ValueError):
        finish([{"type": "text", "text": "$" + "ก" * 5000, "emojis": [{"index": 0, "productId": "p", "emojiId": "1"}]}])

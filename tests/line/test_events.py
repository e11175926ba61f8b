"""Bodies built by app.line.events parse with the SDK into the right classes."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import UnknownEvent, WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    JoinEvent,
    LeaveEvent,
    LocationMessageContent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from app.line import events

SECRET = "test-channel-secret"
USER = "U" + "a" * 32
OTHER = "U" + "b" * 32
GROUP = "C" + "c" * 32


def parse(*built: dict) -> list:
    body, headers = events.signed(list(built), SECRET)
    return WebhookParser(SECRET).parse(body.decode("utf-8"), headers["x-line-signature"])


def test_sign_reproduces_the_sdk_vector():
    assert events.sign(b"bodybodybodybody", "channel_secret") == "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="


def test_ids_have_lines_shapes():
    assert len(events.new_event_id()) == 26
    token = events.new_reply_token()
    assert len(token) == 32 and int(token, 16) >= 0
    ids = [events.new_message_id() for _ in range(1000)]
    assert all(len(i) == 18 and i.isdigit() for i in ids)
    assert len(set(ids)) == 1000
    assert events.new_quote_token() != events.new_quote_token()


@pytest.mark.parametrize(
    ("built", "event_class", "content_class"),
    [
        (lambda: events.text_message(USER, "สวัสดี"), MessageEvent, TextMessageContent),
        (lambda: events.image_message(USER), MessageEvent, ImageMessageContent),
        (lambda: events.location_message(USER, 13.7563, 100.5018, title="เสาชิงช้า", address="พระนคร"),
         MessageEvent, LocationMessageContent),
        (lambda: events.sticker_message(USER), MessageEvent, StickerMessageContent),
        (lambda: events.postback(USER, "action=ack&case=68-00042"), PostbackEvent, None),
        (lambda: events.follow(USER), FollowEvent, None),
        (lambda: events.unfollow(USER), UnfollowEvent, None),
        (lambda: events.join(GROUP), JoinEvent, None),
        (lambda: events.leave(GROUP), LeaveEvent, None),
        (lambda: events.member_joined(GROUP, [USER, OTHER]), MemberJoinedEvent, None),
        (lambda: events.member_left(GROUP, [USER]), MemberLeftEvent, None),
    ],
)
def test_every_builder_parses_into_its_sdk_class(built, event_class, content_class):
    event = built()
    [parsed] = parse(event)
    assert not isinstance(parsed, UnknownEvent)
    assert type(parsed) is event_class
    if content_class is not None:
        assert type(parsed.message) is content_class
    assert parsed.webhook_event_id == event["webhookEventId"]
    assert parsed.mode.value == "active"
    assert parsed.delivery_context.is_redelivery is False
    assert parsed.timestamp == event["timestamp"]
    assert getattr(parsed, "reply_token", None) == event.get("replyToken")


def test_events_without_a_reply_token():
    for event in (events.unfollow(USER), events.leave(GROUP), events.member_left(GROUP, [USER])):
        assert "replyToken" not in event
    for event in (events.text_message(USER, "x"), events.follow(USER), events.join(GROUP),
                  events.member_joined(GROUP, [USER]), events.postback(USER, "d")):
        assert len(event["replyToken"]) == 32


def test_text_message_fields_and_group_source():
    event = events.text_message(
        USER, "#68-00042 ส่งทีมไปแล้ว", group_id=GROUP, quoted_message_id="123456789012345678",
        message_id="555", reply_token="r" * 32, event_id="01HZY", mode="standby", redelivery=True,
        at=datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
    assert event["source"] == {"type": "group", "groupId": GROUP, "userId": USER}
    assert event["timestamp"] == 1735787045678
    assert "markAsReadToken" not in event["message"]  # only in 1:1 chats
    [parsed] = parse(event)
    assert isinstance(parsed.source, GroupSource)
    assert parsed.source.group_id == GROUP and parsed.source.user_id == USER
    assert parsed.message.text == "#68-00042 ส่งทีมไปแล้ว"
    assert parsed.message.quoted_message_id == "123456789012345678"
    assert parsed.message.id == "555"
    assert parsed.reply_token == "r" * 32
    assert parsed.webhook_event_id == "01HZY"
    assert parsed.mode.value == "standby"
    assert parsed.delivery_context.is_redelivery is True


def test_one_to_one_text_has_mark_as_read_token_and_user_source():
    event = events.text_message(USER, "ช่วยเหลือ")
    [parsed] = parse(event)
    assert isinstance(parsed.source, UserSource) and parsed.source.user_id == USER
    assert parsed.message.mark_as_read_token == event["message"]["markAsReadToken"]
    assert parsed.message.quote_token == event["message"]["quoteToken"]


def test_payloads_of_the_other_builders():
    loc, sticker, tap, fol, joined = parse(
        events.location_message(USER, 13.75, 100.5),
        events.sticker_message(USER, "11537", "52002734"),
        events.postback(USER, "action=done", params={"datetime": "2025-01-02T10:00"}),
        events.follow(USER, unblocked=True),
        events.member_joined(GROUP, [USER, OTHER]),
    )
    assert (loc.message.latitude, loc.message.longitude, loc.message.title) == (13.75, 100.5, None)
    assert (sticker.message.package_id, sticker.message.sticker_id) == ("11537", "52002734")
    assert sticker.message.sticker_resource_type == "STATIC"
    assert tap.postback.data == "action=done" and tap.postback.params == {"datetime": "2025-01-02T10:00"}
    assert fol.follow.is_unblocked is True
    assert [m.user_id for m in joined.joined.members] == [USER, OTHER]


def test_timestamp_follows_at_and_rejects_naive_datetimes():
    bangkok = timezone(timedelta(hours=7))
    at = datetime(2025, 6, 1, 9, 0, tzinfo=bangkok)
    assert events.follow(USER, at=at)["timestamp"] == int(at.timestamp() * 1000)
    with pytest.raises(ValueError):
        events.follow(USER, at=datetime(2025, 6, 1, 9, 0))


def test_body_is_compact_utf8_json_with_destination():
    body = events.webhook_body([events.text_message(USER, "ไฟทางดับ")], destination="U" + "9" * 32)
    assert b"\xe0\xb9\x84" in body  # "ไ" as raw UTF-8, not \u escaped
    assert b", " not in body and b": " not in body
    assert json.loads(body)["destination"] == "U" + "9" * 32
    assert json.loads(events.webhook_body([]))["events"] == []


def test_signed_headers():
    body, headers = events.signed([events.follow(USER)], SECRET)
    assert headers == {
        "content-type": "application/json; charset=utf-8",
        "x-line-signature": events.sign(body, SECRET),
    }
    assert json.loads(body)["destination"] == events.DEFAULT_DESTINATION


def test_wrong_signature_is_rejected():
    body, _ = events.signed([events.follow(USER)], SECRET)
    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(body.decode("utf-8"), events.sign(body, "another-secret"))

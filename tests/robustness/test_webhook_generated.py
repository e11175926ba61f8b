"""POST /webhook under generated bodies: signed and unsigned, random JSON, and LINE's own events
with any part replaced, removed or added. Whatever comes, the answer is 200 or a 4xx, a refused
body stores nothing, nothing accepted dies in the worker, and the service still answers after."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.line import events
from models import InboxEvent
from tests.conftest import SECRET

EXAMPLES = 2_000

# JSON of every kind, including what a database refuses (NUL, lone surrogates) and numbers past
# any column's range.
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
           | st.sampled_from(["", "\x00", "\ud800", "²", "๑๒๓", "U" * 100, "active", "standby", "user", "group"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)


def _valid_events() -> list[dict[str, Any]]:
    return [
        events.text_message("U" + "1" * 32, "ช่วยเหลือ"),
        events.text_message("U" + "2" * 32, "สวัสดี", group_id="C" + "3" * 32),
        events.postback("U" + "4" * 32, "a=ack&as=1"),
        events.image_message("U" + "5" * 32),
        events.location_message("U" + "6" * 32, 13.7, 100.5, title="ซอย", address="บางรัก"),
        events.sticker_message("U" + "7" * 32),
        events.follow("U" + "8" * 32),
        events.unfollow("U" + "9" * 32),
        events.join("C" + "a" * 32),
        events.member_joined("C" + "b" * 32, ["U" + "c" * 32]),
    ]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


@st.composite
def mutated_events(draw) -> dict[str, Any]:
    """A real event with one part replaced, removed, or given a new neighbour."""
    event = copy.deepcopy(draw(st.sampled_from(_valid_events())))
    event["webhookEventId"] = events.new_event_id()
    path = draw(st.sampled_from(_paths(event)[1:]))
    *parent_path, key = path
    parent = event
    for step in parent_path:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        parent[key] = draw(json_values)
    elif action == "remove" and isinstance(parent, dict):
        del parent[key]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    return event


@st.composite
def events_with_generated_text(draw) -> dict[str, Any]:
    """A well-formed event whose free text is generated: accepted, then worked by the handlers."""
    user = "U" + draw(st.text("0123456789abcdef", min_size=32, max_size=32))
    text = draw(st.text(min_size=1, max_size=300))
    if draw(st.booleans()):
        return events.postback(user, text)
    return events.text_message(user, text)


def _body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", errors="surrogatepass")


bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(_body),
    st.lists(events_with_generated_text(), min_size=1, max_size=3).map(
        lambda evs: _body({"destination": events.DEFAULT_DESTINATION, "events": evs})),
    st.lists(mutated_events(), min_size=1, max_size=3).map(
        lambda evs: _body({"destination": events.DEFAULT_DESTINATION, "events": evs})),
    st.lists(json_values, max_size=3).map(lambda evs: _body({"destination": events.DEFAULT_DESTINATION, "events": evs})),
)
signatures = st.sampled_from(["right", "right", "right", "none", "wrong"])


def _event_ids(body: bytes) -> set[str]:
    try:
        evs = json.loads(body).get("events")
    except (ValueError, AttributeError):
        return set()
    if not isinstance(evs, list):
        return set()
    return {e["webhookEventId"] for e in evs if isinstance(e, dict) and isinstance(e.get("webhookEventId"), str)}


async def test_generated_webhook_bodies_never_reach_a_5xx(service):
    seen: dict[int, int] = {}
    accepted: set[str] = set()
    refused: set[str] = set()
    loop = asyncio.get_running_loop()
    async with service.http(admin=False) as client:

        async def post(body: bytes, signature: str) -> None:
            headers = {"content-type": "application/json"}
            if signature != "none":
                headers["x-line-signature"] = events.sign(body, SECRET if signature == "right" else "not-the-secret")
            response = await client.post("/webhook", content=body, headers=headers)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code in (200, 400, 413), response.text
            if response.status_code == 200:
                accepted.update(_event_ids(body))
            else:
                assert "message" in response.json()
                refused.update(_event_ids(body))

        # hypothesis drives from a thread; the service and the client run on this loop meanwhile
        @settings(max_examples=EXAMPLES)
        @given(body=bodies, signature=signatures)
        def example(body: bytes, signature: str) -> None:
            asyncio.run_coroutine_threadsafe(post(body, signature), loop).result(timeout=60)

        await asyncio.to_thread(example)
    print(f"\nwebhook answers to {sum(seen.values())} generated bodies: {dict(sorted(seen.items()))}")
    assert seen.get(200) and seen.get(400)  # the generator reached both sides

    await service.settle(timeout=60)
    async with service.sessionmaker() as s:
        stored = set((await s.scalars(select(InboxEvent.webhook_event_id))).all())
        dead = (await s.scalars(select(InboxEvent.last_error).where(InboxEvent.status == "dead"))).all()
        failed_tries = await s.scalar(select(func.count()).select_from(InboxEvent)
                                      .where(InboxEvent.last_error.is_not(None)))
    assert stored == accepted and not stored & refused  # a refused body stored nothing
    assert dead == [] and failed_tries == 0  # every accepted event was worked, none failed a try

    [answer] = await service.say("U" + "f" * 32, "ช่วยเหลือ")
    assert "1555" in answer

"""Messages finished for LINE: the one step every outgoing message passes before it is written to
the outbox (app/pipeline/outbox.py), so that each request is within LINE's limits (app/line/limits.py) by
construction, whatever the texts and cards put in it.

- A text longer than 5,000 UTF-16 units becomes several texts that join back to it, cut after a
  line break, else a space, else between whole characters; its quick reply goes with the last.
- Labels are cut with "…" (quick reply and template 20 units, image carousel 12, Flex 40), and so
  are `displayText` (300) and `altText` (Flex 1,500, template 400): they are what people read.
- What a cut would change the meaning of is our bug, raised as ValueError: postback data over 300
  units, a message action's text over 300, more than 13 quick replies, a Flex container too big.
- Then the messages go in requests of at most five.

The messages passed in are left as they are; finishing works on a copy.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from app import utf16
from app.line import limits

Message = dict[str, Any]


def finish(messages: list[Message]) -> list[list[Message]]:
    """`messages` as LINE will take them: each within its limits, in requests of at most five."""
    if not messages:
        raise ValueError("no messages to send")
    finished = [part for message in messages for part in _finish(copy.deepcopy(message))]
    return [finished[i : i + limits.MAX_MESSAGES] for i in range(0, len(finished), limits.MAX_MESSAGES)]


def _finish(message: Message) -> list[Message]:
    kind = message.get("type")
    if kind == "flex":
        message["altText"] = utf16.cut(message["altText"], limits.MAX_FLEX_ALT_TEXT)
        _check_flex_size(message["contents"])
    elif kind == "template":
        message["altText"] = utf16.cut(message["altText"], limits.MAX_TEMPLATE_ALT_TEXT)
    items = (message.get("quickReply") or {}).get("items", [])
    if len(items) > limits.MAX_QUICK_REPLY_ITEMS:
        raise ValueError(f"{len(items)} quick replies: LINE takes at most {limits.MAX_QUICK_REPLY_ITEMS}")
    for action, label_limit in actions(message):
        _finish_action(action, label_limit)
    if kind == "text":
        return _split_text(message)
    return [message]


def actions(message: Message) -> Iterator[tuple[dict[str, Any], int]]:
    """Every action object in a message with the longest label LINE allows where it sits."""
    for item in (message.get("quickReply") or {}).get("items", []):
        if isinstance(item.get("action"), dict):
            yield item["action"], limits.MAX_QUICK_REPLY_LABEL
    if message.get("type") == "flex":
        yield from ((a, limits.MAX_FLEX_LABEL) for a in _nested_actions(message.get("contents")))
    elif message.get("type") == "template":
        template = message.get("template") or {}
        column_label = (limits.MAX_IMAGE_CAROUSEL_LABEL if template.get("type") == "image_carousel"
                        else limits.MAX_TEMPLATE_LABEL)
        yield from ((a, limits.MAX_TEMPLATE_LABEL) for a in _own_actions(template))
        for column in template.get("columns") or []:
            yield from ((a, column_label) for a in _own_actions(column))


def _own_actions(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("action", "defaultAction"):
        if isinstance(node.get(key), dict):
            yield node[key]
    yield from (a for a in node.get("actions") or [] if isinstance(a, dict))


def _nested_actions(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield from _own_actions(node)
        for key, value in node.items():
            if key not in ("action", "defaultAction", "actions"):
                yield from _nested_actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nested_actions(value)


def _finish_action(action: dict[str, Any], label_limit: int) -> None:
    if isinstance(action.get("label"), str):
        action["label"] = utf16.cut(action["label"], label_limit)
    if isinstance(action.get("displayText"), str):
        action["displayText"] = utf16.cut(action["displayText"], limits.MAX_DISPLAY_TEXT)
    data = action.get("data")
    if isinstance(data, str) and utf16.length(data) > limits.MAX_POSTBACK_DATA:
        raise ValueError(f"postback data of {utf16.length(data)} units: LINE takes at most "
                         f"{limits.MAX_POSTBACK_DATA} ({data[:40]}…)")
    if action.get("type") == "message" and utf16.length(action.get("text") or "") > limits.MAX_MESSAGE_ACTION_TEXT:
        raise ValueError(f"a message action's text of {utf16.length(action['text'])} units: LINE takes at most "
                         f"{limits.MAX_MESSAGE_ACTION_TEXT}")


def _split_text(message: Message) -> list[Message]:
    parts = utf16.split(message["text"], limits.MAX_TEXT)
    if len(parts) == 1:
        return [message]
    if message.get("emojis"):  # LINE emojis are placed by index into the whole text
        raise ValueError("a text with LINE emojis over 5,000 units cannot be split")
    quick_reply = message.pop("quickReply", None)
    pieces = [{**message, "text": parts[0]}] + [{"type": "text", "text": part} for part in parts[1:]]
    if quick_reply is not None:
        pieces[-1]["quickReply"] = quick_reply  # LINE shows the last message's quick reply
    return pieces


def _check_flex_size(contents: dict[str, Any]) -> None:
    bubbles = contents.get("contents") if contents.get("type") == "carousel" else [contents]
    if not 1 <= len(bubbles) <= limits.MAX_CAROUSEL_BUBBLES:
        raise ValueError(f"a carousel of {len(bubbles)} bubbles: LINE takes 1–{limits.MAX_CAROUSEL_BUBBLES}")
    if _size(contents) > (limits.MAX_CAROUSEL_BYTES if contents.get("type") == "carousel" else limits.MAX_BUBBLE_BYTES):
        raise ValueError(f"a Flex container of {_size(contents):,} bytes is too big for LINE")
    if any(_size(bubble) > limits.MAX_BUBBLE_BYTES for bubble in bubbles):
        raise ValueError("a Flex bubble over 30 KB is too big for LINE")


def _size(contents: dict[str, Any]) -> int:
    return len(json.dumps(contents, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

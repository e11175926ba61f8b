"""The emulator's checks of a message request against LINE's documented limits
(app/line/limits.py), answered with LINE's error bodies.

These checks are the emulator's own code, apart from the service's finishing step, so that they
stay a real check of it; they count as LINE counts: text, labels and data in UTF-16 code units,
Flex containers in bytes of compact UTF-8 JSON. The schema of each request is checked besides, with
line-bot-sdk's request models (schema.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from app.line.limits import (
    MAX_BUBBLE_BYTES,
    MAX_CAROUSEL_BUBBLES,
    MAX_CAROUSEL_BYTES,
    MAX_DISPLAY_TEXT,
    MAX_FLEX_ALT_TEXT,
    MAX_FLEX_LABEL,
    MAX_IMAGE_CAROUSEL_LABEL,
    MAX_IMAGE_URL,
    MAX_LOCATION_TEXT,
    MAX_MESSAGE_ACTION_TEXT,
    MAX_MESSAGES,
    MAX_POSTBACK_DATA,
    MAX_QUICK_REPLY_ITEMS,
    MAX_QUICK_REPLY_LABEL,
    MAX_TEMPLATE_ALT_TEXT,
    MAX_TEMPLATE_LABEL,
    MAX_TEXT,
)

MESSAGE_TYPES = frozenset(
    {"text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"}
)
QUOTABLE_TYPES = frozenset({"text", "textV2", "sticker", "image", "video"})

AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class LineApiError(Exception):
    """An answer in LINE's error shape: `{"message", "details": [{"message", "property"}]}`."""

    def __init__(self, status: int, message: str, details: list[dict[str, str]] | None = None,
                 *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message}
        if details:
            self.body["details"] = details
        self.headers = headers or {}


def invalid(details: list[dict[str, str]]) -> LineApiError:
    return LineApiError(400, f"The request body has {len(details)} error(s)", details)


def _utf16_length(text: str) -> int:
    # LINE's servers count characters as UTF-16 code units (an emoji outside the BMP counts 2).
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _compact_json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object nested in a message, with its JSON path (`messages[0].quickReply.items[2]`)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _actions(message: dict[str, Any], prop: str) -> Iterator[tuple[str, dict[str, Any], int]]:
    """Every action object in a message, with its JSON path and the longest label LINE allows
    there: quick reply items 20, a template's actions 20 (an image carousel's columns 12), anything
    inside a Flex container 40. Imagemap actions (they have an `area`) are not action objects."""
    quick_reply = message.get("quickReply")
    if isinstance(quick_reply, dict):
        yield from ((p, a, MAX_QUICK_REPLY_LABEL) for p, a in _nested_actions(quick_reply, f"{prop}.quickReply"))
    if message.get("type") == "flex":
        yield from ((p, a, MAX_FLEX_LABEL) for p, a in _nested_actions(message.get("contents"), f"{prop}.contents"))
    if message.get("type") == "template" and isinstance(message.get("template"), dict):
        template = message["template"]
        columns_limit = MAX_IMAGE_CAROUSEL_LABEL if template.get("type") == "image_carousel" else MAX_TEMPLATE_LABEL
        for p, action in _nested_actions(template, f"{prop}.template"):
            yield p, action, columns_limit if ".columns[" in p else MAX_TEMPLATE_LABEL


def _nested_actions(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The value of every `action` or `defaultAction` key and every item of an `actions` list."""
    for parent_path, parent in _walk(node, path):
        for key in ("action", "defaultAction"):
            if isinstance(parent.get(key), dict):
                yield f"{parent_path}.{key}", parent[key]
        if isinstance(parent.get("actions"), list):
            for i, action in enumerate(parent["actions"]):
                if isinstance(action, dict) and "area" not in action:
                    yield f"{parent_path}.actions[{i}]", action


def _is_http_url(value: str) -> bool:
    return value.startswith(("https://", "http://")) and len(value) > len("https://")


def validate_messages(messages: Any) -> list[dict[str, str]]:
    """LINE's checks on the `messages` array, as `details` entries (empty when valid)."""
    if messages is None:
        return [{"message": "must be specified", "property": "messages"}]
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        return [{"message": f"Size must be between 1 and {MAX_MESSAGES}", "property": "messages"}]
    details: list[dict[str, str]] = []

    def fail(message: str, prop: str) -> None:
        details.append({"message": message, "property": prop})

    def required_text(message: dict[str, Any], prop: str, key: str, limit: int) -> bool:
        """A string LINE requires: present, not empty, at most `limit` UTF-16 units."""
        value = message.get(key)
        if not isinstance(value, str) or not value:
            fail("must be specified", f"{prop}.{key}")
        elif _utf16_length(value) > limit:
            fail(f"Length must be between 0 and {limit}", f"{prop}.{key}")
        else:
            return True
        return False

    for i, message in enumerate(messages):
        prop = f"messages[{i}]"
        kind = message.get("type") if isinstance(message, dict) else None
        if kind not in MESSAGE_TYPES:
            fail("Invalid message type", f"{prop}.type")
            continue
        if kind in ("text", "textV2"):
            required_text(message, prop, "text", MAX_TEXT)
        if kind in ("flex", "template"):
            limit = MAX_FLEX_ALT_TEXT if kind == "flex" else MAX_TEMPLATE_ALT_TEXT
            required_text(message, prop, "altText", limit)
            if not isinstance(message.get("contents" if kind == "flex" else "template"), dict):
                fail("must be specified", f"{prop}.{'contents' if kind == 'flex' else 'template'}")
            elif kind == "flex":
                _check_flex_size(message["contents"], f"{prop}.contents", fail)
        if kind == "image":
            for key in ("originalContentUrl", "previewImageUrl"):
                # LINE accepts only https. The emulator also takes http, because the service in
                # development serves its own images from http://127.0.0.1.
                if required_text(message, prop, key, MAX_IMAGE_URL) and not _is_http_url(message[key]):
                    fail("must be an https URL", f"{prop}.{key}")
        if kind == "location":
            for key in ("title", "address"):
                required_text(message, prop, key, MAX_LOCATION_TEXT)
            for key in ("latitude", "longitude"):
                value = message.get(key)
                if type(value) not in (int, float):  # bool is not a number here
                    fail("must be specified", f"{prop}.{key}")
        if "quickReply" in message:
            items = (message.get("quickReply") or {}).get("items")
            if not isinstance(items, list) or not 1 <= len(items) <= MAX_QUICK_REPLY_ITEMS:
                fail(f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}", f"{prop}.quickReply.items")
        for path, node in _walk(message, prop):
            if node.get("type") == "postback":
                data = node.get("data")
                if not isinstance(data, str):
                    fail("must be specified", f"{path}.data")
                elif _utf16_length(data) > MAX_POSTBACK_DATA:
                    fail(f"Length must be between 0 and {MAX_POSTBACK_DATA}", f"{path}.data")
        for path, action, label_limit in _actions(message, prop):
            for key, limit in (("label", label_limit), ("displayText", MAX_DISPLAY_TEXT)):
                value = action.get(key)
                if isinstance(value, str) and _utf16_length(value) > limit:
                    fail(f"Length must be between 0 and {limit}", f"{path}.{key}")
            if action.get("type") == "message" and isinstance(action.get("text"), str) \
                    and _utf16_length(action["text"]) > MAX_MESSAGE_ACTION_TEXT:
                fail(f"Length must be between 0 and {MAX_MESSAGE_ACTION_TEXT}", f"{path}.text")
    return details


def _check_flex_size(contents: dict[str, Any], prop: str, fail: Callable[[str, str], None]) -> None:
    """A bubble ≤ 30 KB of compact UTF-8 JSON; a carousel ≤ 50 KB and 1–12 bubbles, each ≤ 30 KB."""
    if contents.get("type") == "carousel":
        bubbles = contents.get("contents")
        if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= MAX_CAROUSEL_BUBBLES:
            fail(f"Size must be between 1 and {MAX_CAROUSEL_BUBBLES}", f"{prop}.contents")
        elif _compact_json_size(contents) > MAX_CAROUSEL_BYTES:
            fail(f"Size must be at most {MAX_CAROUSEL_BYTES} bytes", prop)
        else:
            for i, bubble in enumerate(bubbles):
                if _compact_json_size(bubble) > MAX_BUBBLE_BYTES:
                    fail(f"Size must be at most {MAX_BUBBLE_BYTES} bytes", f"{prop}.contents[{i}]")
    elif _compact_json_size(contents) > MAX_BUBBLE_BYTES:
        fail(f"Size must be at most {MAX_BUBBLE_BYTES} bytes", prop)

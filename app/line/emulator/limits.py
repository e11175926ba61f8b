"""LINE's limits, and the checks the emulator makes against them with LINE's error bodies."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_MESSAGES = 5
MAX_TEXT_LENGTH = 5_000
MAX_FLEX_ALT_TEXT = 1_500
MAX_TEMPLATE_ALT_TEXT = 400
MAX_QUICK_REPLY_ITEMS = 13
MAX_POSTBACK_DATA = 300
MAX_ACTION_LABEL = 20  # grapheme clusters (image carousel columns allow only 12: not checked)
MAX_BUBBLE_BYTES = 30 * 1024  # a bubble's JSON
MAX_CAROUSEL_BYTES = 50 * 1024  # a carousel's JSON
MAX_CAROUSEL_BUBBLES = 12
MAX_IMAGE_URL = 2_000
MAX_LOCATION_TEXT = 100  # title, address
MAX_MULTICAST_TO = 500
RETRY_KEY_TTL_SECONDS = 24 * 3600
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
    return len(text.encode("utf-16-le")) // 2


_THAI_SARA_AM = "\u0e33"  # ำ: a letter (Lo), yet it extends the cluster before it (UAX #29 SpacingMark)
_ZWJ = "\u200d"


def _is_regional_indicator(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def grapheme_length(text: str) -> int:
    """About how many grapheme clusters `text` has: how LINE counts action labels.

    The standard library has no grapheme segmentation (UAX #29), so this approximates it: every
    code point counts once (an astral character such as an emoji is one, not two UTF-16 units)
    except those that join the cluster before them: combining marks (categories Mn and Me, e.g.
    Thai tone marks and above/below vowels), Thai SARA AM (U+0E33), a zero-width joiner and the
    character it joins, an emoji skin-tone modifier, and the second regional indicator of a flag.
    Not covered: Hangul jamo sequences, spacing marks of Indic scripts (Mc), CR LF, tag sequences.
    For Thai, which is what the service writes, it agrees with UAX #29.
    """
    count = 0
    join_next = False
    regional_pending = False
    for ch in text:
        if join_next:
            join_next = False
            continue
        if ch == _ZWJ:
            join_next = True
            continue
        if ch == _THAI_SARA_AM or unicodedata.category(ch) in ("Mn", "Me") or "\U0001f3fb" <= ch <= "\U0001f3ff":
            continue
        if _is_regional_indicator(ch):
            if regional_pending:
                regional_pending = False
                continue
            regional_pending = True
        else:
            regional_pending = False
        count += 1
    return count


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


def _actions(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every action object in a message: the value of an `action` or `defaultAction` key (quick
    reply items, Flex components, template columns) or an item of an `actions` list (templates).
    Imagemap actions (they have an `area`) are not action objects and are left out."""
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

    for i, message in enumerate(messages):
        prop = f"messages[{i}]"
        kind = message.get("type") if isinstance(message, dict) else None
        if kind not in MESSAGE_TYPES:
            fail("Invalid message type", f"{prop}.type")
            continue
        if kind in ("text", "textV2"):
            text = message.get("text")
            if not isinstance(text, str) or not text:
                fail("must be specified", f"{prop}.text")
            elif _utf16_length(text) > MAX_TEXT_LENGTH:
                fail(f"Length must be between 0 and {MAX_TEXT_LENGTH}", f"{prop}.text")
        if kind in ("flex", "template"):
            limit = MAX_FLEX_ALT_TEXT if kind == "flex" else MAX_TEMPLATE_ALT_TEXT
            alt_text = message.get("altText")
            if not isinstance(alt_text, str) or not alt_text:
                fail("must be specified", f"{prop}.altText")
            elif _utf16_length(alt_text) > limit:
                fail(f"Length must be between 0 and {limit}", f"{prop}.altText")
            if not isinstance(message.get("contents" if kind == "flex" else "template"), dict):
                fail("must be specified", f"{prop}.{'contents' if kind == 'flex' else 'template'}")
            elif kind == "flex":
                _check_flex_size(message["contents"], f"{prop}.contents", fail)
        if kind == "image":
            for key in ("originalContentUrl", "previewImageUrl"):
                url = message.get(key)
                if not isinstance(url, str) or not url:
                    fail("must be specified", f"{prop}.{key}")
                elif _utf16_length(url) > MAX_IMAGE_URL:
                    fail(f"Length must be between 0 and {MAX_IMAGE_URL}", f"{prop}.{key}")
                # LINE accepts only https. The emulator also takes http, because the service in
                # development serves its own images from http://127.0.0.1.
                elif not _is_http_url(url):
                    fail("must be an https URL", f"{prop}.{key}")
        if kind == "location":
            for key in ("title", "address"):
                value = message.get(key)
                if not isinstance(value, str) or not value:
                    fail("must be specified", f"{prop}.{key}")
                elif _utf16_length(value) > MAX_LOCATION_TEXT:
                    fail(f"Length must be between 0 and {MAX_LOCATION_TEXT}", f"{prop}.{key}")
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
        for path, action in _actions(message, prop):
            label = action.get("label")
            if isinstance(label, str) and grapheme_length(label) > MAX_ACTION_LABEL:
                fail(f"Length must be between 0 and {MAX_ACTION_LABEL}", f"{path}.label")
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

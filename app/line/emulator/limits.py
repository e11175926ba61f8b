"""LINE's limits, and the checks the emulator makes against them with LINE's error bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_MESSAGES = 5
MAX_TEXT_LENGTH = 5_000
MAX_FLEX_ALT_TEXT = 1_500
MAX_TEMPLATE_ALT_TEXT = 400
MAX_QUICK_REPLY_ITEMS = 13
MAX_POSTBACK_DATA = 300
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


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object nested in a message, with its JSON path (`messages[0].quickReply.items[2]`)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


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
    return details

"""The emulator's conversation transcript: who said what, in words a developer reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any


def line(at: float, tz: tzinfo, who: str, what: str) -> str:
    stamp = datetime.fromtimestamp(at, tz).strftime("%H:%M:%S")
    head = f"[{stamp}] {who}: "
    return head + what.replace("\n", "\n" + " " * len(head))


def describe_event(event: dict[str, Any], name: Callable[[str], str]) -> str:
    kind = event.get("type")
    if kind == "message":
        message = event.get("message", {})
        if message.get("quotedMessageId"):
            return f"(quoting {message['quotedMessageId']}) {describe_message(message)}"
        return describe_message(message)
    if kind == "postback":
        return f"[tap] {event.get('postback', {}).get('data', '')}"
    if kind == "follow":
        return "[unblocks the account]" if event.get("follow", {}).get("isUnblocked") else "[adds the account]"
    if kind in ("memberJoined", "memberLeft"):
        members = event.get("joined" if kind == "memberJoined" else "left", {}).get("members", [])
        names = ", ".join(name(m.get("userId")) for m in members)
        return f"[{'joined' if kind == 'memberJoined' else 'left'}: {names}]"
    labels = {"unfollow": "[blocks the account]", "join": "[bot added]", "leave": "[bot removed]"}
    return labels.get(kind, f"[{kind}]")


def describe_message(message: dict[str, Any]) -> str:
    kind = message.get("type")
    if kind in ("text", "textV2"):
        text = message.get("text", "")
    elif kind in ("flex", "template"):
        text = f"[{kind}] {message.get('altText', '')}"
    elif kind == "location":
        place = " ".join(p for p in (message.get("title"), message.get("address")) if p)
        text = " ".join(p for p in ("[location]", place, f"({message.get('latitude')}, {message.get('longitude')})") if p)
    elif kind == "sticker":
        text = f"[sticker {message.get('packageId')}/{message.get('stickerId')}]"
    else:
        text = f"[{kind}]"
    items = (message.get("quickReply") or {}).get("items") or []
    if items:
        text += "  [quick reply: " + " · ".join(str(i.get("action", {}).get("label", "?")) for i in items) + "]"
    return text

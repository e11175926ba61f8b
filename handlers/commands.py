"""Chat commands: the words people type, in Thai or English, and how a text splits into parts."""

from __future__ import annotations

from dataclasses import dataclass

# word people type → command name (SPEC §3, §4)
WORDS = {
    "ลงทะเบียน": "register", "register": "register",
    "ผูกกลุ่ม": "bind", "bind": "bind",
    "ช่วยเหลือ": "help", "help": "help", "วิธีใช้": "help", "?": "help",
    "ส่งเรื่อง": "forward", "forward": "forward",
    "โอนเรื่อง": "reassign", "reassign": "reassign", "reroute": "reassign",
    "ปิดเรื่อง": "close", "close": "close",
    "เปิดใหม่": "reopen", "reopen": "reopen",
    "สถานะ": "status", "status": "status",
    "ค้าง": "overdue", "overdue": "overdue",
    "สรุป": "digest", "digest": "digest",
    "แดชบอร์ด": "dashboard", "dashboard": "dashboard",
}


@dataclass(frozen=True)
class Command:
    name: str | None  # None: not a command
    args: str  # the rest of the first line
    body: str  # the lines after the first


def parse(text: str) -> Command:
    first, _, body = text.strip().partition("\n")
    word, _, args = first.strip().partition(" ")
    return Command(WORDS.get(word.strip().lower()), args.strip(), body.strip())

"""Chat commands: the words people type, in Thai or English, and how a text splits into parts
(app/parsing.py says how odd spaces, line breaks and invisible marks are read)."""

from __future__ import annotations

from dataclasses import dataclass

from app import parsing

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


# Longer than any unit's code, name or alias (the longest is 62 characters): not a unit, and not
# worth echoing back.
MAX_UNIT_QUERY = 100


@dataclass(frozen=True)
class Command:
    name: str | None  # None: not a command
    args: str  # the rest of the first line
    body: str  # the lines after the first


def parse(text: str) -> Command:
    """Any line break ends the first line; any space (or a zero-width one) ends the word; marks
    nobody sees never make a word unknown."""
    first, _, body = parsing.trim(parsing.normalize_breaks(text)).partition("\n")
    word, args = parsing.split_word(first)
    return Command(WORDS.get(word.lower()), args, parsing.trim(body))


def unit_query(text: str) -> str:
    """A unit as typed, for agencies.resolve: without invisible marks, and with Thai digits as
    ASCII ('๑๐๐๔' is 1004)."""
    return parsing.ascii_digits(parsing.strip_invisible(text)).strip()

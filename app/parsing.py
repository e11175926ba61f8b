"""What people type and what a button carries, read strictly and never with an exception.

Chat text is whatever a phone keyboard, a copy-paste or a forger produces: digits of every script
(`"²".isdigit()` is True but `int("²")` raises, while `int("٣")` quietly gives 3), numbers of any
length (`int()` refuses past 4,300 digits, the database past its column), zero-width and bidi
marks, and line breaks other than "\\n". The rules kept here:

- a number is ASCII digits, or Thai digits (๐-๙, which Thai keyboards type), nothing else;
- a row id from a button is ASCII digits exactly as the card wrote it, within the column's range;
- invisible marks (Unicode category Cf: zero-width space and joiners, bidi marks, BOM, soft
  hyphen) never make a word different or a text non-blank.
"""

from __future__ import annotations

import re
import unicodedata

INT32_MAX = 2**31 - 1  # an Integer column (every id a button carries) on PostgreSQL

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
DIGIT = "[0-9๐-๙]"  # a regex class: the digits people may type
_TO_ASCII = str.maketrans(THAI_DIGITS, "0123456789")

_ID = re.compile(r"[1-9][0-9]{0,9}")  # ten digits at most: past that int() is never needed
# Every line boundary str.splitlines() knows, so "\r\n" from LINE for PC or a pasted U+2028
# breaks a command's lines the way "\n" does.
_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# What separates a command word from its arguments: any space, or a zero-width space (Thai
# text uses it to mark word breaks).
_GAP = re.compile(r"[\s\u200b]+")


def ascii_digits(text: str) -> str:
    """Thai digits as ASCII ('๗๐' → '70'); other characters unchanged."""
    return text.translate(_TO_ASCII)


def parse_id(value: object, *, maximum: int = INT32_MAX) -> int | None:
    """A row id as a button writes it ('42'), or None: ASCII digits only, no sign, space or
    leading zero, 1 … `maximum`."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= maximum else None


def parse_index(value: object, count: int) -> int | None:
    """'0' … str(count - 1), exactly as a button writes it, or None."""
    return next((i for i in range(count) if value == str(i)), None)


def is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


def strip_invisible(text: str) -> str:
    """`text` without zero-width, bidi and other format marks."""
    return "".join(ch for ch in text if not is_invisible(ch))


def trim(text: str) -> str:
    """`text` without spaces and invisible marks at either end (inside, it stays as typed: a
    zero-width joiner inside an emoji belongs to it)."""
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or is_invisible(text[start])):
        start += 1
    while end > start and (text[end - 1].isspace() or is_invisible(text[end - 1])):
        end -= 1
    return text[start:end]


def is_blank(text: str) -> bool:
    """Nothing a person can see: empty, spaces, line breaks and invisible marks only."""
    return not trim(text)


def normalize_breaks(text: str) -> str:
    """Every kind of line break as '\\n'."""
    return _BREAKS.sub("\n", text)


def split_word(line: str) -> tuple[str, str]:
    """'สถานะ  #70-00042' → ('สถานะ', '#70-00042'): the first word, without invisible marks, and
    the trimmed rest."""
    line = trim(line)
    parts = _GAP.split(line, maxsplit=1)
    return strip_invisible(parts[0]), trim(parts[1]) if len(parts) > 1 else ""

"""Text measured, cut and split as LINE counts it: in UTF-16 code units.

Python indexes code points, so a cut never falls inside a surrogate pair; the cuts here also keep
what a reader sees as one character together: a Thai consonant with its vowel and tone marks, an
emoji with its skin tone or its ZWJ sequence, a flag's two regional indicators, CR LF.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"

_JOINS_PREVIOUS = frozenset("\u0e33\u0eb3\u200d")  # Thai and Lao SARA AM, zero-width joiner
_THAI_LEADING_VOWELS = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")  # เ แ โ ใ ไ: written before their consonant
_ZWJ = "\u200d"


def length(text: str) -> int:
    """UTF-16 code units: how LINE measures text, labels and data."""
    # surrogatepass: a lone surrogate (it can arrive in JSON) counts 1, as it would in UTF-16
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fits(text: str, units: int) -> int:
    """The number of code points of the longest prefix of `text` within `units`."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ch > "\uffff" else 1
        if used > units:
            return i
    return len(text)


def breakable(text: str, i: int) -> bool:
    """May `text` be cut before index `i` without tearing a character apart?"""
    if i <= 0 or i >= len(text):
        return True
    before, ch = text[i - 1], text[i]
    if before == "\r" and ch == "\n":
        return False
    if ch in _JOINS_PREVIOUS or before == _ZWJ or before in _THAI_LEADING_VOWELS:
        return False
    if unicodedata.category(ch) in ("Mn", "Me", "Mc") or "\U0001f3fb" <= ch <= "\U0001f3ff" \
            or "\U000e0020" <= ch <= "\U000e007f":
        return False  # combining marks, variation selectors, skin tones, emoji tag sequences
    if _regional(ch) and _regional(before):
        run = 0
        while run < i and _regional(text[i - 1 - run]):
            run += 1
        return run % 2 == 0  # flags pair up from the left
    return True


def _regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _back_to_break(text: str, i: int) -> int:
    """The nearest index at or before `i` where `text` may be cut; 0 if there is none."""
    while i > 0 and not breakable(text, i):
        i -= 1
    return i


def head(text: str, units: int) -> str:
    """The longest prefix of `text` within `units` that ends between whole characters."""
    end = fits(text, units)
    return text[: _back_to_break(text, end) or end]  # one character longer than `units`: torn


def cut(text: str, units: int) -> str:
    """`text` if it fits in `units`, else its longest whole-character prefix that fits with "…"."""
    if length(text) <= units:
        return text
    return head(text, units - length(ELLIPSIS)).rstrip() + ELLIPSIS


def split(text: str, units: int) -> list[str]:
    """`text` in parts of at most `units` that join back to `text`: each cut after a line break
    near the end of a part, else after a space, else between two whole characters."""
    if units < 2:
        raise ValueError("a part must hold at least 2 units (one character outside the BMP)")
    parts: list[str] = []
    while length(text) > units:
        end = fits(text, units)
        i = _good_break(text, end)
        parts.append(text[:i])
        text = text[i:]
    parts.append(text)
    return parts


def _good_break(text: str, end: int) -> int:
    for separator in ("\n", " "):
        at = text.rfind(separator, 0, end)
        if at >= end // 2 and breakable(text, at + 1):
            return at + 1
    return _back_to_break(text, end) or end

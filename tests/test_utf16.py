"""Text measured, cut and split in UTF-16 units, as LINE counts, without tearing a character."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import utf16

# What people type: Thai with its marks, digits, emoji (astral: a surrogate pair in UTF-16), skin
# tones, ZWJ families, flags, combining accents, line breaks and spaces.
PIECES = ["ก", "ไม่", "อำ", "น้ำ", "ที่", "ปู่", "เด็ก", "๑๒๓", "a", "é", "e\u0301", "😀", "👍🏽", "👨\u200d👩\u200d👧",
          "🇹🇭", "🇯🇵", "❤\ufe0f", "𠀋", " ", "\n", "\r\n", "\u200b", "\u200f"]
texts = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)


def strict_utf16(part: str) -> str:
    part.encode("utf-16-le")  # raises on a lone surrogate: a torn pair would show here
    return part


def test_length_counts_utf16_code_units():
    assert utf16.length("ไม่อยู่ในอำนาจหน้าที่") == 21  # every vowel and tone mark counts
    assert utf16.length("😀") == 2 and utf16.length("👨\u200d👩\u200d👧") == 8 and utf16.length("") == 0
    assert utf16.length("\ud83d") == 1  # a lone surrogate (it can come in JSON) does not raise


@settings(max_examples=200)
@given(texts, st.integers(min_value=2, max_value=40))
def test_split_parts_fit_and_join_back(text, units):
    parts = utf16.split(text, units)
    assert "".join(parts) == text
    assert all(utf16.length(strict_utf16(p)) <= units for p in parts)
    assert all(parts) or parts == [""]


@settings(max_examples=200)
@given(texts, st.integers(min_value=1, max_value=30))
def test_head_ends_between_whole_characters(text, units):
    head = utf16.head(text, units)
    assert text.startswith(head) and utf16.length(strict_utf16(head)) <= units
    # it tears a character only when no whole one fits (an 8-unit ZWJ family in 5 units)
    assert utf16.breakable(text, len(head)) or not any(utf16.breakable(text, i) for i in range(1, len(head)))


@settings(max_examples=200)
@given(texts, st.integers(min_value=1, max_value=30))
def test_cut_fits_and_marks_the_cut(text, units):
    cut = utf16.cut(text, units)
    assert utf16.length(strict_utf16(cut)) <= units
    if cut != text:
        assert cut.endswith(utf16.ELLIPSIS) and text.startswith(cut.removesuffix(utf16.ELLIPSIS))


@pytest.mark.parametrize("offset", range(4990, 5003))
def test_split_at_5000_never_tears_a_surrogate_pair_wherever_it_falls(offset):
    text = "ก" * offset + "😀" + "ข" * 100
    parts = utf16.split(text, 5000)
    assert "".join(parts) == text
    assert all(utf16.length(strict_utf16(p)) <= 5000 for p in parts)


def test_split_cuts_after_a_line_break_then_a_space():
    lines = "\n".join(f"บรรทัดที่ {i} " + "ก" * 90 for i in range(200))
    parts = utf16.split(lines, 5000)
    assert len(parts) > 1 and all(p.endswith("\n") for p in parts[:-1]) and "".join(parts) == lines

    words = " ".join(["ถนนสีลม"] * 2000)
    parts = utf16.split(words, 5000)
    assert all(p.endswith(" ") for p in parts[:-1]) and "".join(parts) == words

    assert [len(p) for p in utf16.split("x" * 12_000, 5000)] == [5000, 5000, 2000]
    assert utf16.split("สั้น", 5000) == ["สั้น"]


def test_split_keeps_thai_syllables_and_emoji_sequences_whole():
    parts = utf16.split("น้ำ" * 10, 4)  # น ้ ำ: three units, one syllable
    assert parts == ["น้ำ"] * 10
    assert utf16.split("👨\u200d👩\u200d👧" * 3, 10) == ["👨\u200d👩\u200d👧"] * 3
    assert utf16.split("🇹🇭🇯🇵", 6) == ["🇹🇭", "🇯🇵"]
    assert utf16.split("เก", 1 + 1) == ["เก"]  # a leading vowel stays with its consonant


def test_cut_labels():
    assert utf16.cut("นอกอำนาจหน้าที่", 20) == "นอกอำนาจหน้าที่"
    assert utf16.cut("ไม่อยู่ในอำนาจหน้าที่", 20) == "ไม่อยู่ในอำนาจหน้า…"
    cut = utf16.cut("ส่งเรื่องถึงหน่วยงานที่รับผิดชอบ 👍🏽", 20)
    assert utf16.length(cut) <= 20 and unicodedata.category(cut[-2]) != "Mn"
    assert utf16.head("😀😀", 3) == "😀"

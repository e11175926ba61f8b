"""Texts cut to LINE's limits."""

from __future__ import annotations

from app import texts


def _units(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def test_split_text_keeps_everything_within_the_limit():
    body = "\n".join(f"บรรทัดที่ {i} " + "ก" * 90 for i in range(200))
    pieces = texts.split_text(body)
    assert len(pieces) > 1 and all(_units(p) <= 5000 for p in pieces)
    assert "\n".join(pieces) == body  # cut at line breaks, nothing lost
    assert texts.split_text("สั้น") == ["สั้น"]


def test_split_text_counts_utf16_and_never_splits_a_surrogate_pair():
    body = "😀" * 3000  # 6,000 UTF-16 units
    pieces = texts.split_text(body)
    assert [len(p) for p in pieces] == [2500, 500] and "".join(pieces) == body


def test_split_text_without_spaces_cuts_hard():
    pieces = texts.split_text("x" * 12_000, limit=5000)
    assert [len(p) for p in pieces] == [5000, 5000, 2000]

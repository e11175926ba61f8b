"""Labels and echoes in what the account writes, within LINE's limits counted in UTF-16 units."""

from __future__ import annotations

from app import texts, utf16
from app.line import cards, limits
from app.services.agencies import read_file
from app.texts import coordination, digest
from models import Agency


def test_return_reason_labels_fit_a_quick_reply_and_keep_the_reasons_whole():
    assert coordination.RETURN_REASONS[0] == "ไม่อยู่ในอำนาจหน้าที่"  # what the centre reads
    assert utf16.length(coordination.RETURN_REASONS[0]) == 21  # one over a quick-reply label
    labels = (*coordination.RETURN_REASON_LABELS, coordination.OTHER_REASON)
    assert labels == ("นอกอำนาจหน้าที่", "ข้อมูลไม่ครบ", "เป็นของหน่วยงานอื่น", "อื่นๆ")
    assert all(utf16.length(label) <= limits.MAX_QUICK_REPLY_LABEL for label in labels)
    assert len(coordination.RETURN_REASON_LABELS) == len(coordination.RETURN_REASONS)


def test_card_and_digest_button_labels_fit_flex():
    assert all(utf16.length(label) <= limits.MAX_FLEX_LABEL for _, label, _ in cards.BUTTONS)
    assert utf16.length(digest.DASHBOARD) <= limits.MAX_FLEX_LABEL


def test_every_unit_has_a_quick_reply_label_within_20_units():
    units = [Agency(code=row["code"], name_th=row["name_th"]) for row in read_file()]
    labels = {unit.code: texts.choice_label(unit) for unit in units}
    assert all(utf16.length(label) <= limits.MAX_QUICK_REPLY_LABEL for label in labels.values())
    assert labels["1004"] == "เขตบางรัก" and labels["BUD"] == "สำนักงบประมาณ"
    assert labels["TTD"] == "สำนักการจราจรและขน…"  # the list above the choices has the full name


def test_quick_reply_pairs_are_cut_as_line_counts():
    message = texts.text("เลือก", quick_replies=[("ไม่อยู่ในอำนาจหน้าที่", "x"), ("สถานะ", "สถานะ #70-00001")])
    labels = [item["action"]["label"] for item in message["quickReply"]["items"]]
    assert labels == ["ไม่อยู่ในอำนาจหน้า…", "สถานะ"]


def test_an_echo_is_cut_and_a_short_one_left_whole():
    assert texts.echo("บางรัก", 60) == "บางรัก"
    long = texts.echo("หน่วยงานที่ไม่มีอยู่จริง" * 100, 60)
    assert utf16.length(long) <= 60 and long.endswith("…")

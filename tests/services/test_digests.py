"""Managers' digests (SPEC §6): the periods, the numbers in the bubbles against a hand-computed
fixture, LINE's limits in the worst case, and once per period per recipient."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from app.config import Settings
from app.db import session_scope
from app.errors import InvalidInput
from app.line import digest_cards
from app.line.emulator.checks import validate_messages
from app.services import agencies, digests
from models import Agency, Assignment, ComplaintCase, DigestDelivery, OutboxMessage, Person
from tests.services.test_metrics import DAY, HOUR, add_assignment

BKK = ZoneInfo("Asia/Bangkok")
F = datetime(2026, 11, 2, 9, 0, tzinfo=BKK)  # Monday of ISO week 2026-W45: the fixture is forwarded
NOW = datetime(2026, 11, 9, 8, 30, tzinfo=BKK)  # the next Monday, when the weekly digest goes out
SETTINGS = Settings(_env_file=None, public_base_url="https://rongtuk.example.go.th")


# -- periods -------------------------------------------------------------------------------------

def test_daily_is_the_previous_bangkok_day():
    # 00:30 on the 25th in Bangkok is still the 24th in UTC: the day is Bangkok's
    now = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    start, end, key = digests.period_bounds("daily", now, BKK)
    assert (start, end, key) == (datetime(2026, 11, 24, tzinfo=BKK), datetime(2026, 11, 25, tzinfo=BKK), "2026-11-24")


def test_weekly_is_the_previous_monday_to_sunday_week():
    for now in (NOW, datetime(2026, 11, 15, 23, 59, tzinfo=BKK)):  # Monday morning, or late on Sunday
        start, end, key = digests.period_bounds("weekly", now, BKK)
        assert (start, end, key) == (datetime(2026, 11, 2, tzinfo=BKK), datetime(2026, 11, 9, tzinfo=BKK), "2026-W45")
    start, end, key = digests.period_bounds("weekly", datetime(2027, 1, 4, 8, 30, tzinfo=BKK), BKK)
    assert (start.date().isoformat(), end.date().isoformat(), key) == ("2026-12-28", "2027-01-04", "2026-W53")


def test_the_current_period_runs_up_to_now_and_other_periods_are_refused():
    assert digests.current_bounds("daily", NOW, BKK) == (datetime(2026, 11, 9, tzinfo=BKK), NOW, "2026-11-09")
    assert digests.current_bounds("weekly", NOW, BKK) == (datetime(2026, 11, 9, tzinfo=BKK), NOW, "2026-W46")
    for bad in ("monthly", "", "Daily"):
        with pytest.raises(InvalidInput):
            digests.period_bounds(bad, NOW, BKK)


# -- the fixture ---------------------------------------------------------------------------------

async def add_week(session) -> dict[str, Assignment]:
    """Three units' week 2026-W45, plus one old case still overdue. Response times are (wall,
    business) seconds; deadlines are wall seconds after forwarding."""
    add = add_assignment
    ack4h = {"ack_due_after": 4 * HOUR}
    return {
        # Bang Rak (1004)
        "a1": await add(session, "1004", status="resolved", forwarded_at=F, tta=(1800, 1800), frt=(1800, 1800),
                        ttr=(7200, 7200), resolve_due_after=DAY, **ack4h),  # both met
        "a2": await add(session, "1004", status="resolved", forwarded_at=F, tta=(3600, 3600), frt=(3600, 3600),
                        ttr=(2 * DAY, 28800), resolve_due_after=DAY, **ack4h),  # resolved late
        "a3": await add(session, "1004", status="acknowledged", forwarded_at=F, tta=(5400, 5400), frt=(5400, 5400),
                        resolve_due_after=15 * DAY, **ack4h),  # resolve still ahead
        "a4": await add(session, "1004", status="forwarded", forwarded_at=F, ack_due_after=HOUR,
                        resolve_due_after=15 * DAY),  # never acknowledged: overdue
        "d1": await add(session, "1004", status="forwarded", forwarded_at=F - timedelta(days=2), ack_due_after=HOUR,
                        resolve_due_after=15 * DAY),  # forwarded the week before: overdue, not in the counts
        # Phra Nakhon (1001)
        "b1": await add(session, "1001", status="resolved", forwarded_at=F, tta=(600, 600), frt=(600, 600),
                        ttr=(3600, 3600), resolve_due_after=DAY, **ack4h),
        "b2": await add(session, "1001", status="returned", forwarded_at=F, frt=(300, 300), returned_after=300,
                        **ack4h),  # a prompt "not ours": the acknowledge deadline is met
        # Pathum Wan (1007)
        "c1": await add(session, "1007", status="acknowledged", forwarded_at=F, tta=(20000, 10800),
                        frt=(20000, 10800), resolve_due_after=20 * HOUR, **ack4h),  # late, and resolve overdue
        "c2": await add(session, "1007", status="forwarded", forwarded_at=F, resolve_due_after=15 * DAY, **ack4h),
    }


async def person(session, role: str, unit: str | None, user: str, *, active: bool = True) -> Person:
    agency = await agencies.get_by_code(session, unit) if unit else None
    p = Person(line_user_id=user, display_name=user, role=role, agency_id=agency.id if agency else None,
               active=active, registered_at=F - timedelta(days=30))
    session.add(p)
    await session.flush()
    await session.refresh(p, ["agency"])
    return p


def rows(bubble: dict) -> dict[str, list[str]]:
    """A bubble's rows as label → values (the horizontal boxes of its body)."""
    found = {}
    for box in bubble["body"]["contents"]:
        if box["type"] == "box" and box["layout"] == "horizontal":
            label, *values = [t["text"] for t in box["contents"]]
            found[label] = values
    return found


def texts(bubble: dict) -> list[str]:
    return [c["text"] for c in bubble["body"]["contents"] if c["type"] == "text"]


def header(bubble: dict) -> list[str]:
    return [c["text"] for c in bubble["header"]["contents"]]


def dashboard(bubble: dict) -> str:
    [button] = bubble["footer"]["contents"]
    assert button["action"]["label"] == "ดูแดชบอร์ด" and button["action"]["type"] == "uri"
    return button["action"]["uri"]


async def test_a_bma_wide_managers_weekly_digest(session):
    await add_week(session)
    manager = await person(session, "manager", None, "U_BMA")
    message = await digests.build(session, person=manager, period="weekly", now=NOW, settings=SETTINGS)
    assert validate_messages([message]) == []
    summary, overdue, slowest = message["contents"]["contents"]

    assert header(summary) == ["📊 สรุปรายสัปดาห์", "ทุกหน่วยงานของกรุงเทพมหานคร", "ประจำสัปดาห์ 2–8 พ.ย. 2569"]
    assert rows(summary) == {
        # forwarded in the week: 4 + 2 + 2 (d1 is the week before); of them acknowledged a1-a3, b1, c1
        "ส่งถึงหน่วยงาน": ["8"], "รับเรื่องแล้ว": ["5"], "ดำเนินการเสร็จ": ["3"], "ส่งคืนศูนย์ฯ": ["1"],
        # acknowledge: met a1 a2 a3 b1 b2 of 8 decided (a4, c1, c2 missed) = 62.5%
        # resolve: met a1 b1 of a1 a2 b1 c1 decided (a3, a4, c2 still ahead; b2 returned) = 50%
        "รับเรื่องทันกำหนด": ["62.5%"], "เสร็จทันกำหนด": ["50.0%"],
        # TTA business [600, 1800, 3600, 5400, 10800]: p50 3600; p90 at 3.6 → 5400 + 0.6·5400 = 8640
        "รับเรื่อง ค่ากลาง": ["1 ชม."], "รับเรื่อง P90": ["2 ชม. 24 นาที"],
        # TTR business [3600, 7200, 28800]: p50 7200; p90 at 1.8 → 7200 + 0.8·21600 = 24480
        "เสร็จสิ้น ค่ากลาง": ["2 ชม."], "เสร็จสิ้น P90": ["6 ชม. 48 นาที"],
        "เรื่องค้างเกินกำหนดขณะนี้": ["4"],  # a4, d1, c1, c2
    }
    assert "ระดับตัวชี้วัดนวัตกรรม" not in json.dumps(summary, ensure_ascii=False)  # a unit's KPI, not BMA-wide

    # Bang Rak and Pathum Wan have two each: the longer overdue first. Bang Rak's worst is d1, its
    # acknowledge deadline an hour after 31 Oct 09:00: 8 days 22 h 30 min before NOW. Pathum Wan's
    # is c2's, 2 Nov 13:00: 6 days 19 h 30 min.
    assert texts(overdue)[:2] == ["1. สำนักงานเขตบางรัก", "2. สำนักงานเขตปทุมวัน"]
    values = [[t["text"] for t in box["contents"]] for box in overdue["body"]["contents"] if box["type"] == "box"]
    assert values == [["2 เรื่อง", "นานสุดเกิน 8 วัน 22 ชม."], ["2 เรื่อง", "นานสุดเกิน 6 วัน 19 ชม."]]
    assert texts(overdue)[-1] == "รวมทุกหน่วยงาน 4 เรื่อง"

    # slowest to acknowledge, by each unit's median TTA in business hours
    assert list(rows(slowest)) == ["1. สำนักงานเขตปทุมวัน", "2. สำนักงานเขตบางรัก", "3. สำนักงานเขตพระนคร"]
    assert rows(slowest)["1. สำนักงานเขตปทุมวัน"] == ["3 ชม.", "0.0%"]
    assert rows(slowest)["3. สำนักงานเขตพระนคร"] == ["10 นาที", "100.0%"]

    assert {dashboard(b) for b in (summary, overdue, slowest)} == {"https://rongtuk.example.go.th/dashboard"}
    assert message["altText"] == (
        "สรุปรายสัปดาห์ ประจำสัปดาห์ 2–8 พ.ย. 2569 · ทุกหน่วยงาน · ส่ง 8 รับเรื่อง 5 เสร็จ 3 คืน 1 · "
        "ทันกำหนด: รับเรื่อง 62.5% เสร็จ 50.0% · ค่ากลาง (ชั่วโมงทำการ): รับเรื่อง 1 ชม. เสร็จสิ้น 2 ชม. · "
        "เกินกำหนดขณะนี้ 4 เรื่อง")


async def test_a_unit_managers_digest_beside_the_bma_median(session):
    week = await add_week(session)
    # the complainant's phone typed into a title never reaches LINE
    case = await session.get(ComplaintCase, week["a4"].case_id)
    case.title, case.complainant_phone = "ไฟดับ โทรกลับ 081-234-5678", "0812345678"
    await session.flush()
    manager = await person(session, "manager", "1004", "U_BANGRAK_BOSS")
    message = await digests.build(session, person=manager, period="weekly", now=NOW, settings=SETTINGS)
    assert validate_messages([message]) == []
    summary, overdue = message["contents"]["contents"]

    assert header(summary) == ["📊 สรุปรายสัปดาห์", "สำนักงานเขตบางรัก", "ประจำสัปดาห์ 2–8 พ.ย. 2569"]
    assert rows(summary) == {
        "ส่งถึงหน่วยงาน": ["4"], "รับเรื่องแล้ว": ["3"], "ดำเนินการเสร็จ": ["2"], "ส่งคืนศูนย์ฯ": ["0"],
        " ": ["หน่วยงาน", "กทม."],
        # Bang Rak: acknowledge met 3 of 4 (a4 missed); resolve met 1 of 2 (a2 late). BMA: as above.
        "รับเรื่องทันกำหนด": ["75.0%", "62.5%"], "เสร็จทันกำหนด": ["50.0%", "50.0%"],
        # Bang Rak TTA [1800, 3600, 5400]: 3600; 3600 + 0.8·1800 = 5040 (1 h 24 min).
        # BMA = median over units of their p50: Bang Rak 3600, Phra Nakhon 600, Pathum Wan 10800 → 3600;
        # of their p90: 5040, 600, 10800 → 5040.
        "รับเรื่อง ค่ากลาง": ["1 ชม.", "1 ชม."], "รับเรื่อง P90": ["1 ชม. 24 นาที", "1 ชม. 24 นาที"],
        # Bang Rak TTR [7200, 28800]: 18000; 7200 + 0.9·21600 = 26640 (7 h 24 min).
        # BMA: p50 of Bang Rak 18000 and Phra Nakhon 3600 (Pathum Wan resolved nothing) → 10800;
        # p90 of 26640 and 3600 → 15120 (4 h 12 min).
        "เสร็จสิ้น ค่ากลาง": ["5 ชม.", "3 ชม."], "เสร็จสิ้น P90": ["7 ชม. 24 นาที", "4 ชม. 12 นาที"],
        "เรื่องค้างเกินกำหนดขณะนี้": ["2"],
    }
    assert "ระดับตัวชี้วัดนวัตกรรม: ยังไม่ได้ประเมิน (ปีงบประมาณ 2570)" in texts(summary)

    d1, a4 = week["d1"], week["a4"]
    assert texts(overdue) == [f"#{(await session.get(ComplaintCase, d1.case_id)).number} เรื่องทดสอบ "
                              f"{(await session.get(ComplaintCase, d1.case_id)).sequence}",
                              f"#{case.number} ไฟดับ โทรกลับ 08x-xxx-5678"]
    values = [[t["text"] for t in box["contents"]] for box in overdue["body"]["contents"] if box["type"] == "box"]
    # a4: its acknowledge deadline was 2 Nov 10:00, 6 days 22 h 30 min before NOW
    assert values == [["ยังไม่รับเรื่อง", "เกิน 8 วัน 22 ชม."], ["ยังไม่รับเรื่อง", "เกิน 6 วัน 22 ชม."]]
    assert "081-234-5678" not in json.dumps(message, ensure_ascii=False)
    assert {dashboard(b) for b in (summary, overdue)} == {"https://rongtuk.example.go.th/dashboard?agency=1004"}
    assert message["altText"].startswith("สรุปรายสัปดาห์ ประจำสัปดาห์ 2–8 พ.ย. 2569 · สำนักงานเขตบางรัก · "
                                         "ส่ง 4 รับเรื่อง 3 เสร็จ 2 คืน 0 · ทันกำหนด: รับเรื่อง 75.0% เสร็จ 50.0%")
    assert a4.agency_id == manager.agency_id


async def test_coordinators_get_their_unit_and_the_centre_gets_everything(session):
    await add_week(session)
    coordinator = await person(session, "coordinator", "1001", "U_PN")
    centre = await person(session, "centre", "CENTRE", "U_CENTRE")
    centre_head = await person(session, "manager", "CENTRE", "U_CENTRE_HEAD")  # the centre is forwarded nothing
    assert digests.scope_of(centre_head) is None and digests.scope_of(centre) is None
    assert digests.scope_of(coordinator).code == "1001"
    unit = await digests.build(session, person=coordinator, period="daily", now=F + timedelta(days=1),
                               settings=SETTINGS)
    bma = await digests.build(session, person=centre, period="daily", now=F + timedelta(days=1), settings=SETTINGS)
    assert header(unit["contents"]["contents"][0])[1:] == ["สำนักงานเขตพระนคร", "ประจำวันที่ 2 พ.ย. 2569"]
    assert rows(unit["contents"]["contents"][0])["ส่งถึงหน่วยงาน"] == ["2"]
    assert header(bma["contents"]["contents"][0])[1] == "ทุกหน่วยงานของกรุงเทพมหานคร"
    assert rows(bma["contents"]["contents"][0])["ส่งถึงหน่วยงาน"] == ["8"]


async def test_an_empty_period_says_so(session):
    manager = await person(session, "manager", "1004", "U_BOSS")
    message = await digests.build(session, person=manager, period="daily", now=NOW, settings=SETTINGS)
    summary, overdue = message["contents"]["contents"]
    assert rows(summary)["ส่งถึงหน่วยงาน"] == ["0"]
    assert rows(summary)["รับเรื่อง ค่ากลาง"] == ["–", "–"] and rows(summary)["รับเรื่องทันกำหนด"] == ["–", "–"]
    assert texts(overdue) == ["ไม่มีเรื่องค้างเกินกำหนด"]
    bma = await digests.build(session, person=await person(session, "admin", None, "U_ADMIN"), period="daily",
                              now=NOW, settings=SETTINGS)
    assert len(bma["contents"]["contents"]) == 2  # no slowest units when nobody acknowledged anything


async def test_a_unit_sees_its_five_most_overdue_cases_and_how_many_more(session):
    for hours_late in (30, 10, 70, 50, 20, 60, 40):  # acknowledge deadlines this many hours before NOW
        await add_assignment(session, "1004", status="forwarded", forwarded_at=NOW - timedelta(hours=hours_late + 1),
                             ack_due_after=HOUR, resolve_due_after=15 * DAY)
    await add_assignment(session, "1007", status="forwarded", forwarded_at=NOW - timedelta(hours=100),
                         ack_due_after=HOUR)
    message = await digests.build(session, person=await person(session, "manager", "1004", "U_BR"), period="daily",
                                  now=NOW, settings=SETTINGS)
    overdue = message["contents"]["contents"][1]
    values = [box["contents"][1]["text"] for box in overdue["body"]["contents"] if box["type"] == "box"]
    assert values == ["เกิน 2 วัน 22 ชม.", "เกิน 2 วัน 12 ชม.", "เกิน 2 วัน 2 ชม.", "เกิน 1 วัน 16 ชม.",
                      "เกิน 1 วัน 6 ชม."]
    assert texts(overdue)[-1] == "และอีก 2 เรื่อง · พิมพ์ ค้าง เพื่อดูทั้งหมด"
    assert rows(message["contents"]["contents"][0])["เรื่องค้างเกินกำหนดขณะนี้"] == ["7"]  # not Pathum Wan's


async def test_overdue_counts_alike_with_and_without_the_cases(session):
    await add_week(session)
    with_cases = await digests.overdue_now(session, now=NOW)
    without = await digests.overdue_now(session, now=NOW, limit=0)
    assert [(u.code, u.count, u.worst_seconds) for u in with_cases] == \
        [(u.code, u.count, u.worst_seconds) for u in without] == \
        [("1004", 2, (8 * 24 + 22.5) * HOUR), ("1007", 2, (6 * 24 + 19.5) * HOUR)]
    assert [len(u.cases) for u in with_cases] == [2, 2] and [u.cases for u in without] == [(), ()]


async def test_on_demand_the_period_so_far(session):
    await add_assignment(session, "1004", status="acknowledged", forwarded_at=NOW - timedelta(minutes=20),
                         tta=(600, 600), frt=(600, 600), ack_due_after=4 * HOUR)
    manager = await person(session, "manager", "1004", "U_BOSS")
    message = await digests.build(session, person=manager, period="daily", now=NOW, settings=SETTINGS, so_far=True)
    summary = message["contents"]["contents"][0]
    assert header(summary)[2] == "วันนี้ 9 พ.ย. 2569 ถึง 08:30 น."
    assert rows(summary)["ส่งถึงหน่วยงาน"] == ["1"] and rows(summary)["รับเรื่อง ค่ากลาง"][0] == "10 นาที"


# -- LINE's limits ---------------------------------------------------------------------------------

async def test_the_worst_case_stays_within_lines_limits(session):
    """Every unit with a 200-character name, cases in the period and overdue, 300-character titles."""
    units = (await session.scalars(select(Agency).order_by(Agency.code))).all()
    assert len(units) == 76
    for i, unit in enumerate(units):
        await session.execute(update(Agency).where(Agency.id == unit.id)
                              .values(name_th=f"สำนักงาน{i:02d}" + "ก" * 190))
        for k in range(3):
            a = await add_assignment(session, unit.code, status="acknowledged" if k else "forwarded",
                                     forwarded_at=F + timedelta(minutes=k), tta=(600 + i, 600 + i) if k else None,
                                     ack_due_after=HOUR, resolve_due_after=DAY)
            case = await session.get(ComplaintCase, a.case_id)
            case.title = "ท่อระบายน้ำอุดตัน 😀 " * 15
    await session.flush()
    session.expire_all()
    for who in (await person(session, "manager", None, "U_BMA"), await person(session, "manager", "1004", "U_BR")):
        message = await digests.build(session, person=who, period="weekly", now=NOW, settings=SETTINGS)
        carousel = message["contents"]
        assert 1 <= len(carousel["contents"]) <= 12
        assert digest_cards.size(carousel) <= 50 * 1024
        assert all(digest_cards.size(b) <= 30 * 1024 for b in carousel["contents"])
        assert len(message["altText"]) <= 400
        assert validate_messages([message]) == []
    assert len(carousel["contents"]) == 2  # the unit's: figures and overdue cases


async def test_the_message_is_the_sdks_own_json(session):
    """carousel() serialises the SDK models in one pass; it must give exactly what to_dict() gives."""
    await add_week(session)
    snap = await digests.snapshot(session, period=digests.make_period("weekly", NOW, BKK), now=NOW)
    for who in (await person(session, "manager", None, "U_BMA"), await person(session, "manager", "1004", "U_BR")):
        digest = await digests.digest_for(session, snap, who, SETTINGS)
        assert digest_cards.carousel(digest, tz=BKK) == digest_cards.message_model(digest, tz=BKK).to_dict()


def test_a_carousel_past_the_limits_is_refused():
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical",
                                         "contents": [{"type": "text", "text": "ก" * 9000}]}}
    with pytest.raises(ValueError):
        digest_cards.check({"type": "carousel", "contents": [bubble] * 2})
    with pytest.raises(ValueError):
        digest_cards.check({"type": "carousel", "contents": [{"type": "bubble"}] * 13})


# -- sending once per period -----------------------------------------------------------------------

async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_each_manager_gets_a_periods_digest_once(session):
    await add_week(session)
    bma = await person(session, "manager", None, "U_BMA")
    unit = await person(session, "manager", "1004", "U_BR")
    await person(session, "manager", "1001", "U_GONE", active=False)
    await person(session, "coordinator", "1004", "U_COORD")
    await person(session, "centre", "CENTRE", "U_CENTRE")

    first = await digests.send_period(session, period="weekly", now=NOW, settings=SETTINGS)
    assert [(r["line_user_id"], r["status"], r["period_key"]) for r in first] == [
        ("U_BMA", "sent", "2026-W45"), ("U_BR", "sent", "2026-W45")]
    pushed = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(m.kind, m.recipient) for m in pushed] == [("push", "U_BMA"), ("push", "U_BR")]
    assert pushed[1].messages == [first[1]["message"]]
    assert pushed[1].messages[0]["altText"].startswith("สรุปรายสัปดาห์ ประจำสัปดาห์ 2–8 พ.ย. 2569 · สำนักงานเขตบางรัก")

    # the job again, later the same week (a rerun, or another replica): nothing new
    again = await digests.send_period(session, period="weekly", now=NOW + timedelta(hours=3), settings=SETTINGS)
    assert [r["status"] for r in again] == ["already_sent", "already_sent"]
    assert await _count(session, OutboxMessage) == 2
    # the daily digest is another period; the next week too
    daily = await digests.send_period(session, period="daily", now=NOW, settings=SETTINGS)
    nxt = await digests.send_period(session, period="weekly", now=NOW + timedelta(days=7), settings=SETTINGS)
    assert [r["status"] for r in daily + nxt] == ["sent"] * 4
    keys = (await session.execute(select(DigestDelivery.person_id, DigestDelivery.period, DigestDelivery.period_key)
                                  .order_by(DigestDelivery.id))).all()
    assert keys == [(bma.id, "weekly", "2026-W45"), (unit.id, "weekly", "2026-W45"),
                    (bma.id, "daily", "2026-11-08"), (unit.id, "daily", "2026-11-08"),
                    (bma.id, "weekly", "2026-W46"), (unit.id, "weekly", "2026-W46")]
    assert await _count(session, OutboxMessage) == 6


async def test_one_failing_digest_does_not_stop_the_others(session, monkeypatch):
    await add_week(session)
    await person(session, "manager", "1004", "U_BR")
    await person(session, "manager", "1001", "U_PN")
    draw = digest_cards.carousel

    def broken_for_bang_rak(digest, *, tz):
        if digest.unit and digest.unit.code == "1004":
            raise RuntimeError("boom")
        return draw(digest, tz=tz)

    monkeypatch.setattr(digest_cards, "carousel", broken_for_bang_rak)
    results = await digests.send_period(session, period="weekly", now=NOW, settings=SETTINGS)
    assert [(r["line_user_id"], r["status"]) for r in results] == [("U_BR", "failed"), ("U_PN", "sent")]
    assert results[0]["error"] == "RuntimeError: boom"
    assert (await session.scalars(select(OutboxMessage.recipient))).all() == ["U_PN"]
    monkeypatch.setattr(digest_cards, "carousel", draw)
    # the next run sends what failed, and only that
    again = await digests.send_period(session, period="weekly", now=NOW, settings=SETTINGS)
    assert [r["status"] for r in again] == ["sent", "already_sent"]


async def test_a_dry_run_writes_nothing(session):
    await add_week(session)
    await person(session, "manager", "1004", "U_BR")
    results = await digests.send_period(session, period="daily", now=NOW, settings=SETTINGS, dry_run=True)
    assert [(r["status"], r["message"]["type"]) for r in results] == [("dry_run", "flex")]
    assert await _count(session, DigestDelivery) == 0 and await _count(session, OutboxMessage) == 0
    # and a real run afterwards still sends
    assert [r["status"] for r in await digests.send_period(session, period="daily", now=NOW, settings=SETTINGS)] \
        == ["sent"]


async def test_send_scheduled_runs_in_its_own_transaction(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await person(s, "manager", None, "U_BMA")
        await person(s, "manager", "1004", "U_BR")
    assert await digests.send_scheduled(sessionmaker, SETTINGS, period="daily", now=NOW) == \
        {"sent": 2, "already_sent": 0, "failed": 0}
    assert await digests.send_scheduled(sessionmaker, SETTINGS, period="daily", now=NOW) == \
        {"sent": 0, "already_sent": 2, "failed": 0}
    async with sessionmaker() as s:
        assert await _count(s, OutboxMessage) == 2 and await _count(s, DigestDelivery) == 2


async def _cli(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "RONGTUK_ENV": "development", "DATABASE_URL": database_url, "LOG_JSON": "false",
           "PUBLIC_BASE_URL": "https://rongtuk.example.go.th"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "app.cli", "digest", "send", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_rongtuk_digest_send(sessionmaker, database_url):
    async with session_scope(sessionmaker) as s:
        await person(s, "manager", "1004", "U_BR")

    code, out, err = await _cli(database_url, "--period", "daily", "--dry-run")
    assert code == 0, err
    [payload] = json.loads(out)  # the push request LINE would get
    assert payload["to"] == "U_BR" and payload["messages"][0]["altText"].startswith("สรุปรายวัน ประจำวันที่ ")
    assert payload["messages"][0]["contents"]["contents"][0]["footer"]["contents"][0]["action"]["uri"] == \
        "https://rongtuk.example.go.th/dashboard?agency=1004"
    assert "1 manager(s): 1 dry run" in err
    async with sessionmaker() as s:
        assert await _count(s, DigestDelivery) == 0 and await _count(s, OutboxMessage) == 0

    code, out, err = await _cli(database_url, "--period", "daily")
    assert code == 0, err
    assert out.startswith("sent: U_BR · 1004 · U_BR · daily ")
    code, out, err = await _cli(database_url, "--period", "daily")
    assert out.startswith("already_sent: U_BR · 1004 ") and "1 already sent" in err
    async with sessionmaker() as s:
        assert await _count(s, DigestDelivery) == 1 and await _count(s, OutboxMessage) == 1

    code, _, err = await _cli(database_url, "--period", "monthly")
    assert code == 2 and "invalid choice" in err

"""The innovation KPI from live data (SPEC §7): the LINE channel's results measured from the
service's own records, the seed's record scored end to end, and the quarterly report."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import docx
import pytest
from sqlalchemy import select

from app.services import agencies, kpi, kpi_report, kpi_results
from models import Agency, Assignment, ComplaintCase, KpiRecord, Person
from tests.services.test_kpi_score import activities, ideas, record

FIELDS = ("innovation_title", "innovation_type", "selected_by", "selected_on", "form3_submitted_on",
          "form4_submitted_on", "committee_presented_on", "committee_decision", "committee_decided_on",
          "evidence_sent_on", "form5_survey_done_on", "form5_approved_on", "live_results", "baseline_tta_seconds")
APRIL = datetime(2021, 4, 5, 2, 0, tzinfo=UTC)  # Monday 09:00 Bangkok, FY2564


async def add_coordinators(session, count: int | None = None) -> None:
    units = (await session.scalars(select(Agency).where(Agency.code != "CENTRE").order_by(Agency.id))).all()
    for unit in units[:count]:
        session.add(Person(line_user_id=f"U{unit.id:032x}", role="coordinator", agency_id=unit.id,
                           registered_at=APRIL - timedelta(days=30)))
    await session.flush()


async def add_assignments(session, acks: list[tuple[float, bool]]) -> None:
    """One case per (business seconds to acknowledge, acknowledged in time)."""
    unit = await agencies.get_by_code(session, "1004")
    for n, (business_seconds, on_time) in enumerate(acks, start=1):
        case = ComplaintCase(number=f"64-{n:05d}", fiscal_year=2564, sequence=n, title="ไฟดับ", status="acknowledged")
        session.add(case)
        await session.flush()
        acknowledged = APRIL + timedelta(hours=1)
        session.add(Assignment(case_id=case.id, agency_id=unit.id, status="acknowledged", forwarded_at=APRIL,
                               acknowledged_at=acknowledged, first_response_at=acknowledged,
                               ack_due_at=acknowledged + timedelta(minutes=1 if on_time else -1),
                               tta_seconds=3600, tta_business_seconds=business_seconds,
                               frt_seconds=3600, frt_business_seconds=business_seconds))
    await session.flush()


async def add_seed_record(session) -> KpiRecord:
    seed = record()
    pssec = await agencies.get_by_code(session, "PSSEC")
    row = KpiRecord(agency_id=pssec.id, agency=pssec, fiscal_year=2564, ideas=ideas(10), activities=activities(),
                    indicators=[], **{f: getattr(seed, f) for f in FIELDS})
    session.add(row)
    await session.flush()
    return row


async def test_live_results_measured_and_prorated_by_hand(session, settings):
    await add_coordinators(session, 60)  # 60 of the 75 units (all but the centre)
    await add_assignments(session, [(1800, True)] * 6 + [(5400, False)] * 4)
    # the median of six 1800s and four 5400s is 1800
    result = await kpi_results.live_results(session, fiscal_year=2564, as_of=date(2021, 6, 30),
                                            baseline_tta_seconds=7200, settings=settings)
    assert (result.coverage.achieved, result.coverage.share) == (80.0, pytest.approx(0.8))  # 60/75
    assert (result.ack_within_sla.achieved, result.ack_within_sla.share) == (60.0, pytest.approx(0.75))  # 60/80
    assert result.median_tta.achieved == 0.5 and result.median_tta.target == 1.0  # hours: 1800 s, half of 7200 s
    assert result.median_tta.share == 1.0

    await add_assignments(session, [])
    slower = await kpi_results.live_results(session, fiscal_year=2564, as_of=date(2021, 6, 30),
                                            baseline_tta_seconds=2400, settings=settings)
    # median 1800 against a baseline of 2400 (target 1200): (2400 − 1800) / (2400 − 1200) = 0.5
    assert slower.median_tta.share == pytest.approx(0.5)
    before = await kpi_results.live_results(session, fiscal_year=2564, as_of=date(2021, 3, 1),
                                            baseline_tta_seconds=7200, settings=settings)
    assert before.coverage.achieved == 0.0 and before.ack_within_sla.achieved is None  # nobody yet, nothing yet


async def test_the_seed_record_scores_100_and_level_5(session, settings):
    await add_coordinators(session)
    await add_assignments(session, [(1800, True)] * 9 + [(9000, False)])  # 90 % on time, median 1800 s
    seed = await add_seed_record(session)
    result = await kpi.evaluate(session, agency=seed.agency, fiscal_year=2564, as_of=date(2021, 9, 30),
                                settings=settings)
    assert (result.score.total, f"{result.score.level}") == (100, "5.0000")
    assert (result.score.target, result.score.achieved) == (100, 100)
    assert [q for q, _ in result.progress] == [1, 2, 3, 4]
    totals = [s.total for _, s in result.progress]
    assert totals == sorted(totals) and totals[-1] == 100

    mid_year = await kpi.evaluate(session, agency=seed.agency, fiscal_year=2564, as_of=date(2021, 5, 15),
                                  settings=settings)
    assert [q for q, _ in mid_year.progress] == [1, 2, 3] and mid_year.score.total < 100

    text = kpi_report.quarterly_text(seed, mid_year.score, 3, mid_year.progress)
    assert "ค่าเป้าหมาย : 100" in text and "ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 3:" in text
    assert "ดำเนินกิจกรรม ประสานหน่วยงานมอบหมายผู้ประสานงาน Line Official Account แล้วเสร็จ เมื่อวันที่ 28 เมษายน 2564" in text
    assert "อยู่ระหว่างดำเนินกิจกรรม นำนวัตกรรมไปใช้ในการปฏิบัติงาน" in text  # not done by 15 May
    document = docx.Document(io.BytesIO(kpi_report.quarterly_docx(text)))
    assert [p.text for p in document.paragraphs] == text.split("\n")
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}cs") == "TH Sarabun New"


async def test_no_evidence_yet_and_bad_years_are_clear(session, settings):
    pssec = await agencies.get_by_code(session, "PSSEC")
    from app.errors import InvalidInput, NotFound

    with pytest.raises(NotFound, match="ยังไม่มีหลักฐาน"):
        await kpi.evaluate(session, agency=pssec, fiscal_year=2564, as_of=date(2021, 9, 30), settings=settings)
    with pytest.raises(InvalidInput, match="พุทธศักราช"):
        await kpi.evaluate(session, agency=pssec, fiscal_year=2021, as_of=date(2021, 9, 30), settings=settings)
    assert await kpi.level_to_date(session, agency=pssec, today=date(2021, 9, 30), settings=settings) is None


async def test_the_digest_shows_the_units_level_to_date(session, settings):
    from app.services import digests

    pssec = await agencies.get_by_code(session, "PSSEC")
    assert await digests.kpi_level(session, pssec, 2564, as_of=date(2021, 9, 30), settings=settings) is None
    await add_coordinators(session)
    await add_assignments(session, [(1800, True)] * 9 + [(9000, False)])
    await add_seed_record(session)
    assert await digests.kpi_level(session, pssec, 2564, as_of=date(2021, 9, 30), settings=settings) == "5.0000"

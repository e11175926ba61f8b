"""KPI evidence (SPEC §7): the record, its items, the one selected idea, the audit, and the import."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.errors import InvalidInput, NotFound
from app.services import agencies, kpi_evidence, kpi_import
from models import KpiChange, KpiIdea, KpiRecord

FY = 2564  # 1 Oct 2020 – 30 Sep 2021

IDEA = {"proposer": "นางสาวสมศรี ใจดี", "submitted_on": "2021-01-15", "problem": "ประสานงานกับหน่วยงานช้า",
        "idea": "ใช้ LINE Official Account ส่งเรื่องร้องเรียนถึงหน่วยงาน", "innovation_type": "บริการ"}


async def _record(session, code="1004"):
    agency = await agencies.resolve(session, code)
    return await kpi_evidence.ensure_record(session, agency=agency, fiscal_year=FY, actor="test")


async def _changes(session, record) -> list[tuple[str, str, str]]:
    return [(c.what, c.action, c.actor) for c in await kpi_evidence.changes(session, record)]


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


# -- parsing values ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2021-04-01", "1/4/2564", "01/04/2564", "1.4.2564", "2564-04-01", "1/4/2021",
                                  "1 เม.ย. 2564", "1 เมษายน 2564", "1 เมย 2564", datetime(2021, 4, 1, 0, 0)])
def test_dates_iso_or_thai_buddhist_era(text):
    assert kpi_evidence.parse_date(text) == date(2021, 4, 1)


@pytest.mark.parametrize("text", ["31/4/2564", "2021-13-01", "เมื่อวาน", "4/2564", "1 ฟ้า 2564"])
def test_not_dates(text):
    with pytest.raises(ValueError):
        kpi_evidence.parse_date(text)


@pytest.mark.parametrize(("text", "value"), [
    ("นโยบาย", "policy"), ("นวัตกรรมเชิงนโยบาย", "policy"), ("Policy Innovation", "policy"),
    ("บริการ", "service"), ("นวัตกรรมการบริการ", "service"), ("service", "service"),
    ("บริหาร-องค์กร", "organization"), ("บริหาร/องค์กร", "organization"), ("บริหาร", "organization"),
    ("องค์กร", "organization"), ("นวัตกรรมการบริหาร/องค์กร", "organization"), ("organization", "organization"),
])
def test_innovation_types_in_thai_and_english(text, value):
    assert kpi_evidence.parse_innovation_type(text) == value


@pytest.mark.parametrize(("text", "value"), [("เห็นชอบ", "approved"), ("ปรับแก้", "revise"), ("ให้ปรับแก้", "revise"),
                                             ("ไม่เห็นชอบ", "rejected"), ("Approved", "approved"), ("rejected", "rejected")])
def test_committee_decisions_in_thai_and_english(text, value):
    assert kpi_evidence.parse_decision(text) == value


# -- the record ----------------------------------------------------------------------------------

async def test_record_is_created_once_and_audited(session):
    record = await _record(session)
    again = await _record(session)
    assert again is record and (record.fiscal_year, record.agency.code, record.live_results) == (FY, "1004", False)
    assert await kpi_evidence.get_record(session, agency_id=record.agency_id, fiscal_year=FY) is record
    assert await kpi_evidence.get_record(session, agency_id=record.agency_id, fiscal_year=FY + 1) is None
    [change] = await kpi_evidence.changes(session, record)
    assert (change.what, change.action, change.actor, change.before) == ("record", "create", "test", None)
    assert change.after["agency"] == "1004" and change.after["fiscal_year"] == FY


async def test_update_record_keeps_before_and_after_of_what_changed(session):
    record = await _record(session)
    await kpi_evidence.update_record(session, record, actor="สมชาย", changes={
        "innovation_title": "LINE @ร้องทุกข์ 1555", "innovation_type": "นวัตกรรมการบริการ",
        "form3_submitted_on": "15/2/2564", "committee_presented_on": date(2021, 3, 1), "committee_decision": "ปรับแก้",
        "committee_decided_on": "2021-03-01", "revision_done_on": "10/3/2564"})
    assert (record.innovation_type, record.committee_decision) == ("service", "revise")
    assert record.form3_submitted_on == date(2021, 2, 15) and record.revision_done_on == date(2021, 3, 10)
    change = (await kpi_evidence.changes(session, record))[-1]
    assert (change.what, change.action, change.actor, change.item_id) == ("record", "update", "สมชาย", record.id)
    assert change.before == {"innovation_title": None, "innovation_type": None, "form3_submitted_on": None,
                             "committee_presented_on": None, "committee_decision": None,
                             "committee_decided_on": None, "revision_done_on": None}
    assert change.after["form3_submitted_on"] == "2021-02-15" and change.after["committee_decision"] == "revise"

    await kpi_evidence.update_record(session, record, actor="สมชาย", changes={"innovation_type": "service",
                                                                             "form3_submitted_on": "2021-02-15"})
    assert len(await kpi_evidence.changes(session, record)) == 2  # nothing changed: nothing audited
    await kpi_evidence.update_record(session, record, actor="api", changes={"innovation_title": None})
    change = (await kpi_evidence.changes(session, record))[-1]
    assert (change.before, change.after) == ({"innovation_title": "LINE @ร้องทุกข์ 1555"}, {"innovation_title": None})


@pytest.mark.parametrize(("changes", "field"), [
    ({"innovation_type": "ดิจิทัล"}, "innovation_type"),
    ({"committee_decision": "maybe", "committee_presented_on": "2021-03-01"}, "committee_decision"),
    ({"form3_submitted_on": "2019-09-30"}, "form3_submitted_on"),  # more than a year before FY2564
    ({"evidence_sent_on": "1/10/2565"}, "evidence_sent_on"),  # 2022-10-01: more than a year after
    ({"form4_submitted_on": "30/2/2564"}, "form4_submitted_on"),
    ({"revision_done_on": "2021-03-10"}, "revision_done_on"),  # no revise decision
    ({"committee_presented_on": "2021-03-01", "committee_decision": "approved", "revision_done_on": "2021-03-10"},
     "revision_done_on"),
    ({"committee_decision": "approved"}, "committee_decision"),  # never presented
    ({"committee_presented_on": "2021-03-05", "committee_decision": "approved", "committee_decided_on": "2021-03-01"},
     "committee_decided_on"),
    ({"form5_approved_on": "2021-08-01"}, "form5_approved_on"),  # no survey yet
    ({"form5_survey_done_on": "2021-08-10", "form5_approved_on": "2021-08-01"}, "form5_approved_on"),
    ({"baseline_tta_seconds": -5}, "baseline_tta_seconds"),
    ({"selected_by": "x" * 201}, "selected_by"),
    ({"agency_id": 3}, "agency_id"),
])
async def test_invalid_record_changes_change_nothing(session, changes, field):
    record = await _record(session)
    with pytest.raises(InvalidInput) as error:
        await kpi_evidence.update_record(session, record, changes={"innovation_title": "ใหม่"} | changes, actor="t")
    assert field in error.value.message and field in {p["field"] for p in error.value.details["problems"]}
    assert record.innovation_title is None
    assert await _changes(session, record) == [("record", "create", "test")]


# -- ideas, the selection, activities, indicators ------------------------------------------------

async def test_items_are_added_changed_and_deleted_with_their_audit(session):
    record = await _record(session)
    idea = await kpi_evidence.add_idea(session, record, values=IDEA, actor="a")
    assert (idea.submitted_on, idea.innovation_type, idea.selected) == (date(2021, 1, 15), "service", False)
    await kpi_evidence.update_idea(session, record, idea_id=idea.id, changes={"innovation_type": "บริหาร-องค์กร"},
                                   actor="b")
    activity = await kpi_evidence.add_activity(session, record, actor="a", values={
        "name": "สร้าง LINE Official Account", "planned_start": "1/4/2564", "planned_end": "30/4/2564"})
    await kpi_evidence.update_activity(session, record, activity_id=activity.id, changes={"done_on": "28/4/2564"},
                                       actor="c")
    indicator = await kpi_evidence.add_indicator(session, record, actor="a", values={
        "name": "หน่วยงานมีผู้ประสานงาน", "unit": "%", "target": "100", "baseline": 0})
    await kpi_evidence.update_indicator(session, record, indicator_id=indicator.id, changes={"achieved": "100%"},
                                        actor="c")
    assert indicator.achieved == 100.0 and indicator.higher_is_better is True
    await kpi_evidence.delete_idea(session, record, idea_id=idea.id, actor="d")
    assert record.ideas == [] and [a.id for a in record.activities] == [activity.id]

    log = await kpi_evidence.changes(session, record)
    assert [(c.what, c.action, c.actor) for c in log[1:]] == [
        ("idea", "create", "a"), ("idea", "update", "b"), ("activity", "create", "a"), ("activity", "update", "c"),
        ("indicator", "create", "a"), ("indicator", "update", "c"), ("idea", "delete", "d")]
    assert log[1].after["submitted_on"] == "2021-01-15" and log[1].before is None and log[1].item_id == idea.id
    assert (log[2].before, log[2].after) == ({"innovation_type": "service"}, {"innovation_type": "organization"})
    assert (log[4].before, log[4].after) == ({"done_on": None}, {"done_on": "2021-04-28"})
    assert log[7].before["proposer"] == IDEA["proposer"] and log[7].after is None
    assert await _count(session, KpiIdea) == 0


@pytest.mark.parametrize(("kind", "values", "field"), [
    ("idea", IDEA | {"proposer": "  "}, "proposer"),
    ("idea", {k: v for k, v in IDEA.items() if k != "problem"}, "problem"),
    ("idea", IDEA | {"innovation_type": "อื่น ๆ"}, "innovation_type"),
    ("idea", IDEA | {"submitted_on": "2018-01-01"}, "submitted_on"),
    ("activity", {"name": "อบรม", "planned_start": "2021-05-01", "planned_end": "2021-04-01"}, "planned_end"),
    ("activity", {"name": "อบรม"}, "planned_end"),
    ("indicator", {"name": "ความพึงพอใจ", "target": "มาก"}, "target"),
    ("indicator", {"name": "ความพึงพอใจ", "target": 80, "higher_is_better": "บางที"}, "higher_is_better"),
])
async def test_invalid_items_are_refused(session, kind, values, field):
    record = await _record(session)
    add = getattr(kpi_evidence, f"add_{kind}")
    with pytest.raises(InvalidInput) as error:
        await add(session, record, values=values, actor="t")
    assert field in {p["field"] for p in error.value.details["problems"]}
    assert await _changes(session, record) == [("record", "create", "test")]
    assert (record.ideas, record.activities, record.indicators) == ([], [], [])


async def test_exactly_one_idea_is_selected(session):
    record = await _record(session)
    ideas = [await kpi_evidence.add_idea(session, record, values=IDEA | {"proposer": f"คนที่ {i}"}, actor="t")
             for i in range(3)]
    await kpi_evidence.select_idea(session, record, idea_id=ideas[2].id, selected_by="คณะผู้บริหาร",
                                   selected_on="1/2/2564", actor="ก")
    await kpi_evidence.select_idea(session, record, idea_id=ideas[0].id, selected_by="คณะผู้บริหาร",
                                   selected_on=date(2021, 2, 3), actor="ข")
    assert [i.selected for i in ideas] == [True, False, False]
    assert (record.selected_by, record.selected_on) == ("คณะผู้บริหาร", date(2021, 2, 3))
    stored = (await session.scalars(select(KpiIdea.id).where(KpiIdea.selected))).all()
    assert stored == [ideas[0].id]
    log = await kpi_evidence.changes(session, record)
    assert (log[-1].what, log[-1].action, log[-1].item_id) == ("idea", "select", ideas[0].id)
    assert log[-1].before == {"idea_id": ideas[2].id, "selected_by": "คณะผู้บริหาร", "selected_on": "2021-02-01"}
    assert log[-1].after == {"idea_id": ideas[0].id, "selected_by": "คณะผู้บริหาร", "selected_on": "2021-02-03"}

    count = len(log)
    await kpi_evidence.select_idea(session, record, idea_id=ideas[0].id, selected_by="คณะผู้บริหาร",
                                   selected_on="2021-02-03", actor="ข")
    assert len(await kpi_evidence.changes(session, record)) == count  # the same choice again: no change
    with pytest.raises(InvalidInput, match="selected_on"):  # chosen before it was proposed
        await kpi_evidence.select_idea(session, record, idea_id=ideas[1].id, selected_by="คณะผู้บริหาร",
                                       selected_on="2021-01-01", actor="ข")
    with pytest.raises(InvalidInput, match="selected_by"):
        await kpi_evidence.select_idea(session, record, idea_id=ideas[1].id, selected_by="", selected_on="2021-02-05",
                                       actor="ข")
    with pytest.raises(InvalidInput, match="submitted_on"):  # the selected idea can't be proposed after its selection
        await kpi_evidence.update_idea(session, record, idea_id=ideas[0].id, changes={"submitted_on": "2021-03-01"},
                                       actor="ข")
    assert [i.selected for i in ideas] == [True, False, False] and len(await kpi_evidence.changes(session, record)) == count


async def test_items_of_another_record_or_missing_are_not_found(session):
    bangrak, pathumwan = await _record(session, "1004"), await _record(session, "1007")
    idea = await kpi_evidence.add_idea(session, pathumwan, values=IDEA, actor="t")
    activity = await kpi_evidence.add_activity(session, pathumwan, values={"name": "x", "planned_end": "2021-05-01"},
                                               actor="t")
    with pytest.raises(NotFound):
        await kpi_evidence.update_idea(session, bangrak, idea_id=idea.id, changes={"proposer": "x"}, actor="t")
    with pytest.raises(NotFound):
        await kpi_evidence.select_idea(session, bangrak, idea_id=idea.id, selected_by="x", selected_on="2021-02-01",
                                       actor="t")
    with pytest.raises(NotFound):
        await kpi_evidence.delete_activity(session, bangrak, activity_id=activity.id, actor="t")
    with pytest.raises(NotFound):
        await kpi_evidence.delete_indicator(session, bangrak, indicator_id=999_999, actor="t")
    assert idea.proposer == IDEA["proposer"] and idea.selected is False and len(pathumwan.activities) == 1


# -- importing a file ----------------------------------------------------------------------------

GOOD_CSV = """\
ประเภทแถว,ชื่อนวัตกรรม,ประเภทนวัตกรรม,ผู้คัดเลือก,วันที่คัดเลือก,มติคณะกรรมการ,วันที่นำเสนอคณะกรรมการ,ผู้เสนอ,วันที่เสนอ,ปัญหา,แนวคิด,คัดเลือก,ชื่อกิจกรรม,เริ่มตามแผน,เสร็จตามแผน,ดำเนินการแล้วเสร็จ,ชื่อตัวชี้วัด,หน่วย,ค่าเป้าหมาย,ค่าฐาน,ผลงานที่ทำได้
โครงการ,LINE @ร้องทุกข์ 1555,บริการ,คณะผู้บริหาร สลป.,15/2/2564,เห็นชอบ,1/3/2564,,,,,,,,,,,,,,
แนวคิด,,บริการ,,,,,สมศรี ใจดี,10/1/2564,ประสานงานช้า,ใช้ LINE,,,,,,,,,,
แนวคิด,,นโยบาย,,,,,สมชาย รักงาน,12/1/2564,เอกสารมาก,ลดขั้นตอน,,,,,,,,,,
แนวคิด,,บริหาร-องค์กร,,,,,สมหญิง ตั้งใจ,2021-01-20,ติดตามยาก,แดชบอร์ด,ใช่,,,,,,,,,
กิจกรรม,,,,,,,,,,,,สร้าง LINE Official Account,1/4/2564,30/4/2564,28/4/2564,,,,,
กิจกรรม,,,,,,,,,,,,นำไปใช้กับหน่วยงาน,1/4/2564,30/6/2564,,,,,,
ตัวชี้วัด,,,,,,,,,,,,,,,,หน่วยงานมีผู้ประสานงาน,%,100,0,100
"""


async def _import(session, content: bytes, file_type="csv", code="PSSEC"):
    agency = await agencies.resolve(session, code)
    return await kpi_import.import_file(session, agency=agency, fiscal_year=FY, content=content, file_type=file_type,
                                        actor="นำเข้า")


async def test_import_a_thai_csv_with_bom_and_buddhist_era_dates(session):
    result = await _import(session, b"\xef\xbb\xbf" + GOOD_CSV.encode())
    assert (result.record_created, result.ideas, result.activities, result.indicators, result.rows) == (True, 3, 2, 1, 7)
    record = await kpi_evidence.get_record(session, agency_id=(await agencies.resolve(session, "PSSEC")).id,
                                           fiscal_year=FY)
    assert (record.innovation_title, record.innovation_type, record.committee_decision) == (
        "LINE @ร้องทุกข์ 1555", "service", "approved")
    assert (record.selected_by, record.selected_on, record.committee_presented_on) == (
        "คณะผู้บริหาร สลป.", date(2021, 2, 15), date(2021, 3, 1))
    assert [(i.proposer, i.submitted_on, i.innovation_type, i.selected) for i in record.ideas] == [
        ("สมศรี ใจดี", date(2021, 1, 10), "service", False), ("สมชาย รักงาน", date(2021, 1, 12), "policy", False),
        ("สมหญิง ตั้งใจ", date(2021, 1, 20), "organization", True)]
    assert result.selected_idea_id == record.ideas[2].id
    assert [(a.name, a.planned_start, a.planned_end, a.done_on) for a in record.activities] == [
        ("สร้าง LINE Official Account", date(2021, 4, 1), date(2021, 4, 30), date(2021, 4, 28)),
        ("นำไปใช้กับหน่วยงาน", date(2021, 4, 1), date(2021, 6, 30), None)]
    [indicator] = record.indicators
    assert (indicator.name, indicator.unit, indicator.target, indicator.baseline, indicator.achieved) == (
        "หน่วยงานมีผู้ประสานงาน", "%", 100.0, 0.0, 100.0)
    log = await kpi_evidence.changes(session, record)
    assert [(c.what, c.action, c.actor) for c in log] == [
        ("record", "create", "นำเข้า"), ("import", "replace", "นำเข้า"), ("record", "update", "นำเข้า")]
    assert log[1].after["counts"] == {"ideas": 3, "activities": 2, "indicators": 1} and log[1].after["file_type"] == "csv"
    assert log[1].before["counts"] == {"ideas": 0, "activities": 0, "indicators": 0}
    assert log[2].after["selected_on"] == "2021-02-15"


async def test_import_csv_without_bom_and_in_thai_windows_code_page(session):
    for content in (GOOD_CSV.encode(), GOOD_CSV.encode("cp874")):
        result = await _import(session, content)
        assert (result.ideas, result.activities, result.indicators) == (3, 2, 1)
    record = (await session.scalars(select(KpiRecord))).one()
    assert record.ideas[0].proposer == "สมศรี ใจดี"


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_import_an_xlsx_with_a_sheet_per_kind(session):
    content = _workbook({
        "record": [["innovation_title", "innovation_type", "form3_submitted_on", "form4_submitted_on",
                    "committee_presented_on", "committee_decision", "committee_decided_on", "revision_done_on",
                    "live_results", "baseline_tta_seconds"],
                   ["LINE @ร้องทุกข์ 1555", "service", datetime(2021, 2, 20), "20/2/2564", datetime(2021, 3, 1),
                    "ปรับแก้", datetime(2021, 3, 1), "15/3/2564", "yes", 14400]],
        "ideas": [["proposer", "date", "problem", "idea", "innovation_type", "selected"],
                  ["สมศรี", datetime(2021, 1, 10), "ช้า", "LINE", "บริการ", "✓"],
                  ["สมชาย", "12/1/2564", "เอกสาร", "ลดขั้นตอน", "policy", None]],
        "activities": [["name", "planned_end", "done_on"], ["สร้างบัญชี", datetime(2021, 4, 30), None]],
        "indicators": [["name", "target", "higher_is_better", "หมายเหตุ"], ["ร้อยละที่รับเรื่องทันเวลา", 80, "ใช่", "-"]],
        "readme": [["วิธีกรอก: ..."]],
    })
    result = await _import(session, content, "xlsx", code="1004")
    assert (result.ideas, result.activities, result.indicators, result.rows) == (2, 1, 1, 5)
    record = (await session.scalars(select(KpiRecord))).one()
    assert (record.committee_decision, record.revision_done_on, record.live_results, record.baseline_tta_seconds) == (
        "revise", date(2021, 3, 15), True, 14400.0)
    assert [i.selected for i in record.ideas] == [True, False] and record.ideas[1].submitted_on == date(2021, 1, 12)
    assert record.activities[0].planned_end == date(2021, 4, 30) and record.indicators[0].target == 80.0


async def test_import_an_xlsx_with_one_sheet_and_a_kind_column(session):
    rows = [row.split(",") for row in GOOD_CSV.splitlines()]
    result = await _import(session, _workbook({"KPI": rows}), "xlsx")
    assert (result.ideas, result.activities, result.indicators) == (3, 2, 1)


async def test_import_replaces_only_the_kinds_the_file_has(session):
    await _import(session, GOOD_CSV.encode())
    record = (await session.scalars(select(KpiRecord))).one()
    old_activities = [a.id for a in record.activities]
    csv = "kind,proposer,submitted_on,problem,idea,innovation_type,selected\n" \
          "idea,ใหม่,2021-02-01,ปัญหาใหม่,แนวคิดใหม่,service,yes\n"
    result = await _import(session, csv.encode())
    assert (result.ideas, result.activities, result.indicators, result.record_fields) == (1, None, None, ())
    assert [(i.proposer, i.selected) for i in record.ideas] == [("ใหม่", True)]
    assert [a.id for a in record.activities] == old_activities and len(record.indicators) == 1
    assert await _count(session, KpiIdea) == 1
    last = (await kpi_evidence.changes(session, record))[-1]
    assert (last.what, last.before["counts"], last.after["counts"]) == ("import", {"ideas": 3}, {"ideas": 1})
    assert [i["proposer"] for i in last.before["ideas"]] == ["สมศรี ใจดี", "สมชาย รักงาน", "สมหญิง ตั้งใจ"]


async def test_a_bad_file_names_its_rows_and_columns_and_writes_nothing(session):
    await _import(session, GOOD_CSV.encode(), code="1004")
    before = await _count(session, KpiChange), await _count(session, KpiIdea)
    bad = """\
kind,ผู้เสนอ,วันที่เสนอ,ปัญหา,แนวคิด,ประเภทนวัตกรรม,คัดเลือก,ชื่อกิจกรรม,เสร็จตามแผน,ค่าเป้าหมาย,สี
แนวคิด,สมศรี,31/2/2564,ช้า,LINE,บริการ,ใช่,,,,
แนวคิด,,1/2/2564,ช้า,LINE,ดิจิทัล,ใช่,,,,
กิจกรรม,,,,,,,อบรม,,,
ตัวชี้วัด,,,,,,,,,ร้อยละ 80,
อื่นๆ,,,,,,,,,,
"""
    with pytest.raises(InvalidInput) as error:
        await _import(session, b"\xef\xbb\xbf" + bad.encode(), code="1004")
    message = error.value.message
    for expected in ("row 1, column สี: unknown column", "row 2, column วันที่เสนอ:", "row 3, column ผู้เสนอ: required",
                     "row 3, column ประเภทนวัตกรรม:", "row 3, column คัดเลือก: only one idea",
                     "row 4, column เสร็จตามแผน: required", "row 5, column ค่าเป้าหมาย:", "row 6, column kind:"):
        assert expected in message, (expected, message)
    assert "nothing imported" in message
    assert {"row": "row 3", "column": "ผู้เสนอ", "problem": "required"} in error.value.details["problems"]
    assert (await _count(session, KpiChange), await _count(session, KpiIdea)) == before

    with pytest.raises(InvalidInput):  # into a unit with no record yet: none is created
        await _import(session, bad.encode(), code="1007")
    assert await _count(session, KpiRecord) == 1


@pytest.mark.parametrize(("content", "file_type", "problem"), [
    (b"", "csv", "empty"),
    (b"kind,proposer\n", "csv", "no rows"),
    (b"not a workbook", "xlsx", "XLSX"),
    (b"PK\x03\x04rest", "csv", "XLSX"),
    (b"kind\nidea\n", "pdf", "csv or xlsx"),
    (b"kind,committee_decision,revision_done_on\nrecord,approved,2021-03-10\n", "csv", "revision_done_on"),
    (b"kind\nrecord\nrecord\n", "csv", "second record row"),
    (b"name,target\nx,1\n", "csv", "no kind column"),
])
async def test_files_refused_as_a_whole(session, content, file_type, problem):
    with pytest.raises(InvalidInput, match=problem):
        await _import(session, content, file_type)
    assert await _count(session, KpiRecord) == 0


async def test_an_error_list_is_cut_at_twenty(session):
    rows = "".join(f"idea,,2021-01-{d:02d},x,y,service\n" for d in range(1, 31))
    with pytest.raises(InvalidInput) as error:
        await _import(session, ("kind,proposer,submitted_on,problem,idea,innovation_type\n" + rows).encode())
    assert error.value.message.count("column proposer: required") == 20 and "… and 10 more" in error.value.message
    assert len(error.value.details["problems"]) == 30


async def test_two_writers_creating_the_same_record_get_one(sessionmaker):
    """Two requests recording the first evidence of a unit at once: one record, one create audited."""
    async def write(i: int) -> int:
        async with sessionmaker() as session:
            record = await _record(session)
            await kpi_evidence.add_idea(session, record, values=IDEA | {"proposer": f"คนที่ {i}"}, actor=f"w{i}")
            await session.commit()
            return record.id

    ids = await asyncio.gather(write(1), write(2))
    assert ids[0] == ids[1]
    async with sessionmaker() as session:
        assert await _count(session, KpiRecord) == 1 and await _count(session, KpiIdea) == 2
        creates = await session.scalar(select(func.count()).select_from(KpiChange).where(KpiChange.action == "create",
                                                                                         KpiChange.what == "record"))
        assert creates == 1


async def test_the_documented_example_imports(session):
    """docs/kpi_import_example.csv: the LINE innovation of the seed record, FY2564."""
    content = (Path(__file__).resolve().parents[2] / "docs" / "kpi_import_example.csv").read_bytes()
    result = await _import(session, content)
    assert (result.ideas, result.activities, result.indicators, result.rows) == (10, 4, 3, 18)
    record = (await session.scalars(select(KpiRecord))).one()
    assert record.agency.code == "PSSEC" and record.live_results and record.baseline_tta_seconds == 86400
    assert [i.proposer for i in record.ideas if i.selected] == ["นางสาวสมศรี ใจดี"]
    assert (record.committee_decision, record.form5_approved_on) == ("approved", date(2021, 8, 31))
    assert [i.higher_is_better for i in record.indicators] == [True, True, False]


async def test_import_command_for_the_cli(database_url, sessionmaker, monkeypatch, tmp_path):
    """`rongtuk kpi import --agency สลป. --fy 2564 FILE` (the CLI only parses its arguments)."""
    from app.config import get_settings

    for name, value in {"RONGTUK_ENV": "development", "DATABASE_URL": database_url, "LOG_JSON": "false"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        good, bad = tmp_path / "evidence.csv", tmp_path / "bad.csv"
        good.write_text(GOOD_CSV, encoding="utf-8-sig")
        bad.write_text("kind,proposer\nidea,\n", encoding="utf-8")
        line = await kpi_import.import_command("สลป.", FY, good)
        assert line.startswith("สำนักงานเลขานุการปลัดกรุงเทพมหานคร (PSSEC) FY2564: record created")
        assert "3 ideas, 2 activities, 1 indicators" in line
        with pytest.raises(InvalidInput, match="row 2, column proposer: required"):
            await kpi_import.import_command("PSSEC", FY, bad)
        with pytest.raises(ValueError, match="csv or .xlsx"):
            await kpi_import.import_command("PSSEC", FY, tmp_path / "evidence.pdf")
        with pytest.raises(ValueError, match="Buddhist-era"):
            await kpi_import.import_command("PSSEC", 2021, good)
    finally:
        get_settings.cache_clear()
    async with sessionmaker() as session:
        record = (await session.scalars(select(KpiRecord))).one()
        assert len(record.ideas) == 3
        assert {c.actor for c in await kpi_evidence.changes(session, record)} == {"cli"}

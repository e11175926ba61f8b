"""Hand-computed scorings of the innovation KPI (SPEC §7). Each expected number carries its
arithmetic. Records are built in memory; no database is needed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.services import kpi_rubric
from app.services.kpi_rubric import RubricError
from app.services.kpi_score import LiveResults, Measure, indicator_share, level_for, progress, score
from models.agency import Agency
from models.kpi import KpiActivity, KpiIdea, KpiIndicator, KpiRecord

RUBRIC = kpi_rubric.load()
FY_END = date(2021, 9, 30)  # last day of FY2564


def D(value) -> Decimal:
    return Decimal(str(value))


def ideas(count, on=date(2020, 11, 16), *, selected=0):
    return [KpiIdea(proposer=f"ข้าราชการคนที่ {n + 1}", submitted_on=on, problem="การประสานเรื่องร้องเรียนล่าช้า",
                    idea="ใช้ LINE Official Account ติดต่อหน่วยงาน", innovation_type="service", selected=n == selected)
            for n in range(count)]


def activities():
    # The seed's project: build the LINE OA, have the units name coordinators, use it 1 Apr – 30 Jun 2021.
    return [
        KpiActivity(name="สร้าง Line official account @ร้องทุกข์ 1555", planned_start=date(2021, 3, 1),
                    planned_end=date(2021, 3, 31), done_on=date(2021, 3, 25)),
        KpiActivity(name="ประสานหน่วยงานมอบหมายผู้ประสานงาน Line Official Account", planned_start=date(2021, 3, 15),
                    planned_end=date(2021, 4, 30), done_on=date(2021, 4, 28)),
        KpiActivity(name="นำนวัตกรรมไปใช้ในการปฏิบัติงาน", planned_start=date(2021, 4, 1),
                    planned_end=date(2021, 6, 30), done_on=date(2021, 6, 30)),
    ]


def live(coverage=1.0, ack=1.0, tta=1.0):
    return LiveResults(
        coverage=Measure("coverage", "สัดส่วนหน่วยงานที่มีผู้ประสานงาน", 100.0 * coverage, 100.0, "%", coverage),
        ack_within_sla=Measure("ack_within_sla", "สัดส่วนเรื่องที่รับภายในเวลาที่กำหนด", 80.0 * ack, 80.0, "%", ack),
        median_tta=Measure("median_tta", "มัธยฐานเวลารับเรื่อง", 60.0, 60.0, "นาที", tta),
    )


def record(kind="office", code="PSSEC", name_th="สำนักงานเลขานุการปลัดกรุงเทพมหานคร", idea_list=None, **fields):
    """The seed's record: FY2564, every step on time (deadlines of the default rubric in brackets)."""
    values = dict(
        fiscal_year=2564,
        innovation_title="การจัดทำไลน์ (Application Line) สำหรับการติดต่อสื่อสารระหว่างศูนย์เรื่องราวร้องทุกข์กับหน่วยงาน",
        innovation_type="service",
        selected_by="คณะผู้บริหารสำนักงานเลขานุการปลัดกรุงเทพมหานคร",
        selected_on=date(2021, 1, 20),  # [31 Jan 2021]
        form3_submitted_on=date(2021, 2, 15), form4_submitted_on=date(2021, 2, 15),  # [28 Feb 2021]
        committee_presented_on=date(2021, 3, 17), committee_decision="approved",  # [31 Mar 2021]
        committee_decided_on=date(2021, 3, 17),
        evidence_sent_on=date(2021, 8, 20),  # [31 Aug 2021]
        form5_survey_done_on=date(2021, 9, 1), form5_approved_on=date(2021, 9, 10),  # [15 Sep 2021]
        live_results=True, baseline_tta_seconds=7200.0,
        activities=activities(),
    )
    values.update(fields)
    agency = Agency(code=code, kind=kind, name_th=name_th, name_en="")
    return KpiRecord(agency=agency, ideas=ideas(10) if idea_list is None else idea_list, **values)


def district(idea_list=None, **fields):
    return record(kind="district", code="1001", name_th="สำนักงานเขตพระนคร",
                  idea_list=ideas(15) if idea_list is None else idea_list, **fields)


def points(result, key) -> Decimal:
    return next(c.points for c in result.criteria if c.key == key)


def reason(result, key) -> str:
    return next(c.reason_th for c in result.criteria if c.key == key)


# -- the hand-computed scorings -------------------------------------------------------------


def test_seed_record_every_step_on_time_scores_100_level_5():
    result = score(record(), rubric=RUBRIC, results=live(), as_of=FY_END)
    # part 1: ideas 10/10 × 10 = 10, selection 10          → 20
    # part 2: forms 3–4 10, committee 10, activities 3/3 × 20 → 40
    # part 3: form 5 10, results 30 × (1 + 1 + 1)/3 = 30    → 40
    assert [(c.key, c.points, c.max_points) for c in result.criteria] == [
        ("ideas", D(10), D(10)), ("selection", D(10), D(10)), ("forms34", D(10), D(10)),
        ("committee", D(10), D(10)), ("activities", D(20), D(20)), ("form5", D(10), D(10)),
        ("results", D(30), D(30))]
    assert result.parts == {1: D(20), 2: D(40), 3: D(40)}
    assert result.total == D(100) and str(result.total) == "100.0000"
    assert str(result.level) == "5.0000"
    assert (result.target, result.achieved) == (D(100), D(100))  # ค่าเป้าหมาย : 100, ผลงานที่ทำได้ : 100
    assert (result.agency_code, result.fiscal_year, result.as_of) == ("PSSEC", 2564, FY_END)
    assert [c.part for c in result.criteria] == [1, 1, 2, 2, 2, 3, 3]
    assert reason(result, "ideas") == ("แบบฟอร์ม 1 จำนวน 10 ชุด จากขั้นต่ำ 10 ชุด "
                                       "(ส่วนราชการในสังกัดสำนักปลัดฯ/สำนักงานเลขานุการ) = 10/10 × 10 = 10.0000 คะแนน")
    assert "ภายในกำหนด 31 มกราคม 2564" in reason(result, "selection")
    assert "คณะกรรมการเห็นชอบ" in reason(result, "committee")
    assert reason(result, "results").endswith("= 30 × (1.0000 + 1.0000 + 1.0000)/3 = 30.0000 คะแนน")
    done = {c.key: c.done_on for c in result.criteria}
    assert done == {"ideas": date(2020, 11, 16), "selection": date(2021, 1, 20), "forms34": date(2021, 2, 15),
                    "committee": date(2021, 3, 17), "activities": date(2021, 8, 20), "form5": date(2021, 9, 10),
                    "results": None}


def test_district_with_12_ideas_of_15():
    result = score(district(ideas(12)), rubric=RUBRIC, results=live(), as_of=FY_END)
    # 12/15 × 10 = 8.0000; the rest full: total 8 + 10 + 40 + 40 = 98 → level 4 + 8/10 = 4.8000
    assert points(result, "ideas") == D("8.0000")
    assert reason(result, "ideas") == "แบบฟอร์ม 1 จำนวน 12 ชุด จากขั้นต่ำ 15 ชุด (สำนักงานเขต) = 12/15 × 10 = 8.0000 คะแนน"
    assert next(c.done_on for c in result.criteria if c.key == "ideas") is None
    assert result.parts[1] == D(18) and result.total == D(98) and result.level == D("4.8000")


def test_ideas_prorate_rounds_half_up_and_cap_at_minimum():
    # 13/15 × 10 = 8.66666… → 8.6667
    assert points(score(district(ideas(13)), rubric=RUBRIC, results=live(), as_of=FY_END), "ideas") == D("8.6667")
    # 25 ideas count as 15: 15/15 × 10 = 10
    many = score(district(ideas(25)), rubric=RUBRIC, results=live(), as_of=FY_END)
    assert points(many, "ideas") == D(10) and "นับไม่เกินขั้นต่ำ" in reason(many, "ideas")


def test_late_ideas_count_at_the_late_factor():
    late = ideas(4, on=date(2021, 1, 1), selected=-1)  # the day after the Form 1 deadline, 31 Dec 2020
    result = score(district(ideas(12) + late), rubric=RUBRIC, results=live(), as_of=FY_END)
    # 12 + 4 × 0.5 = 14; 14/15 × 10 = 9.3333…
    assert points(result, "ideas") == D("9.3333")
    assert "ส่งหลังกำหนด 4 ชุด นับชุดละ 0.5" in reason(result, "ideas")
    assert "= 14/15 × 10 = 9.3333 คะแนน" in reason(result, "ideas")
    # 9.3333 + 10 + 40 + 40 = 99.3333 → 4 + 9.3333/10 = 4.93333 → 4.9333
    assert result.total == D("99.3333") and result.level == D("4.9333")


def test_bureau_minimum_20_and_centre_as_office():
    bureau = record(kind="bureau", code="B01", name_th="สำนักการโยธา", idea_list=ideas(15))
    assert points(score(bureau, rubric=RUBRIC, results=live(), as_of=FY_END), "ideas") == D("7.5000")  # 15/20 × 10
    centre = record(kind="centre", code="CENTRE", name_th="ศูนย์เรื่องราวร้องทุกข์กรุงเทพมหานคร", idea_list=ideas(5))
    assert points(score(centre, rubric=RUBRIC, results=live(), as_of=FY_END), "ideas") == D("5.0000")  # 5/10 × 10


def test_late_form5():
    result = score(record(form5_approved_on=date(2021, 9, 20)), rubric=RUBRIC, results=live(), as_of=FY_END)
    # approved 20 Sep 2021, after 15 Sep 2021: 10 × 0.5 = 5; total 95 → 4 + 5/10 = 4.5000
    assert points(result, "form5") == D(5)
    assert reason(result, "form5") == ("ทำแบบสำรวจเมื่อ 1 กันยายน 2564 ผู้บริหารเห็นชอบเมื่อ 20 กันยายน 2564 "
                                       "หลังกำหนด 15 กันยายน 2564 คิด × 0.5 = 10 × 0.5 = 5.0000 คะแนน")
    assert result.total == D(95) and result.level == D("4.5000")


def test_form5_survey_without_approval_scores_nothing():
    result = score(record(form5_approved_on=None), rubric=RUBRIC, results=live(), as_of=FY_END)
    assert points(result, "form5") == 0 and "รอผู้บริหารเห็นชอบ" in reason(result, "form5")


def test_committee_asked_for_revisions_not_yet_done():
    result = score(record(committee_decision="revise", revision_done_on=None), rubric=RUBRIC, results=live(),
                   as_of=FY_END)
    # 10 × 1/2 = 5; total 95 → 4.5000
    assert points(result, "committee") == D(5)
    assert "คณะกรรมการให้ปรับแก้ ยังไม่ได้ปรับแก้" in reason(result, "committee")
    assert reason(result, "committee").endswith("= 10 × 0.5 = 5.0000 คะแนน")
    assert result.parts[2] == D(35) and result.total == D(95) and result.level == D("4.5000")


def test_committee_revisions_count_once_done_by_as_of():
    revised = record(committee_decision="revise", revision_done_on=date(2021, 4, 20))
    assert points(score(revised, rubric=RUBRIC, results=live(), as_of=date(2021, 4, 19)), "committee") == D(5)
    on_the_day = score(revised, rubric=RUBRIC, results=live(), as_of=date(2021, 4, 20))
    assert points(on_the_day, "committee") == D(10) and "ปรับแก้แล้วเมื่อ 20 เมษายน 2564" in reason(on_the_day, "committee")


@pytest.mark.parametrize(("fields", "expected", "says"), [
    ({"committee_decision": "rejected"}, D(0), "คณะกรรมการไม่เห็นชอบ"),
    ({"committee_decision": None}, D(0), "ยังไม่มีมติคณะกรรมการ"),
    # presented 1 Apr 2021, after 31 Mar: 10 × 0.5 = 5
    ({"committee_presented_on": date(2021, 4, 1), "committee_decided_on": date(2021, 4, 1)}, D(5), "หลังกำหนด"),
    # late and revisions pending: 10 × 0.5 × 0.5 = 2.5
    ({"committee_presented_on": date(2021, 4, 1), "committee_decided_on": date(2021, 4, 1),
      "committee_decision": "revise"}, D("2.5"), "= 10 × 0.5 × 0.5 = 2.5000 คะแนน"),
    # decided later than the presentation, after as_of: no decision yet
    ({"committee_decided_on": date(2021, 10, 5)}, D(0), "ยังไม่มีมติคณะกรรมการ"),
])
def test_committee_decisions(fields, expected, says):
    result = score(record(**fields), rubric=RUBRIC, results=live(), as_of=FY_END)
    assert points(result, "committee") == expected and says in reason(result, "committee")


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, D(10)),
    ({"form4_submitted_on": date(2021, 3, 1)}, D(5)),  # both sent, the last one late: 10 × 0.5
    ({"form4_submitted_on": None}, D("2.5")),  # only Form 3, deadline passed: 10 × 0.5 × 0.5
    ({"form3_submitted_on": None, "form4_submitted_on": None}, D(0)),
])
def test_forms_3_and_4(fields, expected):
    assert points(score(record(**fields), rubric=RUBRIC, results=live(), as_of=FY_END), "forms34") == expected


def test_forms_3_and_4_half_before_the_deadline():
    result = score(record(form4_submitted_on=None), rubric=RUBRIC, results=live(), as_of=date(2021, 2, 28))
    assert points(result, "forms34") == D(5)  # 10 × 0.5, still within 28 Feb 2021
    assert "ยังไม่ส่งแบบฟอร์ม 4" in reason(result, "forms34")


@pytest.mark.parametrize(("fields", "expected"), [
    ({"selected_by": None}, D(0)),
    ({"idea_list": ideas(10, selected=-1)}, D(0)),
    ({"selected_on": None}, D(0)),
    ({"selected_on": date(2021, 2, 1)}, D(5)),  # the day after 31 Jan 2021: 10 × 0.5
])
def test_selection(fields, expected):
    assert points(score(record(**fields), rubric=RUBRIC, results=live(), as_of=FY_END), "selection") == expected


def test_two_selected_ideas_score_nothing():
    two = ideas(10)
    two[3].selected = True
    result = score(record(idea_list=two), rubric=RUBRIC, results=live(), as_of=FY_END)
    assert points(result, "selection") == 0 and "ต้องเลือกเพียง 1 แนวคิด" in reason(result, "selection")


def test_activities_late_and_evidence():
    acts = activities()
    acts[1].done_on = date(2021, 5, 10)  # planned by 30 Apr: late
    acts[2].done_on = None
    result = score(record(activities=acts), rubric=RUBRIC, results=live(), as_of=FY_END)
    # (1 + 0.5 + 0)/3 × 20 = 10.0000; evidence 20 Aug, on time
    assert points(result, "activities") == D(10)
    assert reason(result, "activities").endswith("= 1.5/3 × 20 = 10.0000 คะแนน")
    # evidence sent 1 Sep 2021, after 31 Aug: 3/3 × 20 × 0.5 = 10
    late_evidence = score(record(evidence_sent_on=date(2021, 9, 1)), rubric=RUBRIC, results=live(), as_of=FY_END)
    assert points(late_evidence, "activities") == D(10)
    assert reason(late_evidence, "activities").endswith("= 3/3 × 20 × 0.5 = 10.0000 คะแนน")
    # evidence never sent: full until 31 Aug, halved from 1 Sep
    unsent = record(evidence_sent_on=None)
    assert points(score(unsent, rubric=RUBRIC, results=live(), as_of=date(2021, 8, 31)), "activities") == D(20)
    assert points(score(unsent, rubric=RUBRIC, results=live(), as_of=date(2021, 9, 1)), "activities") == D(10)


def test_no_activities_planned():
    result = score(record(activities=[]), rubric=RUBRIC, results=live(), as_of=FY_END)
    assert points(result, "activities") == 0 and reason(result, "activities").startswith("ไม่มีกิจกรรมตามแผน")


def test_live_results_prorated():
    result = score(record(), rubric=RUBRIC, results=live(coverage=1.0, ack=0.75, tta=0.5), as_of=FY_END)
    # 30 × (1 + 0.75 + 0.5)/3 = 22.5
    assert points(result, "results") == D("22.5")
    assert reason(result, "results").endswith("= 30 × (1.0000 + 0.7500 + 0.5000)/3 = 22.5000 คะแนน")
    # a share of 2/3 is rounded to 0.6667 first: 30 × 0.6667/3 = 6.667
    assert points(score(record(), rubric=RUBRIC, results=live(0, 0, 2 / 3), as_of=FY_END), "results") == D("6.6670")
    # a share above 1 counts as 1
    assert points(score(record(), rubric=RUBRIC, results=live(1.4, 1, 1), as_of=FY_END), "results") == D(30)


def test_live_results_missing():
    result = score(record(), rubric=RUBRIC, results=None, as_of=FY_END)
    assert points(result, "results") == 0 and "ยังไม่มีผลการดำเนินงาน" in reason(result, "results")
    full = live()
    no_data = LiveResults(*(Measure(m.key, m.name_th, None, m.target, m.unit, 0.9)  # no data: the share is ignored
                            for m in (full.coverage, full.ack_within_sla, full.median_tta)))
    unmeasured = score(record(), rubric=RUBRIC, results=no_data, as_of=FY_END)
    assert points(unmeasured, "results") == 0 and "ยังไม่มีข้อมูล" in reason(unmeasured, "results")


def test_reported_indicators():
    indicators = [
        KpiIndicator(name="ความพึงพอใจของหน่วยงาน", unit="%", target=80.0, baseline=70.0, achieved=72.0,
                     higher_is_better=True),  # 72/80 = 0.9
        KpiIndicator(name="เวลาประสานงานเฉลี่ย", unit="ชั่วโมง", target=24.0, baseline=48.0, achieved=30.0,
                     higher_is_better=False),  # cut 18 h of the planned 24 h: (48 − 30)/(48 − 24) = 0.75
        KpiIndicator(name="จำนวนหน่วยงานที่ใช้", unit="หน่วยงาน", target=50.0, baseline=None, achieved=None,
                     higher_is_better=True),  # not measured: 0
    ]
    result = score(record(live_results=False, indicators=indicators), rubric=RUBRIC, results=None, as_of=FY_END)
    # 30 × (0.9 + 0.75 + 0)/3 = 16.5
    assert points(result, "results") == D("16.5")
    assert "เวลาประสานงานเฉลี่ย 30 ชั่วโมง ค่าเป้าหมาย 24 ชั่วโมง ได้ 0.7500 ของเป้าหมาย" in reason(result, "results")
    assert reason(result, "results").endswith("= 30 × (0.9000 + 0.7500 + 0.0000)/3 = 16.5000 คะแนน")


@pytest.mark.parametrize(("achieved", "target", "higher", "baseline", "share"), [
    (72, 80, True, 70, D("0.9")), (90, 80, True, None, D(1)), (0, 80, True, None, D(0)),
    (None, 10, True, None, D(0)), (1, 3, True, None, D("0.3333")),
    (30, 24, False, 48, D("0.75")),  # (48 − 30)/(48 − 24)
    (48, 24, False, 48, D(0)),  # no better than before
    (60, 24, False, 48, D(0)),  # worse than before
    (30, 24, False, None, D("0.8")),  # no baseline: 24/30
    (30, 24, False, 20, D("0.8")),  # a baseline already below the target says nothing: 24/30
    (20, 24, False, 48, D(1)), (0, 0, False, None, D(1)), (5, 0, False, None, D(0)),
])
def test_indicator_share(achieved, target, higher, baseline, share):
    assert indicator_share(achieved, target, higher, baseline) == share


def test_no_indicators():
    result = score(record(live_results=False, indicators=[]), rubric=RUBRIC, results=None, as_of=FY_END)
    assert points(result, "results") == 0 and reason(result, "results").startswith("ไม่มีตัวชี้วัด")


# -- levels ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "level"), [
    ("0", "1.0000"),
    ("59", "1.0000"),  # at or below 60 → 1
    ("60", "1.0000"),
    ("65", "1.5000"),  # 1 + 5/10
    ("70", "2.0000"),
    ("75", "2.5000"),  # 2 + 5/10
    ("80", "3.0000"),
    ("86.6667", "3.6667"),  # 3 + 6.6667/10 = 3.66667 → 3.6667
    ("90", "4.0000"),
    ("99.99", "4.9990"),  # 4 + 9.99/10
    ("100", "5.0000"),
    ("60.0005", "1.0001"),  # 1.00005: half-up, not half-even (which would give 1.0000)
    ("60.00049", "1.0000"),  # 1.000049 → 1.0000
])
def test_levels(total, level):
    assert str(level_for(D(total), RUBRIC)) == level


# -- deadlines at the fiscal-year and quarter edges ----------------------------------------------------


@pytest.mark.parametrize(("fields", "key", "on_time"), [
    ({"idea_list": ideas(10, on=date(2020, 12, 31))}, "ideas", True),
    ({"idea_list": ideas(10, on=date(2021, 1, 1))}, "ideas", False),
    ({"selected_on": date(2021, 1, 31)}, "selection", True),
    ({"selected_on": date(2021, 2, 1)}, "selection", False),
    ({"form3_submitted_on": date(2021, 2, 28)}, "forms34", True),
    ({"form3_submitted_on": date(2021, 3, 1)}, "forms34", False),
    ({"committee_presented_on": date(2021, 3, 31), "committee_decided_on": None}, "committee", True),
    ({"committee_presented_on": date(2021, 4, 1), "committee_decided_on": None}, "committee", False),
    ({"evidence_sent_on": date(2021, 8, 31)}, "activities", True),
    ({"evidence_sent_on": date(2021, 9, 1)}, "activities", False),
    ({"form5_approved_on": date(2021, 9, 15)}, "form5", True),
    ({"form5_approved_on": date(2021, 9, 16)}, "form5", False),
])
def test_a_step_on_its_deadline_is_on_time_the_day_after_late(fields, key, on_time):
    result = score(record(**fields), rubric=RUBRIC, results=live(), as_of=FY_END)
    full = RUBRIC.points[key]
    assert points(result, key) == (full if on_time else full * RUBRIC.late_factor)


def test_fiscal_year_end_30_sep_counts_1_oct_does_not():
    on_last_day = record(form5_approved_on=date(2021, 9, 30))
    assert points(score(on_last_day, rubric=RUBRIC, results=live(), as_of=FY_END), "form5") == D(5)  # late, counted
    next_year = record(form5_survey_done_on=date(2021, 10, 1), form5_approved_on=date(2021, 10, 1))  # FY2565's first day
    result = score(next_year, rubric=RUBRIC, results=live(), as_of=FY_END)
    assert points(result, "form5") == 0
    assert reason(result, "form5") == "แบบฟอร์ม 5 ยังไม่ดำเนินการ ณ วันที่ 30 กันยายน 2564 = 0.0000 คะแนน"
    # An idea of 30 Sep 2020 (FY2563's last day) is before this year's Form 1 deadline: on time.
    early = district(ideas(15, on=date(2020, 9, 30)))
    assert points(score(early, rubric=RUBRIC, results=live(), as_of=FY_END), "ideas") == D(10)


def test_nothing_counts_before_it_happens():
    result = score(record(), rubric=RUBRIC, results=None, as_of=date(2020, 11, 15))  # the day before the ideas
    assert result.total == 0 and result.level == D(1)
    assert reason(result, "ideas") == "แบบฟอร์ม 1 ยังไม่ดำเนินการ ณ วันที่ 15 พฤศจิกายน 2563 = 0.0000 คะแนน"
    assert all(c.done_on is None for c in result.criteria)


@pytest.mark.parametrize(("selected_on", "first_quarter_with_it"), [
    (date(2020, 12, 31), 1), (date(2021, 1, 1), 2),  # quarter 1 ends 31 Dec
    (date(2021, 3, 31), 2), (date(2021, 4, 1), 3),  # quarter 2 ends 31 Mar
    (date(2021, 6, 30), 3), (date(2021, 7, 1), 4),  # quarter 3 ends 30 Jun
    (date(2021, 9, 30), 4), (date(2021, 10, 1), None),  # 1 Oct is the next fiscal year
])
def test_progress_counts_a_step_in_the_quarter_it_was_done(selected_on, first_quarter_with_it):
    quarters = progress(record(selected_on=selected_on), rubric=RUBRIC, results_at=lambda day: None)
    got = [q for q, s in quarters if points(s, "selection") > 0]
    assert (got[0] if got else None) == first_quarter_with_it


def test_seed_progress_per_quarter_is_cumulative():
    asked = []

    def results_at(day):
        asked.append(day)
        return live() if day >= date(2021, 6, 30) else None  # the innovation was used from 1 Apr 2021

    quarters = progress(record(), rubric=RUBRIC, results_at=results_at)
    assert asked == [date(2020, 12, 31), date(2021, 3, 31), date(2021, 6, 30), date(2021, 9, 30)]
    assert [q for q, _ in quarters] == [1, 2, 3, 4]
    assert [s.as_of for _, s in quarters] == asked
    # Q1 (31 Dec 2020): ideas 10                                                    = 10
    # Q2 (31 Mar 2021): + selection 10, forms 3–4 10, committee 10, 1/3 × 20 = 6.6667 = 46.6667
    # Q3 (30 Jun 2021): activities 3/3 × 20 = 20, results 30                         = 90
    # Q4 (30 Sep 2021): + form 5 10                                                  = 100
    assert [s.total for _, s in quarters] == [D(10), D("46.6667"), D(90), D(100)]
    assert [str(s.level) for _, s in quarters] == ["1.0000", "1.0000", "4.0000", "5.0000"]
    totals = [s.total for _, s in quarters]
    assert totals == sorted(totals)
    for (_, earlier), (_, later) in zip(quarters, quarters[1:], strict=False):
        assert all(a.points <= b.points for a, b in zip(earlier.criteria, later.criteria, strict=True))


# -- the rubric is the admin's -------------------------------------------------------------------------


def test_an_admin_rubric_changes_the_score(tmp_path):
    text = kpi_rubric.DEFAULT_PATH.read_text(encoding="utf-8").replace("late_factor: 0.5", "late_factor: 0.25")
    text = text.replace("  district: 15 ", "  district: 12 ")
    path = tmp_path / "kpi_rubric.yaml"
    path.write_text(text, encoding="utf-8")
    rubric = kpi_rubric.load(path)
    result = score(district(ideas(12), form5_approved_on=date(2021, 9, 20)), rubric=rubric, results=live(),
                   as_of=FY_END)
    # ideas 12/12 × 10 = 10; late Form 5 10 × 0.25 = 2.5; total 92.5 → 4 + 2.5/10 = 4.2500
    assert points(result, "ideas") == D(10) and points(result, "form5") == D("2.5")
    assert result.total == D("92.5") and result.level == D("4.2500")


def test_a_year_without_deadlines_is_a_rubric_error(tmp_path):
    text = kpi_rubric.DEFAULT_PATH.read_text(encoding="utf-8")
    start, end = text.index("  default:"), text.index("  # ปีงบประมาณ 2564")
    path = tmp_path / "kpi_rubric.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    rubric = kpi_rubric.load(path)
    assert score(record(), rubric=rubric, results=live(), as_of=FY_END).total == D(100)
    with pytest.raises(RubricError, match="no deadlines for fiscal year 2570"):
        score(record(fiscal_year=2570), rubric=rubric, results=live(), as_of=date(2027, 9, 30))

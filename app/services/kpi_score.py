"""The innovation-KPI scorer (SPEC §7): a unit's KpiRecord, as of a date, against the rubric.

Pure functions: no database, no clock. Everything dated after `as_of` is treated as not done yet,
so the same record scores each quarter's cumulative progress. Every criterion carries its points
and a Thai reason with the arithmetic; docs/kpi.md states each rule in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.fiscal import quarter_bounds, thai_date
from app.services.kpi_rubric import CRITERIA, Deadlines, Rubric
from models.kpi import CommitteeDecision, KpiRecord

FOUR_PLACES = Decimal("0.0001")
ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")

TITLES_TH = {
    "ideas": "ขั้นตอนที่ 1 การเสนอความคิดเห็นเพื่อพัฒนา/ปรับปรุงการปฏิบัติงาน (แบบฟอร์ม 1)",
    "selection": "ขั้นตอนที่ 2 การคัดเลือกความคิดเห็นเพียง 1 แนวคิด (แบบฟอร์ม 2)",
    "forms34": "ขั้นตอนที่ 3 โครงการพัฒนานวัตกรรมฯ และแบบนำเสนอโครงการ (แบบฟอร์ม 3 และ 4) ส่งสำนักงาน ก.ก.",
    "committee": "ขั้นตอนที่ 3 นำเสนอคณะกรรมการนวัตกรรมกรุงเทพมหานคร และปรับแก้ตามมติ",
    "activities": "ขั้นตอนที่ 4 ดำเนินกิจกรรมตามโครงการและส่งหลักฐานให้สำนักงาน ก.ก.",
    "form5": "ขั้นตอนที่ 5 แบบสำรวจผลการนำนวัตกรรมไปใช้ประโยชน์ (แบบฟอร์ม 5) ผู้บริหารเห็นชอบ",
    "results": "ผลการดำเนินงานของนวัตกรรมเทียบค่าเป้าหมายของตัวชี้วัด",
}
KIND_TH = {
    "bureau": "หน่วยงานระดับสำนัก",
    "district": "สำนักงานเขต",
    "office": "ส่วนราชการในสังกัดสำนักปลัดฯ/สำนักงานเลขานุการ",
    "centre": "ศูนย์เรื่องราวร้องทุกข์",
}


@dataclass(frozen=True)
class Measure:
    """One result indicator of a live-results record, measured by the service itself."""

    key: str
    name_th: str
    achieved: float | None
    target: float
    unit: str
    share: float  # 0..1 of the target met


@dataclass(frozen=True)
class LiveResults:
    coverage: Measure  # units with an active coordinator, target 100 %
    ack_within_sla: Measure  # assignments acknowledged within SLA, target 80 %
    median_tta: Measure  # median time to acknowledge, target half the pre-LINE baseline


@dataclass(frozen=True)
class Criterion:
    part: int
    key: str
    title_th: str
    points: Decimal
    max_points: Decimal
    reason_th: str
    done_on: date | None  # the day the criterion was fully met, None while it is not


@dataclass(frozen=True)
class Score:
    agency_code: str
    agency_name_th: str
    fiscal_year: int
    as_of: date
    criteria: list[Criterion]
    parts: dict[int, Decimal]
    total: Decimal
    level: Decimal
    target: Decimal  # ค่าเป้าหมาย: the rubric's full points (100)
    achieved: Decimal  # ผลงานที่ทำได้: the total


def level_for(total: Decimal, rubric: Rubric) -> Decimal:
    """The level of a total: at or below the first threshold its level, linear between, four decimals."""
    levels = rubric.levels
    level = levels[-1][1]
    if total <= levels[0][0]:
        level = levels[0][1]
    elif total < levels[-1][0]:
        for (low, low_level), (high, high_level) in zip(levels, levels[1:], strict=False):
            if low < total <= high:
                level = low_level + (total - low) / (high - low) * (high_level - low_level)
                break
    return level.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def score(record: KpiRecord, *, rubric: Rubric, results: LiveResults | None, as_of: date) -> Score:
    """The record's score as of `as_of`: what was done on or before that day, by the rubric."""
    step = _Step(record, rubric, as_of)
    criteria = [step.ideas(), step.selection(), step.forms34(), step.committee(), step.activities(), step.form5(),
                step.results(results)]
    parts = {part: sum((c.points for c in criteria if c.part == part), ZERO) for part in sorted(set(CRITERIA.values()))}
    total = sum(parts.values(), ZERO)
    return Score(
        agency_code=record.agency.code,
        agency_name_th=record.agency.name_th,
        fiscal_year=record.fiscal_year,
        as_of=as_of,
        criteria=criteria,
        parts=parts,
        total=total,
        level=level_for(total, rubric),
        target=sum(rubric.points.values(), ZERO),
        achieved=total,
    )


def progress(record: KpiRecord, *, rubric: Rubric,
             results_at: Callable[[date], LiveResults | None]) -> list[tuple[int, Score]]:
    """The cumulative score at the last day of each quarter 1..4 of the record's fiscal year."""
    quarters = []
    for quarter in (1, 2, 3, 4):
        _, last_day = quarter_bounds(record.fiscal_year, quarter)
        quarters.append((quarter, score(record, rubric=rubric, results=results_at(last_day), as_of=last_day)))
    return quarters


# -- the criteria ------------------------------------------------------------------------------


class _Step:
    """Scores one criterion at a time for one record as of one day."""

    def __init__(self, record: KpiRecord, rubric: Rubric, as_of: date) -> None:
        self.record = record
        self.rubric = rubric
        self.as_of = as_of
        self.deadlines: Deadlines = rubric.deadlines(record.fiscal_year)
        self.late_factor = rubric.late_factor

    def criterion(self, key: str, points: Decimal, reason: str, done_on: date | None = None) -> Criterion:
        return Criterion(part=CRITERIA[key], key=key, title_th=TITLES_TH[key], points=_q(points),
                         max_points=self.rubric.points[key], reason_th=reason, done_on=done_on)

    def by(self, day: date | None) -> date | None:
        """`day` if it is on or before as_of, else None: later dates do not count yet."""
        return day if day is not None and day <= self.as_of else None

    def not_yet(self, what: str, key: str) -> Criterion:
        return self.criterion(key, ZERO, f"{what} ยังไม่ดำเนินการ ณ วันที่ {thai_date(self.as_of)} = {_fmt(ZERO)} คะแนน")

    def timing(self, day: date, deadline: date) -> tuple[Decimal, str]:
        """The lateness factor of a step done on `day`, and how to say it."""
        if day <= deadline:
            return ONE, f"ภายในกำหนด {thai_date(deadline)}"
        return self.late_factor, f"หลังกำหนด {thai_date(deadline)} คิด × {_num(self.late_factor)}"

    def ideas(self) -> Criterion:
        full = self.rubric.points["ideas"]
        kind = str(self.record.agency.kind)
        minimum = self.rubric.minimum_for(kind)
        counted = sorted((i for i in self.record.ideas if self.by(i.submitted_on)), key=lambda i: i.submitted_on)
        if not counted:
            return self.not_yet("แบบฟอร์ม 1", "ideas")
        deadline = self.deadlines.form1
        late = [i for i in counted if i.submitted_on > deadline]
        weighted = len(counted) - len(late) + len(late) * self.late_factor
        credited = min(weighted, Decimal(minimum))
        points = credited / minimum * full
        text = f"แบบฟอร์ม 1 จำนวน {len(counted)} ชุด"
        if late:
            text += (f" (ส่งภายในกำหนด {thai_date(deadline)} จำนวน {len(counted) - len(late)} ชุด, ส่งหลังกำหนด"
                     f" {len(late)} ชุด นับชุดละ {_num(self.late_factor)}) นับได้ {_num(weighted)} ชุด")
        text += f" จากขั้นต่ำ {minimum} ชุด ({KIND_TH.get(kind, kind)})"
        if weighted > minimum:
            text += " นับไม่เกินขั้นต่ำ"
        text += f" = {_num(credited)}/{minimum} × {_num(full)} = {_fmt(points)} คะแนน"
        running, done_on = ZERO, None
        for idea in counted:
            running += ONE if idea.submitted_on <= deadline else self.late_factor
            if running >= minimum:
                done_on = idea.submitted_on
                break
        return self.criterion("ideas", points, text, done_on)

    def selection(self) -> Criterion:
        full = self.rubric.points["selection"]
        record = self.record
        selected_on = self.by(record.selected_on)
        if selected_on is None:
            return self.not_yet("การคัดเลือกแนวคิด (แบบฟอร์ม 2)", "selection")
        chosen = [i for i in record.ideas if i.selected]
        if len(chosen) != 1:
            problem = ("ยังไม่ได้ระบุแนวคิดที่ได้รับการคัดเลือก" if not chosen
                       else f"คัดเลือกไว้ {len(chosen)} แนวคิด ต้องเลือกเพียง 1 แนวคิด")
            return self.criterion("selection", ZERO, f"แบบฟอร์ม 2 เมื่อ {thai_date(selected_on)}: {problem} = {_fmt(ZERO)} คะแนน")
        if not (record.selected_by or "").strip():
            return self.criterion("selection", ZERO, f"แบบฟอร์ม 2 เมื่อ {thai_date(selected_on)}: ไม่ระบุคณะผู้บริหาร/"
                                                     f"คณะทำงานที่คัดเลือก = {_fmt(ZERO)} คะแนน")
        factor, when = self.timing(selected_on, self.deadlines.form2)
        points = full * factor
        text = (f"คัดเลือก 1 แนวคิดโดย{record.selected_by.strip()} เมื่อ {thai_date(selected_on)} {when}"
                f" = {_product(full, factor)}{_fmt(points)} คะแนน")
        return self.criterion("selection", points, text, selected_on)

    def forms34(self) -> Criterion:
        full = self.rubric.points["forms34"]
        form3, form4 = self.by(self.record.form3_submitted_on), self.by(self.record.form4_submitted_on)
        if form3 is None and form4 is None:
            return self.not_yet("แบบฟอร์ม 3 และ 4", "forms34")
        deadline = self.deadlines.forms34
        if form3 is not None and form4 is not None:
            last = max(form3, form4)
            factor, when = self.timing(last, deadline)
            points = full * factor
            text = (f"ส่งแบบฟอร์ม 3 เมื่อ {thai_date(form3)} และแบบฟอร์ม 4 เมื่อ {thai_date(form4)} {when}"
                    f" = {_product(full, factor)}{_fmt(points)} คะแนน")
            return self.criterion("forms34", points, text, last)
        sent, missing, day = (3, 4, form3) if form3 is not None else (4, 3, form4)
        # Half a step, and late once the deadline has passed: the missing form is then overdue
        # (and the one sent was on time or late, no better).
        if self.as_of <= deadline:
            factor, when = ONE, f"ยังอยู่ในกำหนด {thai_date(deadline)}"
        else:
            factor, when = self.late_factor, f"เกินกำหนด {thai_date(deadline)} คิด × {_num(self.late_factor)}"
        points = full * HALF * factor
        text = (f"ส่งแบบฟอร์ม {sent} เมื่อ {thai_date(day)} แต่ยังไม่ส่งแบบฟอร์ม {missing} ณ วันที่ {thai_date(self.as_of)}"
                f" ({when}) ได้ครึ่งหนึ่ง = {_product(full, HALF, factor)}{_fmt(points)} คะแนน")
        return self.criterion("forms34", points, text)

    def committee(self) -> Criterion:
        full = self.rubric.points["committee"]
        record = self.record
        presented = self.by(record.committee_presented_on)
        if presented is None:
            return self.not_yet("การนำเสนอคณะกรรมการนวัตกรรมกรุงเทพมหานคร", "committee")
        decided = self.by(record.committee_decided_on or record.committee_presented_on)
        decision = record.committee_decision if decided is not None else None
        factor, when = self.timing(presented, self.deadlines.committee)
        said = f"นำเสนอคณะกรรมการนวัตกรรมกรุงเทพมหานครเมื่อ {thai_date(presented)} {when}"
        if decision == CommitteeDecision.approved:
            points = full * factor
            return self.criterion("committee", points, f"{said} คณะกรรมการเห็นชอบ = {_product(full, factor)}"
                                                       f"{_fmt(points)} คะแนน", decided)
        if decision == CommitteeDecision.revise:
            revised = self.by(record.revision_done_on)
            if revised is not None:
                points = full * factor
                return self.criterion("committee", points, f"{said} คณะกรรมการให้ปรับแก้ ปรับแก้แล้วเมื่อ "
                                                           f"{thai_date(revised)} = {_product(full, factor)}"
                                                           f"{_fmt(points)} คะแนน", revised)
            points = full * HALF * factor
            return self.criterion("committee", points, f"{said} คณะกรรมการให้ปรับแก้ ยังไม่ได้ปรับแก้ ณ วันที่ "
                                                       f"{thai_date(self.as_of)} ได้ครึ่งหนึ่ง = "
                                                       f"{_product(full, HALF, factor)}{_fmt(points)} คะแนน")
        if decision == CommitteeDecision.rejected:
            return self.criterion("committee", ZERO, f"{said} คณะกรรมการไม่เห็นชอบ = {_fmt(ZERO)} คะแนน")
        return self.criterion("committee", ZERO, f"{said} ยังไม่มีมติคณะกรรมการ ณ วันที่ {thai_date(self.as_of)}"
                                                 f" = {_fmt(ZERO)} คะแนน")

    def activities(self) -> Criterion:
        full = self.rubric.points["activities"]
        planned = list(self.record.activities)
        if not planned:
            return self.criterion("activities", ZERO, f"ไม่มีกิจกรรมตามแผนของโครงการ = {_fmt(ZERO)} คะแนน")
        done = [a for a in planned if self.by(a.done_on)]
        late = [a for a in done if a.done_on > a.planned_end]
        credit = len(done) - len(late) + len(late) * self.late_factor
        text = f"กิจกรรมตามแผน {len(planned)} กิจกรรม: แล้วเสร็จตามแผน {len(done) - len(late)} กิจกรรม"
        if late:
            text += f", แล้วเสร็จหลังแผน {len(late)} กิจกรรม (นับกิจกรรมละ {_num(self.late_factor)})"
        if len(done) < len(planned):
            text += f", ยังไม่แล้วเสร็จ ณ วันที่ {thai_date(self.as_of)} {len(planned) - len(done)} กิจกรรม"
        deadline = self.deadlines.evidence
        evidence = self.by(self.record.evidence_sent_on)
        if evidence is not None:
            factor, when = self.timing(evidence, deadline)
            text += f"; ส่งหลักฐานเมื่อ {thai_date(evidence)} {when}"
        elif self.as_of > deadline:
            factor = self.late_factor
            text += (f"; ยังไม่ส่งหลักฐาน เกินกำหนด {thai_date(deadline)}"
                     f" (คิด × {_num(self.late_factor)})")
        else:
            factor = ONE
            text += f"; ยังไม่ส่งหลักฐาน (กำหนด {thai_date(deadline)})"
        points = credit / len(planned) * full * factor
        arithmetic = f"{_num(credit)}/{len(planned)} × {_num(full)}" + (f" × {_num(factor)}" if factor != ONE else "")
        text += f" = {arithmetic} = {_fmt(points)} คะแนน"
        done_on = None
        if len(done) == len(planned) and evidence is not None:
            done_on = max([a.done_on for a in done] + [evidence])
        return self.criterion("activities", points, text, done_on)

    def form5(self) -> Criterion:
        full = self.rubric.points["form5"]
        survey, approved = self.by(self.record.form5_survey_done_on), self.by(self.record.form5_approved_on)
        if approved is None:
            if survey is None:
                return self.not_yet("แบบฟอร์ม 5", "form5")
            return self.criterion("form5", ZERO, f"ทำแบบสำรวจเมื่อ {thai_date(survey)} รอผู้บริหารเห็นชอบ ณ วันที่ "
                                                 f"{thai_date(self.as_of)} = {_fmt(ZERO)} คะแนน")
        if survey is None:
            return self.criterion("form5", ZERO, f"ผู้บริหารเห็นชอบเมื่อ {thai_date(approved)} แต่ไม่มีวันที่ทำแบบสำรวจ"
                                                 f"ผลการนำนวัตกรรมไปใช้ประโยชน์ = {_fmt(ZERO)} คะแนน")
        factor, when = self.timing(approved, self.deadlines.form5)
        points = full * factor
        text = (f"ทำแบบสำรวจเมื่อ {thai_date(survey)} ผู้บริหารเห็นชอบเมื่อ {thai_date(approved)} {when}"
                f" = {_product(full, factor)}{_fmt(points)} คะแนน")
        return self.criterion("form5", points, text, approved)

    def results(self, live: LiveResults | None) -> Criterion:
        full = self.rubric.points["results"]
        if self.record.live_results:
            if live is None:
                return self.criterion("results", ZERO, f"ยังไม่มีผลการดำเนินงานจากข้อมูลของระบบ ณ วันที่ "
                                                       f"{thai_date(self.as_of)} = {_fmt(ZERO)} คะแนน")
            measured = [(m.name_th, m.achieved, m.target, m.unit, _share(m.share) if m.achieved is not None else ZERO)
                        for m in (live.coverage, live.ack_within_sla, live.median_tta)]
        else:
            indicators = list(self.record.indicators)
            if not indicators:
                return self.criterion("results", ZERO, f"ไม่มีตัวชี้วัดผลการดำเนินงานของนวัตกรรม = {_fmt(ZERO)} คะแนน")
            if all(i.achieved is None for i in indicators):
                return self.criterion("results", ZERO, f"ยังไม่มีผลการดำเนินงานตามตัวชี้วัด ณ วันที่ "
                                                       f"{thai_date(self.as_of)} = {_fmt(ZERO)} คะแนน")
            measured = [(i.name, i.achieved, i.target, i.unit or "",
                         indicator_share(i.achieved, i.target, i.higher_is_better, i.baseline))
                        for i in indicators]
        lines = []
        for name, achieved, target, unit, share in measured:
            got = "ยังไม่มีข้อมูล" if achieved is None else f"{_plain(achieved)}{_unit(unit)}"
            lines.append(f"{name} {got} ค่าเป้าหมาย {_plain(target)}{_unit(unit)} ได้ {_fmt(share)} ของเป้าหมาย")
        shares = [m[4] for m in measured]
        points = sum(shares, ZERO) / len(shares) * full
        text = ("; ".join(lines) + f" = {_num(full)} × ({' + '.join(_fmt(s) for s in shares)})/{len(shares)}"
                f" = {_fmt(points)} คะแนน")
        return self.criterion("results", points, text)


def indicator_share(achieved: float | None, target: float, higher_is_better: bool,
                    baseline: float | None = None) -> Decimal:
    """How much of an indicator's target was met, 0..1 (four decimals). Higher is better:
    achieved/target. Lower is better: the part of the planned cut from the baseline that was made,
    (baseline − achieved)/(baseline − target), as the live median-TTA measure does; target/achieved
    when there is no baseline above the target."""
    if achieved is None:
        return ZERO
    got, goal = Decimal(str(achieved)), Decimal(str(target))
    if higher_is_better:
        if got >= goal:
            return ONE
        return _share(got / goal) if goal > 0 else ZERO
    if got <= goal:
        return ONE
    if baseline is not None and Decimal(str(baseline)) > goal:
        base = Decimal(str(baseline))
        return _share((base - got) / (base - goal))
    return _share(goal / got) if goal > 0 else ZERO


# -- numbers in words ----------------------------------------------------------------------------


def _q(value: Decimal) -> Decimal:
    return value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _share(value: float | Decimal) -> Decimal:
    """A share of a target, clamped to 0..1 and rounded to four decimals."""
    return _q(min(ONE, max(ZERO, Decimal(str(value)))))


def _fmt(value: Decimal) -> str:
    """Points as shown: four decimals (8.0000)."""
    return f"{_q(value)}"


def _num(value: Decimal | int) -> str:
    """A factor or count without trailing zeros (0.5, 14, 2.5)."""
    return f"{Decimal(value).normalize():f}"


def _product(*factors: Decimal) -> str:
    """'10 × 0.5 × 0.5 = ', leaving out factors of one; nothing when only the first is left."""
    first, *rest = factors
    shown = [_num(f) for f in rest if f != ONE]
    return " × ".join([_num(first), *shown]) + " = " if shown else ""


def _plain(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _unit(unit: str) -> str:
    return unit if unit in ("%", "") else f" {unit}"

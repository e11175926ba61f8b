"""The quarterly progress entry of the innovation KPI, in Thai, in the form of the BMA's record (the
seed): target and achieved value, then "ตรวจประเมินตัวชี้วัด : ไตรมาสที่ N:" with the steps done in
that quarter; as text, and as a Word document in TH Sarabun New, the font Thai government documents
use (Word shapes Thai itself, so the marks sit right on any office PC)."""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from app import fiscal
from app.services.kpi_score import Score
from models import KpiRecord

KPI_NAME = "ความสำเร็จในการเสนอนวัตกรรมเพื่อเพิ่มประสิทธิภาพการปฏิบัติงานของหน่วยงาน"
FONT = "TH Sarabun New"
TYPE_TH = {"policy": "นวัตกรรมเชิงนโยบาย", "service": "นวัตกรรมการบริการ", "organization": "นวัตกรรมการบริหาร/องค์กร"}
DECISION_TH = {"approved": "เห็นชอบ", "revise": "ให้ปรับแก้", "rejected": "ไม่เห็นชอบ"}


def steps_in(record: KpiRecord, first: date, last: date, as_of: date) -> list[str]:
    """What the unit did between two days (inclusive) and no later than `as_of`, in the order of
    the five steps."""
    last = min(last, as_of)

    def within(day: date | None) -> bool:
        return day is not None and first <= day <= last

    d = fiscal.thai_date
    lines: list[str] = []
    ideas = [i for i in record.ideas if within(i.submitted_on)]
    if ideas:
        lines.append(f"รวบรวมแบบฟอร์มที่ 1 แบบการมีส่วนร่วมแสดงความคิดเห็นฯ จำนวน {len(ideas)} ชุด "
                     f"(ตั้งแต่ {d(min(i.submitted_on for i in ideas))} ถึง {d(max(i.submitted_on for i in ideas))})")
    selected = next((i for i in record.ideas if i.selected), None)
    if selected is not None and within(record.selected_on):
        kind = TYPE_TH.get(record.innovation_type or selected.innovation_type, "")
        lines.append(f"จัดทำแบบฟอร์มที่ 2 แบบสรุปผลการคัดเลือกความคิดเห็นฯ โดยคัดเลือกหัวข้อ "
                     f"{record.innovation_title or selected.idea} ({kind}) "
                     f"เมื่อวันที่ {d(record.selected_on)}" + (f" โดย{record.selected_by}" if record.selected_by else ""))
    for label, day in (("แบบฟอร์มที่ 3 โครงการพัฒนานวัตกรรมฯ", record.form3_submitted_on),
                       ("แบบฟอร์มที่ 4 แบบนำเสนอโครงการพัฒนานวัตกรรมฯ", record.form4_submitted_on)):
        if within(day):
            lines.append(f"ส่ง{label} ให้สำนักงาน ก.ก. เมื่อวันที่ {d(day)}")
    if within(record.committee_presented_on):
        decision = DECISION_TH.get(record.committee_decision or "", "รอผลการพิจารณา")
        lines.append(f"นำเสนอโครงการต่อคณะกรรมการนวัตกรรมกรุงเทพมหานคร เมื่อวันที่ "
                     f"{d(record.committee_presented_on)} ผลการพิจารณา: {decision}")
    if within(record.revision_done_on):
        lines.append(f"ปรับแก้โครงการตามมติคณะกรรมการฯ แล้วเสร็จ เมื่อวันที่ {d(record.revision_done_on)}")
    for activity in record.activities:
        if within(activity.done_on):
            timing = "ตามกำหนด" if activity.done_on <= activity.planned_end else "ล่าช้ากว่ากำหนด"
            lines.append(f"ดำเนินกิจกรรม {activity.name} แล้วเสร็จ เมื่อวันที่ {d(activity.done_on)} ({timing})")
        elif (activity.done_on is None or activity.done_on > last) and activity.planned_start \
                and activity.planned_start <= last and activity.planned_end >= first:
            lines.append(f"อยู่ระหว่างดำเนินกิจกรรม {activity.name} (ตามแผน {d(activity.planned_start)} – "
                         f"{d(activity.planned_end)})")
    if within(record.evidence_sent_on):
        lines.append(f"ส่งเอกสารหลักฐานการดำเนินโครงการให้สำนักงาน ก.ก. เมื่อวันที่ {d(record.evidence_sent_on)}")
    if within(record.form5_survey_done_on):
        lines.append(f"จัดทำแบบฟอร์มที่ 5 แบบสำรวจผลการนำนวัตกรรมไปใช้ประโยชน์ เมื่อวันที่ "
                     f"{d(record.form5_survey_done_on)}")
    if within(record.form5_approved_on):
        lines.append(f"ผู้บริหารหน่วยงานให้ความเห็นชอบแบบฟอร์มที่ 5 เมื่อวันที่ {d(record.form5_approved_on)}")
    return lines


def quarterly_text(record: KpiRecord, score: Score, quarter: int, progress: list[tuple[int, Score]]) -> str:
    first, last = fiscal.quarter_bounds(record.fiscal_year, quarter)
    steps = steps_in(record, first, last, score.as_of)
    lines = [
        f"ตัวชี้วัด : {KPI_NAME}",
        f"หน่วยงาน : {record.agency.name_th}",
        f"ปีงบประมาณ พ.ศ. {record.fiscal_year}",
        f"ค่าเป้าหมาย : {_number(score.target)}",
        f"ผลงานที่ทำได้ : {_number(score.achieved)}",
        f"ระดับคะแนน : {score.level}",
        "ประเภทตัวชี้วัด : ตัวชี้วัดเชิงยุทธศาสตร์",
        "(ตัวชี้วัดระดับผลลัพธ์ (outcome))",
        f"ตรวจประเมินตัวชี้วัด : ไตรมาสที่ {quarter}: ({fiscal.thai_date(first)} – {fiscal.thai_date(last)})",
        *([f"- {s}" for s in steps] or ["- ไม่มีขั้นตอนที่ดำเนินการในไตรมาสนี้"]),
        "",
        "ความก้าวหน้าสะสม : " + " · ".join(f"ไตรมาสที่ {q} {_number(s.total)} คะแนน" for q, s in progress),
        "",
        f"รายละเอียดคะแนน ณ วันที่ {fiscal.thai_date(score.as_of)} :",
    ]
    for part in sorted(score.parts):
        lines.append(f"ส่วนที่ {part} : {_number(score.parts[part])} คะแนน")
        lines.extend(f"  - {c.title_th} {_number(c.points)}/{_number(c.max_points)} : {c.reason_th}"
                     for c in score.criteria if c.part == part)
    lines.append(f"คะแนนรวม : {_number(score.total)} คะแนน ระดับ {score.level}")
    return "\n".join(lines)


def quarterly_docx(text: str) -> bytes:
    """The same entry as a Word document (A4, TH Sarabun New 16 pt, the first line as its title)."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(16)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):  # Thai is a complex script in Word
        fonts.set(qn(attribute), FONT)
    rpr = normal.element.get_or_add_rPr()
    size_cs = rpr.find(qn("w:szCs"))
    if size_cs is None:
        size_cs = rpr.makeelement(qn("w:szCs"), {})
        rpr.append(size_cs)
    size_cs.set(qn("w:val"), "32")  # half-points: 16 pt for the complex-script (Thai) runs too
    lang = rpr.makeelement(qn("w:lang"), {qn("w:val"): "th-TH", qn("w:bidi"): "th-TH"})
    rpr.append(lang)
    section = document.sections[0]
    section.page_height, section.page_width = Pt(841.9), Pt(595.3)  # A4
    for i, line in enumerate(text.split("\n")):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(line)
        if i == 0:
            run.bold = True
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif line.startswith(("ตรวจประเมินตัวชี้วัด", "รายละเอียดคะแนน", "ค่าเป้าหมาย", "ผลงานที่ทำได้")):
            run.bold = True
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _number(value) -> str:
    """100 → '100', 87.5 → '87.5000': whole numbers as the record writes them, else four decimals."""
    return f"{value:.0f}" if value == int(value) else f"{value:.4f}"

"""The dashboard's figures as files: CSV in UTF-8 with a byte-order mark (so Excel opens Thai
correctly) and XLSX (openpyxl, write-only: rows go to the file as they come).

Columns are Thai; complainant contact columns exist only for viewers who may see them. A cases
file is read from the database in partitions: a year of cases never sits in memory as objects.
Building an XLSX is CPU work, so it runs in a thread, partition by partition, off the event loop.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font

from app.web.render import ASSIGNMENT_TH, KIND_TH

BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PARTITION = 2_000
# Excel's limit is 1,048,576 rows, the header included; openpyxl takes about a minute per 500,000
# rows of ours, so a file this big is a last resort: CSV streams any size.
XLSX_MAX_ROWS = 1_048_575


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]


def local(at: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Excel has no time zones: the local wall time, without a zone, to the second."""
    return None if at is None else at.astimezone(tz).replace(tzinfo=None, microsecond=0)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula when a spreadsheet opens it (CSV injection)
    return "" if value is None else value


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] == "=":
        return "'" + value  # openpyxl would write a formula
    return value


def csv_line(values: Sequence[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([_csv_cell(v) for v in values])
    return out.getvalue()


async def csv_stream(columns: Sequence[Column], partitions: AsyncIterator[Sequence[Any]]) -> AsyncIterator[bytes]:
    """The BOM and the header, then the rows, a partition at a time."""
    yield (BOM + csv_line([c.header for c in columns])).encode("utf-8")
    async for partition in partitions:
        yield "".join(csv_line([c.value(item) for c in columns]) for item in partition).encode("utf-8")


class XlsxBook:
    """A write-only workbook, filled sheet by sheet, a partition at a time in a worker thread."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)

    async def sheet(self, title: str, columns: Sequence[Column], partitions: AsyncIterator[Sequence[Any]]) -> None:
        sheet = self.book.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        for i, column in enumerate(columns):
            width = min(50, max(10, len(column.header) + 4))
            sheet.column_dimensions[_letter(i)].width = width

        def header() -> None:
            from openpyxl.cell import WriteOnlyCell

            cells = []
            for column in columns:
                cell = WriteOnlyCell(sheet, value=column.header)
                cell.font = Font(bold=True)
                cells.append(cell)
            sheet.append(cells)

        def append(partition: Sequence[Any]) -> None:
            for item in partition:
                sheet.append([_xlsx_cell(c.value(item)) for c in columns])

        await asyncio.to_thread(header)
        async for partition in partitions:
            await asyncio.to_thread(append, partition)

    async def to_bytes(self) -> bytes:
        def save() -> bytes:
            out = io.BytesIO()
            self.book.save(out)
            return out.getvalue()

        return await asyncio.to_thread(save)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


async def once(items: Sequence[Any]) -> AsyncIterator[Sequence[Any]]:
    """A list that is already in memory, as a single partition."""
    yield items


# -- what each file holds --------------------------------------------------------------------------

def case_columns(tz: ZoneInfo, *, contact: bool) -> list[Column]:
    """One row per assignment forwarded in the period (a re-routed case has one per unit)."""
    columns = [
        Column("เลขที่เรื่อง", lambda r: f"#{r.number}"),
        Column("หัวเรื่อง", lambda r: r.title),
        Column("ความเร่งด่วน", lambda r: "ด่วน" if r.priority == "urgent" else "ปกติ"),
        Column("รหัสหน่วยงาน", lambda r: r.agency_code),
        Column("หน่วยงาน", lambda r: r.agency_name),
        Column("สถานะที่หน่วยงาน", lambda r: ASSIGNMENT_TH.get(r.status, r.status)),
        Column("สถานะเรื่อง", lambda r: ASSIGNMENT_TH.get(r.case_status, r.case_status)),
        Column("ส่งถึงหน่วยงาน", lambda r: local(r.forwarded_at, tz)),
        Column("รับเรื่อง", lambda r: local(r.acknowledged_at, tz)),
        Column("แจ้งเสร็จ", lambda r: local(r.resolved_at, tz)),
        Column("เวลารับเรื่อง (ชม. ทำการ)", lambda r: hours(r.tta_business_seconds)),
        Column("เวลาแล้วเสร็จ (ชม. ทำการ)", lambda r: hours(r.ttr_business_seconds)),
        Column("เกินกำหนดตั้งแต่", lambda r: local(r.overdue_since, tz)),
    ]
    if contact:  # SPEC §9: centre and admin only
        columns += [Column("ชื่อผู้ร้อง", lambda r: r.contact[0]), Column("โทรศัพท์ผู้ร้อง", lambda r: r.contact[1]),
                    Column("อีเมลผู้ร้อง", lambda r: r.contact[2])]
    return columns


def response_time_columns() -> list[Column]:
    """The leaderboard's figures per unit (rows are app.web.queries.UnitRow; the total has code '')."""
    def fig(path: str, convert: Callable[[Any], Any] = lambda v: v) -> Callable[[Any], Any]:
        def get(row):
            value = row.figures
            for part in path.split("."):
                value = getattr(value, part)
            return convert(value)
        return get

    def percent(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return [
        Column("รหัสหน่วยงาน", lambda r: r.code),
        Column("หน่วยงาน", lambda r: r.name_th),
        Column("ประเภท", lambda r: KIND_TH.get(r.kind, r.kind)),
        Column("จำนวนเรื่องที่ส่ง", fig("counts.forwarded")),
        Column("รับเรื่องแล้ว", fig("counts.acknowledged")),
        Column("แจ้งเสร็จแล้ว", fig("counts.resolved")),
        Column("ส่งคืน", fig("counts.returned")),
        Column("ยังดำเนินการอยู่", fig("counts.open")),
        Column("สัดส่วนส่งคืน (%)", lambda r: percent(r.returned_percent)),
        Column("ค้างเกินกำหนดขณะนี้", lambda r: r.overdue),
        Column("รับเรื่องภายในกำหนด (%)", fig("sla.acknowledge_percent", percent)),
        Column("แล้วเสร็จภายในกำหนด (%)", fig("sla.resolve_percent", percent)),
        Column("เวลารับเรื่อง p50 (ชม. ทำการ)", fig("tta.p50_business_seconds", hours)),
        Column("เวลารับเรื่อง p90 (ชม. ทำการ)", fig("tta.p90_business_seconds", hours)),
        Column("เวลาตอบครั้งแรก p50 (ชม. ทำการ)", fig("frt.p50_business_seconds", hours)),
        Column("เวลาตอบครั้งแรก p90 (ชม. ทำการ)", fig("frt.p90_business_seconds", hours)),
        Column("เวลาแล้วเสร็จ p50 (ชม. ทำการ)", fig("ttr.p50_business_seconds", hours)),
        Column("เวลาแล้วเสร็จ p90 (ชม. ทำการ)", fig("ttr.p90_business_seconds", hours)),
        Column("เวลารับเรื่อง p50 (ชม.)", fig("tta.p50_seconds", hours)),
        Column("เวลารับเรื่อง p90 (ชม.)", fig("tta.p90_seconds", hours)),
        Column("เวลาแล้วเสร็จ p50 (ชม.)", fig("ttr.p50_seconds", hours)),
        Column("เวลาแล้วเสร็จ p90 (ชม.)", fig("ttr.p90_seconds", hours)),
    ]


def kpi_columns() -> list[Column]:
    """The scorecard (rows are app.web.scorecard.KpiRow)."""
    def part(n: int) -> Callable[[Any], Any]:
        return lambda r: float(r.score.parts.get(n, 0)) if r.score else None

    def evidence(label: str) -> Callable[[Any], Any]:
        def get(row):
            item = next((e for e in row.evidence if e.label == label), None)
            return None if item is None else f"{'✓' if item.done else '✗'} {item.detail}"
        return get

    labels = ("แบบฟอร์ม 1", "แบบฟอร์ม 2", "แบบฟอร์ม 3", "แบบฟอร์ม 4", "คณะกรรมการ", "ขั้นตอนที่ 4", "แบบฟอร์ม 5")
    return [
        Column("รหัสหน่วยงาน", lambda r: r.code),
        Column("หน่วยงาน", lambda r: r.name_th),
        Column("ประเภท", lambda r: KIND_TH.get(r.kind, r.kind)),
        Column("ระดับ", lambda r: float(r.score.level) if r.score else None),
        Column("คะแนนรวม", lambda r: float(r.score.total) if r.score else None),
        Column("ส่วนที่ 1", part(1)), Column("ส่วนที่ 2", part(2)), Column("ส่วนที่ 3", part(3)),
        *(Column(label, evidence(label)) for label in labels),
        Column("หมายเหตุ", lambda r: r.problem or ("" if r.score else "ยังไม่มีข้อมูล")),
    ]


def kpi_criteria_columns() -> list[Column]:
    """Every criterion's points and reason (rows are (KpiRow, Criterion) pairs)."""
    return [
        Column("รหัสหน่วยงาน", lambda p: p[0].code),
        Column("หน่วยงาน", lambda p: p[0].name_th),
        Column("ส่วนที่", lambda p: p[1].part),
        Column("เกณฑ์", lambda p: p[1].title_th),
        Column("คะแนน", lambda p: float(p[1].points)),
        Column("คะแนนเต็ม", lambda p: float(p[1].max_points)),
        Column("เหตุผล", lambda p: p[1].reason_th),
    ]

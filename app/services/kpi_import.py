"""Importing a unit's KPI evidence from a CSV or XLSX file (docs/kpi_import.md).

One layout for both: a row per thing, its kind in a `kind` column (record | idea | activity |
indicator, or Thai: โครงการ | แนวคิด | กิจกรรม | ตัวชี้วัด) and its fields as columns, with English
or Thai headers (`proposer` or `ผู้เสนอ`). An XLSX may instead have a sheet per kind, named
record / ideas / activities / indicators (or โครงการ / แนวคิด / กิจกรรม / ตัวชี้วัด).

All or nothing: every row is checked first, and any problem raises one InvalidInput listing
"row N, column X: problem" with nothing written. On success the record row's fields are set, and
each kind the file has rows of replaces the record's items of that kind; a kind the file has no
rows of is left as it is (delete items one by one through the API). The audit gets one `import` change with the
counts and the items before and after, plus the record's own field changes.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput
from app.services import kpi_evidence as evidence
from models import Agency, KpiRecord

MAX_ROWS = 5_000
MAX_LISTED = 20  # problems named in the message; all of them (up to MAX_DETAILS) are in its details
MAX_DETAILS = 500
KINDS = ("record", "idea", "activity", "indicator")
COLLECTIONS = {"idea": "ideas", "activity": "activities", "indicator": "indicators"}

# Headers people may write for each field (compared without case, spaces, _ - . : ( ) /).
HEADERS: dict[str, tuple[str, ...]] = {
    "kind": ("kind", "type of row", "ประเภทแถว", "ชนิดข้อมูล", "ชนิด"),
    # the record (one row)
    "innovation_title": ("innovation_title", "title", "ชื่อนวัตกรรม", "ชื่อโครงการ"),
    "innovation_type": ("innovation_type", "ประเภทนวัตกรรม", "รูปแบบนวัตกรรม"),
    "selected_by": ("selected_by", "ผู้คัดเลือก", "คัดเลือกโดย"),
    "selected_on": ("selected_on", "วันที่คัดเลือก"),
    "form3_submitted_on": ("form3_submitted_on", "วันที่ส่งแบบฟอร์ม 3", "ส่งแบบฟอร์ม 3"),
    "form4_submitted_on": ("form4_submitted_on", "วันที่ส่งแบบฟอร์ม 4", "ส่งแบบฟอร์ม 4"),
    "committee_presented_on": ("committee_presented_on", "วันที่นำเสนอคณะกรรมการ", "นำเสนอคณะกรรมการ"),
    "committee_decision": ("committee_decision", "มติคณะกรรมการ", "ผลการพิจารณา"),
    "committee_decided_on": ("committee_decided_on", "วันที่มีมติ", "วันที่คณะกรรมการมีมติ"),
    "revision_done_on": ("revision_done_on", "วันที่ปรับแก้แล้วเสร็จ", "ปรับแก้แล้วเสร็จ"),
    "evidence_sent_on": ("evidence_sent_on", "วันที่ส่งหลักฐาน", "ส่งหลักฐานให้สำนักงาน ก.ก."),
    "form5_survey_done_on": ("form5_survey_done_on", "วันที่สำรวจแบบฟอร์ม 5", "สำรวจแบบฟอร์ม 5 เสร็จ"),
    "form5_approved_on": ("form5_approved_on", "วันที่ผู้บริหารเห็นชอบแบบฟอร์ม 5", "ผู้บริหารเห็นชอบแบบฟอร์ม 5"),
    "live_results": ("live_results", "ผลจากระบบ", "ใช้ข้อมูลจากระบบ"),
    "baseline_tta_seconds": ("baseline_tta_seconds", "เวลารับเรื่องก่อนใช้ line (วินาที)"),
    # Form 1 ideas
    "proposer": ("proposer", "ผู้เสนอ", "ชื่อผู้เสนอ"),
    "submitted_on": ("submitted_on", "date", "วันที่เสนอ", "วันที่"),
    "problem": ("problem", "ปัญหา", "สภาพปัญหา"),
    "idea": ("idea", "แนวคิด", "ความคิดเห็น"),
    "selected": ("selected", "คัดเลือก", "ได้รับการคัดเลือก"),
    # step 4 activities and the indicators
    "name": ("name", "ชื่อ", "ชื่อกิจกรรม", "กิจกรรม", "ชื่อตัวชี้วัด", "ตัวชี้วัด"),
    "planned_start": ("planned_start", "วันเริ่มตามแผน", "เริ่มตามแผน"),
    "planned_end": ("planned_end", "วันเสร็จตามแผน", "กำหนดเสร็จ", "เสร็จตามแผน"),
    "done_on": ("done_on", "วันที่ดำเนินการแล้วเสร็จ", "ดำเนินการแล้วเสร็จ", "เสร็จจริง"),
    "unit": ("unit", "หน่วย", "หน่วยนับ"),
    "target": ("target", "ค่าเป้าหมาย", "เป้าหมาย"),
    "baseline": ("baseline", "ค่าฐาน"),
    "achieved": ("achieved", "ผลงานที่ทำได้", "ผลที่ได้"),
    "higher_is_better": ("higher_is_better", "ยิ่งมากยิ่งดี"),
}
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "record": ("record", "records", "โครงการ", "ข้อมูลโครงการ", "ข้อมูลหลัก"),
    "idea": ("idea", "ideas", "form1", "แนวคิด", "ความคิดเห็น", "แบบฟอร์ม 1", "แบบฟอร์มที่ 1"),
    "activity": ("activity", "activities", "กิจกรรม"),
    "indicator": ("indicator", "indicators", "ตัวชี้วัด"),
}
_IGNORED_SHEETS = ("readme", "instructions", "คำอธิบาย", "วิธีใช้", "วิธีกรอก")
_IGNORED_HEADERS = ("note", "notes", "remark", "remarks", "หมายเหตุ")


def _key(text: str) -> str:
    return re.sub(r"[\s_\-.:()/]+", "", str(text).strip().lower())


_HEADER_FIELDS = {_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}
_KIND_BY_WORD = {_key(word): kind for kind, words in KIND_WORDS.items() for word in words}
# The kinds each field belongs to (`selected` is the importer's own: Form 2 in the ideas).
_FIELD_KINDS: dict[str, set[str]] = {"selected": {"idea"}}
for _kind in KINDS:
    for _name in evidence.FIELDS[_kind]:
        _FIELD_KINDS.setdefault(_name, set()).add(_kind)


@dataclass(frozen=True)
class ImportResult:
    record_created: bool
    record_fields: tuple[str, ...]  # the record's fields the file changed
    ideas: int | None  # how many the record now has of each kind the file replaced; None: left as it was
    activities: int | None
    indicators: int | None
    selected_idea_id: int | None
    rows: int


@dataclass
class _Row:
    where: str  # "row 3" or "sheet ideas, row 3"
    kind: str | None
    cells: list[tuple[str, str, Any]]  # (header as written, field, value)


@dataclass
class _Table:
    rows: list[_Row] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (where, column, problem)


# -- reading the file ----------------------------------------------------------------------------

def _decode_csv(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on a Thai Windows: code page 874 (TIS-620 and a few more)
        return content.decode("cp874", errors="strict")


def _read_csv(content: bytes) -> _Table:
    if content.startswith(b"PK\x03\x04"):
        raise InvalidInput("this looks like an XLSX file, not CSV: send it as xlsx (?format=xlsx)")
    try:
        text = _decode_csv(content)
    except UnicodeDecodeError:
        raise InvalidInput("the CSV is neither UTF-8 nor Thai Windows (cp874) text") from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count) if first_line.strip() else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _table([("", rows)])


def _read_xlsx(content: bytes) -> _Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInput(f"not a readable XLSX file ({type(exc).__name__})") from None
    try:
        sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in workbook.worksheets]
    finally:
        workbook.close()
    return _table(sheets)


def _table(sheets: list[tuple[str, list[list[Any]]]]) -> _Table:
    """Rows of every sheet, each with its kind and its cells named by field."""
    table = _Table()
    ignored = {_key(s) for s in _IGNORED_SHEETS}
    used = [(name, rows) for name, rows in sheets if _key(name) not in ignored and not name.startswith(("_", "#"))
            and any(not _blank(c) for r in rows for c in r)]
    for name, rows in used:
        prefix = f"sheet {name}, " if len(used) > 1 else ""
        start = next((i for i, r in enumerate(rows) if any(not _blank(c) for c in r)), 0)
        header = rows[start] if rows else []  # the first row with anything in it
        columns = []  # (index, header, field)
        for index, cell in enumerate(header):
            title = "" if cell is None else str(cell).strip()
            if not title or _key(title) in _IGNORED_HEADERS or title.startswith("#"):
                continue
            target = _HEADER_FIELDS.get(_key(title))
            if target is None:
                table.problems.append((f"{prefix}row {start + 1}", title, "unknown column"))
                continue
            columns.append((index, title, target))
        sheet_kind = _KIND_BY_WORD.get(_key(name)) if name else None
        if not any(target == "kind" for _, _, target in columns):
            if sheet_kind is None:
                table.problems.append((f"{prefix}row {start + 1}", "kind",
                                       "no kind column (record, idea, activity or indicator), and the sheet "
                                       "is not named after one"))
                continue
        for number, values in enumerate(rows[start + 1:], start=start + 2):
            if all(_blank(v) for v in values):
                continue
            if len(table.rows) >= MAX_ROWS:
                table.problems.append((f"{prefix}row {number}", "-", f"more than {MAX_ROWS} rows"))
                return table
            cells = [(title, target, values[i] if i < len(values) else None) for i, title, target in columns]
            table.rows.append(_Row(f"{prefix}row {number}", sheet_kind, cells))
    return table


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- checking every row --------------------------------------------------------------------------

@dataclass
class _Plan:
    record_values: dict[str, Any] = field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # kind → parsed values, in file order
    selected: int | None = None  # index into items["idea"]


def _plan(table: _Table, record: KpiRecord | None, fiscal_year: int) -> tuple[_Plan, list[tuple[str, str, str]]]:
    plan = _Plan()
    problems = list(table.problems)
    record_where = None
    record_headers: dict[str, str] = {}
    selected_where = None
    for row in table.rows:
        kind, kind_title, bad = row.kind, "kind", False
        headers: dict[str, str] = {}  # field → the header it came from in this row
        values: dict[str, Any] = {}
        for title, target, value in row.cells:
            if target == "kind":
                kind_title = title
                if not _blank(value):
                    kind = _KIND_BY_WORD.get(_key(value))
                    if kind is None:
                        problems.append((row.where, title, f"{value!r} is not record, idea, activity or indicator"))
                        bad = True
                continue
            if target in values and not _blank(values[target]):  # two columns for one field
                if not _blank(value) and value != values[target]:
                    problems.append((row.where, title, f"{headers[target]} already gives {target}"))
                continue
            headers[target], values[target] = title, value
        if bad:
            continue
        if kind is None:
            problems.append((row.where, kind_title, "required: record, idea, activity or indicator"))
            continue
        wrong = [headers[f] for f, v in values.items() if kind not in _FIELD_KINDS[f] and not _blank(v)]
        problems += [(row.where, title, f"does not apply to {kind} rows") for title in wrong]
        values = {f: v for f, v in values.items() if kind in _FIELD_KINDS[f]}
        selected = values.pop("selected", None)
        if kind == "record":
            if record_where is not None:
                problems.append((row.where, kind_title, f"a second record row (the first is {record_where})"))
                continue
            record_where = row.where
            parsed, found = evidence.parse_fields("record", values, fiscal_year=fiscal_year, partial=True)
            problems += [(row.where, headers.get(f, f), p) for f, p in found]
            plan.record_values, record_headers = parsed, headers
            continue
        parsed, found = evidence.parse_fields(kind, values, fiscal_year=fiscal_year, partial=False)
        if kind == "activity" and not found:
            found = evidence.activity_problems(parsed)
        problems += [(row.where, headers.get(f, f), p) for f, p in found]
        plan.items.setdefault(kind, []).append(parsed)
        if kind == "idea":
            try:
                chosen = evidence.parse_flag(selected)
            except ValueError as exc:
                problems.append((row.where, headers["selected"], str(exc)))
                continue
            if chosen and selected_where is not None:
                problems.append((row.where, headers["selected"],
                                 f"only one idea can be selected (Form 2), and {selected_where} already is"))
            elif chosen:
                selected_where, plan.selected = row.where, len(plan.items["idea"]) - 1
    # The record as it would be after the import, against the order of the steps.
    state = {f: getattr(record, f) if record is not None else None for f in evidence.FIELDS["record"]}
    state |= plan.record_values
    if "idea" in plan.items:
        chosen = plan.items["idea"][plan.selected] if plan.selected is not None else None
        chosen_on = chosen.get("submitted_on") if chosen else None
    else:
        current = evidence.selected_idea(record) if record is not None else None
        chosen_on = current.submitted_on if current else None
    for f, p in evidence.record_problems(state, selected_idea_on=chosen_on):
        where = record_where or (selected_where if f == "selected_on" else None) or "record"
        problems.append((where, record_headers.get(f, f), p))
    return plan, problems


# -- importing -----------------------------------------------------------------------------------

async def import_file(session: AsyncSession, *, agency: Agency, fiscal_year: int, content: bytes, file_type: str,
                      actor: str) -> ImportResult:
    """Check the whole file, then write it; InvalidInput listing the rows and columns otherwise."""
    file_type = file_type.lower().lstrip(".")
    if file_type not in ("csv", "xlsx"):
        raise InvalidInput(f"file type {file_type!r}: csv or xlsx")
    if not content.strip():
        raise InvalidInput("the file is empty")
    reader = _read_csv if file_type == "csv" else _read_xlsx
    table = await asyncio.to_thread(reader, content)  # parsing a big workbook must not stall the loop
    if not table.rows and not table.problems:
        raise InvalidInput("the file has no rows")
    record = await evidence.get_record(session, agency_id=agency.id, fiscal_year=fiscal_year, lock=True)
    plan, problems = _plan(table, record, fiscal_year)
    if problems:
        lines = [f"{where}, column {column}: {problem}" for where, column, problem in problems]
        more = f"; … and {len(lines) - MAX_LISTED} more" if len(lines) > MAX_LISTED else ""
        raise InvalidInput(f"ไฟล์มีข้อผิดพลาด {len(lines)} รายการ ไม่ได้นำเข้าข้อมูลใด / {len(lines)} problem(s), "
                           f"nothing imported: " + "; ".join(lines[:MAX_LISTED]) + more,
                           problems=[{"row": w, "column": c, "problem": p} for w, c, p in problems[:MAX_DETAILS]])

    created = record is None
    record = await evidence.ensure_record(session, agency=agency, fiscal_year=fiscal_year, actor=actor)
    before: dict[str, Any] = {"counts": {}}
    after: dict[str, Any] = {"file_type": file_type, "rows": len(table.rows), "counts": {}}
    for kind, collection in COLLECTIONS.items():  # out first: at most one idea is selected at any time
        if kind in plan.items:
            items = getattr(record, collection)
            before["counts"][collection] = len(items)
            before[collection] = [evidence.snapshot(kind, item) for item in items]
            for item in list(items):
                items.remove(item)
                await session.delete(item)
    await session.flush()
    selected_id = None
    for kind, collection in COLLECTIONS.items():
        if kind not in plan.items:
            continue
        model = evidence.ITEMS[kind][0]
        new = [model(**values) for values in plan.items[kind]]
        if kind == "idea" and plan.selected is not None:
            new[plan.selected].selected = True
        getattr(record, collection).extend(new)
        await session.flush()
        after["counts"][collection] = len(new)
        after[collection] = [evidence.snapshot(kind, item) for item in new]
        if kind == "idea" and plan.selected is not None:
            selected_id = new[plan.selected].id
    changed = tuple(f for f, v in plan.record_values.items() if getattr(record, f) != v)
    evidence.audit(session, record, actor=actor, what="import", item_id=None, action="replace", before=before,
                   after=after)
    await session.flush()
    if changed:
        await evidence.update_record(session, record, changes=plan.record_values, actor=actor)
    if "idea" not in plan.items:
        chosen = evidence.selected_idea(record)
        selected_id = chosen.id if chosen else None
    counts = {kind: len(getattr(record, c)) if kind in plan.items else None for kind, c in COLLECTIONS.items()}
    return ImportResult(record_created=created, record_fields=changed, ideas=counts["idea"],
                        activities=counts["activity"], indicators=counts["indicator"], selected_idea_id=selected_id,
                        rows=len(table.rows))


def file_type_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("csv", "xlsx"):
        raise ValueError(f"{path}: a .csv or .xlsx file, please")
    return suffix


def describe(result: ImportResult, *, agency: Agency, fiscal_year: int) -> str:
    """One line for people: what the import did."""
    parts = [f"{n} {name}" for name, n in (("ideas", result.ideas), ("activities", result.activities),
                                            ("indicators", result.indicators)) if n is not None]
    record = "created" if result.record_created else "updated"
    fields = ", ".join(result.record_fields) or "no record fields changed"
    return (f"{agency.name_th} ({agency.code}) FY{fiscal_year}: record {record}; {fields}; "
            f"now {', '.join(parts) or 'items left as they were'} ({result.rows} rows)")


async def import_command(agency: str, fiscal_year: int, path: Path) -> str:
    """`rongtuk kpi import`: import a file into one unit's record, in one transaction, as "cli"."""
    from app.config import get_settings
    from app.db import create_engine, create_sessionmaker, session_scope
    from app.services import agencies

    if not 2500 <= fiscal_year <= 2700:
        raise ValueError(f"fiscal year {fiscal_year} is not a Buddhist-era year (e.g. 2564)")
    file_type = file_type_of(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    engine = create_engine(get_settings().database_url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            unit = await agencies.resolve(session, agency)
            result = await import_file(session, agency=unit, fiscal_year=fiscal_year, content=content,
                                       file_type=file_type, actor="cli")
            return describe(result, agency=unit, fiscal_year=fiscal_year)
    finally:
        await engine.dispose()

"""Cases (SPEC §4): numbering, forwarding, the unit's and the centre's actions, who may do what.

Every action locks the case row, checks the actor and the state, changes the case and its current
assignment, fixes the response times and writes one CaseEvent (the audit trail). Nothing here
talks to LINE: app/flows.py decides who is told what.

Allowed transitions (current assignment → after the action):

    forwarded ──รับเรื่อง──▶ acknowledged ──เสร็จแล้ว──▶ resolved ──ปิดเรื่อง──▶ (case closed)
        │                      │      ▲                     │
        └──────ไม่ใช่หน่วยงานเรา──┴─▶ returned       └──────เปิดใหม่─────────┘
    any open or resolved ──โอนเรื่อง──▶ reassigned, and a new assignment for the new unit
    forwarded / acknowledged ──ปิดเรื่อง──▶ withdrawn (the centre closed it while the unit held it)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import fiscal, parsing, utf16
from app.config import Settings
from app.dialect import insert_ignoring_duplicates
from app.errors import CaseNotFound, InvalidInput, NotAllowed, NotYourUnit, StaleCard, TransitionNotAllowed
from app.pipeline import deferred_writes
from app.services import sla
from app.services.business_calendar import BusinessCalendar
from models import (
    OPEN_ASSIGNMENT,
    Agency,
    Assignment,
    AssignmentStatus,
    CaseEvent,
    CaseNumberCounter,
    CaseStatus,
    ComplaintCase,
    Person,
    Priority,
    Role,
)
from models.base import utcnow

# "#70-00042", "#70-42", "70-00042", "# 70 - 00042", "#๗๐-๐๐๐๔๒": the number people type or
# quote, matched on the text without its invisible marks (app/parsing.py).
_NUMBER = re.compile(rf"\s*(#\s*)?({parsing.DIGIT}{{2}})\s*-\s*({parsing.DIGIT}{{1,6}})")

MAX_TITLE = 300
MAX_DETAIL = 10_000
RELAYABLE = (AssignmentStatus.forwarded, AssignmentStatus.acknowledged, AssignmentStatus.resolved)


@dataclass(frozen=True)
class Complainant:
    name: str | None = None
    phone: str | None = None
    email: str | None = None


# -- numbers -------------------------------------------------------------------------------------

def format_number(fiscal_year: int, sequence: int) -> str:
    return f"{fiscal_year % 100:02d}-{sequence:05d}"


def normalize_number(text: str) -> str | None:
    """'#70-42', '70-00042', '# 70 - 00042' and '#๗๐-๐๐๐๔๒' all read as '70-00042'; anything
    else (other digits, more of them, words after it) is None."""
    number, rest = leading_number(text)
    return number if number is not None and parsing.is_blank(rest) else None


def leading_number(text: str, *, hash_required: bool = False) -> tuple[str | None, str]:
    """'#70-00042 ปทุมวัน' → ('70-00042', 'ปทุมวัน'); (None, text) when the text does not start
    with a case number. A number followed by more digits of any kind ('#70-00042²') is none."""
    kept = [i for i, ch in enumerate(text) if not parsing.is_invisible(ch)]
    visible = "".join(text[i] for i in kept)
    match = _NUMBER.match(visible)
    if not match or (hash_required and not match[1]):
        return None, text
    end = match.end()
    if end < len(visible) and visible[end].isnumeric():
        return None, text
    rest = text[kept[end]:] if end < len(kept) else ""
    year, sequence = parsing.ascii_digits(match[2]), parsing.ascii_digits(match[3])
    return f"{year}-{int(sequence):05d}", parsing.trim(rest)


def split_leading_number(text: str) -> tuple[str, str] | None:
    """'#70-00042 ส่งทีมไปแล้ว' → ('70-00042', 'ส่งทีมไปแล้ว'); None when the text doesn't start with
    one (here the '#' is needed: a message that begins with a number is not always about a case)."""
    number, rest = leading_number(text, hash_required=True)
    if number is None:
        return None
    return number, parsing.trim(rest.lstrip(":,.-").lstrip())


async def _next_sequence(session: AsyncSession, fiscal_year: int) -> int:
    """UPDATE … RETURNING holds the counter row's lock until commit: two replicas forwarding at the
    same moment get consecutive numbers, never the same one."""
    bump = (update(CaseNumberCounter).where(CaseNumberCounter.fiscal_year == fiscal_year)
            .values(last_value=CaseNumberCounter.last_value + 1).returning(CaseNumberCounter.last_value))
    value = await session.scalar(bump)
    if value is None:  # first case of the fiscal year
        dialect = session.bind.dialect.name
        await session.execute(insert_ignoring_duplicates(dialect, CaseNumberCounter.__table__, ["fiscal_year"]),
                              [{"fiscal_year": fiscal_year, "last_value": 0}])
        value = await session.scalar(bump)
    return value


# -- reading -------------------------------------------------------------------------------------

async def get(session: AsyncSession, case_id: int, *, lock: bool = False) -> ComplaintCase:
    """`lock`: hold the case row until commit and read it afresh (another replica may have just
    changed it); every change to a case goes through this lock."""
    case = await _read(session, "id", case_id, lock=lock)
    if case is None:
        raise CaseNotFound("ไม่พบเรื่องนี้", case_id=case_id)
    return case


async def get_by_number(session: AsyncSession, number: str, *, lock: bool = False) -> ComplaintCase:
    normalized = normalize_number(number)
    if normalized is None:
        raise InvalidInput(f"เลขที่เรื่อง {number} ไม่ถูกต้อง (รูปแบบ #70-00042)", number=number)
    case = await _read(session, "number", normalized, lock=lock)
    if case is None:
        raise CaseNotFound(f"ไม่พบเรื่อง #{normalized}", number=normalized)
    return case


async def _read(session: AsyncSession, by: str, key: int | str, *, lock: bool) -> ComplaintCase | None:
    """One case and its assignments (joined, with their units), by "id" or by "number": one
    statement."""
    case = (await session.execute(_read_statement(by, lock), {"key": key})).unique().scalar_one_or_none()
    if case is not None:
        for assignment in case.assignments:  # the back reference, without a lazy load
            set_committed_value(assignment, "case", case)
    return case


@functools.cache
def _read_statement(by: str, lock: bool):
    """Built once for each way (a relay reads its case by number, and building cost more than
    running). The lock is the case row's only (PostgreSQL allows FOR UPDATE OF the outer join's
    kept side)."""
    stmt = (select(ComplaintCase).where(getattr(ComplaintCase, by) == bindparam("key"))
            .options(joinedload(ComplaintCase.assignments)))
    if lock:
        stmt = stmt.with_for_update(of=ComplaintCase).execution_options(populate_existing=True)
    return stmt


async def get_assignment(session: AsyncSession, assignment_id: int) -> Assignment:
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None:
        raise CaseNotFound("ไม่พบเรื่องนี้", assignment_id=assignment_id)
    return assignment


def current_assignment(case: ComplaintCase) -> Assignment | None:
    return case.assignments[-1] if case.assignments else None


def can_see(actor: Person | None, case: ComplaintCase) -> bool:
    """Centre and admin (and the API, actor None) see every case; a unit sees the cases that were
    ever forwarded to it; a BMA-wide manager sees all."""
    if actor is None or actor.role in (Role.centre, Role.admin) or actor.agency_id is None:
        return True
    return any(a.agency_id == actor.agency_id for a in case.assignments)


def require_can_see(actor: Person | None, case: ComplaintCase) -> None:
    if not can_see(actor, case):
        raise NotYourUnit(f"เรื่อง #{case.number} ไม่ได้ส่งถึงหน่วยงานของท่าน", number=case.number)


async def timeline(session: AsyncSession, case: ComplaintCase) -> list[CaseEvent]:
    await deferred_writes.write_rows(session)  # the log lines this transaction kept count too
    return list((await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id))).all())


# -- who may act ---------------------------------------------------------------------------------

def require_centre(actor: Person | None) -> None:
    if actor is not None and actor.role not in (Role.centre, Role.admin):
        raise NotAllowed("คำสั่งนี้ใช้ได้เฉพาะเจ้าหน้าที่ศูนย์เรื่องราวร้องทุกข์")


def _require_unit_member(actor: Person, assignment: Assignment) -> None:
    if actor.role != Role.coordinator or actor.agency_id != assignment.agency_id:
        raise NotYourUnit("เรื่องนี้ไม่ได้ส่งถึงหน่วยงานของท่าน ท่านจึงดำเนินการกับเรื่องนี้ไม่ได้",
                          assignment_id=assignment.id)


def _require_current(case: ComplaintCase, assignment: Assignment) -> None:
    current = current_assignment(case)
    if current is None or current.id != assignment.id:
        raise StaleCard(f"การ์ดนี้ไม่เป็นปัจจุบันแล้ว: เรื่อง #{case.number} ถูกโอนไปยังหน่วยงานอื่นแล้ว",
                        number=case.number)


def _require_status(case: ComplaintCase, assignment: Assignment, allowed: tuple[str, ...], action: str) -> None:
    if case.status == CaseStatus.closed:
        raise TransitionNotAllowed(f"เรื่อง #{case.number} ปิดแล้ว จึง{action}ไม่ได้", number=case.number)
    if assignment.status not in allowed:
        raise TransitionNotAllowed(
            f"เรื่อง #{case.number} {_STATUS_NOW[assignment.status]} จึง{action}ไม่ได้",
            number=case.number, status=assignment.status)


_STATUS_NOW = {
    AssignmentStatus.forwarded: "ยังไม่ได้รับเรื่อง",
    AssignmentStatus.acknowledged: "รับเรื่องแล้ว",
    AssignmentStatus.resolved: "แจ้งว่าดำเนินการเสร็จแล้ว",
    AssignmentStatus.returned: "ถูกส่งคืนศูนย์ฯ แล้ว",
    AssignmentStatus.reassigned: "ถูกโอนไปยังหน่วยงานอื่นแล้ว",
    AssignmentStatus.withdrawn: "ถูกศูนย์ฯ ปิดแล้ว",
}


# -- the unit's actions --------------------------------------------------------------------------

async def _unit_assignment(session: AsyncSession, assignment_id: int, actor: Person) -> tuple[ComplaintCase, Assignment]:
    """Lock the case of a card's assignment and check that the actor's unit holds it now."""
    assignment = await get_assignment(session, assignment_id)
    _require_unit_member(actor, assignment)
    case = await get(session, assignment.case_id, lock=True)
    assignment = next(a for a in case.assignments if a.id == assignment_id)
    _require_current(case, assignment)
    return case, assignment


async def acknowledge(session: AsyncSession, *, assignment_id: int, actor: Person, at: datetime,
                      calendar: BusinessCalendar, received_at: datetime | None = None) -> Assignment:
    case, assignment = await _unit_assignment(session, assignment_id, actor)
    at = acted_at(case, at, received_at)
    if assignment.status == AssignmentStatus.acknowledged:
        raise TransitionNotAllowed(f"เรื่อง #{case.number} รับเรื่องไว้แล้ว", number=case.number)
    _require_status(case, assignment, (AssignmentStatus.forwarded,), "รับเรื่อง")
    assignment.status = case.status = AssignmentStatus.acknowledged
    assignment.acknowledged_at = at
    _first_response(assignment, at)
    _fix_times(assignment, calendar)
    await _event(session, case, assignment, "acknowledged", actor, at)
    return assignment


async def resolve(session: AsyncSession, *, assignment_id: int, actor: Person, at: datetime,
                  calendar: BusinessCalendar, received_at: datetime | None = None) -> Assignment:
    """เสร็จแล้ว. Resolving a case never acknowledged acknowledges it at the same moment."""
    case, assignment = await _unit_assignment(session, assignment_id, actor)
    at = acted_at(case, at, received_at)
    _require_status(case, assignment, tuple(OPEN_ASSIGNMENT), "แจ้งว่าเสร็จแล้ว")
    assignment.status = case.status = AssignmentStatus.resolved
    assignment.resolved_at = at
    assignment.acknowledged_at = assignment.acknowledged_at or at
    _first_response(assignment, at)
    _fix_times(assignment, calendar)
    await _event(session, case, assignment, "resolved", actor, at)
    return assignment


async def add_result_note(session: AsyncSession, *, assignment_id: int, actor: Person, note: str,
                          at: datetime, received_at: datetime | None = None) -> Assignment:
    case, assignment = await _unit_assignment(session, assignment_id, actor)
    at = acted_at(case, at, received_at)
    _require_status(case, assignment, (AssignmentStatus.resolved,), "บันทึกผลการดำเนินการ")
    await _event(session, case, assignment, "result_note", actor, at, note=note)
    return assignment


async def check_returnable(session: AsyncSession, *, assignment_id: int, actor: Person) -> Assignment:
    """ไม่ใช่หน่วยงานเรา was tapped: may this person return it? (The reason comes next.)"""
    case, assignment = await _unit_assignment(session, assignment_id, actor)
    _require_status(case, assignment, tuple(OPEN_ASSIGNMENT), "ส่งคืนเรื่อง")
    return assignment


async def return_to_centre(session: AsyncSession, *, assignment_id: int, actor: Person, reason: str,
                           at: datetime, calendar: BusinessCalendar, received_at: datetime | None = None) -> Assignment:
    case, assignment = await _unit_assignment(session, assignment_id, actor)
    at = acted_at(case, at, received_at)
    _require_status(case, assignment, tuple(OPEN_ASSIGNMENT), "ส่งคืนเรื่อง")
    assignment.status = case.status = AssignmentStatus.returned
    assignment.returned_at = at
    assignment.return_reason = utf16.cut(reason, 300)  # the column's 300, never tearing a Thai mark
    _first_response(assignment, at)
    _fix_times(assignment, calendar)
    await _event(session, case, assignment, "returned", actor, at, reason=reason)
    return assignment


# -- messages between the sides ------------------------------------------------------------------

async def relay_target(session: AsyncSession, *, case_id: int | None = None, case: ComplaintCase | None = None,
                       actor: Person) -> tuple[ComplaintCase, Assignment]:
    """The assignment a message from `actor` about this case belongs to, or why it can't be sent.
    The case by `case_id`, locked; or `case` as already read with lock=True in this transaction
    (the lock is held until commit, so reading it again would find the same)."""
    if case is None:
        case = await get(session, case_id, lock=True)
    assignment = current_assignment(case)
    if actor.role in (Role.centre, Role.admin):
        if assignment is None:
            raise TransitionNotAllowed(f"เรื่อง #{case.number} ยังไม่ได้ส่งถึงหน่วยงานใด", number=case.number)
        _require_status(case, assignment, RELAYABLE, "ส่งข้อความถึงหน่วยงาน")
        return case, assignment
    if actor.role != Role.coordinator or not can_see(actor, case):
        raise NotYourUnit(f"เรื่อง #{case.number} ไม่ได้ส่งถึงหน่วยงานของท่าน", number=case.number)
    if assignment is None or assignment.agency_id != actor.agency_id:
        raise StaleCard(f"เรื่อง #{case.number} ถูกโอนไปยังหน่วยงานอื่นแล้ว", number=case.number)
    _require_status(case, assignment, RELAYABLE, "ส่งข้อความถึงศูนย์ฯ")
    return case, assignment


async def record_message(session: AsyncSession, *, case: ComplaintCase, assignment: Assignment, actor: Person,
                         content: dict[str, Any], at: datetime,
                         calendar: Callable[[], Awaitable[BusinessCalendar]],
                         received_at: datetime | None = None) -> CaseEvent:
    """A relayed message, in the log. A message from the unit is a response (FRT). `calendar` is
    awaited only for the unit's first response, the one message whose times it computes: most
    relays need no read of the days off."""
    from_unit = actor.role == Role.coordinator
    at = acted_at(case, at, received_at)
    if from_unit and _first_response(assignment, at):
        _fix_times(assignment, await calendar())
    return await _event(session, case, assignment, "message", actor, at,
                        direction="to_centre" if from_unit else "to_unit", **content)


# -- the centre's actions ------------------------------------------------------------------------

async def forward(session: AsyncSession, *, agency: Agency, title: str, detail: str = "", category: str | None = None,
                  location: str | None = None, priority: str = Priority.normal, external_ref: str | None = None,
                  complainant: Complainant | None = None, actor: Person | None, at: datetime,
                  calendar: BusinessCalendar, settings: Settings) -> Assignment:
    require_centre(actor)
    title, detail = title.strip(), (detail or "").strip()
    if not title:
        raise InvalidInput("โปรดระบุหัวเรื่อง (บรรทัดที่สองของข้อความ)")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"หัวเรื่องยาวเกิน {MAX_TITLE} ตัวอักษร")
    if len(detail) > MAX_DETAIL:
        raise InvalidInput(f"รายละเอียดยาวเกิน {MAX_DETAIL:,} ตัวอักษร")
    if priority not in Priority.__members__:
        raise InvalidInput(f"ความเร่งด่วน {priority!r} ไม่ถูกต้อง (normal หรือ urgent)")
    _require_unit_agency(agency)
    fy = fiscal.fiscal_year(at.astimezone(settings.tz).date())
    sequence = await _next_sequence(session, fy)
    complainant = complainant or Complainant()
    case = ComplaintCase(
        number=format_number(fy, sequence), fiscal_year=fy, sequence=sequence, title=title, detail=detail,
        category=category, location=location, priority=priority, status=CaseStatus.forwarded,
        external_ref=external_ref, complainant_name=complainant.name, complainant_phone=complainant.phone,
        complainant_email=complainant.email, created_by_id=actor.id if actor else None, assignments=[],
        created_at=at,
    )
    session.add(case)
    await session.flush()
    await _event(session, case, None, "created", actor, at, priority=priority)
    return await _assign(session, case, agency, actor=actor, at=at, calendar=calendar, settings=settings)


async def reassign(session: AsyncSession, *, case: ComplaintCase, agency: Agency, actor: Person | None,
                   note: str | None, at: datetime, calendar: BusinessCalendar,
                   settings: Settings, received_at: datetime | None = None) -> tuple[Assignment | None, Assignment]:
    """โอนเรื่อง: the unit holding it (if any) lets go, and the clock starts again for the new one."""
    require_centre(actor)
    _require_unit_agency(agency)
    at = acted_at(case, at, received_at)
    if case.status == CaseStatus.closed:
        raise TransitionNotAllowed(f"เรื่อง #{case.number} ปิดแล้ว โปรดเปิดใหม่ก่อนโอน", number=case.number)
    previous = current_assignment(case)
    if previous is not None and previous.agency_id == agency.id and previous.status in RELAYABLE:
        raise TransitionNotAllowed(f"เรื่อง #{case.number} อยู่ที่ {agency.name_th} อยู่แล้ว", number=case.number)
    if previous is not None and previous.status in RELAYABLE:
        previous.status = AssignmentStatus.reassigned
    else:
        previous = None  # returned already: nobody to take it from
    new = await _assign(session, case, agency, actor=actor, at=at, calendar=calendar, settings=settings,
                        note=note, kind="reassigned")
    return previous, new


async def close(session: AsyncSession, *, case: ComplaintCase, actor: Person | None, note: str | None,
                at: datetime, received_at: datetime | None = None) -> Assignment | None:
    """ปิดเรื่อง. Returns the assignment the unit was still working on, if any (withdrawn)."""
    require_centre(actor)
    at = acted_at(case, at, received_at)
    if case.status == CaseStatus.closed:
        raise TransitionNotAllowed(f"เรื่อง #{case.number} ปิดไปแล้ว", number=case.number)
    assignment = current_assignment(case)
    withdrawn = None
    if assignment is not None and assignment.status in OPEN_ASSIGNMENT:
        assignment.status = AssignmentStatus.withdrawn
        withdrawn = assignment
    case.status = CaseStatus.closed
    case.closed_at = at
    await _event(session, case, assignment, "closed", actor, at, note=note)
    return withdrawn


async def reopen(session: AsyncSession, *, case: ComplaintCase, actor: Person | None, reason: str, at: datetime,
                 calendar: BusinessCalendar, settings: Settings,
                 received_at: datetime | None = None) -> Assignment | None:
    """เปิดใหม่: a resolved or closed case goes back to the unit that had it, with a new resolve
    deadline. If that unit had returned it, the case waits for the centre to re-route it."""
    require_centre(actor)
    at = acted_at(case, at, received_at)
    if not reason.strip():
        raise InvalidInput("โปรดระบุเหตุผลที่เปิดเรื่องใหม่")
    if case.status not in (CaseStatus.closed, CaseStatus.resolved):
        raise TransitionNotAllowed(f"เรื่อง #{case.number} ยังดำเนินการอยู่ ไม่ต้องเปิดใหม่", number=case.number)
    assignment = current_assignment(case)
    case.closed_at = None
    if assignment is None or assignment.status in (AssignmentStatus.returned, AssignmentStatus.reassigned):
        case.status = CaseStatus.returned
        await _event(session, case, assignment, "reopened", actor, at, reason=reason)
        return None
    assignment.status = (AssignmentStatus.acknowledged if assignment.acknowledged_at
                         else AssignmentStatus.forwarded)
    case.status = assignment.status
    assignment.resolved_at = None
    assignment.ttr_seconds = assignment.ttr_business_seconds = None
    await sla.start_clock(session, assignment, case, at=at, calendar=calendar, settings=settings,
                          deadlines=("resolve",))
    await _event(session, case, assignment, "reopened", actor, at, reason=reason)
    return assignment


# -- lists ---------------------------------------------------------------------------------------

async def overdue(session: AsyncSession, *, now: datetime, agency_id: int | None = None,
                  limit: int = 20) -> list[tuple[Assignment, datetime]]:
    """Open assignments past a deadline, most overdue first, with the deadline they missed."""
    stmt = (select(Assignment).options(joinedload(Assignment.case))
            .where(Assignment.status.in_(list(OPEN_ASSIGNMENT)), overdue_clause(now))
            .order_by(deadline_order().asc(), Assignment.id).limit(limit))
    if agency_id is not None:
        stmt = stmt.where(Assignment.agency_id == agency_id)
    rows = (await session.scalars(stmt)).all()
    return [(a, deadline_missed(a)) for a in rows]


def overdue_clause(now: datetime):
    """An open assignment is overdue when it is past its acknowledge deadline unacknowledged, or
    past its resolve deadline (the one definition for ค้าง, the digests and the dashboard)."""
    return or_(
        (Assignment.acknowledged_at.is_(None)) & (Assignment.ack_due_at < now),
        Assignment.resolve_due_at < now,
    )


def deadline_order():
    """The deadline an open assignment missed first: acknowledging, if not yet acknowledged."""
    return sql_case(
        (Assignment.acknowledged_at.is_(None) & Assignment.ack_due_at.is_not(None), Assignment.ack_due_at),
        else_=Assignment.resolve_due_at)


def deadline_missed(assignment: Assignment) -> datetime:
    if assignment.acknowledged_at is None and assignment.ack_due_at is not None:
        return assignment.ack_due_at
    return assignment.resolve_due_at


@dataclass(frozen=True)
class CaseFilter:
    agency_id: int | None = None
    status: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    overdue_at: datetime | None = None  # only cases overdue at this instant


async def search(session: AsyncSession, flt: CaseFilter, *, offset: int, limit: int) -> tuple[list[ComplaintCase], int]:
    stmt = select(ComplaintCase)
    if flt.agency_id is not None or flt.overdue_at is not None:
        held = select(Assignment.case_id)
        if flt.agency_id is not None:
            held = held.where(Assignment.agency_id == flt.agency_id)
        if flt.overdue_at is not None:
            held = held.where(Assignment.status.in_(list(OPEN_ASSIGNMENT)), overdue_clause(flt.overdue_at))
        stmt = stmt.where(ComplaintCase.id.in_(held))
    if flt.status:
        stmt = stmt.where(ComplaintCase.status == flt.status)
    if flt.start:
        stmt = stmt.where(ComplaintCase.created_at >= flt.start)
    if flt.end:
        stmt = stmt.where(ComplaintCase.created_at < flt.end)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(ComplaintCase.id.desc()).offset(offset).limit(limit))).all()
    return list(rows), total


# -- internals -----------------------------------------------------------------------------------

def _require_unit_agency(agency: Agency) -> None:
    if agency.code == "CENTRE":
        raise InvalidInput("ส่งเรื่องถึงศูนย์เรื่องราวร้องทุกข์เองไม่ได้ โปรดระบุหน่วยงานที่รับผิดชอบ")
    if not agency.active:
        raise InvalidInput(f"{agency.name_th} ไม่ได้ใช้งานแล้ว")


async def _assign(session: AsyncSession, case: ComplaintCase, agency: Agency, *, actor: Person | None, at: datetime,
                  calendar: BusinessCalendar, settings: Settings, note: str | None = None,
                  kind: str = "forwarded") -> Assignment:
    assignment = Assignment(case=case, agency_id=agency.id, agency=agency, status=AssignmentStatus.forwarded,
                            forwarded_by_id=actor.id if actor else None, forwarded_at=at)
    session.add(assignment)
    case.status = CaseStatus.forwarded
    await session.flush()
    await sla.start_clock(session, assignment, case, at=at, calendar=calendar, settings=settings)
    await _event(session, case, assignment, kind, actor, at, agency=agency.code, note=note)
    return assignment


def acted_at(case: ComplaintCase, at: datetime, received_at: datetime | None) -> datetime:
    """When an action on a case happened: LINE's time, unless it is before the case's latest
    assignment began (no one can act on a card before it exists: a wrong clock or a forged event),
    then the time we received it. So no TTA, FRT or TTR is ever negative."""
    began = max((a.forwarded_at for a in case.assignments), default=case.created_at)
    if began is None or at >= began:
        return at
    return max(received_at, began) if received_at is not None else began


def _first_response(assignment: Assignment, at: datetime) -> bool:
    if assignment.first_response_at is None:
        assignment.first_response_at = at
        return True
    return False


def _fix_times(assignment: Assignment, calendar: BusinessCalendar) -> None:
    """TTA, FRT and TTR, wall clock and business seconds, from the moments known so far."""
    start = assignment.forwarded_at
    for moment, name in ((assignment.acknowledged_at, "tta"), (assignment.first_response_at, "frt"),
                         (assignment.resolved_at, "ttr")):
        if moment is None:
            continue
        setattr(assignment, f"{name}_seconds", max(0.0, (moment - start).total_seconds()))
        setattr(assignment, f"{name}_business_seconds", calendar.business_seconds_between(start, moment))


async def _event(session: AsyncSession, case: ComplaintCase, assignment: Assignment | None, kind: str,
                 actor: Person | None, at: datetime, **data: Any) -> CaseEvent:
    values = {"case_id": case.id, "assignment_id": assignment.id if assignment else None, "kind": kind,
              "actor_id": actor.id if actor else None, "at": at, "created_at": utcnow(),
              "data": {k: v for k, v in data.items() if v is not None} | ({} if actor else {"via": "api"})}
    # A Core INSERT, not the ORM's flush (it cost more than the statement, once per relay): the
    # log is read by queries, never through the case's objects in this transaction; kept for one
    # statement at the transaction's end where it asks for that (app/pipeline/deferred_writes.py).
    result = await deferred_writes.insert(session, _INSERT_EVENT, [values])
    return CaseEvent(id=result.scalar_one() if result is not None else None, **values)


_INSERT_EVENT = insert(CaseEvent.__table__).returning(CaseEvent.__table__.c.id)

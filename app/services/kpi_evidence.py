"""Evidence of the innovation KPI (SPEC §7): a unit's record for a fiscal year, its Form 1 ideas,
the one idea selected (Form 2), the activities of step 4 and the innovation's indicators.

Every change writes a `KpiChange`: who, when, what, and the fields before → after (dates as ISO
text). A change that changes nothing writes nothing.

Values may come typed (the API) or as text (an imported file): each field has one parser, so both
accept the same things — dates as 2021-04-01 or Thai 1/4/2564 (B.E.) or 1 เม.ย. 2564, and the
Thai words of the innovation types (นโยบาย / บริการ / บริหาร-องค์กร) and of the committee's
decisions (เห็นชอบ / ปรับแก้ / ไม่เห็นชอบ). Problems are `(field, problem)` pairs; the services
raise them as one `InvalidInput`, the importer as "row N, column X: problem".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import dialect, fiscal
from app.errors import InvalidInput, NotFound
from models import Agency, CommitteeDecision, InnovationType, KpiActivity, KpiChange, KpiIdea, KpiIndicator, KpiRecord

Problem = tuple[str, str]  # (field, what is wrong)
Parser = Callable[[Any, int], Any]  # (value, fiscal year) → parsed value; ValueError(problem) if bad

# -- parsing one value ---------------------------------------------------------------------------


def _key(text: str) -> str:
    return re.sub(r"[\s_\-/().]+", "", text.strip().lower())


_INNOVATION_TYPES = {
    InnovationType.policy: ("policy", "นโยบาย"),
    InnovationType.service: ("service", "บริการ"),
    InnovationType.organization: ("organization", "organisation", "organizational", "organisational",
                                  "administrative", "administration", "administrativeororganizational",
                                  "บริหารองค์กร", "บริหาร", "องค์กร"),
}
_INNOVATION_TYPE_WORDS = {_key(w): t.value for t, words in _INNOVATION_TYPES.items() for w in words}
_DECISIONS = {
    CommitteeDecision.approved: ("approved", "approve", "เห็นชอบ", "อนุมัติ", "ผ่าน"),
    CommitteeDecision.revise: ("revise", "revision", "ปรับแก้", "ให้ปรับแก้", "แก้ไข", "ให้แก้ไข", "ปรับปรุง"),
    CommitteeDecision.rejected: ("rejected", "reject", "ไม่เห็นชอบ", "ไม่อนุมัติ", "ไม่ผ่าน"),
}
_DECISION_WORDS = {_key(w): d.value for d, words in _DECISIONS.items() for w in words}
_TRUE = {"true", "yes", "y", "1", "✓", "✔", "x", "ใช่", "มี", "เลือก", "คัดเลือก", "ได้รับการคัดเลือก"}
_FALSE = {"false", "no", "n", "0", "-", "ไม่", "ไม่ใช่", "ไม่มี", "ไม่เลือก"}
_MONTHS = {_key(m): i for names in (fiscal.MONTHS, fiscal.MONTHS_SHORT) for i, m in enumerate(names, start=1)}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_innovation_type(value: Any) -> str | None:
    """policy | service | organization, from English or Thai (นวัตกรรมเชิงนโยบาย, บริหาร-องค์กร, …)."""
    if _blank(value):
        return None
    key = re.sub(r"innovation$", "", _key(str(value)))
    key = re.sub(r"^(นวัตกรรม)?(เชิง|การ)?", "", key)
    if key not in _INNOVATION_TYPE_WORDS:
        raise ValueError(f"{value!r} is not an innovation type (policy/นโยบาย, service/บริการ, "
                         "organization/บริหาร-องค์กร)")
    return _INNOVATION_TYPE_WORDS[key]


def parse_decision(value: Any) -> str | None:
    """approved | revise | rejected, from English or Thai (เห็นชอบ, ปรับแก้, ไม่เห็นชอบ)."""
    if _blank(value):
        return None
    key = re.sub(r"^มติ(คณะกรรมการ)?", "", _key(str(value)))
    if key not in _DECISION_WORDS:
        raise ValueError(f"{value!r} is not a committee decision (approved/เห็นชอบ, revise/ปรับแก้, "
                         "rejected/ไม่เห็นชอบ)")
    return _DECISION_WORDS[key]


def parse_date(value: Any) -> date | None:
    """A calendar date: a date, 2021-04-01, Thai D/M/YYYY (1/4/2564) or 1 เม.ย. 2564. A year past
    2400 is Buddhist era (2564 → 2021) in every form."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?", text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif (m := re.fullmatch(r"(\d{1,2})\s*([^\d\s].*?)\s*(\d{4})", text)) and _key(m[2]) in _MONTHS:
        day, month, year = int(m[1]), _MONTHS[_key(m[2])], int(m[3])
    else:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD, or D/M/YYYY in B.E. such as 1/4/2564)")
    if year > 2400:
        year -= fiscal.BE_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: there is no such day") from None


def parse_number(value: Any) -> float | None:
    """80, 80.5, "1,234", "80%" → a float."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(value) if isinstance(value, int | float) else float(
            str(value).strip().rstrip("%").replace(",", "").replace(" ", ""))
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a number")
    return number


def parse_flag(value: Any) -> bool | None:
    """yes/no, true/false, 1/0, ใช่/ไม่ใช่, ✓ … → a bool; blank → None."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    key = str(value).strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes or no (yes/no, ใช่/ไม่ใช่, 1/0)")


def _text(limit: int | None) -> Parser:
    def parse(value: Any, _fy: int) -> str | None:
        if _blank(value):
            return None
        if isinstance(value, float) and value.is_integer():  # a spreadsheet's 15 is 15.0
            value = int(value)
        text = str(value).strip()
        if not dialect.storable(text):
            raise ValueError("contains a character that cannot be stored (U+0000 or a lone surrogate)")
        if limit is not None and len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text
    return parse


def _date(value: Any, fy: int) -> date | None:
    day = parse_date(value)
    if day is not None:
        first, last = fiscal.fiscal_year_bounds(fy)
        if not first.replace(year=first.year - 1) <= day <= last.replace(year=last.year + 1):
            raise ValueError(f"{day.isoformat()} is more than a year outside fiscal year {fy} "
                             f"({first.isoformat()} – {last.isoformat()})")
    return day


def _number(value: Any, _fy: int) -> float | None:
    return parse_number(value)


def _seconds(value: Any, _fy: int) -> float | None:
    number = parse_number(value)
    if number is not None and number <= 0:
        raise ValueError("must be more than 0 seconds")
    return number


def _flag(default: bool) -> Parser:
    def parse(value: Any, _fy: int) -> bool:
        flag = parse_flag(value)
        return default if flag is None else flag
    return parse


# Every field of each kind: its parser and whether it is required (on create).
FIELDS: dict[str, dict[str, tuple[Parser, bool]]] = {
    "record": {
        "innovation_title": (_text(500), False),
        "innovation_type": (lambda v, _fy: parse_innovation_type(v), False),
        "selected_by": (_text(200), False),
        "selected_on": (_date, False),
        "form3_submitted_on": (_date, False),
        "form4_submitted_on": (_date, False),
        "committee_presented_on": (_date, False),
        "committee_decision": (lambda v, _fy: parse_decision(v), False),
        "committee_decided_on": (_date, False),
        "revision_done_on": (_date, False),
        "evidence_sent_on": (_date, False),
        "form5_survey_done_on": (_date, False),
        "form5_approved_on": (_date, False),
        "live_results": (_flag(False), False),
        "baseline_tta_seconds": (_seconds, False),
    },
    "idea": {
        "proposer": (_text(200), True),
        "submitted_on": (_date, True),
        "problem": (_text(None), True),
        "idea": (_text(None), True),
        "innovation_type": (lambda v, _fy: parse_innovation_type(v), True),
    },
    "activity": {
        "name": (_text(500), True),
        "planned_start": (_date, False),
        "planned_end": (_date, True),
        "done_on": (_date, False),
    },
    "indicator": {
        "name": (_text(500), True),
        "unit": (_text(50), False),
        "target": (_number, True),
        "baseline": (_number, False),
        "achieved": (_number, False),
        "higher_is_better": (_flag(True), False),
    },
    "selection": {
        "selected_by": (_text(200), True),
        "selected_on": (_date, True),
    },
}
ITEMS: dict[str, tuple[type, str]] = {
    "idea": (KpiIdea, "ideas"), "activity": (KpiActivity, "activities"), "indicator": (KpiIndicator, "indicators"),
}


def parse_fields(kind: str, values: dict[str, Any], *, fiscal_year: int,
                 partial: bool) -> tuple[dict[str, Any], list[Problem]]:
    """The values of one `kind` parsed; with `partial` (an update) missing fields are left out,
    otherwise a missing required field is a problem."""
    fields = FIELDS[kind]
    parsed: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in values.items():
        if name not in fields:
            problems.append((name, f"not a field of {kind}"))
            continue
        parser, required = fields[name]
        try:
            parsed[name] = parser(value, fiscal_year)
        except ValueError as exc:
            problems.append((name, str(exc)))
            continue
        if required and parsed[name] is None:
            problems.append((name, "required"))
    if not partial:
        problems += [(name, "required") for name, (_, required) in fields.items() if required and name not in values]
    return parsed, problems


# -- rules across fields -------------------------------------------------------------------------

def _before(later: date | None, earlier: date | None) -> bool:
    return later is not None and earlier is not None and later < earlier


def record_problems(state: dict[str, Any], *, selected_idea_on: date | None = None) -> list[Problem]:
    """The order of the steps, on the record's fields as they would be after a change."""
    problems: list[Problem] = []
    decision = state.get("committee_decision")
    if decision and not state.get("committee_presented_on"):
        problems.append(("committee_decision", "a decision needs committee_presented_on"))
    if state.get("committee_decided_on") and not decision:
        problems.append(("committee_decided_on", "needs committee_decision"))
    if _before(state.get("committee_decided_on"), state.get("committee_presented_on")):
        problems.append(("committee_decided_on", "is before committee_presented_on"))
    if state.get("revision_done_on"):
        if decision != CommitteeDecision.revise:
            problems.append(("revision_done_on", "only when committee_decision is revise (ปรับแก้)"))
        elif _before(state["revision_done_on"], state.get("committee_decided_on") or state.get("committee_presented_on")):
            problems.append(("revision_done_on", "is before the committee's decision"))
    if state.get("form5_approved_on"):
        if not state.get("form5_survey_done_on"):
            problems.append(("form5_approved_on", "needs form5_survey_done_on (the survey comes first)"))
        elif _before(state["form5_approved_on"], state["form5_survey_done_on"]):
            problems.append(("form5_approved_on", "is before form5_survey_done_on"))
    if _before(state.get("selected_on"), selected_idea_on):
        problems.append(("selected_on", f"is before the selected idea was proposed ({selected_idea_on.isoformat()})"))
    return problems


def activity_problems(state: dict[str, Any]) -> list[Problem]:
    if _before(state.get("planned_end"), state.get("planned_start")):
        return [("planned_end", "is before planned_start")]
    return []


def _raise(problems: list[Problem], **details: Any) -> None:
    if problems:
        raise InvalidInput("; ".join(f"{field}: {problem}" for field, problem in problems),
                           problems=[{"field": f, "problem": p} for f, p in problems], **details)


# -- snapshots and the audit ---------------------------------------------------------------------

def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def snapshot(kind: str, obj: Any) -> dict[str, Any]:
    """The object's fields as JSON-safe values (what the audit keeps)."""
    out = {"id": obj.id} if kind != "record" else {}
    out |= {name: _json(getattr(obj, name)) for name in FIELDS[kind]}
    if kind == "idea":
        out["selected"] = obj.selected
    return out


def audit(session: AsyncSession, record: KpiRecord, *, actor: str, what: str, item_id: int | None, action: str,
          before: dict[str, Any] | None, after: dict[str, Any] | None) -> KpiChange:
    change = KpiChange(record_id=record.id, actor=(actor or "-")[:200], what=what, item_id=item_id, action=action,
                       before=before, after=after)
    session.add(change)
    return change


# -- the record ----------------------------------------------------------------------------------

async def get_record(session: AsyncSession, *, agency_id: int, fiscal_year: int, lock: bool = False) -> KpiRecord | None:
    """The unit's record with its ideas, activities and indicators; `lock` holds it until commit
    (every write goes through the lock, so two admins cannot both select an idea)."""
    stmt = select(KpiRecord).where(KpiRecord.agency_id == agency_id, KpiRecord.fiscal_year == fiscal_year)
    if lock:
        stmt = stmt.with_for_update(of=KpiRecord).execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def ensure_record(session: AsyncSession, *, agency: Agency, fiscal_year: int, actor: str) -> KpiRecord:
    """The unit's record for the year, locked; created (and audited) if there is none yet."""
    record = await get_record(session, agency_id=agency.id, fiscal_year=fiscal_year, lock=True)
    if record is not None:
        return record
    record = KpiRecord(agency=agency, fiscal_year=fiscal_year, live_results=False, ideas=[], activities=[],
                       indicators=[])
    try:
        async with session.begin_nested():  # another request may create it at the same moment
            session.add(record)
    except IntegrityError:
        record = await get_record(session, agency_id=agency.id, fiscal_year=fiscal_year, lock=True)
        if record is None:
            raise
        return record
    audit(session, record, actor=actor, what="record", item_id=record.id, action="create", before=None,
          after={"agency": agency.code, "fiscal_year": fiscal_year} | snapshot("record", record))
    await session.flush()
    return record


def selected_idea(record: KpiRecord) -> KpiIdea | None:
    return next((idea for idea in record.ideas if idea.selected), None)


async def update_record(session: AsyncSession, record: KpiRecord, *, changes: dict[str, Any], actor: str) -> KpiRecord:
    """Change the record's own fields (a field set to None is cleared); validated as a whole."""
    parsed, problems = parse_fields("record", changes, fiscal_year=record.fiscal_year, partial=True)
    _raise(problems)
    state = {name: getattr(record, name) for name in FIELDS["record"]} | parsed
    chosen = selected_idea(record)
    _raise(record_problems(state, selected_idea_on=chosen.submitted_on if chosen else None))
    diff = {name: value for name, value in parsed.items() if getattr(record, name) != value}
    if not diff:
        return record
    before = {name: _json(getattr(record, name)) for name in diff}
    for name, value in diff.items():
        setattr(record, name, value)
    audit(session, record, actor=actor, what="record", item_id=record.id, action="update", before=before,
          after={name: _json(value) for name, value in diff.items()})
    await session.flush()
    return record


async def changes(session: AsyncSession, record: KpiRecord) -> list[KpiChange]:
    """The record's audit trail, oldest first."""
    return list((await session.scalars(
        select(KpiChange).where(KpiChange.record_id == record.id).order_by(KpiChange.at, KpiChange.id))).all())


# -- ideas, activities, indicators ---------------------------------------------------------------

def find_item(record: KpiRecord, kind: str, item_id: int) -> Any:
    """An item of this record; NotFound for a missing id and for another record's item alike."""
    for item in getattr(record, ITEMS[kind][1]):
        if item.id == item_id:
            return item
    raise NotFound(f"ไม่พบ {kind} {item_id} ของหน่วยงานนี้ในปีงบประมาณ {record.fiscal_year} / "
                   f"no {kind} {item_id} in this unit's record for FY{record.fiscal_year}", kind=kind, id=item_id)


def _item_problems(kind: str, state: dict[str, Any], record: KpiRecord, item: Any = None) -> list[Problem]:
    if kind == "activity":
        return activity_problems(state)
    if kind == "idea" and item is not None and item.selected and _before(record.selected_on, state["submitted_on"]):
        return [("submitted_on", f"is after the idea was selected ({record.selected_on.isoformat()})")]
    return []


async def _add(session: AsyncSession, record: KpiRecord, kind: str, values: dict[str, Any], actor: str) -> Any:
    parsed, problems = parse_fields(kind, values, fiscal_year=record.fiscal_year, partial=False)
    _raise(problems)
    _raise(_item_problems(kind, parsed, record))
    model, collection = ITEMS[kind]
    item = model(**parsed)
    getattr(record, collection).append(item)
    await session.flush()
    audit(session, record, actor=actor, what=kind, item_id=item.id, action="create", before=None,
          after=snapshot(kind, item))
    await session.flush()
    return item


async def _update(session: AsyncSession, record: KpiRecord, kind: str, item_id: int, changes: dict[str, Any],
                  actor: str) -> Any:
    item = find_item(record, kind, item_id)
    parsed, problems = parse_fields(kind, changes, fiscal_year=record.fiscal_year, partial=True)
    _raise(problems)
    _raise(_item_problems(kind, {name: getattr(item, name) for name in FIELDS[kind]} | parsed, record, item))
    diff = {name: value for name, value in parsed.items() if getattr(item, name) != value}
    if not diff:
        return item
    before = {name: _json(getattr(item, name)) for name in diff}
    for name, value in diff.items():
        setattr(item, name, value)
    audit(session, record, actor=actor, what=kind, item_id=item.id, action="update", before=before,
          after={name: _json(value) for name, value in diff.items()})
    await session.flush()
    return item


async def _delete(session: AsyncSession, record: KpiRecord, kind: str, item_id: int, actor: str) -> None:
    item = find_item(record, kind, item_id)
    before = snapshot(kind, item)
    getattr(record, ITEMS[kind][1]).remove(item)
    await session.delete(item)
    audit(session, record, actor=actor, what=kind, item_id=item_id, action="delete", before=before, after=None)
    await session.flush()


async def add_idea(session: AsyncSession, record: KpiRecord, *, values: dict[str, Any], actor: str) -> KpiIdea:
    """A Form 1: proposer, submitted_on, problem, idea, innovation_type."""
    return await _add(session, record, "idea", values, actor)


async def update_idea(session: AsyncSession, record: KpiRecord, *, idea_id: int, changes: dict[str, Any],
                      actor: str) -> KpiIdea:
    return await _update(session, record, "idea", idea_id, changes, actor)


async def delete_idea(session: AsyncSession, record: KpiRecord, *, idea_id: int, actor: str) -> None:
    await _delete(session, record, "idea", idea_id, actor)


async def select_idea(session: AsyncSession, record: KpiRecord, *, idea_id: int, selected_by: Any, selected_on: Any,
                      actor: str) -> KpiIdea:
    """Form 2: this idea, and only this one, is the unit's choice, by whom and when."""
    idea = find_item(record, "idea", idea_id)
    parsed, problems = parse_fields("selection", {"selected_by": selected_by, "selected_on": selected_on},
                                    fiscal_year=record.fiscal_year, partial=False)
    _raise(problems)
    _raise(record_problems({"selected_on": parsed["selected_on"]}, selected_idea_on=idea.submitted_on))
    previous = selected_idea(record)
    before = {"idea_id": previous.id if previous else None, "selected_by": record.selected_by,
              "selected_on": _json(record.selected_on)}
    after = {"idea_id": idea.id, "selected_by": parsed["selected_by"], "selected_on": _json(parsed["selected_on"])}
    if before == after:
        return idea
    for other in record.ideas:
        if other.selected and other is not idea:
            other.selected = False
    await session.flush()  # un-select first: the database holds at most one selected idea
    idea.selected = True
    record.selected_by, record.selected_on = parsed["selected_by"], parsed["selected_on"]
    audit(session, record, actor=actor, what="idea", item_id=idea.id, action="select", before=before, after=after)
    await session.flush()
    return idea


async def add_activity(session: AsyncSession, record: KpiRecord, *, values: dict[str, Any], actor: str) -> KpiActivity:
    """A step 4 activity: name, planned_start, planned_end, done_on."""
    return await _add(session, record, "activity", values, actor)


async def update_activity(session: AsyncSession, record: KpiRecord, *, activity_id: int, changes: dict[str, Any],
                          actor: str) -> KpiActivity:
    return await _update(session, record, "activity", activity_id, changes, actor)


async def delete_activity(session: AsyncSession, record: KpiRecord, *, activity_id: int, actor: str) -> None:
    await _delete(session, record, "activity", activity_id, actor)


async def add_indicator(session: AsyncSession, record: KpiRecord, *, values: dict[str, Any],
                        actor: str) -> KpiIndicator:
    """An indicator of the innovation: name, unit, target, baseline, achieved, higher_is_better."""
    return await _add(session, record, "indicator", values, actor)


async def update_indicator(session: AsyncSession, record: KpiRecord, *, indicator_id: int, changes: dict[str, Any],
                           actor: str) -> KpiIndicator:
    return await _update(session, record, "indicator", indicator_id, changes, actor)


async def delete_indicator(session: AsyncSession, record: KpiRecord, *, indicator_id: int, actor: str) -> None:
    await _delete(session, record, "indicator", indicator_id, actor)

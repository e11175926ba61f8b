"""JSON shapes of the admin API, and the shared types that bound what a caller may send.

Bounds match the columns and what the databases accept, so a value past them is a 422 at the edge
and never an overflow or an encoding error in SQLite or PostgreSQL: ids fit a 32-bit INTEGER (the
narrowest id column on PostgreSQL), and text may hold anything but U+0000, which PostgreSQL refuses
in text, and lone surrogates, which UTF-8 cannot encode. The OpenAPI document states the same
bounds (minimum/maximum, maxLength, pattern), so generated clients and tests stay within them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app import dialect
from models import Priority, Role

ID_MAX = 2**31 - 1  # PostgreSQL INTEGER
STORABLE_PATTERN = r"^[^\x00]*$"  # documents storable(); validation is storable() itself
NOT_STORABLE = "มีอักขระที่บันทึกไม่ได้ (U+0000 หรือ surrogate) / contains a character that cannot be stored"


def storable(value: str) -> str:
    if not dialect.storable(value):
        raise ValueError(NOT_STORABLE)
    return value


# Validation only: each parameter or field adds its own length (Field/Path/Query) and the pattern.
Storable = Annotated[str, AfterValidator(storable)]
# A body field of free text; its length is the field's own Field(max_length=…), as its column's.
Text = Annotated[Storable, Field(json_schema_extra={"pattern": STORABLE_PATTERN})]
# Numbers from JSON: finite (json.loads accepts NaN and Infinity), as a float column needs.
Number = Annotated[float, Field(allow_inf_nan=False)]


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    kind: str
    name_th: str
    name_en: str
    aliases: list[str]


class InviteIn(BaseModel):
    role: Role
    agency: Text | None = Field(None, max_length=200,
                               description="code or any name/alias of the unit; none for a BMA-wide manager or admin")


class InviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    role: str
    agency: AgencyOut | None
    expires_at: datetime
    used_at: datetime | None


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    line_user_id: str
    display_name: str | None
    role: str
    agency: AgencyOut | None
    active: bool
    registered_at: datetime
    deactivated_at: datetime | None


# -- metrics/response-times ----------------------------------------------------------------------

class AgencyRef(BaseModel):
    """A unit, named briefly."""

    model_config = ConfigDict(from_attributes=True)
    code: str
    name_th: str


class CountsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    forwarded: int = Field(description="assignments forwarded to the unit in the period")
    acknowledged: int = Field(description="of those, acknowledged (รับเรื่อง) so far")
    responded: int = Field(description="of those, with a first response (acknowledge, reply or done) so far")
    resolved: int = Field(description="of those, reported done so far")
    returned: int = Field(description="of those, returned by the unit as not theirs")
    open: int = Field(description="of those, still the unit's to act on (forwarded or acknowledged)")


class PercentilesOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    p50_seconds: float | None
    p90_seconds: float | None
    p50_business_seconds: float | None
    p90_business_seconds: float | None


class ComplianceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    acknowledge_percent: float | None = Field(description="acknowledged by the deadline, of the deadlines met or passed")
    resolve_percent: float | None = Field(description="resolved by the deadline, of the deadlines met or passed")


class FiguresOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    counts: CountsOut
    tta: PercentilesOut = Field(description="time to acknowledge")
    frt: PercentilesOut = Field(description="first response time")
    ttr: PercentilesOut = Field(description="time to resolve")
    sla: ComplianceOut


class UnitFiguresOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    agency: AgencyRef
    counts: CountsOut
    tta: PercentilesOut
    frt: PercentilesOut
    ttr: PercentilesOut
    sla: ComplianceOut


class ResponseTimesOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: datetime = Field(alias="from", description="start of the period (assignments forwarded at or after)")
    to: datetime = Field(description="end of the period (assignments forwarded before)")
    units: list[UnitFiguresOut]
    total: FiguresOut


# -- cases ---------------------------------------------------------------------------------------

class ComplainantIn(BaseModel):
    name: Text | None = Field(None, max_length=200)
    phone: Text | None = Field(None, max_length=40)
    email: Text | None = Field(None, max_length=200)


class CaseIn(BaseModel):
    title: Text = Field(..., min_length=1, max_length=300)
    detail: Text = Field("", max_length=10_000)
    agency: Text = Field(..., max_length=200, description="code or any name/alias of the unit, e.g. 1004, บางรัก, Bang Rak")
    category: Text | None = Field(None, max_length=100)
    location: Text | None = Field(None, max_length=500)
    priority: Priority = Priority.normal
    external_ref: Text | None = Field(None, max_length=100, description="the complaint's id in another system")
    complainant: ComplainantIn | None = Field(None, description="personal data: never sent over LINE")


class ReassignIn(BaseModel):
    agency: Text = Field(..., max_length=200, description="code or any name/alias of the unit")
    note: Text | None = Field(None, max_length=2_000)


class CloseIn(BaseModel):
    note: Text | None = Field(None, max_length=2_000)


class ReopenIn(BaseModel):
    reason: Text = Field(..., min_length=1, max_length=2_000)


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    agency: AgencyRef
    status: str
    forwarded_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    returned_at: datetime | None
    return_reason: str | None
    ack_due_at: datetime | None
    resolve_due_at: datetime | None
    tta_seconds: float | None
    tta_business_seconds: float | None
    frt_seconds: float | None
    frt_business_seconds: float | None
    ttr_seconds: float | None
    ttr_business_seconds: float | None


class ComplainantOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class CaseSummaryOut(BaseModel):
    number: str
    status: str
    priority: str
    title: str
    agency: AgencyRef | None
    created_at: datetime
    closed_at: datetime | None


class CaseOut(CaseSummaryOut):
    detail: str
    category: str | None
    location: str | None
    external_ref: str | None
    complainant: ComplainantOut | None
    assignments: list[AssignmentOut]
    notified_chats: int | None = Field(None, description="after forwarding or re-routing: LINE chats the card went to")


class CasePageOut(BaseModel):
    items: list[CaseSummaryOut]
    total: int
    page: int
    per_page: int


class CaseEventOut(BaseModel):
    at: datetime
    kind: str
    actor: str | None = Field(None, description="display name of the person, or none for the API")
    agency: AgencyRef | None
    data: dict


# -- SLA policies and the business calendar ------------------------------------------------------

# A deadline of at most a year: longer means nothing for a complaint, and a due time must stay a date.
SLA_MAX_SECONDS = 366 * 24 * 3600


class SlaPolicyIn(BaseModel):
    priority: Priority
    agency: Text | None = Field(None, max_length=200, description="a unit (code or name); none: every unit")
    category: Text | None = Field(None, max_length=100, description="a case category; none: every category")
    ack_seconds: Number = Field(..., gt=0, le=SLA_MAX_SECONDS, description="time allowed to acknowledge")
    ack_business: bool = Field(True, description="counted in business hours (else wall clock)")
    resolve_seconds: Number = Field(..., gt=0, le=SLA_MAX_SECONDS)
    resolve_business: bool = False


class SlaPolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    priority: str
    agency: AgencyRef | None
    category: str | None
    ack_seconds: float
    ack_business: bool
    resolve_seconds: float
    resolve_business: bool
    updated_by: str | None
    updated_at: datetime


class DayOffIn(BaseModel):
    name: Text = Field(..., min_length=1, max_length=200)


class HolidayOut(BaseModel):
    day: date
    name: str
    source: str = Field(description="public (Thai public and government holidays) or extra (added by an admin)")


class CalendarOut(BaseModel):
    fiscal_year: int
    first_day: date
    last_day: date
    office_hours: str
    business_days: int
    holidays: list[HolidayOut]


# -- KPI evidence: the innovation KPI's Forms 1–5 (SPEC §7) --------------------------------------

_INNOVATION_TYPE = "policy | service | organization (Thai too: นโยบาย, บริการ, บริหาร-องค์กร)"
_DECISION = "approved | revise | rejected (Thai too: เห็นชอบ, ปรับแก้, ไม่เห็นชอบ)"


class KpiRecordIn(BaseModel):
    """The record's own fields. A field left out stays as it is; null clears it."""

    model_config = ConfigDict(extra="forbid")
    innovation_title: Text | None = Field(None, max_length=500)
    innovation_type: Text | None = Field(None, max_length=50, description=_INNOVATION_TYPE)
    selected_by: Text | None = Field(None, max_length=200, description="Form 2: who selected the idea")
    selected_on: date | None = Field(None, description="Form 2: when")
    form3_submitted_on: date | None = Field(None, description="Form 3 sent to สำนักงาน ก.ก.")
    form4_submitted_on: date | None = Field(None, description="Form 4 sent to สำนักงาน ก.ก.")
    committee_presented_on: date | None = Field(None, description="presented to the BMA innovation committee")
    committee_decision: Text | None = Field(None, max_length=50, description=_DECISION)
    committee_decided_on: date | None = None
    revision_done_on: date | None = Field(None, description="revisions done (only after a revise decision)")
    evidence_sent_on: date | None = Field(None, description="step 4 evidence sent to สำนักงาน ก.ก.")
    form5_survey_done_on: date | None = Field(None, description="Form 5: the utilization survey done")
    form5_approved_on: date | None = Field(None, description="Form 5 approved by the unit's executives")
    live_results: bool | None = Field(None, description="results measured from this service's data (the LINE innovation)")
    baseline_tta_seconds: Number | None = Field(None, gt=0, description="median time to acknowledge before LINE")


class KpiIdeaIn(BaseModel):
    """A Form 1: an idea from the unit's staff."""

    model_config = ConfigDict(extra="forbid")
    proposer: Text = Field(..., min_length=1, max_length=200)
    submitted_on: date
    problem: Text = Field(..., min_length=1, max_length=10_000)
    idea: Text = Field(..., min_length=1, max_length=10_000)
    innovation_type: Text = Field(..., max_length=50, description=_INNOVATION_TYPE)


class KpiIdeaPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proposer: Text | None = Field(None, min_length=1, max_length=200)
    submitted_on: date | None = None
    problem: Text | None = Field(None, min_length=1, max_length=10_000)
    idea: Text | None = Field(None, min_length=1, max_length=10_000)
    innovation_type: Text | None = Field(None, max_length=50, description=_INNOVATION_TYPE)


class KpiSelectIn(BaseModel):
    """Form 2: the one idea the unit's executives chose."""

    model_config = ConfigDict(extra="forbid")
    selected_by: Text = Field(..., min_length=1, max_length=200, description="e.g. คณะผู้บริหารสำนักงานเขต")
    selected_on: date


class KpiActivityIn(BaseModel):
    """A step 4 activity of the project, as planned, and when it was done."""

    model_config = ConfigDict(extra="forbid")
    name: Text = Field(..., min_length=1, max_length=500)
    planned_start: date | None = None
    planned_end: date
    done_on: date | None = None


class KpiActivityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(None, min_length=1, max_length=500)
    planned_start: date | None = None
    planned_end: date | None = None
    done_on: date | None = None


class KpiIndicatorIn(BaseModel):
    """An indicator of the innovation's results, with its target and baseline."""

    model_config = ConfigDict(extra="forbid")
    name: Text = Field(..., min_length=1, max_length=500)
    unit: Text | None = Field(None, max_length=50, description="%, ชั่วโมง, ครั้ง …")
    target: Number
    baseline: Number | None = None
    achieved: Number | None = Field(None, description="reported by the unit (a live-results record measures it)")
    higher_is_better: bool = True


class KpiIndicatorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(None, min_length=1, max_length=500)
    unit: Text | None = Field(None, max_length=50)
    target: Number | None = None
    baseline: Number | None = None
    achieved: Number | None = None
    higher_is_better: bool | None = None


class KpiIdeaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    proposer: str
    submitted_on: date
    problem: str
    idea: str
    innovation_type: str
    selected: bool


class KpiActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    planned_start: date | None
    planned_end: date
    done_on: date | None


class KpiIndicatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    unit: str | None
    target: float
    baseline: float | None
    achieved: float | None
    higher_is_better: bool


class KpiEvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    agency: AgencyRef
    fiscal_year: int
    innovation_title: str | None
    innovation_type: str | None
    selected_by: str | None
    selected_on: date | None
    form3_submitted_on: date | None
    form4_submitted_on: date | None
    committee_presented_on: date | None
    committee_decision: str | None
    committee_decided_on: date | None
    revision_done_on: date | None
    evidence_sent_on: date | None
    form5_survey_done_on: date | None
    form5_approved_on: date | None
    live_results: bool
    baseline_tta_seconds: float | None
    ideas: list[KpiIdeaOut]
    activities: list[KpiActivityOut]
    indicators: list[KpiIndicatorOut]
    created_at: datetime
    updated_at: datetime


class KpiChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str = Field(description='"api", the X-Actor header\'s name, or "cli"')
    what: str = Field(description="record | idea | activity | indicator | import")
    item_id: int | None
    action: str = Field(description="create | update | delete | select | replace (an import)")
    before: dict | None = Field(description="the fields before (dates as YYYY-MM-DD); none for a create")
    after: dict | None = Field(description="the fields after; none for a delete")


class KpiImportOut(BaseModel):
    record_created: bool
    record_fields: list[str] = Field(description="the record's fields the file changed")
    ideas: int | None = Field(description="ideas now, if the file had idea rows (they replaced the old); else null")
    activities: int | None
    indicators: int | None
    selected_idea_id: int | None
    rows: int
    evidence: KpiEvidenceOut


# -- innovation KPI score ------------------------------------------------------------------------

class KpiCriterionOut(BaseModel):
    part: int
    key: str
    title_th: str
    points: float
    max_points: float
    reason_th: str
    done_on: date | None


class KpiProgressOut(BaseModel):
    quarter: int
    as_of: date
    total: float
    level: float


class KpiScoreOut(BaseModel):
    agency: AgencyRef
    fiscal_year: int
    as_of: date
    target: float = Field(description="ค่าเป้าหมาย")
    achieved: float = Field(description="ผลงานที่ทำได้")
    total: float
    level: str = Field(description="1.0000 – 5.0000, four decimals as the BMA writes it")
    parts: dict[int, float]
    criteria: list[KpiCriterionOut]
    progress: list[KpiProgressOut]

    @classmethod
    def of(cls, evaluation) -> KpiScoreOut:
        s = evaluation.score
        return cls(
            agency=AgencyRef(code=s.agency_code, name_th=s.agency_name_th), fiscal_year=s.fiscal_year, as_of=s.as_of,
            target=float(s.target), achieved=float(s.achieved), total=float(s.total), level=f"{s.level:.4f}",
            parts={k: float(v) for k, v in s.parts.items()},
            criteria=[KpiCriterionOut(part=c.part, key=c.key, title_th=c.title_th, points=float(c.points),
                                      max_points=float(c.max_points), reason_th=c.reason_th, done_on=c.done_on)
                      for c in s.criteria],
            progress=[KpiProgressOut(quarter=q, as_of=p.as_of, total=float(p.total), level=float(p.level))
                      for q, p in evaluation.progress])

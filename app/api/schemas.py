"""JSON shapes of the admin API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models import Priority, Role


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    kind: str
    name_th: str
    name_en: str
    aliases: list[str]


class InviteIn(BaseModel):
    role: Role
    agency: str | None = Field(None, description="code or any name/alias of the unit; none for a BMA-wide manager or admin")


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
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=200)


class CaseIn(BaseModel):
    title: str = Field(..., min_length=1, max_length=300)
    detail: str = Field("", max_length=10_000)
    agency: str = Field(..., description="code or any name/alias of the unit, e.g. 1004, บางรัก, Bang Rak")
    category: str | None = Field(None, max_length=100)
    location: str | None = Field(None, max_length=500)
    priority: Priority = Priority.normal
    external_ref: str | None = Field(None, max_length=100, description="the complaint's id in another system")
    complainant: ComplainantIn | None = Field(None, description="personal data: never sent over LINE")


class ReassignIn(BaseModel):
    agency: str
    note: str | None = Field(None, max_length=2_000)


class CloseIn(BaseModel):
    note: str | None = Field(None, max_length=2_000)


class ReopenIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2_000)


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

class SlaPolicyIn(BaseModel):
    priority: Priority
    agency: str | None = Field(None, description="a unit (code or name); none: every unit")
    category: str | None = Field(None, max_length=100, description="a case category; none: every category")
    ack_seconds: float = Field(..., gt=0, description="time allowed to acknowledge")
    ack_business: bool = Field(True, description="counted in business hours (else wall clock)")
    resolve_seconds: float = Field(..., gt=0)
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
    name: str = Field(..., min_length=1, max_length=200)


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

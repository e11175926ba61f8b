"""Admin API for the innovation KPI's evidence (SPEC §7, §8): a unit's record for a fiscal year,
its Form 1 ideas, the Form 2 selection, the step 4 activities and the indicators, recorded one by
one or imported from a CSV/XLSX file, and the audit of every change.

`{agency}` is a unit's code or any name or alias (1004, บางรัก); `{fy}` a B.E. fiscal year (2564).
Changes are audited as made by "api", or by the name in an `X-Actor` header: the display name of
the admin at the keyboard (percent-encode non-ASCII, e.g. `X-Actor: %E0%B8%AA%E0%B8%A1...`).
The score itself is `GET /api/v1/kpi/innovation/{agency}/{fy}` (app/api/kpi.py).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status

from app.api.deps import AdminDep, AgencyPath, FiscalYear, RowId, SessionDep
from app.api.schemas import NOT_STORABLE
from app.api.schemas import (
    KpiActivityIn,
    KpiActivityOut,
    KpiActivityPatch,
    KpiChangeOut,
    KpiEvidenceOut,
    KpiIdeaIn,
    KpiIdeaOut,
    KpiIdeaPatch,
    KpiImportOut,
    KpiIndicatorIn,
    KpiIndicatorOut,
    KpiIndicatorPatch,
    KpiRecordIn,
    KpiSelectIn,
)
from app.errors import InvalidInput, NotFound
from app.services import agencies, kpi_evidence, kpi_import
from models import Agency, KpiRecord

router = APIRouter(prefix="/api/v1/kpi/innovation/{agency}/{fy}/evidence", dependencies=[AdminDep],
                   tags=["kpi evidence"])

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "text/comma-separated-values"}
XLSX_TYPES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


async def valid_agency(agency: AgencyPath, session: SessionDep) -> Agency:
    return await agencies.resolve(session, agency)


def actor(x_actor: Annotated[str | None, Header(
        description="display name of the admin making the change, for the audit (percent-encoded UTF-8)")] = None,
          ) -> str:
    name = unquote(x_actor or "").strip()[:200]
    if "\x00" in name:  # percent-decoding can make what no header may carry
        raise InvalidInput(f"X-Actor: {NOT_STORABLE}")
    return name or "api"


AgencyDep = Annotated[Agency, Depends(valid_agency)]
ActorDep = Annotated[str, Depends(actor)]


async def _existing(session, agency: Agency, fy: int, *, lock: bool = False) -> KpiRecord:
    record = await kpi_evidence.get_record(session, agency_id=agency.id, fiscal_year=fy, lock=lock)
    if record is None:
        raise NotFound(f"ยังไม่มีข้อมูลตัวชี้วัดนวัตกรรมของ{agency.name_th} ปีงบประมาณ {fy} / "
                       f"no innovation KPI evidence for {agency.code} in FY{fy} yet", agency=agency.code, fiscal_year=fy)
    return record


@router.get("", response_model=KpiEvidenceOut)
async def get_evidence(agency: AgencyDep, fy: FiscalYear, session: SessionDep):
    """The record with its ideas, activities and indicators."""
    return await _existing(session, agency, fy)


@router.put("", response_model=KpiEvidenceOut)
async def put_evidence(body: KpiRecordIn, agency: AgencyDep, fy: FiscalYear, session: SessionDep, who: ActorDep):
    """Set the record's own fields (creating the record if there is none); fields left out stay."""
    record = await kpi_evidence.ensure_record(session, agency=agency, fiscal_year=fy, actor=who)
    await kpi_evidence.update_record(session, record, changes=body.model_dump(exclude_unset=True), actor=who)
    await session.commit()
    return record


@router.get("/changes", response_model=list[KpiChangeOut])
async def get_changes(agency: AgencyDep, fy: FiscalYear, session: SessionDep):
    """Every change to the record and its items, oldest first: who, when, before and after."""
    return await kpi_evidence.changes(session, await _existing(session, agency, fy))


@router.post("/import", response_model=KpiImportOut, openapi_extra={"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string", "format": "binary"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}},
}}})
async def import_evidence(request: Request, agency: AgencyDep, fy: FiscalYear, session: SessionDep, who: ActorDep,
                          format: Literal["csv", "xlsx"] | None = Query(
                              None, description="the file's type; else from Content-Type, else sniffed")):
    """The file itself as the request body (CSV or XLSX; docs/kpi_import.md). All or nothing: a
    bad file answers 422 listing "row N, column X: problem" and changes nothing."""
    content = await request.body()
    if len(content) > MAX_UPLOAD_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"at most {MAX_UPLOAD_BYTES // 2**20} MB")
    file_type = format or _file_type(request.headers.get("content-type"), content)
    result = await kpi_import.import_file(session, agency=agency, fiscal_year=fy, content=content,
                                          file_type=file_type, actor=who)
    await session.commit()
    record = await _existing(session, agency, fy)
    return KpiImportOut(record_created=result.record_created, record_fields=list(result.record_fields),
                        ideas=result.ideas, activities=result.activities, indicators=result.indicators,
                        selected_idea_id=result.selected_idea_id, rows=result.rows,
                        evidence=KpiEvidenceOut.model_validate(record))


def _file_type(content_type: str | None, content: bytes) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in CSV_TYPES:
        return "csv"
    if kind in XLSX_TYPES:
        return "xlsx"
    if kind in ("", "application/octet-stream"):
        return "xlsx" if content.startswith(b"PK\x03\x04") else "csv"  # an XLSX is a zip file
    raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                        f"{kind}: send text/csv or an XLSX, or say which with ?format=csv|xlsx")


# -- Form 1 ideas and the Form 2 selection -------------------------------------------------------

@router.post("/ideas", response_model=KpiIdeaOut, status_code=status.HTTP_201_CREATED)
async def add_idea(body: KpiIdeaIn, agency: AgencyDep, fy: FiscalYear, session: SessionDep, who: ActorDep):
    record = await kpi_evidence.ensure_record(session, agency=agency, fiscal_year=fy, actor=who)
    idea = await kpi_evidence.add_idea(session, record, values=body.model_dump(), actor=who)
    await session.commit()
    return idea


@router.patch("/ideas/{idea_id}", response_model=KpiIdeaOut)
async def update_idea(idea_id: RowId, body: KpiIdeaPatch, agency: AgencyDep, fy: FiscalYear, session: SessionDep,
                      who: ActorDep):
    record = await _existing(session, agency, fy, lock=True)
    idea = await kpi_evidence.update_idea(session, record, idea_id=idea_id,
                                          changes=body.model_dump(exclude_unset=True), actor=who)
    await session.commit()
    return idea


@router.delete("/ideas/{idea_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_idea(idea_id: RowId, agency: AgencyDep, fy: FiscalYear, session: SessionDep, who: ActorDep) -> Response:
    record = await _existing(session, agency, fy, lock=True)
    await kpi_evidence.delete_idea(session, record, idea_id=idea_id, actor=who)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/ideas/{idea_id}/select", response_model=KpiEvidenceOut)
async def select_idea(idea_id: RowId, body: KpiSelectIn, agency: AgencyDep, fy: FiscalYear, session: SessionDep,
                      who: ActorDep):
    """Form 2: this idea is the unit's one choice (any other loses its selection)."""
    record = await _existing(session, agency, fy, lock=True)
    await kpi_evidence.select_idea(session, record, idea_id=idea_id, selected_by=body.selected_by,
                                   selected_on=body.selected_on, actor=who)
    await session.commit()
    return record


# -- step 4 activities ---------------------------------------------------------------------------

@router.post("/activities", response_model=KpiActivityOut, status_code=status.HTTP_201_CREATED)
async def add_activity(body: KpiActivityIn, agency: AgencyDep, fy: FiscalYear, session: SessionDep, who: ActorDep):
    record = await kpi_evidence.ensure_record(session, agency=agency, fiscal_year=fy, actor=who)
    activity = await kpi_evidence.add_activity(session, record, values=body.model_dump(), actor=who)
    await session.commit()
    return activity


@router.patch("/activities/{activity_id}", response_model=KpiActivityOut)
async def update_activity(activity_id: RowId, body: KpiActivityPatch, agency: AgencyDep, fy: FiscalYear,
                          session: SessionDep, who: ActorDep):
    record = await _existing(session, agency, fy, lock=True)
    activity = await kpi_evidence.update_activity(session, record, activity_id=activity_id,
                                                  changes=body.model_dump(exclude_unset=True), actor=who)
    await session.commit()
    return activity


@router.delete("/activities/{activity_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_activity(activity_id: RowId, agency: AgencyDep, fy: FiscalYear, session: SessionDep,
                          who: ActorDep) -> Response:
    record = await _existing(session, agency, fy, lock=True)
    await kpi_evidence.delete_activity(session, record, activity_id=activity_id, actor=who)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- the innovation's indicators -----------------------------------------------------------------

@router.post("/indicators", response_model=KpiIndicatorOut, status_code=status.HTTP_201_CREATED)
async def add_indicator(body: KpiIndicatorIn, agency: AgencyDep, fy: FiscalYear, session: SessionDep, who: ActorDep):
    record = await kpi_evidence.ensure_record(session, agency=agency, fiscal_year=fy, actor=who)
    indicator = await kpi_evidence.add_indicator(session, record, values=body.model_dump(), actor=who)
    await session.commit()
    return indicator


@router.patch("/indicators/{indicator_id}", response_model=KpiIndicatorOut)
async def update_indicator(indicator_id: RowId, body: KpiIndicatorPatch, agency: AgencyDep, fy: FiscalYear,
                           session: SessionDep, who: ActorDep):
    record = await _existing(session, agency, fy, lock=True)
    indicator = await kpi_evidence.update_indicator(session, record, indicator_id=indicator_id,
                                                    changes=body.model_dump(exclude_unset=True), actor=who)
    await session.commit()
    return indicator


@router.delete("/indicators/{indicator_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_indicator(indicator_id: RowId, agency: AgencyDep, fy: FiscalYear, session: SessionDep,
                           who: ActorDep) -> Response:
    record = await _existing(session, agency, fy, lock=True)
    await kpi_evidence.delete_indicator(session, record, indicator_id=indicator_id, actor=who)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
